"""The decision on a sending that passed the technical phase.

Type letters act as `vsb-processing.md` says:

- **B** rejects the sending (DF013, rejection type ``01``);
- **F** rejects the invoice: all its records, 20 through 80;
- **R** rejects the record and the records that depend on it: the records 51/52
  after a rejected record 50 (codes ``510119``/``520119`` on them). It does not
  run upwards: a rejected 51 or 52 leaves its 50 standing, as in the real reply
  of `vsb-processing.md` (records 10, 20, 50, 51, 80, 90, one rejected
  prestation: 16.66 %). A last date before the first date (``x00612``) also
  rejects the whole invoice (``200140`` on its record 20);
- **S** and **E** reject nothing.

The ratio is rejected records over records 10 to 90, compared exactly:
``rejected * 100 <= total * 5`` is acceptable (DF014 then DF015), anything
above is DF013 with rejection type ``02``. Records that carry a B error count
as rejected too.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vsbengine.formats.efact.findings import ErrorBuilder, ErrorTable
from vsbengine.formats.efact.sending import Sending

LIMIT_PERCENT = 5

#: Codes whose presence rejects the whole invoice, with the code put on its record 20.
_INVOICE_TRIGGERS = {300612: "200140", 500612: "200140"}


@dataclass(frozen=True)
class Propagated:
    """The letters of one chunk applied to its records."""

    errors: ErrorTable  # with the propagated codes
    rejected: np.ndarray  # per unit: rejected by its own or a propagated error
    invoice_rejected: np.ndarray  # per invoice (index in ``Sending.invoices``)
    edges: Edges  # what rejects what (for errors found on the whole sending)


@dataclass(frozen=True)
class Edges:
    """Rejecting record ``src`` rejects record ``dst``, which gets ``code``."""

    src: np.ndarray
    dst: np.ndarray
    code: np.ndarray  # int32
    zone: np.ndarray  # int32

    @classmethod
    def concat(cls, parts: list[Edges]) -> Edges:
        return cls(
            *(
                np.concatenate([getattr(p, f) for p in parts]) if parts else np.zeros(0, dt)
                for f, dt in (
                    ("src", np.int64),
                    ("dst", np.int64),
                    ("code", np.int32),
                    ("zone", np.int32),
                )
            )
        )


@dataclass(frozen=True)
class Decision:
    """Outcome of the pre-validation of a sending."""

    outcome: str  # "DF013" or "DF014"
    rejection_type: str | None  # "01", "02" or None
    records_total: int
    records_rejected: int
    #: Percentage with two implied decimals, rounded half up (1667 = 16.67 %).
    ratio_x100: int


def percent_x100(part: int, total: int) -> int:
    """``part / total * 100`` with two implied decimals, rounded half up (exact)."""
    if total <= 0:
        return 0
    return (part * 20000 + total) // (2 * total)


def dependency_edges(s: Sending) -> Edges:
    """A record 50 drags its records 51/52 (``510119``/``520119``); a revalidation day or
    personal share record drags the other records 30/50 of the same day of its invoice
    (``300129``/``500129``; the day groups come from the content checks)."""
    src, dst, code, zone = [], [], [], []
    dep = np.flatnonzero(s.head50 >= 0)
    for rt, c in ((51, 510119), (52, 520119)):
        d = dep[s.rtype[dep] == rt]
        src.append(s.head50[d])
        dst.append(d)
        code.append(np.full(len(d), c, np.int32))
        zone.append(np.full(len(d), s.zone_index(str(rt), "1"), np.int32))
    group = getattr(s, "day_group", None)
    if group is not None:
        trig = s.day_trigger
        members = np.flatnonzero(group >= 0)
        order = np.argsort(group[members], kind="stable")
        members = members[order]
        g = group[members]
        # Pair every trigger with every other member of its group (groups are a few records).
        starts = np.flatnonzero(np.r_[True, g[1:] != g[:-1]])
        sizes = np.diff(np.r_[starts, len(g)])
        for k in range(1, int(sizes.max()) if len(sizes) else 1):
            a = np.arange(len(g))
            b = a + k
            ok = b < len(g)
            ok[ok] &= g[b[ok]] == g[a[ok]]
            for x, y in ((a[ok], b[ok]), (b[ok], a[ok])):
                sx, sy = members[x], members[y]
                keep = trig[sx]
                sx, sy = sx[keep], sy[keep]
                src.append(sx)
                dst.append(sy)
                is30 = s.rtype[sy] == 30
                code.append(np.where(is30, 300129, 500129).astype(np.int32))
                zone.append(
                    np.where(is30, s.zone_index("30", "1"), s.zone_index("50", "1")).astype(
                        np.int32
                    )
                )
    return Edges(
        np.concatenate(src).astype(np.int64),
        np.concatenate(dst).astype(np.int64),
        np.concatenate(code),
        np.concatenate(zone),
    )


def drag(src: np.ndarray, dst: np.ndarray, seeds: np.ndarray, rejected: np.ndarray) -> np.ndarray:
    """Follow the edges ``src -> dst`` from newly rejected ``seeds`` (units) to records not
    yet rejected; marks them in ``rejected`` and returns the indices of the edges that
    rejected them (one per record, in order)."""
    out = []
    fresh = np.unique(seeds)
    order = np.argsort(src, kind="stable")
    ordered = src[order]
    while len(fresh) and len(ordered):
        lo = np.searchsorted(ordered, fresh)
        hi = np.searchsorted(ordered, fresh, side="right")
        n = hi - lo
        if not n.any():
            break
        start = np.repeat(lo - np.r_[0, np.cumsum(n)[:-1]], n)
        idx = order[start + np.arange(n.sum())]
        idx = idx[~rejected[dst[idx]]]
        _, first = np.unique(dst[idx], return_index=True)
        idx = idx[np.sort(first)]
        rejected[dst[idx]] = True
        out.append(idx)
        fresh = dst[idx]
    return np.concatenate(out) if out else np.zeros(0, np.int64)


def propagate(s: Sending, table: ErrorTable) -> Propagated:
    """Apply the letters within a chunk (invoices and record groups never span chunks)."""
    errs = ErrorBuilder()
    errs.add_table(table)
    unit = table.unit

    # x00612 rejects the invoice: 200140 on its record 20.
    for trigger, code in _INVOICE_TRIGGERS.items():
        hit = unit[table.code == trigger]
        heads = np.unique(s.head20[hit])
        errs.add(heads[heads >= 0], code, s.zone_index("20", "1"))
    table = errs.table()
    letter, unit = table.letter, table.unit

    invoice_rejected = np.zeros(len(s.invoices), dtype=bool)
    f_units = unit[(letter == ord("F")) & (unit >= 0)]
    inv = s.invoice_of[f_units]
    invoice_rejected[inv[inv >= 0]] = True

    rejected = np.zeros(s.n_units, dtype=bool)
    on_unit = unit >= 0
    rejected[unit[on_unit & _REJECTING[letter]]] = True
    inside = s.in_invoice
    rejected[inside] |= invoice_rejected[s.invoice_of[inside]]

    edges = dependency_edges(s)
    seeds = unit[on_unit & (letter == ord("R"))]
    if len(invoice_rejected):
        seeds = seeds[~(s.in_invoice[seeds] & invoice_rejected[np.maximum(s.invoice_of[seeds], 0)])]
    idx = drag(edges.src, edges.dst, seeds, rejected)
    add_dragged(errs, edges.dst[idx], edges.code[idx], edges.zone[idx])
    return Propagated(errs.table(), rejected & s.is_detail, invoice_rejected, edges)


def add_dragged(errs: ErrorBuilder, units, codes, zones, **where) -> None:
    """Add the codes of records rejected with another one (grouped by code and zone)."""
    for code in np.unique(codes).tolist():
        for z in np.unique(zones[codes == code]).tolist():
            sel = (codes == code) & (zones == z)
            errs.add(units[sel], f"{code:06d}", z, **{k: v[sel] for k, v in where.items()})


def decide(records_total: int, records_rejected: int, blocking: bool) -> Decision:
    """The outcome: B errors reject the sending (type 01); above 5 % rejected records
    too (type 02), compared exactly; otherwise it is accepted."""
    if blocking:
        outcome, rtype = "DF013", "01"
    elif records_rejected * 100 > records_total * LIMIT_PERCENT:
        outcome, rtype = "DF013", "02"
    else:
        outcome, rtype = "DF014", None
    return Decision(
        outcome,
        rtype,
        records_total,
        records_rejected,
        percent_x100(records_rejected, records_total),
    )


_REJECTING = np.zeros(256, dtype=bool)
_REJECTING[[ord("B"), ord("F"), ord("R")]] = True
