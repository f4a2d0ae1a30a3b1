"""The reference implementation of the streaming rules: the vectorised numpy checks
that ran before the rules moved into the core's scan, kept as they were (tests
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
from vsbengine.formats.efact.checks.controls import INSZ_ZONES, NIHII_ZONES
from vsbengine.formats.efact.checks.order import FOLLOWS, OUT_OF_ORDER, SEQUENCE, SEQUENCE_MODULUS
from vsbengine.formats.efact.checks.zones import EQUAL_ZONES
from vsbengine.formats.efact.findings import Context, ErrorBuilder, Findings
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
    r90 = np.flatnonzero(t == 90)
    if len(r90) == 0:
        if s.last:
            errs.add(d[-1], "900104", _zone1(s, 90))
    else:
        errs.add(d[r90[r90 < len(t) - 1]], "900111", _zone1(s, 90))

    seq = s.col("sequence")[d]
    unreadable = np.zeros(len(d), dtype=bool)
    for rt in FOLLOWS:
        unreadable |= s.finding_mask(str(rt), "2")[d]
    if t[0] == 10 and not unreadable[0] and seq[0] != 1:
        errs.add(d[0], "100203", s.zone_index("10", "2"))
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
    errs.add(r20[(adm > 0) & (dis > 0) & (dis < adm)], "200610", s.zone_index("20", "6a,6b"))
    errs.add(r20[inv_date > today], "204710", s.zone_index("20", "47"))
    # Revalidation approval date (zone 20) against the invoice type.
    approval = s.col("approval_date")[r20]
    readable = ~s.finding_mask("20", "20,21")[r20]
    zone20 = s.zone_index("20", "20,21")
    errs.add(r20[readable & np.isin(itype, (5, 6)) & (approval == 0)], "202010", zone20)
    errs.add(r20[readable & np.isin(itype, (1, 3, 4, 7, 9)) & (approval != 0)], "202011", zone20)

    for rec in ("30", "50"):
        units = s.units_of(int(rec))
        if len(units) == 0:
            continue
        first = s.col("first_date")[units]
        last = s.col("last_date")[units]
        head = s.head20[units]
        ok = (first > 0) & ~s.finding_mask(rec, "5")[units] & ~s.finding_mask(rec, "6a,6b")[units]
        limits: dict[str, Any] = {
            "today": today,
            "created": created,
            "ym_limit": int(add_month(ym)) if ym else 0,
            "admission": np.where(head >= 0, s.col("admission_date")[np.maximum(head, 0)], 0),
            "discharge": np.where(head >= 0, s.col("discharge_date")[np.maximum(head, 0)], 0),
            "invoiced": np.where(head >= 0, s.col("invoicing_date")[np.maximum(head, 0)], 0),
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
