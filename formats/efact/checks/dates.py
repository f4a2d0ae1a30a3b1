"""Family 4: date rules (not in the future, last not before first, within the
admission and the billed period)."""

from __future__ import annotations

from typing import Any

import numpy as np

from vsbengine.formats.efact.checks.common import add_month
from vsbengine.formats.efact.checks.zones import billed_month
from vsbengine.formats.efact.findings import Context, Findings
from vsbengine.formats.efact.sending import Sending

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


def check(s: Sending, ctx: Context) -> Findings:
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
