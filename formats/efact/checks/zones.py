"""Family 3: zone formats, allowed values, mandatory zones, equal zones across
records, unique invoice numbers and the order of invoices.

Formats, allowed values, mandatory zones and reserved zones (zeros only: the official
"content not zero") are checked by the core from the layout tables; their findings
become codes here, by the catalogue's table of official numbers. Equal zones are a
table.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from vsbengine.formats.efact.checks.common import core_errors, insz_valid
from vsbengine.formats.efact.compiled import LAYOUTS
from vsbengine.formats.efact.findings import Context, ErrorBuilder, Findings
from vsbengine.formats.efact.sending import Sending

if TYPE_CHECKING:
    from vsbengine.formats.efact.summary import Summary

#: Zones that must equal the same zone of a governing record:
#: (record, zone, governing record, code, condition). Conditions: ``"union"`` =
#: not for national unions 2, 4 and 5 (first digit of the record 20 mutuality);
#: ``"201407"`` = only for invoiced months from 2014-07.
EQUAL_ZONES = (
    ("20", "14", "10", "201412", None),
    ("30", "7", "20", "300712", "union"),
    ("30", "8a,8b", "20", "300812", None),
    ("50", "7", "20", "500712", "union"),
    ("50", "8a,8b", "20", "500812", None),
    ("51", "4", "50", "510412", None),
    ("80", "7", "20", "800712", None),
    ("80", "8a,8b", "20", "800812", None),
    ("80", "10", "20", "801012", None),
    ("80", "14", "20", "801412", None),
    ("80", "18", "20", "801812", None),
    ("80", "24,25", "20", "802412", None),
    ("90", "7", "10", "900712", None),
    ("90", "14", "10", "901412", None),
    ("90", "22", "10", "902212", None),
    ("90", "23", "10", "902312", None),
    ("90", "27", "10", "902712", "201407"),
    ("90", "31", "10", "903112", None),
    ("90", "36", "10", "903612", None),
    ("90", "43a", "10", "904312", None),
    ("90", "49", "10", "904912", None),
)


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


def check(s: Sending, ctx: Context) -> Findings:
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


def check_sending(sm: Summary, ctx: Context) -> Findings:
    """The whole sending: every individual invoice number is used once."""
    found = Findings()
    errs = found.errors
    numbers = sm.invoice_number
    if len(numbers) == 0:
        return found
    _, first = np.unique(numbers, return_index=True)
    repeated = np.ones(len(numbers), dtype=bool)
    repeated[first] = False
    repeated &= numbers != 0
    zone = LAYOUTS.zone_index("20", "24,25")
    start = LAYOUTS.zones[zone].start
    errs.add(
        sm.invoice_unit[repeated],
        "202420",
        zone,
        seq=sm.invoice_seq[repeated],
        rtype=20,
        offset=sm.invoice_offset[repeated] + start,
    )
    return found
