"""Family 3: zone formats, allowed values, mandatory zones, equal zones across
records, unique invoice numbers and the order of invoices.

Formats, allowed values, mandatory zones and reserved zones (zeros only: the official
"content not zero") are checked by the core from the layout tables; their findings
become codes here, by the catalogue's table of official numbers. Equal zones,
identification and invoice order are rule tables that the core runs in its scan.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from vsbengine.formats.efact.checks.common import PRESTATIONS, core_errors, kbo_valid
from vsbengine.formats.efact.compiled import LAYOUTS
from vsbengine.formats.efact.findings import Context, Findings
from vsbengine.formats.efact.rules import Ascending, Equal, Ident, family_errors
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
    ("51", "5", "50", "510512", None),
    ("51", "8a,8b", "20", "510812", None),
    ("51", "19", "50", "511912", None),
    ("52", "4", "50", "520412", None),
    ("52", "5", "50", "520512", None),
    ("52", "8a,8b", "20", "520812", None),
    ("80", "4", "20", "800412", None),
    ("80", "5", "20", "800512", None),
    ("80", "6a,6b", "20", "800612", None),
    ("80", "7", "20", "800712", None),
    ("80", "8a,8b", "20", "800812", None),
    ("80", "9", "20", "800912", None),
    ("80", "10", "20", "801012", None),
    ("80", "13", "20", "801312", None),
    ("80", "14", "20", "801412", None),
    ("80", "17", "20", "801712", None),
    ("80", "18", "20", "801812", None),
    ("80", "22", "20", "802212", None),
    ("80", "24,25", "20", "802412", None),
    ("80", "32", "20", "803212", None),
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


#: The conditions of :data:`EQUAL_ZONES`, as rule conditions.
_WHEN = {
    None: None,
    "union": ("div100(20.affiliation)", "not in", (2, 4, 5)),
    "201407": ("billed", ">=", 201407),
}
#: A national number (a valid INSZ) in record 20 with the identification flag not 1.
IDENTIFICATION = Ident(
    "20",
    "8a,8b",
    "200813",
    "beneficiary",
    "insz",
    fire="valid",
    when=("identification_flag", "not in", (1,)),
)
#: Checks of record 20 whose condition is rare, kept in Python (nothing of them in the
#: scan): the third-party-payer authorisation flag (zone 3) must be zero for services
#: from 2022-05 (efact-format.md, record 20: the finding goes on the record 20 once); an
#: invoice that refers to an earlier one (invoicing type 1, or 3 for a credit note: zone
#: 11) names it: its number, sending and mutuality ("missing", 10).
THIRD_PARTY_FLAG = ("3", "200311", 20220501)
EARLIER_INVOICE = (("29,30,31", "202910"), ("34,35,36", "203410"), ("37", "203710"))
REFERS = (1, 3)
#: Invoices sorted by destination mutuality, also across a chunk boundary (the record
#: 80 before the chunk stands for the invoice before it).
INVOICE_ORDER = Ascending("20", "18", "201812", "destination", "80", "destination")

#: The family's steps in the order its errors are listed: the core's findings on the
#: zones, the rules (run in the scan), the rare record 20 checks and the company number
#: (decided here).
STEPS = (
    "core",
    *(Equal(rec, zone, of, code, _WHEN[cond]) for rec, zone, of, code, cond in EQUAL_ZONES),
    IDENTIFICATION,
    THIRD_PARTY_FLAG[1],
    *(code for _, code in EARLIER_INVOICE),
    INVOICE_ORDER,
    "102710",
    "102702",
)


def billed_month(s: Sending) -> int:
    """Invoiced year and month of the sending (record 10), as YYYYMM, or 0."""
    r10 = s.record10
    if r10 < 0:
        return 0
    year, month = (int(s.value_at(c, [r10])[0]) for c in ("invoiced_year", "invoiced_month"))
    return year * 100 + month


def check(s: Sending, ctx: Context) -> Findings:
    """The core's findings on records 10-90 as codes, equal zones, identification,
    invoice order (the rules ran in the scan), company number."""
    found = Findings()
    core = core_errors(s)
    extra = []
    ym = billed_month(s)
    r10 = s.record10
    if r10 >= 0 and ym >= 201501:
        company = int(s.value_at("company_number", [r10])[0])
        if company == 0:
            extra.append((r10, "102710", s.zone_index("10", "27"), "102710"))
        elif not s.finding_mask("10", "27")[r10] and not kbo_valid(company):
            extra.append((r10, "102702", s.zone_index("10", "27"), "102702"))
    extra += _rare_record_20(s)
    tables = [(core.select(s.is_detail[core.unit]), "core")] if len(core) else []
    found.errors.add_table(family_errors(s, "zones", extra, tables))
    return found


def _rare_record_20(s: Sending) -> list[tuple]:
    """The :data:`THIRD_PARTY_FLAG` and :data:`EARLIER_INVOICE` findings of the chunk's
    invoices (``(units, code, zone, step)``); an unreadable zone is its format error."""
    heads = s.invoices
    own = heads[s.own[heads]] if len(heads) else heads
    out: list[tuple] = []
    if len(own) == 0:
        return out
    # From the columns: the bytes of every record 20 would map the whole file again.
    zone, code, since = THIRD_PARTY_FLAG
    flag = s.value_at("third_party_flag", own)
    flagged = own[(flag > 0) & ~s.finding_mask("20", zone)[own]]
    if len(flagged):
        prestations = s.units_of(*PRESTATIONS)
        late = s.value_at("first_date", prestations) >= since
        invoices = np.unique(s.invoice_of[prestations[late]])
        out.append((flagged[np.isin(s.invoice_of[flagged], invoices)], code,
                    s.zone_index("20", zone), code))  # fmt: skip
    refers = own[np.isin(s.value_at("invoicing_type", own), REFERS)]
    if len(refers):
        for zone, code in EARLIER_INVOICE:
            zeros = (s.zone_bytes(refers, "20", zone) == ord("0")).all(axis=1)
            readable = ~s.finding_mask("20", zone)[refers]
            out.append((refers[zeros & readable], code, s.zone_index("20", zone), code))
    return out


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
    invoice_errors(sm, errs, repeated, "202420")
    return found


def invoice_errors(sm: Summary, errs, which: np.ndarray, code: str) -> None:
    """Add ``code`` on the invoice number (record 20 zones 24-25) of the invoices of the
    whole sending that ``which`` selects."""
    zone = LAYOUTS.zone_index("20", "24,25")
    start = LAYOUTS.zones[zone].start
    errs.add(
        sm.invoice_unit[which],
        code,
        zone,
        seq=sm.invoice_seq[which],
        rtype=20,
        offset=sm.invoice_offset[which] + start,
    )
