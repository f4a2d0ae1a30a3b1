"""Family 6: check digits and control numbers.

The record check digits (zone 99) are computed by the core in its one pass;
here come the invoice and sending control numbers (zone 98 of records 80 and
90, project convention 2) and the check digits of national numbers (INSZ) and
NIHII numbers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from vsbengine.formats.efact.checks.common import (
    by_runs,
    code_sums,
    control_number,
    insz_valid,
    nihii_valid,
)
from vsbengine.formats.efact.compiled import LAYOUTS
from vsbengine.formats.efact.findings import Context, Findings
from vsbengine.formats.efact.sending import Sending

if TYPE_CHECKING:
    from vsbengine.formats.efact.summary import Summary

#: NIHII numbers checked when present: (record, zone, column, code).
NIHII_ZONES = (
    ("10", "14", "institution", "101402"),
    ("20", "14", "institution", "201402"),
    ("50", "15", "provider", "501502"),
    ("50", "24,25", "prescriber", "502402"),
)
#: Beneficiary identifications checked as INSZ when record 20 zone 32 is 1.
INSZ_ZONES = (("20", "200802"), ("30", "300802"), ("50", "500802"))


def check(s: Sending, ctx: Context) -> Findings:
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


def check_sending(sm: Summary, ctx: Context) -> Findings:
    """The whole sending: record 90's control number against the codes of all chunks."""
    found = Findings()
    r90 = sm.record90
    if r90 is None or not r90.readable["98"] or sm.codes_bad:
        return found
    if r90.values["98"] != int(control_number(sm.codes)):
        zi = LAYOUTS.zone_index("90", "98")
        found.errors.add(
            r90.unit,
            "909802",
            zi,
            seq=r90.seq,
            rtype=90,
            offset=r90.offset + LAYOUTS.zones[zi].start,
        )
    return found
