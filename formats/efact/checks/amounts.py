"""Family 5: signs of amounts and units, credit notes, and the totals of the
invoices (record 80) and of the sending (record 90)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from vsbengine.formats.efact.checks.common import PRESTATIONS
from vsbengine.formats.efact.compiled import LAYOUTS
from vsbengine.formats.efact.findings import Context, Findings
from vsbengine.formats.efact.rules import Compare, Sign, Total, family_errors
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
#: Totals of record 90 against the sum of the records 80, and (when they agree with the
#: records 80) against the sum of all prestations: (zone, column, code, code).
SENDING_TOTALS = (
    ("19", "amount_a", "901910", "901911"),
    ("15", "amount_b", "901510", "901511"),
)
_COLUMN = {"22": "units", "27": "personal_share", "30,31": "supplement"}


#: The invoicing type (zone 11 of record 20) of a credit note.
CREDIT_NOTE_TYPE = 3
#: A credit note: the invoicing type (zone 11) of the invoice's record 20 is 3.
CREDIT_NOTE = ("20.invoicing_type", "in", (CREDIT_NOTE_TYPE,))


def _prestation_rules(rec: str):
    """Signs and credit notes of one prestation record type."""
    return (
        *(
            Sign(rec, zone, rec + suffix, "amount", _COLUMN[zone])
            for zone, suffix in SIGNED_LIKE_AMOUNT
        ),
        Compare(rec, "22", rec + "2248", "units", ">=", 0, when=CREDIT_NOTE),
        Compare(rec, "11", "201140", "amount", ">", 0, when=CREDIT_NOTE, on="20", zone_of="20"),
    )


#: The invoice totals as rules: an unreadable amount or account already blocks; its
#: total proves nothing more.
TOTALS = tuple(
    Total(
        code,
        zone,
        code,
        col,
        detail,
        PRESTATIONS,
        where=None if acc is None else ("account", "==", acc),
        unreadable=(_ZONE_OF[detail],) if acc is None else (_ZONE_OF[detail], "11"),
    )
    for zone, col, detail, acc, code in INVOICE_TOTALS
)

#: The family's steps in the order its errors are listed (all run in the scan).
STEPS = (*(r for rec in PRESTATIONS for r in _prestation_rules(str(rec))), *TOTALS)


def check(s: Sending, ctx: Context) -> Findings:
    """Signs, credit notes and the invoice totals of one chunk (run in the scan)."""
    found = Findings()
    found.errors.add_table(family_errors(s, "amounts"))
    return found


def check_sending(sm: Summary, ctx: Context) -> Findings:
    """The whole sending: record 90's totals against the sum of all records 80, and,
    where they agree with it, against the sum of all prestations (a record 80 that does
    not add up is its invoice's error, 801910; the sending's total then does not
    either)."""
    found = Findings()
    errs = found.errors
    r90 = sm.record90
    if r90 is None:
        return found
    sums = {"19": sm.r80_a, "15": sm.r80_b}
    whole = sm.all_mutualities
    detail = {"19": whole.detail_a, "15": whole.detail_b}
    for zone, _col, of_r80, of_detail in SENDING_TOTALS:
        value = r90.values[zone] if r90.readable[zone] else None
        if value is None:
            continue
        if value != sums[zone]:
            code = of_r80
        elif not whole.bad_detail and value != detail[zone]:
            code = of_detail
        else:
            continue
        zi = LAYOUTS.zone_index("90", zone)
        errs.add(
            r90.unit, code, zi, seq=r90.seq, rtype=90, offset=r90.offset + LAYOUTS.zones[zi].start
        )
    return found
