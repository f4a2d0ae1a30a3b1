"""The decision on a sending that passed the technical phase.

Type letters act as `vsb-processing.md` says:

- **B** rejects the sending (DF013, rejection type ``01``);
- **F** rejects the invoice: all its records, 20 through 80;
- **R** rejects the record and the records that depend on it: the records 51/52
  after a rejected record 50 (codes ``510119``/``520119`` on them). A rejected
  record 52 (the eID reading) rejects its record 50 too (the official ``500120``),
  and through it the 50's other 51/52. A rejected 51 leaves its 50 standing (the
  list has no such code), as in the real reply of `vsb-processing.md` (records 10,
  20, 50, 51, 80, 90, one rejected prestation: 16.66 %). A last date before the
  first date (``x00612``) also rejects the whole invoice (``200140`` on its record
  20);
- **S** and **E** reject nothing.

The ratio is rejected records over records 10 to 90, compared exactly:
``rejected * 100 <= total * 5`` is acceptable (DF014 then DF015), anything
above is DF013 with rejection type ``02``. Records that carry a B error count
as rejected too.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

from vsbengine.formats.efact.compiled import LAYOUTS
from vsbengine.formats.efact.findings import Edges, ErrorBuilder, ErrorTable
from vsbengine.formats.efact.sending import Sending

LIMIT_PERCENT = 5

#: Codes whose presence rejects the whole invoice, with the code put on its record 20.
_INVOICE_TRIGGERS = {300612: "200140", 500612: "200140"}
_ZONE_20_1 = LAYOUTS.zone_index("20", "1")


class Frame(Protocol):
    """Where the invoices are among the units: what the propagation needs to know.

    A scanned chunk is one (:class:`ChunkFrame`), and so is the merged summary of a
    whole sending (:class:`vsbengine.formats.efact.summary.SendingFrame`).
    """

    #: Units the rejection mask covers.
    n_units: int
    #: Units of the records 20 (one per invoice), ascending.
    invoices: np.ndarray

    def head20(self, units: np.ndarray) -> np.ndarray:
        """The record 20 of each unit's invoice (-1 outside invoices)."""
        ...

    def members(self, invoices: np.ndarray) -> np.ndarray:
        """The units of the given invoices (indices into :attr:`invoices`)."""
        ...

    def detail(self) -> np.ndarray | None:
        """Mask of the units a rejection counts for (records 10 to 90), or None: all."""
        ...

    def invoice_own(self, units: np.ndarray) -> np.ndarray:
        """Mask: which of ``units`` are their invoice's record 20 or record 80."""
        ...


class ChunkFrame:
    """The frame of a scanned chunk (see :class:`Frame`)."""

    def __init__(self, s: Sending) -> None:
        self.s = s
        self.n_units = s.n_units
        self.invoices = s.invoices

    def head20(self, units: np.ndarray) -> np.ndarray:
        return self.s.head20_of(units)

    def members(self, invoices: np.ndarray) -> np.ndarray:
        invoices = np.asarray(invoices, dtype=np.int64)
        lo = self.invoices[invoices]
        hi = self.s.scan.inv_stop[invoices].astype(np.int64)
        n = hi - lo
        span = np.repeat(lo - np.r_[0, np.cumsum(n)[:-1]], n) + np.arange(n.sum())
        # Between its record 20 and its last record, the units of the invoice.
        return span[self.s.scan.invoice[span] == np.repeat(invoices, n)]

    def detail(self) -> np.ndarray | None:
        return self.s.is_detail

    def invoice_own(self, units: np.ndarray) -> np.ndarray:
        rtype = self.s.rtype[units]
        return (rtype == 20) | (rtype == 80)


@dataclass(frozen=True)
class Propagated:
    """The letters applied to the records."""

    errors: ErrorTable  # the errors given, with the propagated codes
    rejected: np.ndarray  # per unit of the frame: rejected by its own or a propagated error
    invoice_rejected: np.ndarray  # per invoice of the frame


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
    """A record 50 drags its records 51/52 (``510119``/``520119``), a record 52 its
    record 50 (``500120``). Other dependencies (the day groups of the content checks)
    come with the findings of their check."""
    src, dst, code, zone = [], [], [], []
    for rt in (51, 52):
        units = s.units_of(rt)
        head = s.head50_of(units)
        mine, of50 = units[head >= 0], head[head >= 0]
        # (from, to, code, record type of "to"): down to the 51/52, up from a 52.
        edges = [(of50, mine, 510119 if rt == 51 else 520119, rt)]
        if rt == 52:
            edges.append((mine, of50, 500120, 50))
        for a, b, c, to in edges:
            src.append(a)
            dst.append(b)
            code.append(np.full(len(b), c, np.int32))
            zone.append(np.full(len(b), s.zone_index(str(to), "1"), np.int32))
    return Edges(
        np.concatenate(src).astype(np.int64),
        np.concatenate(dst).astype(np.int64),
        np.concatenate(code),
        np.concatenate(zone),
    )


def drag(src: np.ndarray, dst: np.ndarray, seeds: np.ndarray, rejected: np.ndarray) -> np.ndarray:
    """Follow the edges ``src -> dst`` from newly rejected ``seeds`` (units) to records not
    yet rejected; marks them in ``rejected`` and returns the indices of the edges that
    rejected them (one per record, in order).

    Each round takes the edges leaving the records rejected in the round before, in the
    order of those records (the seeds ascending), each record's edges in edge order; a
    record reached twice is rejected by the first of its edges. The edges are not
    sorted: a mark per unit picks a round's edges with one gather."""
    out = []
    fresh = np.unique(seeds)
    if len(fresh) == 0 or len(src) == 0:
        return np.zeros(0, np.int64)
    leaving = np.zeros(len(rejected), dtype=bool)
    while len(fresh):
        leaving[fresh] = True
        idx = np.flatnonzero(leaving[src])
        leaving[fresh] = False
        # In the order of their records in ``fresh``, each record's in edge order.
        by = np.argsort(fresh, kind="stable")
        rank = by[np.searchsorted(fresh, src[idx], sorter=by)]
        idx = idx[np.argsort(rank, kind="stable")]
        idx = idx[~rejected[dst[idx]]]
        if not len(idx):
            break
        _, first = np.unique(dst[idx], return_index=True)
        idx = idx[np.sort(first)]
        rejected[dst[idx]] = True
        out.append(idx)
        fresh = dst[idx]
    return np.concatenate(out) if out else np.zeros(0, np.int64)


#: The codes of the day groups' edges (VSB's pair rule): a rejected revalidation day or
#: personal share rejects the other records of its day.
_DAY_GROUP_CODES = (300129, 500129)


def _not_from_repeats(table: ErrorTable, edges: Edges) -> np.ndarray | None:
    """The edges to follow (``None``: all of them): not a day group's edges from a record
    rejected only as a repeat (``x00423``, billed already in the sending). The repeat is
    the one too many; the day it repeats stands whole with the first one. (A record 51
    or 52 after a repeated 50 still goes with it.)"""
    letter, unit = table.letter, table.unit
    rejecting = (unit >= 0) & _REJECTING[letter]
    repeat = rejecting & (table.code % 10000 == 423)
    if not repeat.any() or len(edges.src) == 0:
        return None
    only = np.setdiff1d(unit[repeat], unit[rejecting & ~repeat])
    if len(only) == 0:
        return None
    # A mark per unit (one gather over the edges), then the codes of the few it finds.
    mark = np.zeros(max(int(edges.src.max()), int(only.max())) + 1, dtype=bool)
    mark[only] = True
    leaving = np.flatnonzero(mark[edges.src])
    leaving = leaving[np.isin(edges.code[leaving], _DAY_GROUP_CODES)]
    if len(leaving) == 0:
        return None
    keep = np.ones(len(edges.src), dtype=bool)
    keep[leaving] = False
    return keep


def propagate(
    table: ErrorTable,
    frame: Frame,
    edges: Edges,
    rejected: np.ndarray | None = None,
    invoice_rejected: np.ndarray | None = None,
) -> Propagated:
    """Apply the letters: the one propagation of a chunk and of a whole sending.

    B, F and R reject their record; F rejects its invoice (every record of it), and so
    does B on a record 20 or 80; a last date before the first (``x00612``) puts
    ``200140`` on its record 20; R drags
    what depends on its record along ``edges`` (``510119`` on a record 51 after a
    rejected 50, ...). ``rejected``/``invoice_rejected``: what was rejected already
    (the chunks' result, for the errors found on the whole sending); updated in place.
    """
    errs = ErrorBuilder()
    errs.add_table(table)
    unit = table.unit

    # x00612 rejects the invoice: 200140 on its record 20.
    for trigger, code in _INVOICE_TRIGGERS.items():
        hit = unit[(table.code == trigger) & (unit >= 0)]
        heads = np.unique(frame.head20(hit))
        errs.add(heads[heads >= 0], code, _ZONE_20_1)
    table = errs.table()
    letter, unit = table.letter, table.unit

    if invoice_rejected is None:
        invoice_rejected = np.zeros(len(frame.invoices), dtype=bool)
    # F rejects its invoice; so does a B on the invoice's own records 20 and 80 (an
    # error there counts every record of the invoice: the whole sending is blocked
    # anyway, but the counts, the report and the review page must say so too).
    b_units = unit[(letter == ord("B")) & (unit >= 0)]
    f_units = np.r_[unit[(letter == ord("F")) & (unit >= 0)], b_units[frame.invoice_own(b_units)]]
    heads = frame.head20(f_units)
    heads = heads[heads >= 0]
    newly = np.searchsorted(frame.invoices, heads)
    newly = np.unique(newly[~invoice_rejected[newly]])
    invoice_rejected[newly] = True

    if rejected is None:
        rejected = np.zeros(frame.n_units, dtype=bool)
    on_unit = unit >= 0
    rejected[unit[on_unit & _REJECTING[letter]]] = True
    rejected[frame.members(newly)] = True

    seeds = unit[on_unit & (letter == ord("R"))]
    if len(invoice_rejected) and len(seeds):
        # A record of a rejected invoice drags nothing more: its invoice went whole.
        head = frame.head20(seeds)
        inv = np.searchsorted(frame.invoices, np.maximum(head, 0))
        inv = np.minimum(inv, max(len(frame.invoices) - 1, 0))
        seeds = seeds[~((head >= 0) & invoice_rejected[inv])]
    keep = _not_from_repeats(table, edges)
    if keep is None:
        idx = drag(edges.src, edges.dst, seeds, rejected)
    else:
        idx = np.flatnonzero(keep)[drag(edges.src[keep], edges.dst[keep], seeds, rejected)]
    where = {}
    if edges.place is not None:
        p = edges.place.select(idx)
        where = dict(seq=p.seq, rtype=p.rtype, offset=p.offset + _ZONE_START[edges.zone[idx]])
    add_dragged(errs, edges.dst[idx], edges.code[idx], edges.zone[idx], **where)
    detail = frame.detail()
    return Propagated(
        errs.table(), rejected if detail is None else rejected & detail, invoice_rejected
    )


def add_dragged(errs: ErrorBuilder, units, codes, zones, **where) -> None:
    """Add the codes of records rejected with another one (grouped by code and zone)."""
    for code in np.unique(codes).tolist():
        for z in np.unique(zones[codes == code]).tolist():
            sel = (codes == code) & (zones == z)
            errs.add(units[sel], f"{code:06d}", z, **{k: v[sel] for k, v in where.items()})


def over_limit(records_total: int, records_rejected: int) -> bool:
    """More than 5 % of the records rejected, compared exactly (a rounded ratio of
    5.00 % can be over: 1,001 of 20,001 is 5.0047 %)."""
    return records_rejected * 100 > records_total * LIMIT_PERCENT


def decide(records_total: int, records_rejected: int, blocking: bool) -> Decision:
    """The outcome: B errors reject the sending (type 01); above 5 % rejected records
    too (type 02), compared exactly; otherwise it is accepted."""
    if blocking:
        outcome, rtype = "DF013", "01"
    elif over_limit(records_total, records_rejected):
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
_ZONE_START = np.array([z.start for z in LAYOUTS.zones], dtype=np.int64)
