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

import msgspec
import numpy as np

from vsbengine.formats.efact.checks.common import CODE_RECORDS
from vsbengine.formats.efact.findings import (
    Deferred,
    Edges,
    ErrorTable,
    Place,
    PrestationKeys,
    Problem,
)
from vsbengine.formats.efact.layouts import DETAIL_TYPES
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

    records: int = 0  # records 20 to 80
    records52: int = 0  # records 52 among them (a count may leave them out)
    codes: int = 0  # codes (zone 4) of records 30/50/51/52
    bad_code: bool = False  # a code is unreadable
    detail_a: int = 0  # the prestations (records 30/50, zone 19) on account A
    detail_b: int = 0  # on account B
    bad_detail: bool = False  # an amount or account of a prestation is unreadable

    def add(self, other: Mutuality) -> None:
        self.records += other.records
        self.records52 += other.records52
        self.codes += other.codes
        self.bad_code |= other.bad_code
        self.detail_a += other.detail_a
        self.detail_b += other.detail_b
        self.bad_detail |= other.bad_detail


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
    short_lines: int = 0  # of them, lines too short to be records (they shift the records)
    units: int = 0  # record units of the chunk (or file): 2 + sum = all units
    end: int = 0  # one past the chunk's (or file's) last byte, as an offset in the file
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
    def all_mutualities(self) -> Mutuality:
        """The totals of the whole sending: its mutualities' together."""
        out = Mutuality()
        for m in self.mutualities.values():
            out.add(m)
        return out

    @property
    def prest_totals(self) -> dict[int, tuple[int, int]]:
        """Per destination mutuality, the amounts of all its prestations (A, B)."""
        return {m: (x.detail_a, x.detail_b) for m, x in self.mutualities.items()}

    @property
    def invoices(self) -> int:
        return len(self.invoice_unit)

    @property
    def invoices_rejected(self) -> int:
        return int(self.invoice_rejected.sum())

    def accepted_per_mutuality(self, rejected: np.ndarray | None) -> dict[int, tuple[int, int]]:
        """The amounts accepted per destination mutuality (account A, account B), given
        the units rejected (``None``: nothing is accepted): the totals less the
        prestations rejected."""
        if rejected is None:
            return {}
        out = dict(self.prest_totals)
        gone = np.flatnonzero(rejected[self.prest_units])
        if len(gone):
            on_b = self.prest_account[gone] == 1
            amount = self.prest_amount[gone]
            keys, (a, b) = _group(
                self.prest_mutuality[gone], np.where(on_b, 0, amount), np.where(on_b, amount, 0)
            )
            for i, m in enumerate(keys.tolist()):
                ta, tb = out.get(m, (0, 0))
                out[m] = (ta - int(a[i]), tb - int(b[i]))
        return out

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

    def _invoice_of(self, units: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per unit: the index of the invoice whose run it lies in (0 when none), and
        whether it lies in one."""
        k = np.searchsorted(self.invoices, units, side="right") - 1
        safe = np.maximum(k, 0)
        inside = (k >= 0) & (units < self._stop[safe]) if len(self.invoices) else k >= 0
        return safe, inside

    def head20(self, units: np.ndarray) -> np.ndarray:
        units = np.asarray(units, dtype=np.int64)
        k, inside = self._invoice_of(units)
        return np.where(inside, self.invoices[k] if len(self.invoices) else -1, -1)

    def members(self, invoices: np.ndarray) -> np.ndarray:
        lo, hi = self.invoices[invoices], self._stop[invoices]
        n = hi - lo
        return np.repeat(lo - np.r_[0, np.cumsum(n)[:-1]], n) + np.arange(n.sum())

    def detail(self) -> np.ndarray | None:
        return None

    def invoice_own(self, units: np.ndarray) -> np.ndarray:
        # The run of an invoice starts at its record 20 and ends with its record 80.
        units = np.asarray(units, dtype=np.int64)
        if not len(self.invoices):
            return np.zeros(len(units), dtype=bool)
        k, inside = self._invoice_of(units)
        return inside & ((units == self.invoices[k]) | (units == self._stop[k] - 1))


def _group(keys: np.ndarray, *values: np.ndarray):
    """Exact int64 sums of ``values`` per distinct key (keys in order need no sort:
    invoices come sorted by destination mutuality)."""
    if len(keys) == 0:
        return keys, [np.zeros(0, np.int64) for _ in values]
    if len(keys) > 1 and (keys[1:] < keys[:-1]).any():
        order = np.argsort(keys, kind="stable")
        keys = keys[order]
        values = tuple(np.asarray(v)[order] for v in values)
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    return keys[starts], [np.add.reduceat(np.asarray(v).astype(np.int64), starts) for v in values]


def _place(s: Sending, units: np.ndarray) -> Place:
    offset = s.offsets[units].astype(np.int64, copy=False)  # a new array (gathered)
    offset += s.offset_base
    return Place(s.value_at("sequence", units), s.rtype[units].astype(np.int16), offset)


def _placer(s: Sending, units: np.ndarray, defer: bool) -> Place | Deferred:
    """Where the records ``units`` of the chunk are in the file: now, or (``defer``, the
    sending is kept until the end of the validation) when an error names them."""
    if not defer:
        return _place(s, units)
    return Deferred([(len(units), lambda idx: _place(s, units[idx]))])


def _text(s: Sending, unit: int, layout: str, zone: str) -> str:
    return bytes(s.zone_bytes(np.array([unit]), layout, zone)[0]).decode("latin-1").strip()


def _padded(s: Sending, unit: int, length: int) -> bytes:
    """The bytes of a segment, blank-padded to its length (blank when absent)."""
    off = int(s.offsets[unit]) if s.n_units > unit else -1
    raw = bytes(s.data[off : off + length]) if off >= 0 else b""
    return raw.ljust(length, b" ")


def _own(s: Sending, units: np.ndarray) -> np.ndarray:
    """Which of the given record units belong to the chunk (not the copies before it)."""
    return units >= s.own_first


def _unreadable_at(s: Sending, units: np.ndarray, layout: str, zones) -> np.ndarray:
    """Per unit: the core reported a finding on one of the zones of the layout."""
    out = np.zeros(len(units), dtype=bool)
    for zone in zones:
        if s.has_findings(layout, zone):
            out |= s.finding_mask(layout, zone)[units]
    return out


def summarize(
    s: Sending,
    errors: ErrorTable,
    problems: list[Problem],
    rejected: np.ndarray,
    invoice_rejected: np.ndarray,
    edges: Edges,
    prestations: PrestationKeys | None,
    *,
    defer: bool = False,
) -> Summary:
    """The summary of one checked chunk (``rejected``: local mask; errors already located),
    from the invoice table and the columns of the scan. ``defer``: the sending ``s`` is
    kept until the checks of the whole sending are done, so the places of the edges and
    prestation keys are found only for the records their errors name
    (:class:`~vsbengine.formats.efact.findings.Deferred`)."""
    own = s.own
    to_global = s.in_file
    sc = s.scan
    sm = Summary(errors=errors, problems=problems, framing=bool(problems))
    sm.units = max(s.n_units - s.own_first, 0)
    sm.end = s.offset_base + len(s.data)
    # Records 10 to 90 of the chunk: from the units of each type.
    last = -1
    for rt in DETAIL_TYPES:
        u = sc.units[s.compiled.index[str(rt)]]
        mine = len(u) - int(np.searchsorted(u, s.own_first))
        sm.detail += mine
        if mine:
            last = max(last, int(u[-1]))
    u52 = sc.units[s.compiled.index["52"]]
    sm.detail52 = len(u52) - int(np.searchsorted(u52, s.own_first))
    if last >= 0:
        sm.last_detail = int(to_global(np.array([last]))[0])
    gone = np.flatnonzero(rejected)
    gone = gone[(gone >= s.own_first) & s.is_detail[gone]]
    sm.rejected = to_global(gone)

    # Per invoice (one per record 20; the core followed them).
    inv = s.invoices
    own_inv = _own(s, inv)
    sm.invoice_rejected = invoice_rejected[own_inv]
    dest = s.destination
    r80 = s.units_of(80)
    # Records 20 to 80 of each invoice (its members: not a unit of no known type or a
    # record 10/90/95/96 that stands between them).
    counts = sc.inv_members.astype(np.int64)
    codes, bad_code = s.invoice_total("invoice_control")
    pa, pa_bad = s.invoice_total("prestations_a")
    pb, pb_bad = s.invoice_total("prestations_b")
    in52 = sc.invoice[u52]
    counts52 = np.bincount(in52[in52 >= 0], minlength=len(inv)).astype(np.int64)
    sel = own_inv
    # (The prestations of all invoices of the chunk are its own: a copy before the chunk
    # opens no invoice that a copy would be part of.)
    keys, sums = _group(
        dest[sel],
        counts[sel],
        codes[sel],
        bad_code[sel],
        counts52[sel],
        pa[sel],
        pb[sel],
        (pa_bad | pb_bad)[sel],
    )
    for i, m in enumerate(keys.tolist()):
        sm.mutualities[int(m)] = Mutuality(
            records=int(sums[0][i]),
            codes=int(sums[1][i]),
            bad_code=bool(sums[2][i]),
            records52=int(sums[3][i]),
            detail_a=int(sums[4][i]),
            detail_b=int(sums[5][i]),
            bad_detail=bool(sums[6][i]),
        )
    units, amount, account, inside = [], [], [], []
    for rt in (30, 50):
        u = sc.units[s.compiled.index[str(rt)]]
        ix = sc.invoice[u]
        keep = ix >= 0
        if not keep.all():
            keep &= u >= s.own_first
            u, ix = u[keep], ix[keep]
        units.append(u)
        inside.append(ix)
        amount.append(s.values("amount", rt) if keep.all() else s.values("amount", rt)[keep])
        account.append(s.values("account", rt) if keep.all() else s.values("account", rt)[keep])
    # Units of records are after the copies: in the file, they move by the same.
    sm.prest_units = np.concatenate(units).astype(np.int64) + (s.unit_base - s.own_first)
    sm.prest_amount = np.concatenate(amount).astype(np.int64, copy=False)
    sm.prest_account = np.concatenate(account).astype(np.int8)
    sm.prest_mutuality = dest.astype(np.int16)[np.concatenate(inside)]
    r80_own = _own(s, r80)
    sm.r80_a = int(s.values("amount_a", 80)[r80_own].sum(dtype=np.int64))
    sm.r80_b = int(s.values("amount_b", 80)[r80_own].sum(dtype=np.int64))
    sm.r80_bad = bool(_unreadable_at(s, r80[r80_own], "80", ("19", "15")).any())
    sm.codes = 0
    for rt in CODE_RECORDS:
        u = sc.units[s.compiled.index[str(rt)]]
        k = int(np.searchsorted(u, s.own_first))
        sm.codes += int(s.values("code", rt)[k:].sum(dtype=np.int64))
        if s.has_findings(str(rt), "4"):
            sm.codes_bad |= bool(_unreadable_at(s, u[k:], str(rt), ("4",)).any())

    r20 = inv[own_inv]
    sm.invoice_number = s.values("invoice_number", 20)[own_inv].astype(np.int64)
    sm.invoice_unit = to_global(r20)
    sm.invoice_stop = (
        to_global(sc.inv_stop[own_inv].astype(np.int64) - 1) + 1 if len(r20) else _i64()
    )
    sm.invoice_seq = s.values("sequence", 20)[own_inv].astype(np.int64)
    sm.invoice_offset = (s.offsets[r20] + s.offset_base).astype(np.int64)

    def located(u: int, layout: str, zones) -> Located:
        """``zones``: (key, zone id in the layout, column)."""
        values, readable = {}, {}
        for key, zone, col in zones:
            values[key] = int(s.value_at(col, [u])[0])
            readable[key] = not s.finding_mask(layout, zone)[u]
        seq = int(s.value_at("sequence", [u])[0]) if layout in ("10", "90") else -1
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
    r90 = r90[_own(s, r90)]
    if len(r90):
        sm.record90 = located(int(r90[-1]), "90", R90_ZONES)
    r10 = s.record10
    if r10 >= 0 and own[r10]:
        sm.record10 = located(r10, "10", (("14", "14", "institution"),))
        col = lambda name: int(s.value_at(name, [r10])[0])  # noqa: E731
        sm.payee = Record10(
            sending_number=col("sending_number"),
            invoiced_year=col("invoiced_year"),
            invoiced_month=col("invoiced_month"),
            institution=col("institution"),
            **{key: _text(s, r10, "10", zone) for key, zone in _R10_TEXT},
        )
    if s.first_chunk:
        sm.envelope = Envelope(_padded(s, 0, 67), _padded(s, 1, 160))
        # The segments themselves, without the line breaks between them: the same
        # sending on one line, in LF or in CRLF lines gets the same answers.
        sm.header = sm.envelope.segment200 + sm.envelope.segment300
    if len(edges) and min(edges.src.min(), edges.dst.min()) >= s.own_first:
        # The usual case: no edge touches the copies before the chunk.
        shift = s.unit_base - s.own_first
        sm.edges = Edges(
            edges.src + shift if shift else edges.src,
            edges.dst + shift if shift else edges.dst,
            edges.code,
            edges.zone,
            _placer(s, edges.dst, defer),
        )
    else:
        keep = own[edges.src] & own[edges.dst]
        src, dst = edges.src[keep], edges.dst[keep]
        sm.edges = Edges(
            to_global(src),
            to_global(dst),
            edges.code[keep],
            edges.zone[keep],
            _placer(s, dst, defer),
        )
    if prestations is not None:
        p = prestations.unit
        if len(p) and p.min() >= s.own_first:
            # The usual case: every prestation is the chunk's own (no copy of the keys).
            sm.prestations = prestations.select(slice(None), to_global(p), _placer(s, p, defer))
        else:
            mine = own[p]
            sm.prestations = prestations.select(
                mine, to_global(p[mine]), _placer(s, p[mine], defer)
            )
    for rt in (95, 96):
        for u in s.units_of(rt).tolist():
            if own[u]:
                layout = str(rt)
                zones = [
                    (z, z if layout == "95" else str(int(z) + 100), col)
                    for z, col in CLOSING_ZONES.items()
                ]
                sm.closing.append(located(u, layout, zones))
    sm.closing.sort(key=lambda c: c.unit)
    return sm


def _shifted(parts: list[Summary]) -> list[Problem]:
    """The chunks' problems in order, each naming its record as a scan of the whole file
    does: after the short lines of the chunks before it too. (A chunk lists all its
    framing problems while fewer than the cap were found, which is when the problems
    after it are listed at all.)"""
    out: list[Problem] = []
    shift = 0
    for p in parts:
        out.extend(
            q
            if not shift or q.record is None
            else msgspec.structs.replace(q, record=q.record + shift)
            for q in p.problems
        )
        shift += p.short_lines
    return out


def merge(parts: list[Summary]) -> Summary:
    """The summary of the whole sending from those of its chunks (in file order)."""
    out = Summary(
        errors=ErrorTable.concat([p.errors for p in parts]),
        problems=_shifted(parts),
    )
    out.units = 2
    for p in parts:
        out.units += p.units
        out.end = max(out.end, p.end)
        out.framing |= p.framing
        out.short_lines += p.short_lines
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
