"""What the checks of a whole sending need from each checked chunk, and its merge.

A chunk contributes its errors and framing problems (already placed in the whole
file), its counts, the rejected records, and small aggregates: per destination
mutuality the totals of its records 80, its records and codes; the totals of all
records 80; its invoices (numbers and where they are); the prestations (what the
settlement adds up); its records 10, 90 and closing records 95/96 when it has them;
the dependency edges and prestation keys its checks returned, placed in the file.
The checks of the whole sending (record 90 against the records 80, unique invoice
numbers, records 95/96), the propagation of their errors and the decision run on
the merge.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from vsbengine.formats.efact.checks.common import code_sums
from vsbengine.formats.efact.findings import Edges, ErrorTable, Place, PrestationKeys, Problem
from vsbengine.formats.efact.sending import Sending
from vsbengine.formats.efact.settlement import Envelope, Record10

#: Zones of records 95/96 the closing checks read (ids of record 95; 96 uses 5xx), with
#: their columns.
CLOSING_ZONES = {
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
#: Text zones of record 10 the payment order reads.
_R10_TEXT = (("bic_a", "31"), ("iban_a", "36"), ("bic_b", "43a"), ("iban_b", "49"))


def _i64() -> np.ndarray:
    return np.zeros(0, np.int64)


@dataclass
class Mutuality:
    """Totals of the invoices of one destination mutuality."""

    a: int = 0  # records 80, zone 19 (account A)
    b: int = 0  # records 80, zone 15 (account B)
    records: int = 0  # records 20 to 80
    records52: int = 0  # records 52 among them (a count may leave them out)
    codes: int = 0  # codes (zone 4) of records 30/50/51/52
    bad_amount: bool = False  # an amount of a record 80 is unreadable
    bad_code: bool = False  # a code is unreadable

    def add(self, other: Mutuality) -> None:
        self.a += other.a
        self.b += other.b
        self.records += other.records
        self.records52 += other.records52
        self.codes += other.codes
        self.bad_amount |= other.bad_amount
        self.bad_code |= other.bad_code


@dataclass
class Located:
    """A record the checks of the whole sending look at: where it is, its values (by
    zone), whether each could be read, and its bytes (the answers copy them)."""

    unit: int
    rtype: int
    seq: int
    offset: int
    values: dict[str, int]
    readable: dict[str, bool]
    raw: bytes = b""


@dataclass
class Summary:
    """The summary of one checked chunk, or (merged) of a whole sending."""

    errors: ErrorTable
    problems: list[Problem]
    framing: bool = False  # the core found framing problems
    units: int = 0  # record units of the chunk (or file): 2 + sum = all units
    detail: int = 0  # records 10-90
    detail52: int = 0  # records 52 among them
    last_detail: int = -1  # unit of the last record 10-90
    rejected: np.ndarray = field(default_factory=_i64)  # units rejected in the chunks
    mutualities: dict[int, Mutuality] = field(default_factory=dict)
    r80_a: int = 0
    r80_b: int = 0
    r80_bad: bool = False
    codes: int = 0
    codes_bad: bool = False
    #: Per invoice (file order): its number, the unit of its record 20, one past its
    #: last unit, where its record 20 is, and whether the chunk rejected it whole.
    invoice_number: np.ndarray = field(default_factory=_i64)
    invoice_unit: np.ndarray = field(default_factory=_i64)
    invoice_stop: np.ndarray = field(default_factory=_i64)
    invoice_seq: np.ndarray = field(default_factory=_i64)
    invoice_offset: np.ndarray = field(default_factory=_i64)
    invoice_rejected: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))
    record90: Located | None = None
    closing: list[Located] = field(default_factory=list)
    record10: Located | None = None
    #: Record 10 as the answers and the payment order need it.
    payee: Record10 | None = None
    #: Segments 200/300 (from the first chunk).
    envelope: Envelope | None = None
    #: The first bytes of the file, up to the first record (at most 227).
    header: bytes = b""
    #: What rejects what, placed in the file (for errors found on the whole sending).
    edges: Edges = field(default_factory=Edges.empty)
    #: Keys of the duplicate check (content checks), placed in the file.
    prestations: PrestationKeys | None = None
    #: The prestation records (30 and 50 of an invoice), as units of the file, with their
    #: amount, account (0 A, 1 B) and destination mutuality: what the settlement adds up.
    prest_units: np.ndarray = field(default_factory=_i64)
    prest_amount: np.ndarray = field(default_factory=_i64)
    prest_account: np.ndarray = field(default_factory=_i64)
    prest_mutuality: np.ndarray = field(default_factory=_i64)

    @property
    def invoices(self) -> int:
        return len(self.invoice_unit)

    @property
    def invoices_rejected(self) -> int:
        return int(self.invoice_rejected.sum())

    def accepted_per_mutuality(self, rejected: np.ndarray | None) -> dict[int, tuple[int, int]]:
        """The amounts accepted per destination mutuality (account A, account B), given
        the units rejected (``None``: nothing is accepted)."""
        if rejected is None:
            return {}
        ok = ~rejected[self.prest_units]
        keys, (a, b) = _group(
            self.prest_mutuality[ok],
            np.where(self.prest_account[ok] == 1, 0, self.prest_amount[ok]),
            np.where(self.prest_account[ok] == 1, self.prest_amount[ok], 0),
        )
        return {int(m): (int(a[i]), int(b[i])) for i, m in enumerate(keys.tolist())}

    def seed(self) -> bytes:
        """Bytes that identify the sending (the header, records 10 and 90, the closing
        records): the default insurer reference of the answers is derived from them."""
        parts = [self.header]
        for rec in [self.record10, self.record90, *self.closing]:
            if rec is not None:
                parts.append(rec.raw)
        return b"".join(parts)


class SendingFrame:
    """The propagation's view of a whole sending (see :class:`vsbengine.decision.Frame`):
    an invoice is the run of units from its record 20 to its end."""

    def __init__(self, sm: Summary) -> None:
        self.n_units = sm.units
        self.invoices = sm.invoice_unit
        self._stop = sm.invoice_stop

    def head20(self, units: np.ndarray) -> np.ndarray:
        units = np.asarray(units, dtype=np.int64)
        k = np.searchsorted(self.invoices, units, side="right") - 1
        safe = np.maximum(k, 0)
        inside = (k >= 0) & (units < self._stop[safe]) if len(self.invoices) else k >= 0
        return np.where(inside, self.invoices[safe] if len(self.invoices) else -1, -1)

    def members(self, invoices: np.ndarray) -> np.ndarray:
        lo, hi = self.invoices[invoices], self._stop[invoices]
        n = hi - lo
        return np.repeat(lo - np.r_[0, np.cumsum(n)[:-1]], n) + np.arange(n.sum())

    def detail(self) -> np.ndarray | None:
        return None


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


def _place(s: Sending, units: np.ndarray) -> Place:
    return Place(
        s.col("sequence")[units].astype(np.int64),
        s.rtype[units].astype(np.int16),
        (s.offsets[units] + s.offset_base).astype(np.int64),
    )


def _text(s: Sending, unit: int, layout: str, zone: str) -> str:
    return bytes(s.zone_bytes(np.array([unit]), layout, zone)[0]).decode("latin-1").strip()


def _padded(s: Sending, unit: int, length: int) -> bytes:
    """The bytes of a segment, blank-padded to its length (blank when absent)."""
    off = int(s.offsets[unit]) if s.n_units > unit else -1
    raw = bytes(s.data[off : off + length]) if off >= 0 else b""
    return raw.ljust(length, b" ")


def summarize(
    s: Sending,
    errors: ErrorTable,
    problems: list[Problem],
    rejected: np.ndarray,
    invoice_rejected: np.ndarray,
    edges: Edges,
    prestations: PrestationKeys | None,
) -> Summary:
    """The summary of one checked chunk (``rejected``: local mask; errors already located)."""
    own = s.own
    to_global = s.in_file
    sm = Summary(errors=errors, problems=problems, framing=bool(problems))
    sm.units = max(s.n_units - s.own_first, 0)
    detail = s.is_detail & own
    sm.detail = int(detail.sum())
    is52 = s.type_mask(52)
    sm.detail52 = int((is52 & own).sum())
    if sm.detail:
        sm.last_detail = int(to_global(np.flatnonzero(detail)[-1:])[0])
    sm.rejected = to_global(np.flatnonzero(rejected & detail))

    inv = s.invoices
    own_inv = own[inv]
    sm.invoice_rejected = invoice_rejected[own_inv]
    end = s.invoice_end
    has_end = end >= 0
    dest = s.destination
    a = np.zeros(len(inv), np.int64)
    b = np.zeros(len(inv), np.int64)
    a[has_end] = s.col("amount_a")[end[has_end]]
    b[has_end] = s.col("amount_b")[end[has_end]]
    bad_amount = np.zeros(len(inv), bool)
    bad_amount[has_end] = (s.finding_mask("80", "19") | s.finding_mask("80", "15"))[end[has_end]]
    members = np.flatnonzero(s.in_invoice)
    if has_end.all():
        counts = (end - inv + 1).astype(np.int64)
    else:
        counts = np.bincount(s.invoice_of[members], minlength=len(inv)).astype(np.int64)
    counts52 = s.per_invoice_sum(np.ones(s.n_units, np.int64), is52)
    codes, _ = code_sums(s)
    bad_code = np.zeros(len(inv), bool)
    for rec in ("30", "50", "51", "52"):
        if s.has_findings(rec, "4"):
            bad_code |= s.per_invoice_sum(s.finding_mask(rec, "4"), s.in_invoice) > 0
    sel = own_inv
    keys, sums = _group(
        dest[sel],
        a[sel],
        b[sel],
        counts[sel],
        codes[sel],
        bad_amount[sel],
        bad_code[sel],
        counts52[sel],
    )
    for i, m in enumerate(keys.tolist()):
        sm.mutualities[int(m)] = Mutuality(
            a=int(sums[0][i]),
            b=int(sums[1][i]),
            records=int(sums[2][i]),
            codes=int(sums[3][i]),
            bad_amount=bool(sums[4][i]),
            bad_code=bool(sums[5][i]),
            records52=int(sums[6][i]),
        )

    prest = np.flatnonzero(s.type_mask(30, 50) & own & s.in_invoice)
    sm.prest_units = to_global(prest)
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
    sm.invoice_unit = to_global(r20)
    # One past the last unit of each invoice (its units are those with its record 20).
    last = members[np.searchsorted(s.invoice_of[members], np.arange(len(inv)), side="right") - 1]
    sm.invoice_stop = to_global(last[own_inv]) + 1 if len(r20) else _i64()
    sm.invoice_seq = s.col("sequence")[r20].astype(np.int64)
    sm.invoice_offset = (s.offsets[r20] + s.offset_base).astype(np.int64)

    def located(u: int, layout: str, zones) -> Located:
        """``zones``: (key, zone id in the layout, column)."""
        values, readable = {}, {}
        for key, zone, col in zones:
            values[key] = int(s.col(col)[u])
            readable[key] = not s.finding_mask(layout, zone)[u]
        seq = int(s.col("sequence")[u]) if layout in ("10", "90") else -1
        off = int(s.offsets[u])
        return Located(
            int(to_global(np.array([u]))[0]),
            int(layout),
            seq,
            off + s.offset_base,
            values,
            readable,
            bytes(s.data[off : off + 350]),
        )

    r90 = s.units_of(90)
    r90 = r90[own[r90]]
    if len(r90):
        sm.record90 = located(int(r90[-1]), "90", R90_ZONES)
    r10 = s.record10
    if r10 >= 0 and own[r10]:
        sm.record10 = located(r10, "10", (("14", "14", "institution"),))
        sm.payee = Record10(
            sending_number=int(s.col("sending_number")[r10]),
            invoiced_year=int(s.col("invoiced_year")[r10]),
            invoiced_month=int(s.col("invoiced_month")[r10]),
            institution=int(s.col("institution")[r10]),
            **{key: _text(s, r10, "10", zone) for key, zone in _R10_TEXT},
        )
    if s.first_chunk:
        header_end = int(s.offsets[2]) if s.n_units > 2 and s.offsets[2] >= 0 else s.size
        sm.header = bytes(s.data[: min(header_end, 227)])
        sm.envelope = Envelope(_padded(s, 0, 67), _padded(s, 1, 160))
    keep = own[edges.src] & own[edges.dst]
    src, dst = edges.src[keep], edges.dst[keep]
    sm.edges = Edges(
        to_global(src), to_global(dst), edges.code[keep], edges.zone[keep], _place(s, dst)
    )
    if prestations is not None:
        p = prestations.unit
        mine = own[p]
        sm.prestations = PrestationKeys(
            to_global(p[mine]),
            prestations.key1[mine],
            prestations.key2[mine],
            _place(s, p[mine]),
        )
    for u in s.units_of(95, 96).tolist():
        if own[u]:
            layout = str(int(s.rtype[u]))
            zones = [
                (z, z if layout == "95" else str(int(z) + 100), col)
                for z, col in CLOSING_ZONES.items()
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
        out.detail52 += p.detail52
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
        out.payee = out.payee or p.payee
        out.envelope = out.envelope or p.envelope
        out.header = out.header or p.header
        out.closing += p.closing
    for name in (
        "rejected",
        "invoice_number",
        "invoice_unit",
        "invoice_stop",
        "invoice_seq",
        "invoice_offset",
        "invoice_rejected",
        "prest_units",
        "prest_amount",
        "prest_account",
        "prest_mutuality",
    ):
        arrays = [getattr(p, name) for p in parts]
        if arrays:
            setattr(out, name, np.concatenate(arrays))
    out.edges = Edges.concat([p.edges for p in parts])
    keys = [p.prestations for p in parts if p.prestations is not None]
    out.prestations = PrestationKeys.concat(keys) if keys else None
    out.envelope = (
        None
        if out.envelope is None
        else Envelope(
            out.envelope.segment200,
            out.envelope.segment300,
            {c.unit: c.raw for c in out.closing},
        )
    )
    return out
