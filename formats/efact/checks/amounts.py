"""Family 5: signs of amounts and units, credit notes, and the totals of the
invoices (record 80) and of the sending (record 90)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from vsbengine.formats.efact.checks.common import PRESTATIONS
from vsbengine.formats.efact.compiled import LAYOUTS
from vsbengine.formats.efact.findings import Context, Findings
from vsbengine.formats.efact.sending import Sending

if TYPE_CHECKING:
    from vsbengine.formats.efact.summary import Summary

#: Zones whose sign must agree with the insurance amount (zone 19) of a prestation.
SIGNED_LIKE_AMOUNT = (("22", "2212"), ("27", "2712"), ("30,31", "3012"))
#: Totals of record 80 against the sum of its prestations: (zone and column of the
#: record 80, column summed over the prestations, account (zone 11) or None for
#: every prestation, code).
INVOICE_TOTALS = (
    ("19", "amount_a", "amount", 0, "801910"),
    ("15", "amount_b", "amount", 1, "801510"),
    ("27", "personal_share", "personal_share", None, "802710"),
    ("30,31", "supplement", "supplement", None, "803010"),
)
_ZONE_OF = {"amount": "19", "personal_share": "27", "supplement": "30,31"}
#: Totals of record 90 against the sum of the records 80: (zone, column, code).
SENDING_TOTALS = (("19", "amount_a", "901910"), ("15", "amount_b", "901510"))
_COLUMN = {"22": "units", "27": "personal_share", "30,31": "supplement"}


def _unreadable(s: Sending, zones) -> np.ndarray:
    """Per invoice: a prestation of it has a format finding on one of ``zones``."""
    zones = (zones,) if isinstance(zones, str) else zones
    out = np.zeros(len(s.invoices), dtype=bool)
    for rec in PRESTATIONS:
        for zone in zones:
            if s.has_findings(str(rec), zone):
                out |= s.per_invoice_sum(s.finding_mask(str(rec), zone), s.in_invoice) > 0
    return out


def check(s: Sending, ctx: Context) -> Findings:
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


def check_sending(sm: Summary, ctx: Context) -> Findings:
    """The whole sending: record 90's totals against the sum of all records 80."""
    found = Findings()
    errs = found.errors
    r90 = sm.record90
    if r90 is None:
        return found
    sums = {"19": sm.r80_a, "15": sm.r80_b}
    for zone, _col, code in SENDING_TOTALS:
        if r90.readable[zone] and r90.values[zone] != sums[zone]:
            zi = LAYOUTS.zone_index("90", zone)
            errs.add(
                r90.unit,
                code,
                zi,
                seq=r90.seq,
                rtype=90,
                offset=r90.offset + LAYOUTS.zones[zi].start,
            )
    return found
