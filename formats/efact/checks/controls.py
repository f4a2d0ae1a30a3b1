"""Family 6: check digits and control numbers.

The record check digits (zone 99) are computed by the core in its one pass;
here come the invoice and sending control numbers (zone 98 of records 80 and
90, project convention 2) and the check digits of national numbers (INSZ) and
NIHII numbers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from vsbengine.formats.efact.checks.common import CODE_RECORDS, control_number
from vsbengine.formats.efact.compiled import LAYOUTS
from vsbengine.formats.efact.findings import Context, Findings
from vsbengine.formats.efact.rules import Ident, Total, family_errors
from vsbengine.formats.efact.sending import Sending

if TYPE_CHECKING:
    from vsbengine.formats.efact.summary import Summary

#: NIHII numbers checked when present: (record, zone, column, code).
NIHII_ZONES = (
    ("10", "14", "institution", "101402"),
    ("20", "14", "institution", "201402"),
    ("20", "15", "stay_institution", "201502"),
    ("50", "15", "provider", "501502"),
    ("50", "24,25", "prescriber", "502402"),
    ("51", "15", "provider", "511502"),
)
#: Beneficiary identifications checked as INSZ when record 20 zone 32 is 1.
INSZ_ZONES = (("20", "200802"), ("30", "300802"), ("50", "500802"), ("51", "510802"))


#: The invoice control number: zone 98 of record 80 against the codes of the invoice
#: (the summary reads the sum of the codes per invoice, and whether one was unreadable).
INVOICE_CONTROL = Total(
    "invoice_control",
    "98",
    "809802",
    "control_number",
    "code",
    CODE_RECORDS,
    unreadable=("4",),
    guard=False,
    mode="control",
    readable=("98",),
)

#: The family's steps in the order its errors are listed (all run in the scan).
STEPS = (
    INVOICE_CONTROL,
    *(
        Ident(rec, zone, code, col, "nihii", readable=(zone,))
        for rec, zone, col, code in NIHII_ZONES
    ),
    *(
        Ident(
            rec,
            "8a,8b",
            code,
            "beneficiary",
            "insz",
            when=("identification_flag" if rec == "20" else "20.identification_flag", "in", (1,)),
            readable=("8a,8b",),
        )
        for rec, code in INSZ_ZONES
    ),
)


def check(s: Sending, ctx: Context) -> Findings:
    """Invoice control numbers, NIHII and INSZ check digits of one chunk (run in the
    scan)."""
    found = Findings()
    found.errors.add_table(family_errors(s, "controls"))
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
