"""What the checks of a whole sending need from each checked chunk, and its merge.

A chunk contributes its errors and framing problems (already placed in the whole
file), its counts, the rejected records, and small aggregates: per destination
mutuality the totals of its records 80, its records and codes, and the amounts
accepted; the totals of all records 80; its invoice numbers; and its record 90
and closing records 95/96 when it has them. The checks of the whole sending
(record 90 against the records 80, unique invoice numbers, records 95/96) and
the decision run on the merge.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from vsbengine.formats.efact.checks.common import code_sums
from vsbengine.formats.efact.findings import ErrorTable, Problem
from vsbengine.formats.efact.sending import Sending

#: Zones of records 95/96 the closing checks read (ids of record 95; 96 uses 5xx).
CLOSING_ZONES = ("401", "402", "404", "406", "408", "409", "410", "412")
_COLUMN = {
    "401": "closing_mutuality",
    "402": "summary_invoice",
    "404": "requested_a",
    "406": "requested_b",
    "408": "requested",
    "409": "record_count",
    "410": "control_number",
    "412": "requested_c",
}
R90_ZONES = (("19", "19", "amount_a"), ("15", "15", "amount_b"), ("98", "98", "control_number"))


@dataclass
class Mutuality:
    """Totals of the invoices of one destination mutuality."""

    a: int = 0  # records 80, zone 19 (account A)
    b: int = 0  # records 80, zone 15 (account B)
    records: int = 0  # records 20 to 80
    codes: int = 0  # codes (zone 4) of records 30/50/51/52
    accepted_a: int = 0  # prestations accepted, account A (set on the whole sending)
    accepted_b: int = 0
    bad_amount: bool = False  # an amount of a record 80 is unreadable
    bad_code: bool = False  # a code is unreadable

    def add(self, other: Mutuality) -> None:
        for k in ("a", "b", "records", "codes"):
            setattr(self, k, getattr(self, k) + getattr(other, k))
        self.bad_amount |= other.bad_amount
        self.bad_code |= other.bad_code


@dataclass
class Located:
    """A record the checks of the whole sending look at: where it is and its values."""

    unit: int
    rtype: int
    seq: int
    offset: int
    values: dict[str, int]
    readable: dict[str, bool]


@dataclass
class Summary:
    errors: ErrorTable
    problems: list[Problem]
    framing: bool = False  # the core found framing problems
    units: int = 0  # record units of the chunk (or file): 2 + sum = all units
    detail: int = 0  # records 10-90
    invoices: int = 0
    invoices_rejected: int = 0
    last_detail: int = -1  # unit of the last record 10-90
    rejected: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    mutualities: dict[int, Mutuality] = field(default_factory=dict)
    r80_a: int = 0
    r80_b: int = 0
    r80_bad: bool = False
    codes: int = 0
    codes_bad: bool = False
    invoice_number: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    invoice_unit: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    invoice_seq: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    invoice_offset: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    record90: Located | None = None
    closing: list[Located] = field(default_factory=list)
    record10: Located | None = None
    #: What rejects what (see vsbengine.decision.dependency_edges), placed in the file,
    #: with where each rejected record is (for errors found on the whole sending).
    edges: dict[str, np.ndarray] = field(default_factory=dict)
    #: Prestation keys of the duplicate check (content checks): unit, key1, key2, seq,
    #: offset, record type.
    prestations: dict[str, np.ndarray] = field(default_factory=dict)
    #: The prestation records (30 and 50 of an invoice), as units of the file, with their
    #: amount, account (0 A, 1 B) and destination mutuality: what the settlement adds up.
    prest_units: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    prest_amount: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    prest_account: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    prest_mutuality: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))

    def settle(self, rejected: np.ndarray) -> None:
        """The amounts accepted per mutuality and account, given the records rejected."""
        ok = ~rejected[self.prest_units]
        for m in self.mutualities.values():
            m.accepted_a = m.accepted_b = 0
        keys, (a, b) = _group(
            self.prest_mutuality[ok],
            np.where(self.prest_account[ok] == 1, 0, self.prest_amount[ok]),
            np.where(self.prest_account[ok] == 1, self.prest_amount[ok], 0),
        )
        for i, mut in enumerate(keys.tolist()):
            m = self.mutualities.setdefault(int(mut), Mutuality())
            m.accepted_a, m.accepted_b = int(a[i]), int(b[i])

    def __getattr__(self, name):
        if name.startswith("prestation_"):
            return self.prestations.get(name[len("prestation_") :], np.zeros(0, np.int64))
        raise AttributeError(name)


def _group(keys: np.ndarray, *values: np.ndarray):
    """Exact int64 sums of ``values`` per distinct key."""
    if len(keys) == 0:
        return keys, [np.zeros(0, np.int64) for _ in values]
    order = np.argsort(keys, kind="stable")
    k = keys[order]
    starts = np.flatnonzero(np.r_[True, k[1:] != k[:-1]])
    return k[starts], [
        np.add.reduceat(np.asarray(v)[order].astype(np.int64), starts) for v in values
    ]


def summarize(
    s: Sending,
    errors: ErrorTable,
    problems: list[Problem],
    framing: bool,
    rejected: np.ndarray,
    invoice_rejected: np.ndarray,
    unit_base: int,
    offset_base: int,
    edges=None,
) -> Summary:
    """The summary of one checked chunk (``rejected``: local mask; errors already located)."""
    own = s.own
    to_global = lambda u: np.where(u >= s.own_first, unit_base + u - s.own_first, u)  # noqa: E731
    sm = Summary(errors=errors, problems=problems, framing=framing)
    sm.units = max(s.n_units - s.own_first, 0)
    detail = s.is_detail & own
    sm.detail = int(detail.sum())
    if sm.detail:
        sm.last_detail = int(to_global(np.flatnonzero(detail)[-1]))
    sm.rejected = to_global(np.flatnonzero(rejected & detail)).astype(np.int64)

    inv = s.invoices
    own_inv = own[inv]
    sm.invoices = int(own_inv.sum())
    sm.invoices_rejected = int((invoice_rejected & own_inv).sum())
    end = s.invoice_end
    has_end = end >= 0
    dest = s.destination
    a = np.zeros(len(inv), np.int64)
    b = np.zeros(len(inv), np.int64)
    a[has_end] = s.col("amount_a")[end[has_end]]
    b[has_end] = s.col("amount_b")[end[has_end]]
    bad_amount = np.zeros(len(inv), bool)
    bad_amount[has_end] = (s.finding_mask("80", "19") | s.finding_mask("80", "15"))[end[has_end]]
    if has_end.all():
        counts = (end - inv + 1).astype(np.int64)
    else:
        counts = np.bincount(s.invoice_of[s.in_invoice], minlength=len(inv)).astype(np.int64)
    codes, _ = code_sums(s)
    bad_code = np.zeros(len(inv), bool)
    for rec in ("30", "50", "51", "52"):
        if s.has_findings(rec, "4"):
            bad_code |= s.per_invoice_sum(s.finding_mask(rec, "4"), s.in_invoice) > 0
    sel = own_inv
    keys, sums = _group(
        dest[sel], a[sel], b[sel], counts[sel], codes[sel], bad_amount[sel], bad_code[sel]
    )
    for i, m in enumerate(keys.tolist()):
        sm.mutualities[int(m)] = Mutuality(
            a=int(sums[0][i]),
            b=int(sums[1][i]),
            records=int(sums[2][i]),
            codes=int(sums[3][i]),
            bad_amount=bool(sums[4][i]),
            bad_code=bool(sums[5][i]),
        )

    prest = np.flatnonzero(s.type_mask(30, 50) & own & s.in_invoice)
    sm.prest_units = to_global(prest).astype(np.int64)
    sm.prest_amount = s.col("amount")[prest].astype(np.int64)
    sm.prest_account = s.col("account")[prest].astype(np.int64)
    sm.prest_mutuality = s.col("destination")[s.head20[prest]].astype(np.int64)
    r80 = s.units_of(80)
    r80 = r80[own[r80]]
    sm.r80_a = int(s.col("amount_a")[r80].sum(dtype=np.int64))
    sm.r80_b = int(s.col("amount_b")[r80].sum(dtype=np.int64))
    sm.r80_bad = bool((s.finding_mask("80", "19") | s.finding_mask("80", "15"))[r80].any())
    is_code = s.type_mask(30, 50, 51, 52) & own
    sm.codes = int(s.col("code")[is_code].sum(dtype=np.int64))
    sm.codes_bad = any(bool((s.finding_mask(r, "4") & own).any()) for r in ("30", "50", "51", "52"))

    r20 = inv[own_inv]
    sm.invoice_number = s.col("invoice_number")[r20].astype(np.int64)
    sm.invoice_unit = to_global(r20).astype(np.int64)
    sm.invoice_seq = s.col("sequence")[r20].astype(np.int64)
    sm.invoice_offset = (s.offsets[r20] + offset_base).astype(np.int64)

    def located(u: int, layout: str, zones) -> Located:
        """``zones``: (key, zone id in the layout, column)."""
        values, readable = {}, {}
        for key, zone, col in zones:
            values[key] = int(s.col(col)[u])
            readable[key] = not s.finding_mask(layout, zone)[u]
        seq = int(s.col("sequence")[u]) if layout in ("10", "90") else -1
        return Located(
            int(to_global(np.int64(u))),
            int(layout),
            seq,
            int(s.offsets[u] + offset_base),
            values,
            readable,
        )

    r90 = s.units_of(90)
    r90 = r90[own[r90]]
    if len(r90):
        sm.record90 = located(int(r90[-1]), "90", R90_ZONES)
    r10 = s.record10
    if r10 >= 0 and own[r10]:
        sm.record10 = located(r10, "10", (("14", "14", "institution"),))
    if edges is not None:
        keep = own[edges.src] & own[edges.dst]
        src, dst = edges.src[keep], edges.dst[keep]
        sm.edges = dict(
            src=to_global(src).astype(np.int64),
            dst=to_global(dst).astype(np.int64),
            code=edges.code[keep],
            zone=edges.zone[keep],
            seq=s.col("sequence")[dst].astype(np.int64),
            rtype=s.rtype[dst].astype(np.int16),
            offset=(s.offsets[dst] + offset_base).astype(np.int64),
        )
    keys = getattr(s, "prestation_keys", None)
    if keys is not None:
        p, k1, k2 = keys
        keep = own[p]
        p = p[keep]
        sm.prestations = dict(
            unit=to_global(p).astype(np.int64),
            key1=k1[keep],
            key2=k2[keep],
            seq=s.col("sequence")[p].astype(np.int64),
            offset=(s.offsets[p] + offset_base).astype(np.int64),
            rtype=s.rtype[p].astype(np.int16),
        )
    for u in s.units_of(95, 96).tolist():
        if own[u]:
            layout = str(int(s.rtype[u]))
            zones = [
                (z, z if layout == "95" else str(int(z) + 100), _COLUMN[z]) for z in CLOSING_ZONES
            ]
            sm.closing.append(located(u, layout, zones))
    return sm


def merge(parts: list[Summary]) -> Summary:
    """The summary of the whole sending from those of its chunks (in file order)."""
    out = Summary(
        errors=ErrorTable.concat([p.errors for p in parts]),
        problems=[q for p in parts for q in p.problems],
    )
    out.units = 2
    for p in parts:
        out.units += p.units
        out.framing |= p.framing
        out.detail += p.detail
        out.invoices += p.invoices
        out.invoices_rejected += p.invoices_rejected
        out.last_detail = max(out.last_detail, p.last_detail)
        for m, tot in p.mutualities.items():
            out.mutualities.setdefault(m, Mutuality()).add(tot)
        out.r80_a += p.r80_a
        out.r80_b += p.r80_b
        out.r80_bad |= p.r80_bad
        out.codes += p.codes
        out.codes_bad |= p.codes_bad
        out.record90 = p.record90 or out.record90
        out.record10 = out.record10 or p.record10
        out.closing += p.closing
    for name in (
        "rejected",
        "invoice_number",
        "invoice_unit",
        "invoice_seq",
        "invoice_offset",
        "prest_units",
        "prest_amount",
        "prest_account",
        "prest_mutuality",
    ):
        arrays = [getattr(p, name) for p in parts]
        setattr(out, name, np.concatenate(arrays) if arrays else np.zeros(0, np.int64))
    for name in ("edges", "prestations"):
        dicts = [getattr(p, name) for p in parts if getattr(p, name)]
        if dicts:
            setattr(out, name, {k: np.concatenate([d[k] for d in dicts]) for k in dicts[0]})
    return out
