"""Family 4: date rules (not in the future, last not before first, within the
admission and the billed period).

The rules of records 20, 30 and 50 are tables (:data:`INVOICE_RULES`,
:data:`PRESTATION_RULES`) that the core runs in its scan, against the scan's
parameters (today, the billed month and the creation date of the record 10); the
record 10 itself is checked here.
"""

from __future__ import annotations

from vsbengine.formats.efact.checks.zones import billed_month
from vsbengine.formats.efact.findings import Context, Findings
from vsbengine.formats.efact.rules import Compare, family_errors
from vsbengine.formats.efact.sending import Sending

#: Date rules of records 20.
INVOICE_RULES = (
    Compare(
        "20",
        "5",
        "200510",
        "admission_date",
        "==",
        0,
        when=("invoice_type", "in", (1,)),
        readable=("5",),
    ),
    Compare(
        "20",
        "6a,6b",
        "200610",
        "discharge_date",
        "<",
        "admission_date",
        readable=("5", "6a,6b"),
        present="ab",
    ),
    Compare("20", "47", "204710", "invoicing_date", ">", "today", readable=("47",)),
    # Revalidation approval date (zone 20) against the invoice type.
    Compare(
        "20",
        "20,21",
        "202010",
        "approval_date",
        "==",
        0,
        when=("invoice_type", "in", (5, 6)),
        readable=("20,21",),
    ),
    Compare(
        "20",
        "20,21",
        "202011",
        "approval_date",
        "!=",
        0,
        when=("invoice_type", "in", (1, 3, 4, 7, 9)),
        readable=("20,21",),
    ),
    # Discharge before the revalidation approval.
    Compare(
        "20",
        "6a,6b",
        "200621",
        "discharge_date",
        "<",
        "approval_date",
        readable=("6a,6b", "20,21"),
        present="ab",
    ),
)
#: Prestation date rules: (code suffix, zone, left, op, right, sides that must be set,
#: zones of the record 20 that must be readable). Each applies to records 30 and 50
#: (code prefix ``30``/``50``) with a first date and readable dates.
PRESTATION_RULES = (
    ("0510", "5", "first_date", ">", "today", "", ()),
    ("0610", "6a,6b", "last_date", ">", "today", "", ()),
    ("0612", "6a,6b", "last_date", "<", "first_date", "a", ()),
    ("0511", "5", "first_date", "<", "20.admission_date", "b", ("20.5",)),
    ("0513", "5", "first_date", ">", "20.discharge_date", "b", ("20.6a,6b",)),
    ("0516", "5", "first_date", ">", "20.invoicing_date", "b", ("20.47",)),
    ("0547", "5", "month(first_date)", ">", "next_billed", "b", ()),
    ("0647", "6a,6b", "month(last_date)", ">", "next_billed", "b", ()),
    ("0555", "5", "first_date", ">", "created", "b", ()),
)

#: The family's steps in the order its errors are listed.
STEPS = (
    "102510",
    "102310",
    "102311",
    *INVOICE_RULES,
    *(
        Compare(
            rec,
            zone,
            rec + suffix,
            left,
            op,
            right,
            when=("first_date", ">", 0),
            readable=("5", "6a,6b", *of20),
            present=present,
        )
        for rec in ("30", "50")
        for suffix, zone, left, op, right, present, of20 in PRESTATION_RULES
    ),
)


def check(s: Sending, ctx: Context) -> Findings:
    """The date rules of one chunk: the record 10 here, the others ran in the scan."""
    found = Findings()
    today = ctx.today
    ym = billed_month(s)
    r10 = s.record10
    extra = []
    created = 0
    if r10 >= 0 and not s.finding_mask("10", "25,26")[r10]:
        created = int(s.value_at("creation_date", [r10])[0])
        if created > today:
            extra.append((r10, "102510", s.zone_index("10", "25,26"), "102510"))
    if ym and r10 >= 0:
        zone22 = s.zone_index("10", "22")
        if ym > today // 100:
            extra.append((r10, "102310", zone22, "102310"))
        if created and ym > created // 100:
            extra.append((r10, "102311", zone22, "102311"))
    found.errors.add_table(family_errors(s, "dates", extra))
    return found
