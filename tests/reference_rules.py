"""The reference implementation of the streaming rules: the vectorised numpy checks
that ran before the rules moved into the core's scan, and the content checks as
they were before their lookups were compiled, kept as they were (tests
compare the fused rules with them, as fastavro tests its compiled reader against
its pure-Python twin).

Each ``*_check(s, ctx)`` is the chunk check of one family on a scanned
:class:`~vsbengine.formats.efact.sending.Sending`, reading the columns and the
structure through its numpy API; :data:`CHUNK_CHECKS` puts them in the pipeline's
order, with the technical checks (unchanged) first.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from vsbengine.formats.efact import refs as _refs
from vsbengine.formats.efact.checks import technical
from vsbengine.formats.efact.checks.amounts import (
    _COLUMN,
    _ZONE_OF,
    INVOICE_TOTALS,
    SIGNED_LIKE_AMOUNT,
)
from vsbengine.formats.efact.checks.common import (
    PRESTATIONS,
    add_month,
    by_runs,
    code_sums,
    control_number,
    core_errors,
    insz_valid,
    nihii_valid,
)
from vsbengine.formats.efact.checks.content import (  # the same categories and zones
    _DAY,
    _NEEDED,
    _REVALIDATION,
    _SHARE,
)
from vsbengine.formats.efact.checks.controls import INSZ_ZONES, NIHII_ZONES
from vsbengine.formats.efact.checks.order import (
    FOLLOWS,
    NOT_FOLLOWED,
    OUT_OF_ORDER,
    SEQUENCE,
    SEQUENCE_MODULUS,
)
from vsbengine.formats.efact.checks.zones import EQUAL_ZONES
from vsbengine.formats.efact.compiled import LAYOUTS
from vsbengine.formats.efact.findings import Context, Edges, ErrorBuilder, Findings, PrestationKeys
from vsbengine.formats.efact.sending import Sending

# -- families 1 and 2: order and sequence -------------------------------------------------

# Allowed (previous, current) pairs, indexed by previous * 256 + current.
_ALLOWED = np.zeros(256 * 256, dtype=bool)
for _cur, _prevs in FOLLOWS.items():
    _ALLOWED[np.array(_prevs, dtype=np.int64) * 256 + _cur] = True


def _zone1(s: Sending, rtype: int) -> int:
    return s.zone_index(str(rtype), "1")


def order_check(s: Sending, ctx: Context) -> Findings:
    """Record order and sequence numbers of one chunk."""
    found = Findings()
    errs = found.errors
    d = s.detail
    if len(d) == 0:
        errs.add(-1, "900104", s.zone_index("90", "1"))
        return found
    t = s.rtype[d]
    if t[0] != 10:
        errs.add(d[0], "100104", _zone1(s, 10))
    pair = (t[:-1].astype(np.uint16) << 8) | t[1:]
    bad = np.flatnonzero(~_ALLOWED[pair]) + 1
    for rt, code in OUT_OF_ORDER.items():
        errs.add(d[bad[t[bad] == rt]], code, _zone1(s, rt))
    if not (t == 90).any() and s.last:
        errs.add(d[-1], "900104", _zone1(s, 90))
    # The same pairs from the first record ("must be followed by"), and the last detail
    # record against what follows the chunk (nothing at the end of the file).
    for rt, code in NOT_FOLLOWED.items():
        errs.add(d[bad[t[bad - 1] == rt] - 1], code, _zone1(s, rt))
    lt = int(t[-1])
    if s.last or s.next_type in (95, 96):
        if lt != 90:
            errs.add(d[-1], NOT_FOLLOWED[lt], _zone1(s, lt))
    elif s.next_type in FOLLOWS and not _ALLOWED[(lt << 8) | s.next_type]:
        errs.add(d[-1], NOT_FOLLOWED[lt], _zone1(s, lt))

    seq = s.col("sequence")[d]
    unreadable = np.zeros(len(d), dtype=bool)
    for rt in FOLLOWS:
        unreadable |= s.finding_mask(str(rt), "2")[d]
    if t[0] == 10 and not unreadable[0] and seq[0] != 1:
        errs.add(d[0], "100110", s.zone_index("10", "1"))
    # Six digits: after 999999 the numbering wraps to 000000 (our choice, for
    # sendings of a million records and more).
    gap = (
        np.flatnonzero(
            (seq[1:] != (seq[:-1] + 1) % SEQUENCE_MODULUS) & ~unreadable[1:] & ~unreadable[:-1]
        )
        + 1
    )
    for rt, code in SEQUENCE.items():
        errs.add(d[gap[t[gap] == rt]], code, s.zone_index(str(rt), "2"))
    return found


# -- family 3: zones ----------------------------------------------------------------------


def billed_month(s: Sending) -> int:
    """Invoiced year and month of the sending (record 10), as YYYYMM, or 0."""
    r10 = s.record10
    if r10 < 0:
        return 0
    return int(s.col("invoiced_year")[r10]) * 100 + int(s.col("invoiced_month")[r10])


def _governing(s: Sending, units: np.ndarray, of: str) -> np.ndarray:
    if of == "20":
        return s.head20[units]
    if of == "50":
        return s.head50[units]
    return np.full(len(units), s.record10, dtype=np.int64)


def zones_check(s: Sending, ctx: Context) -> Findings:
    """The core's findings on records 10-90 as codes, equal zones, identification,
    invoice order, company number."""
    found = Findings()
    errs = found.errors
    core = core_errors(s)
    if len(core):
        errs.add_table(core.select(s.is_detail[core.unit]))
    _equal_zones(s, errs)
    _identification(s, errs)
    _invoices(s, errs)
    ym = billed_month(s)
    r10 = s.record10
    if r10 >= 0 and ym >= 201501 and int(s.col("company_number")[r10]) == 0:
        errs.add(r10, "102710", s.zone_index("10", "27"))
    return found


def _equal_zones(s: Sending, errs: ErrorBuilder) -> None:
    ym = billed_month(s)
    union = s.col("affiliation")[s.invoices] // 100
    exempt = (union == 2) | (union == 4) | (union == 5)
    for rec, zone, of, code, cond in EQUAL_ZONES:
        units = s.units_of(int(rec))
        ref = _governing(s, units, of)
        keep = ref >= 0
        if cond == "union" and exempt.any():
            inv = s.invoice_of[units]
            keep &= ~((inv >= 0) & exempt[np.maximum(inv, 0)])
        elif cond == "201407" and ym < 201407:
            continue
        units, ref = units[keep], ref[keep]
        if len(units) == 0:
            continue
        column = s.compiled.layout(rec).zone(zone).column
        if column and column == s.compiled.layout(of).zone(zone).column:
            # Digit zones of equal length: equal values means equal bytes.
            values = s.col(column)
            differ = values[units] != values[ref]
        else:
            differ = (s.zone_bytes(units, rec, zone) != s.zone_bytes(ref, of, zone)).any(axis=1)
        errs.add(units[differ], code, s.zone_index(rec, zone))


def _identification(s: Sending, errs: ErrorBuilder) -> None:
    r20 = s.invoices
    flag = s.col("identification_flag")[r20]
    ident = s.col("beneficiary")[r20]
    wrong_flag = (flag != 1) & (ident != 0) & insz_valid(ident)
    errs.add(r20[wrong_flag], "200813", s.zone_index("20", "8a,8b"))


def _invoices(s: Sending, errs: ErrorBuilder) -> None:
    """Invoices sorted by destination mutuality, also across a chunk boundary."""
    r20 = s.invoices
    if len(r20) == 0:
        return
    dest = s.destination
    before = s.previous_destination
    previous = np.r_[dest[0] if before is None else before, dest[:-1]]
    errs.add(r20[dest < previous], "201812", s.zone_index("20", "18"))


# -- family 4: dates ----------------------------------------------------------------------

#: Prestation date rules: (code suffix, zone, test). Each rule applies to records
#: 30 and 50 (code prefix ``30``/``50``); the test gets the first and last dates
#: and the context and returns the records in error.
_RULES = (
    ("0510", "5", lambda f, last, c: f > c["today"]),
    ("0610", "6a,6b", lambda f, last, c: last > c["today"]),
    ("0612", "6a,6b", lambda f, last, c: (last > 0) & (last < f)),
    ("0511", "5", lambda f, last, c: (c["admission"] > 0) & (f < c["admission"])),
    ("0513", "5", lambda f, last, c: (c["discharge"] > 0) & (f > c["discharge"])),
    ("0516", "5", lambda f, last, c: (c["invoiced"] > 0) & (f > c["invoiced"])),
    ("0547", "5", lambda f, last, c: (c["ym_limit"] > 0) & (f // 100 > c["ym_limit"])),
    ("0647", "6a,6b", lambda f, last, c: (c["ym_limit"] > 0) & (last // 100 > c["ym_limit"])),
    ("0555", "5", lambda f, last, c: (c["created"] > 0) & (f > c["created"])),
)


def dates_check(s: Sending, ctx: Context) -> Findings:
    """The date rules of one chunk."""
    found = Findings()
    errs = found.errors
    today = ctx.today
    ym = billed_month(s)
    r10 = s.record10
    created = 0
    if r10 >= 0 and not s.finding_mask("10", "25,26")[r10]:
        created = int(s.col("creation_date")[r10])
        if created > today:
            errs.add(r10, "102510", s.zone_index("10", "25,26"))
    if ym and r10 >= 0:
        zone22 = s.zone_index("10", "22")
        if ym > today // 100:
            errs.add(r10, "102310", zone22)
        if created and ym > created // 100:
            errs.add(r10, "102311", zone22)

    r20 = s.invoices
    adm, dis = s.col("admission_date")[r20], s.col("discharge_date")[r20]
    inv_date = s.col("invoicing_date")[r20]
    itype = s.col("invoice_type")[r20]
    errs.add(
        r20[(itype == 1) & (adm == 0) & ~s.finding_mask("20", "5")[r20]],
        "200510",
        s.zone_index("20", "5"),
    )
    read20 = {z: ~s.finding_mask("20", z) for z in ("5", "6a,6b", "47")}
    errs.add(
        r20[(adm > 0) & (dis > 0) & (dis < adm) & read20["5"][r20] & read20["6a,6b"][r20]],
        "200610",
        s.zone_index("20", "6a,6b"),
    )
    errs.add(r20[(inv_date > today) & read20["47"][r20]], "204710", s.zone_index("20", "47"))
    # Revalidation approval date (zone 20) against the invoice type.
    approval = s.col("approval_date")[r20]
    readable = ~s.finding_mask("20", "20,21")[r20]
    zone20 = s.zone_index("20", "20,21")
    errs.add(r20[readable & np.isin(itype, (5, 6)) & (approval == 0)], "202010", zone20)
    errs.add(r20[readable & np.isin(itype, (1, 3, 4, 7, 9)) & (approval != 0)], "202011", zone20)
    before = (dis > 0) & (approval > 0) & (dis < approval) & readable & read20["6a,6b"][r20]
    errs.add(r20[before], "200621", s.zone_index("20", "6a,6b"))

    for rec in ("30", "50"):
        units = s.units_of(int(rec))
        if len(units) == 0:
            continue
        first = s.col("first_date")[units]
        last = s.col("last_date")[units]
        head = s.head20[units]
        ok = (first > 0) & ~s.finding_mask(rec, "5")[units] & ~s.finding_mask(rec, "6a,6b")[units]

        h = np.maximum(head, 0)

        def of20(column: str, zone: str, head=head, h=h) -> np.ndarray:
            """The record 20's date, 0 where there is none or it could not be read."""
            return np.where((head >= 0) & read20[zone][h], s.col(column)[h], 0)

        limits: dict[str, Any] = {
            "today": today,
            "created": created,
            "ym_limit": int(add_month(ym)) if ym else 0,
            "admission": of20("admission_date", "5"),
            "discharge": of20("discharge_date", "6a,6b"),
            "invoiced": of20("invoicing_date", "47"),
        }
        for suffix, zone, test in _RULES:
            hit = ok & test(first, last, limits)
            errs.add(units[hit], rec + suffix, s.zone_index(rec, zone))
    return found


# -- family 5: amounts ----------------------------------------------------------------------


def _unreadable(s: Sending, zones) -> np.ndarray:
    """Per invoice: a prestation of it has a format finding on one of ``zones``."""
    zones = (zones,) if isinstance(zones, str) else zones
    out = np.zeros(len(s.invoices), dtype=bool)
    for rec in PRESTATIONS:
        for zone in zones:
            if s.has_findings(str(rec), zone):
                out |= s.per_invoice_sum(s.finding_mask(str(rec), zone), s.in_invoice) > 0
    return out


def amounts_check(s: Sending, ctx: Context) -> Findings:
    """Signs, credit notes and the invoice totals of one chunk."""
    found = Findings()
    errs = found.errors
    amount = s.col("amount")
    for rec in PRESTATIONS:
        units = s.units_of(rec)
        a = amount[units]
        a_neg, a_set = a < 0, a != 0
        for zone, suffix in SIGNED_LIKE_AMOUNT:
            v = s.col(_COLUMN[zone])[units]
            differ = a_set & (v != 0) & (a_neg != (v < 0))
            errs.add(units[differ], f"{rec}{suffix}", s.zone_index(str(rec), zone))
        head = s.head20[units]
        credit = (head >= 0) & (s.col("invoicing_type")[np.maximum(head, 0)] == 3)
        errs.add(
            units[credit & (s.col("units")[units] >= 0)], f"{rec}2248", s.zone_index(str(rec), "22")
        )
        errs.add(np.unique(head[credit & (a > 0)]), "201140", s.zone_index("20", "11"))

    is_prest = s.type_mask(*PRESTATIONS)
    account = s.col("account")
    end = s.invoice_end
    has_end = end >= 0
    for zone, col, detail, acc, code in INVOICE_TOTALS:
        mask = is_prest if acc is None else is_prest & (account == acc)
        sums = s.per_invoice_sum(s.col(detail), mask)
        wrong = np.zeros(len(end), dtype=bool)
        wrong[has_end] = s.col(col)[end[has_end]] != sums[has_end]
        # An unreadable amount or account already blocks; its total proves nothing more.
        wrong &= ~_unreadable(s, (_ZONE_OF[detail],) if acc is None else (_ZONE_OF[detail], "11"))
        errs.add(end[wrong], code, s.zone_index("80", zone))
    return found


# -- family 6: controls ----------------------------------------------------------------------


def controls_check(s: Sending, ctx: Context) -> Findings:
    """Invoice control numbers, NIHII and INSZ check digits of one chunk."""
    found = Findings()
    errs = found.errors
    per_invoice, _ = code_sums(s)
    end = s.invoice_end
    has_end = end >= 0
    stated = s.col("control_number")[end[has_end]]
    ok = ~s.finding_mask("80", "98")[end[has_end]]
    wrong = ok & (stated != control_number(per_invoice[has_end]))
    errs.add(end[has_end][wrong], "809802", s.zone_index("80", "98"))

    for rec, zone, col, code in NIHII_ZONES:
        units = s.units_of(int(rec))
        v = s.col(col)[units]
        bad = (v != 0) & ~by_runs(nihii_valid, v) & ~s.finding_mask(rec, zone)[units]
        errs.add(units[bad], code, s.zone_index(rec, zone))

    for rec, code in INSZ_ZONES:
        units = s.units_of(int(rec))
        head = units if rec == "20" else s.head20[units]
        national = (head >= 0) & (s.col("identification_flag")[np.maximum(head, 0)] == 1)
        v = s.col("beneficiary")[units]
        bad = national & (v != 0) & ~by_runs(insz_valid, v) & ~s.finding_mask(rec, "8a,8b")[units]
        errs.add(units[bad], code, s.zone_index(rec, "8a,8b"))
    return found


# -- family 8: content (against the reference data) ------------------------------------


def _ranges(lo: np.ndarray, hi: np.ndarray):
    """(owner, row) for every row of every range [lo, hi)."""
    n = np.maximum(hi - lo, 0)
    owner = np.repeat(np.arange(len(lo)), n)
    start = np.repeat(lo - np.r_[0, np.cumsum(n)[:-1]], n)
    return owner, start + np.arange(n.sum())


class ContentLookups:
    """Search arrays derived once from a :class:`~vsbengine.formats.efact.refs.References`."""

    def __init__(self, r: _refs.References) -> None:
        m = r.members
        self.m_key = m.key
        self.m_mut = m.mutuality
        self.m_reach = m.reach_any()  # insured at any mutuality
        self.m_deceased = m.deceased
        # The periods by person and mutuality: insured at a mutuality on a day.
        group = m.insz * 1000 + m.mutuality.astype(np.int64)
        order = np.lexsort((m.key & 0xFFFF, group))
        self.mm_key = (group[order] << 16) | (m.key[order] & 0xFFFF)
        self.mm_reach = m.reach[order].astype(np.int64)

        c = r.codes.columns
        self.c_code = c["code"]
        self.c_key = (c["code"] << 16) | c["valid_from"].astype(np.int64)
        self.c_reach = _refs.running_max(c["code"], c["valid_to"])
        self.c_category = c["category"]
        self.c_related = c["related_code"]

        t = r.tariffs.columns
        pair = (t["code"].astype(np.uint64) << np.uint64(40)) | t["institution"].astype(np.uint64)
        self.t_pairs, pid = np.unique(pair, return_inverse=True)
        self.t_pid = pid.astype(np.int64)
        self.t_key = (self.t_pid << 16) | t["valid_from"].astype(np.int64)
        self.t_to = t["valid_to"].astype(np.int64)
        self.t_amount = t["unit_amount"]
        self.t_share = t["unit_personal_share"]

        a = r.admissions.columns
        self.a_inst = np.unique(a["institution"])
        rank = np.searchsorted(self.a_inst, a["institution"])
        self.a_key = rank * 10**12 + a["admission_number"]
        self.a_insz = a["insz"]
        self.a_kind = a["kind"]
        self.a_from = a["admitted_on"].astype(np.int64)
        self.a_to = a["discharged_on"].astype(np.int64)
        self.a_approval = a["approval_date"].astype(np.int64)
        self._guard_empty()

    def _guard_empty(self) -> None:
        """An empty table (a header and no rows) is valid data. Its arrays that are read
        at a looked-up row get one inert row, so that a row that was not found (row 0)
        stays in bounds; the keys never match, so nothing is found in it."""
        for name, fill in (
            ("m_key", np.iinfo(np.int64).max),
            ("m_reach", 0),
            ("c_category", 255),
            ("c_related", -1),
            ("t_amount", 0),
            ("t_share", 0),
            ("a_insz", -1),
            ("a_kind", 255),
            ("a_from", 0),
            ("a_to", 0),
            ("a_approval", 0),
        ):
            values = getattr(self, name)
            if len(values) == 0:
                setattr(self, name, np.full(1, fill, dtype=values.dtype))

    # -- lookups -------------------------------------------------------------------------
    def insured(self, insz: np.ndarray, day: np.ndarray, lo=None, hi=None) -> np.ndarray:
        """Whether each person is insured on each day. With their rows ``[lo, hi)`` (known
        per invoice), a person with one period is checked on that row directly."""
        if lo is None:
            return self._insured_search(insz, day)
        single = (hi - lo) == 1
        row = np.minimum(lo, max(len(self.m_key) - 1, 0))
        start = (self.m_key[row] & 0xFFFF).astype(np.int64)
        out = single & (start <= day) & (day <= self.m_reach[row].astype(np.int64))
        many = np.flatnonzero(~single)
        if len(many):
            out[many] = self._insured_search(insz[many], day[many])
        return out

    def insured_at(self, insz: np.ndarray, mutuality: np.ndarray, day: np.ndarray):
        """Whether each person is insured at the mutuality on the day."""
        group = insz * 1000 + mutuality
        idx = np.searchsorted(self.mm_key, (group << 16) | day, side="right") - 1
        safe = np.maximum(idx, 0)
        if len(self.mm_key) == 0:
            return np.zeros(len(day), bool)
        return (idx >= 0) & ((self.mm_key[safe] >> 16) == group) & (day <= self.mm_reach[safe])

    def _insured_search(self, insz: np.ndarray, day: np.ndarray) -> np.ndarray:
        idx = np.searchsorted(self.m_key, (insz << 16) | day, side="right") - 1
        safe = np.maximum(idx, 0)
        return (
            (idx >= 0)
            & ((self.m_key[safe] >> 16) == insz)
            & (day <= self.m_reach[safe].astype(np.int64))
        )

    def code_row(self, code: np.ndarray, day: np.ndarray):
        """(known, valid on the day, row) of a code."""
        idx = np.searchsorted(self.c_key, (code << 16) | day, side="right") - 1
        safe = np.maximum(idx, 0)
        pos = np.searchsorted(self.c_code, code)
        known = (
            self.c_code[np.minimum(pos, max(len(self.c_code) - 1, 0))] == code
            if len(self.c_code)
            else np.zeros(len(code), bool)
        )
        valid = (
            (idx >= 0) & (self.c_code[safe] == code) & (day <= self.c_reach[safe])
            if len(self.c_code)
            else np.zeros(len(code), bool)
        )
        return known, valid, safe

    def tariff(self, code: np.ndarray, institution: np.ndarray, day: np.ndarray):
        """(found, row): the price contracted with the institution, else the general one."""
        found = np.zeros(len(code), bool)
        row = np.zeros(len(code), np.int64)
        if len(self.t_pairs) == 0:
            return found, row
        for inst in (institution, np.zeros_like(institution)):
            pk = (code.astype(np.uint64) << np.uint64(40)) | inst.astype(np.uint64)
            pid = np.searchsorted(self.t_pairs, pk)
            pid_safe = np.minimum(pid, len(self.t_pairs) - 1)
            have = self.t_pairs[pid_safe] == pk
            idx = (
                np.searchsorted(self.t_key, (pid_safe.astype(np.int64) << 16) | day, side="right")
                - 1
            )
            safe = np.maximum(idx, 0)
            ok = have & (idx >= 0) & (self.t_pid[safe] == pid_safe) & (day <= self.t_to[safe])
            take = ok & ~found
            row[take] = safe[take]
            found |= ok
        return found, row

    def admission(self, institution: np.ndarray, number: np.ndarray):
        """(found, row) of admissions by facility and admission number."""
        if len(self.a_key) == 0:
            return np.zeros(len(number), bool), np.zeros(len(number), np.int64)
        rank = np.searchsorted(self.a_inst, institution)
        rank_safe = np.minimum(rank, len(self.a_inst) - 1)
        inst_ok = self.a_inst[rank_safe] == institution
        key = rank_safe * 10**12 + number
        idx = np.searchsorted(self.a_key, key)
        safe = np.minimum(idx, len(self.a_key) - 1)
        return inst_ok & (self.a_key[safe] == key), safe


def _zone(rec: str, zone: str) -> int:
    return LAYOUTS.zone_index(rec, zone)


def content_check(s: Sending, ctx: Context) -> Findings:
    """Content checks of one chunk: errors, the day groups' dependency edges and the
    keys of the duplicate check."""
    findings = Findings()
    look = ctx.lookups
    if look is None:
        return findings
    errs = findings.errors
    r20 = s.invoices
    insz20 = s.col("beneficiary")[r20]
    # -- the beneficiary of each invoice ---------------------------------------------------
    lo = np.searchsorted(look.m_key, insz20 << 16)
    hi = np.searchsorted(look.m_key, (insz20 + 1) << 16)
    readable20 = ~s.finding_mask("20", "8a,8b")[r20] & (insz20 > 0)
    known = readable20 & (hi > lo)
    errs.add(r20[readable20 & ~known], "200820", _zone("20", "8a,8b"))
    owner, rows = _ranges(np.where(known, lo, 0), np.where(known, hi, 0))
    at_mut = np.zeros(len(r20), bool)
    at_mut[owner[look.m_mut[rows] == s.col("affiliation")[r20][owner]]] = True
    errs.add(r20[known & ~at_mut], "200742", _zone("20", "7"))

    # -- admissions ----------------------------------------------------------------------
    number, inst = s.col("admission_number")[r20], s.col("institution")[r20]
    itype = s.col("invoice_type")[r20]
    found, arow = look.admission(inst, number)
    wanted = (number > 0) | (itype == 5) | (itype == 6)
    adm_date = _refs.days(s.col("admission_date")[r20])
    good = (
        found & (look.a_insz[arow] == insz20) & ((adm_date < 0) | (adm_date == look.a_from[arow]))
    )
    errs.add(r20[wanted & ~good], "200520", _zone("20", "5"))
    approval = _refs.days(s.col("approval_date")[r20])
    reval = good & (look.a_kind[arow] == _REVALIDATION)
    errs.add(
        r20[
            reval
            & (approval != np.where(look.a_approval[arow] == _refs.NONE, -1, look.a_approval[arow]))
        ],
        "202020",
        _zone("20", "20,21"),
    )

    # -- prestations ---------------------------------------------------------------------
    p = s.units_of(30, 50)
    inv = s.invoice_of[p]
    ok = inv >= 0
    for rec in ("30", "50"):
        for zone in _NEEDED:
            if s.has_findings(rec, zone):
                ok &= ~s.finding_mask(rec, zone)[p]
    p, inv = p[ok], inv[ok]
    rt = s.rtype[p]
    pre = np.where(rt == 30, 30, 50)  # code prefix of each prestation
    # The invoice's beneficiary: a record naming another one is already an F error.
    insz = insz20[inv]
    code = s.col("code")[p].astype(np.int64)
    d1 = _refs.days(s.col("first_date")[p]).astype(np.int64)
    last = s.col("last_date")[p]
    d2 = np.where(last > 0, _refs.days(last), d1).astype(np.int64)

    def add(mask, suffix, zone):
        for r in (30, 50):
            errs.add(p[mask & (pre == r)], f"{r}{suffix}", _zone(str(r), zone))

    person = known[inv]
    ins1 = look.insured(insz, d1, lo[inv], hi[inv])
    ins2 = ins1.copy()
    other = np.flatnonzero(d2 != d1)
    ins2[other] = look.insured(insz[other], d2[other], lo[inv[other]], hi[inv[other]])
    # Insured at the invoice's mutuality, where the person has periods there (else the
    # invoice has its 200742 and any mutuality counts).
    there = at_mut[inv]
    aff = s.col("affiliation")[r20][inv].astype(np.int64)
    ins1[there] = look.insured_at(insz[there], aff[there], d1[there])
    ins2[there] = look.insured_at(insz[there], aff[there], d2[there])
    add(person & ~ins1, "0540", "5")
    add(person & ~ins2, "0640", "6a,6b")
    deceased = (
        look.m_deceased[np.where(person, lo[inv], 0)].astype(np.int64)
        if len(look.m_deceased)
        else np.full(len(p), _refs.NONE)
    )
    add(person & (deceased != _refs.NONE) & (d2 >= deceased), "0549", "5")

    k1, v1, crow = look.code_row(code, d1)
    _, v2, _ = look.code_row(code, d2)
    add(~(k1 & v1 & v2), "0420", "4")  # unknown, or not valid on the dates
    category = np.where(k1 & v1, look.c_category[crow], 255)
    related = np.where(k1 & v1, look.c_related[crow], -1)

    units = s.col("units")[p].astype(np.int64)
    t_found, trow = look.tariff(code, s.col("institution")[s.invoices[inv]], d1)
    add(k1 & v1 & ~t_found, "0454", "4")
    priced = k1 & v1 & t_found
    add(priced & (units * look.t_amount[trow] != s.col("amount")[p]), "1940", "19")
    add(priced & (units * look.t_share[trow] != s.col("personal_share")[p]), "2741", "27")

    # Related prestation: a record with the related code, same invoice and day.
    wants = np.flatnonzero(related > 0)
    if len(wants):
        have = np.sort((inv.astype(np.int64) << 40) | (d1 << 24) | code)
        need = (inv[wants].astype(np.int64) << 40) | (d1[wants] << 24) | related[wants]
        pos = np.minimum(np.searchsorted(have, need), len(have) - 1)
        missing = np.zeros(len(p), dtype=bool)
        missing[wants] = have[pos] != need
        add(missing, "1740", "17,18")

    # Admission period.
    has_adm = good[inv]
    a_from = look.a_from[arow[inv]]
    a_to = np.where(look.a_to[arow[inv]] == _refs.NONE, 1 << 20, look.a_to[arow[inv]])
    add(has_adm & ((d1 < a_from) | (d2 > a_to)), "0526", "5")

    # VSB pair rule: a personal share needs a revalidation day (same invoice and day).
    day_key = (inv.astype(np.int64) << 16) | d1
    r30 = rt == 30
    days_billed = np.sort(day_key[r30 & (category == _DAY)])
    share = np.flatnonzero(r30 & (category == _SHARE))
    if len(share):
        if len(days_billed):
            pos = np.minimum(np.searchsorted(days_billed, day_key[share]), len(days_billed) - 1)
            share = share[days_billed[pos] != day_key[share]]
        errs.add(p[share], "300490", _zone("30", "4"))

    # Day groups for the propagation (x00129): the records 30/50 of a day that has a
    # revalidation day or personal share record (only invoices with such records).
    trigger = r30 & ((category == _DAY) | (category == _SHARE))
    if trigger.any():
        with_days = np.zeros(len(s.invoices), dtype=bool)
        with_days[inv[trigger]] = True
        cand = np.flatnonzero(with_days[inv])
        grouped = cand[np.isin(day_key[cand], day_key[trigger])]
        findings.edges.append(_day_edges(s, p[grouped], day_key[grouped], trigger[grouped]))

    # Keys of the duplicate check, which runs on the whole sending.
    findings.prestations = PrestationKeys(p, (insz << 24) | code, (d1 << 16) | d2)

    # Records 51: their code's validity on their own date.
    r51 = s.units_of(51)
    r51 = r51[~s.finding_mask("51", "4")[r51] & ~s.finding_mask("51", "5")[r51]]
    c51 = s.col("code")[r51].astype(np.int64)
    d51 = s.col("first_date")[r51]
    d51 = np.where(d51 > 0, _refs.days(d51), 0).astype(np.int64)
    k51, v51, _ = look.code_row(c51, d51)
    errs.add(r51[~k51 | ((d51 > 0) & ~v51)], "510420", _zone("51", "4"))
    return findings


def _day_edges(s: Sending, members: np.ndarray, group: np.ndarray, trigger: np.ndarray) -> Edges:
    """A rejected trigger (revalidation day, personal share) of a day group drags every
    other record of its group (``300129`` on a record 30, ``500129`` on a record 50).

    ``members`` are units (records 30/50), ``group`` their day group, ``trigger``
    whether each is a trigger.
    """
    order = np.argsort(group, kind="stable")
    members, g, trig = members[order], group[order], trigger[order]
    src, dst = [], []
    # Pair every trigger with every other member of its group (groups are a few records).
    starts = np.flatnonzero(np.r_[True, g[1:] != g[:-1]])
    sizes = np.diff(np.r_[starts, len(g)])
    for k in range(1, int(sizes.max()) if len(sizes) else 1):
        a = np.arange(len(g))
        b = a + k
        ok = b < len(g)
        ok[ok] &= g[b[ok]] == g[a[ok]]
        for x, y in ((a[ok], b[ok]), (b[ok], a[ok])):
            keep = trig[x]
            src.append(members[x][keep])
            dst.append(members[y][keep])
    src_u = np.concatenate(src).astype(np.int64) if src else np.zeros(0, np.int64)
    dst_u = np.concatenate(dst).astype(np.int64) if dst else np.zeros(0, np.int64)
    is30 = s.rtype[dst_u] == 30
    return Edges(
        src_u,
        dst_u,
        np.where(is30, 300129, 500129).astype(np.int32),
        np.where(is30, _zone("30", "1"), _zone("50", "1")).astype(np.int32),
    )


#: The chunk checks of the pipeline with the reference rules (content checks apart).
CHUNK_CHECKS = (
    technical.check,
    order_check,
    zones_check,
    dates_check,
    amounts_check,
    controls_check,
)
#: The families, by the name the fused rules give them.
FAMILIES = {
    "order": order_check,
    "zones": zones_check,
    "dates": dates_check,
    "amounts": amounts_check,
    "controls": controls_check,
}
