"""Pre-validation checks, one family at a time, with the exact codes expected.

Each test changes one thing in a clean generated sending, re-derives what must
follow (totals, counts, check digits) with the independent editor of
``efact_edit``, and asserts the exact set of (record, code) pairs.
"""

from __future__ import annotations

import pytest
from efact_edit import TODAY, Sending, clean, codes, refers_to

import vsbengine


def run(s: Sending, today=TODAY):
    return vsbengine.validate(s.tobytes(), today=today)


@pytest.fixture
def s() -> Sending:
    return Sending(clean(160, seed=11))


def first(s: Sending, rtype: str, *, alone: bool = False, with51: bool = False) -> int:
    """Sequence number of the first record of a type (``alone``: a 50 with no 51/52;
    ``with51``: a 50 followed by its 51)."""
    for i, r in enumerate(s.records):
        if r[:2] != rtype:
            continue
        nxt = s.records[i + 1][:2]
        if alone and nxt in ("51", "52"):
            continue
        if with51 and nxt != "51":
            continue
        return int(r[2:8])
    raise AssertionError(f"no record {rtype}")


def invoice_of(s: Sending, seq: int) -> list[int]:
    i = s.index(seq)
    return next(inv for inv in s.invoices() if i in inv)


def with_groups(s: Sending, found: set) -> set:
    """Add the codes that record errors on records 50 pass to their 51/52."""
    out = set(found)
    for seq, _ in found:
        i = s.index(seq)
        if s.records[i][:2] != "50":
            continue
        i += 1
        while s.records[i][:2] in ("51", "52"):
            out.add((s.seq_at(i), s.records[i][:2] + "0119"))
            i += 1
    return out


def seqs_of(s: Sending, inv: list[int], rtype: str) -> list[int]:
    return [s.seq_at(i) for i in inv if s.records[i][:2] == rtype]


def test_clean_sending_has_no_errors(s):
    r = run(s)
    assert r.messages == ["DF011", "DF014", "DF015"]
    assert r.errors == [] and r.records_rejected == 0


# -- families 1 and 2: order and sequence ---------------------------------------------


def test_missing_record_10(s):
    del s.records[0]
    s.resum()
    r = run(s)
    assert codes(r) == {(2, "100104")}
    assert r.rejection_type == "01"


def test_record_51_right_after_record_20(s):
    seq50 = first(s, "50", with51=True)
    inv = invoice_of(s, seq50)
    r51 = s.records.pop(s.index(seq50) + 1)
    s.records.insert(inv[0] + 1, r51)
    s.renumber()
    s.resum()
    # And the record 20 is not followed by a 30 or 50 (200111).
    seq20 = s.seq_at(inv[0])
    assert codes(run(s)) == {(seq20, "200111"), (seq20 + 1, "510110")}


def test_an_invoice_without_prestations(s):
    """Record 20 right before its record 80: both records of the pair have their code,
    the 20 "must be followed by a 30 or 50" (200111), the 80 "must follow a 30, 50, 51 or
    52" (800110)."""
    inv = s.invoices()[1]
    s.records = [r for i, r in enumerate(s.records) if i not in inv[1:-1]]
    s.renumber()
    s.resum()
    seq20 = s.seq_at(inv[0])
    assert codes(run(s)) == {(seq20, "200111"), (seq20 + 1, "800110")}


def test_record_52_after_a_record_52(s):
    """The official 520110: a record 52 follows a record 50 or 51 only."""
    i = next(i for i, r in enumerate(s.records) if r[:2] == "52")
    s.records.insert(i + 1, s.records[i])
    s.renumber()
    s.resum()
    seq = s.seq_at(i + 1)
    r = run(s)
    assert codes(r) == {(seq - 1, "520111"), (seq, "520110")}
    assert r.decision == "DF013"


def test_missing_record_90(s):
    i = s.index(first(s, "90"))
    del s.records[i]
    s.resum(sending=False)
    r = run(s)
    # The last record 80 is followed by no record 20 or 90 either (800111).
    assert codes(r) == {(s.seq_at(i - 1), "900104"), (s.seq_at(i - 1), "800111")}


def test_record_90_before_the_last_invoice(s):
    i90 = s.index(first(s, "90"))
    last_inv = s.invoices()[-1]
    r90 = s.records.pop(i90)
    s.records.insert(last_inv[0], r90)
    s.renumber()
    s.resum()
    seq90 = s.seq_at(last_inv[0])
    last80 = s.seq_at(len(s.records) - 1 - [r[:2] for r in reversed(s.records)].index("80"))
    assert codes(run(s)) == {(seq90, "900111"), (seq90 + 1, "200110"), (last80, "800111")}


def test_second_record_10(s):
    inv = s.invoices()[1]
    s.records.insert(inv[0], s.records[0])
    s.renumber()
    s.resum()
    # The record 80 before it is followed by no record 20 or 90 (800111).
    seq10 = s.seq_at(inv[0])
    assert codes(run(s)) == {(seq10 - 1, "800111"), (seq10, "100110")}


def test_sequence_gap_reports_the_record_and_the_next(s):
    seq = first(s, "50", alone=True)
    s.put(seq, 3, f"{seq + 5:06d}")
    s.fix_checks()
    nxt = s.records[s.index(seq + 5) + 1]
    assert codes(run(s)) == {(seq + 5, "500210"), (int(nxt[2:8]), nxt[:2] + "0210")}


def test_record_10_sequence_must_be_one(s):
    s.put(1, 3, "000000")
    s.fix_checks()
    r = run(s)
    assert codes(r) == {(0, "100110"), (2, "200210")}
    assert [e.zone for e in r.errors if e.code == "100110"] == ["1"]


def test_sequence_numbers_wrap_after_999999(s):
    start = 999_998
    for i, r in enumerate(s.records):
        if r[:2] not in ("95", "96"):
            s.records[i] = r[:2] + f"{(start + i) % 1_000_000:06d}" + r[8:]
    s.fix_checks()
    r = run(s)
    assert codes(r) == {(999_998, "100110")}


# -- family 3: zones -------------------------------------------------------------------


@pytest.mark.parametrize(
    "start,text,code",
    [
        (49, "3", "200903"),  # sex
        (50, "2", "201003"),  # invoice type
        (175, "2", "203203"),  # identification flag (a national number, so 200813 too)
    ],
)
def test_record_20_allowed_values(s, start, text, code):
    seq = first(s, "20")
    s.put(seq, start, text)
    # Sex, invoice type and identification flag are repeated in record 80 (the same place).
    s.put(seqs_of(s, invoice_of(s, seq), "80")[0], start, text)
    s.fix_checks()
    expected = {(seq, code)} | ({(seq, "200813")} if code == "203203" else set())
    assert codes(run(s)) == expected


def test_non_numeric_zone_is_blocking(s):
    seq = first(s, "50", alone=True)
    s.put(seq, 128, "+00000A150")
    s.fix_checks()
    r = run(s)
    assert codes(r) == {(seq, "502701")}
    assert r.errors[0].letter == "B" and r.decision == "DF013"


@pytest.mark.parametrize(
    "rtype,start,text,code",
    [
        ("80", 235, "0000000000001", "804501"),  # zone 45 of the reserved 39-59
        ("80", 346, "7", "805901"),  # zone 59, the last sub-zone
        ("10", 100, "1", "102001"),  # zone 20 of the reserved 19-21
        ("10", 48, "X", "100809"),  # zone 8b: its official number is 09
        ("10", 17, "000000000001", "100504"),  # legacy account A: zero since 2011
        ("10", 49, "1", "100911"),  # paper-invoice suppression code: zero since 2010
        ("10", 235, "ABC", "104501"),  # zone 45 may be blank, not text
        ("20", 52, " ", "201201"),  # a blank is not zero either
        ("50", 317, "0010", "505401"),  # zone 54c
        ("51", 138, "1", "512801"),
        ("90", 230, "1", "904309"),  # zone 43b
    ],
)
def test_reserved_zone_not_zero(s, rtype, start, text, code):
    """A reserved zone holds zeros: anything else is its official "content not zero"
    code (blocking), whether a digit, a letter or a blank."""
    seq = first(s, rtype)
    s.put(seq, start, text)
    s.fix_checks()
    r = run(s)
    assert codes(r) == {(seq, code)}
    assert r.errors[0].letter == "B" and r.decision == "DF013"


def test_reserved_zones_of_the_state_reform_may_be_blank(s):
    """Record 10 zones 45 and 53 are blank from 2025 (official 104512, 105312): blanks
    pass as well as zeros."""
    s.put(1, 235, " " * 26)
    s.put(1, 305, " " * 8)
    s.fix_checks()
    assert codes(run(s)) == set()


@pytest.mark.parametrize(
    "rtype,start,text,code",
    [
        ("10", 85, "00A", "101802"),  # profession code (101801: zero before 2024)
        ("10", 128, "04X3456789", "102704"),  # company number (102701: zero before 2014-07)
        ("50", 283, "1A0", "505004"),  # share in a flat rate (zone 50a)
        ("50", 286, "X", "505009"),  # eID-reading indicator (zone 50b)
        ("50", 316, "X", "505404"),  # GPS flag
        ("50", 347, "X1", "509804"),  # VAT flag
        ("52", 9, "X", "520309"),  # reason for manual entry
        ("52", 49, "X", "520903"),  # eID reading type: "not allowed"
    ],
)
def test_not_numeric_uses_the_zones_official_number(s, rtype, start, text, code):
    seq = first(s, rtype)
    s.put(seq, start, text)
    s.fix_checks()
    found = codes(run(s))
    assert (seq, code) in found
    assert {c for _, c in found} - {code} <= {"510119", "520119", "500120", "102710", "902712"}


@pytest.mark.parametrize(
    "rtype,start,text",
    [
        ("20", 213, "SIS0A1B2C3D4".ljust(48, "0")),  # network reference data
        ("50", 207, "BAG12X000000"),  # delivery note or blood bag number
        ("50", 305, "RIT2024A000"),  # trip number
    ],
)
def test_zones_the_sources_zero_fill_may_hold_letters(s, rtype, start, text):
    """efact-format.md section 6, item 12: these zones are typed numeric and zero-filled
    when unused, but their content may be alphanumeric: letters are no error."""
    seq = first(s, rtype)
    s.put(seq, start, text)
    s.fix_checks()
    assert codes(run(s), None) == set()


@pytest.mark.parametrize(
    "rtype,start,text,code",
    [
        ("20", 213, "\x01", "204209"),  # forbidden characters: the official 09
        ("50", 305, "\x7f", "505309"),
    ],
)
def test_a_control_character_in_a_letter_zone_is_blocking(s, rtype, start, text, code):
    seq = first(s, rtype, alone=True)
    s.put(seq, start, text)
    s.fix_checks()
    r = run(s)
    assert codes(r) == {(seq, code)}
    assert {e.letter for e in r.errors if e.code == code} == {"B"}


@pytest.mark.parametrize(
    "rtype,start,width,code",
    [
        ("20", 56, 12, "201403"),  # invoicing institution (201410 is another check)
        ("50", 17, 8, "500503"),  # first date (500510 is "in the future")
        ("10", 120, 8, "102503"),  # creation date (102510 is "after today")
        ("80", 33, 3, "800703"),
    ],
)
def test_a_mandatory_zone_left_zero_is_not_allowed(s, rtype, start, width, code):
    seq = first(s, rtype)
    s.put(seq, start, "0" * width)
    s.fix_checks()
    assert (seq, code) in codes(run(s))


def test_missing_beneficiary_rejects_the_invoice(s):
    seq20 = first(s, "20")
    inv = invoice_of(s, seq20)
    for i in inv:
        if s.records[i][:2] == "20":
            s.put_at(i, 36, "0" * 13)
    s.fix_checks()
    expected = {(seq20, "200810")}
    expected |= {(q, "500812") for q in seqs_of(s, inv, "50")}
    # The records 51 and 52 name the beneficiary too (the 52 as its eID was read).
    expected |= {(q, "510812") for q in seqs_of(s, inv, "51")}
    expected |= {(q, "520812") for q in seqs_of(s, inv, "52")}
    expected |= {(q, "800812") for q in seqs_of(s, inv, "80")}
    r = run(s)
    assert codes(r) == expected
    assert r.invoices_rejected == 1 and r.records_rejected == len(inv)


def test_zero_nomenclature_code(s):
    seq = first(s, "50", alone=True)
    s.put(seq, 10, "0000000")
    s.resum()
    assert codes(run(s)) == {(seq, "500403")}


def test_mutuality_of_record_50_differs(s):
    seq = first(s, "50", alone=True)
    s.put(seq, 33, "199")
    s.fix_checks()
    assert codes(run(s)) == {(seq, "500712")}


def test_national_unions_2_4_5_are_exempt_from_the_mutuality_rule(s):
    seq20 = first(s, "20")
    inv = invoice_of(s, seq20)
    for i in inv:
        if s.records[i][:2] in ("20", "80"):
            s.put_at(i, 33, "203")
    s.fix_checks()
    assert codes(run(s)) == set()


def test_record_51_code_differs_from_its_50(s):
    seq50 = first(s, "50", with51=True)
    s.put(seq50 + 1, 10, "0771999")
    s.resum()
    r = run(s)
    assert codes(r) == {(seq50 + 1, "510412")}
    assert r.records_rejected == 1  # the record 50 stands


@pytest.mark.parametrize(
    "start,text,code",
    [
        (33, "199", "800712"),
        (50, "1", "801012"),
        (56, "017101001001", "801412"),
        (85, "199", "801812"),
        (115, "000000000999", "802412"),
    ],
)
def test_record_80_against_record_20(s, start, text, code):
    seq80 = first(s, "80")
    if s.get(seq80, start, len(text)) == text:
        text = text.replace("1", "2", 1)
    s.put(seq80, start, text)
    s.fix_checks()
    assert codes(run(s)) == {(seq80, code)}


def test_invoicing_institution_differs_from_record_10(s):
    seq20 = first(s, "20")
    inv = invoice_of(s, seq20)
    other = "017101001001"  # a valid NIHII number
    for i in inv:
        if s.records[i][:2] in ("20", "80"):
            s.put_at(i, 56, other)
    s.fix_checks()
    assert codes(run(s)) == {(seq20, "201412")}


@pytest.mark.parametrize(
    "start,text,code",
    [
        (33, "998", "900712"),
        (56, "017101001001", "901412"),
        (108, "02025", "902212"),
        (113, "09", "902312"),
        (128, "0403191070", "902712"),
        (167, "BBRUBEBB   ", "903112"),
        (179, "BE71096123456769".ljust(34), "903612"),
    ],
)
def test_record_90_against_record_10(s, start, text, code):
    seq90 = first(s, "90")
    s.put(seq90, start, text)
    s.fix_checks()
    assert codes(run(s)) == {(seq90, code)}


def test_company_number_required_from_2015(s):
    for seq in (1, first(s, "90")):
        s.put(seq, 128, "0" * 10)
    s.fix_checks()
    assert codes(run(s)) == {(1, "102710")}


def test_company_number_check_digits(s):
    """A company number (KBO) whose last two digits are not 97 - (first eight mod 97):
    102702 (B); the engine's own generator writes valid ones."""
    number = s.get(1, 128, 10)
    assert 97 - int(number[:8]) % 97 == int(number[8:])
    wrong = number[:8] + f"{(int(number[8:]) + 1) % 100:02d}"
    for seq in (1, first(s, "90")):
        s.put(seq, 128, wrong)
    s.fix_checks()
    r = run(s)
    assert codes(r) == {(1, "102702")} and r.errors[0].letter == "B"


def test_instructions_version_is_test_or_production(s):
    """Record 10 zone 4 holds 9991999 (test) or 0001999 (production): 100403 else."""
    s.put(1, 10, "1234567")
    s.put_header(67 + 39, "1234567")  # segment 300 zone 304 says the same
    s.fix_checks()
    assert codes(run(s)) == {(1, "100403")}
    for version in ("0001999", "9991999"):
        s.put(1, 10, version)
        s.put_header(67 + 39, version)
        s.fix_checks()
        assert (1, "100403") not in codes(run(s))


def test_third_party_payer_flag_must_be_zero_for_services_from_2022_05(s):
    seq20 = first(s, "20")
    s.put(seq20, 9, "1")
    s.fix_checks()
    r = run(s)
    assert codes(r) == {(seq20, "200311")}  # once, however many prestations
    assert r.errors[0].letter == "F"


@pytest.mark.parametrize(
    "start,code",
    [(10, "800412"), (17, "800512"), (25, "800612"), (49, "800912"), (53, "801312"),
     (81, "801712"), (108, "802212"), (175, "803212")],
)  # fmt: skip
def test_record_80_repeats_its_record_20(s, start, code):
    """Zones of record 20 that record 80 repeats in the same place: a record 80 that
    differs names its zone (F: the invoice)."""
    seq80 = first(s, "80")
    old = s.get(seq80, start, 1)
    if start in (17, 25):  # another real date
        s.put(seq80, start, "20260102" if s.get(seq80, start, 8) != "20260102" else "20260103")
    else:
        s.put(seq80, start, "2" if old != "2" else "1")
    s.fix_checks()
    r = run(s)
    assert codes(r) == {(seq80, code)} and r.errors[0].letter == "F"


def test_records_51_and_52_repeat_the_date_and_amount_of_their_record_50(s):
    seq51 = first(s, "50", with51=True) + 1
    s.put(seq51, 17, "20260101" if s.get(seq51, 17, 8) != "20260101" else "20260102")
    amount = int(s.get(seq51, 89, 11))
    s.put(seq51, 89, f"{amount + 1:011d}")
    s.fix_checks()
    r = run(s)
    assert codes(r) == {(seq51, "510512"), (seq51, "511912")}
    assert {e.letter for e in r.errors} == {"R"}
    s = Sending(clean(160, seed=11))
    seq52 = next(q for q in s.seqs("52"))
    s.put(seq52, 17, "20260101" if s.get(seq52, 17, 8) != "20260101" else "20260102")
    s.fix_checks()
    i50 = s.index(seq52)
    while s.records[i50][:2] != "50":
        i50 -= 1
    # A rejected record 52 takes its record 50 with it (500120).
    assert codes(run(s)) == {(seq52, "520512"), (s.seq_at(i50), "500120")}


@pytest.mark.parametrize("rtype,start,code", [("20", 68, "201502"), ("51", 68, "511502")])
def test_nihii_check_digits_of_the_institution_of_stay_and_the_provider(s, rtype, start, code):
    seq = first(s, "50", with51=True) + 1 if rtype == "51" else first(s, "20")
    s.put(seq, start, "077507760001")  # check digits 60: 97 - 775077 mod 97 is 50
    s.fix_checks()
    assert codes(run(s)) == {(seq, code)}


def test_national_number_with_flag_not_1(s):
    seq20 = first(s, "20")
    s.put_invoice(seq20, 175, "0")
    s.fix_checks()
    assert codes(run(s)) == {(seq20, "200813")}


def test_invoices_must_be_sorted_by_destination_mutuality(s):
    invs = s.invoices()
    last = invs[-1]
    low = int(s.records[invs[0][0]][84:87]) - 1
    for i in last:
        if s.records[i][:2] in ("20", "80"):
            s.put_at(i, 85, f"{low:03d}")
    s.resum()
    assert codes(run(s)) == {(s.seq_at(last[0]), "201812")}


def test_invoice_numbers_must_be_unique(s):
    a, b = s.invoices()[0], s.invoices()[1]
    number = s.records[a[0]][114:126]
    for i in b:
        if s.records[i][:2] in ("20", "80"):
            s.put_at(i, 115, number)
    s.fix_checks()
    assert codes(run(s)) == {(s.seq_at(b[0]), "202420")}


# -- family 4: dates --------------------------------------------------------------------


def test_invoiced_month_after_today_and_after_creation(s):
    s.put(1, 113, "12")
    s.put(first(s, "90"), 113, "12")
    s.put_header(68, "202612")
    s.fix_checks()
    assert codes(run(s)) == {(1, "102310"), (1, "102311")}


def test_creation_date_in_the_future_is_technical_and_reported(s):
    s.put(1, 120, "20261124")
    s.put_header(68 + 13, "20261124")
    s.fix_checks()
    r = run(s)
    assert r.technical == "DF012"
    assert codes(r, 1) == {(None, "030220")}
    assert (1, "102510") in codes(r)


def test_admission_date_required_for_invoice_type_1(s):
    seq20 = first(s, "20")
    inv = invoice_of(s, seq20)
    for i in inv:
        if s.records[i][:2] in ("20", "80"):
            s.put_at(i, 50, "1")
            s.put_at(i, 17, "00000000")
    s.fix_checks()
    assert codes(run(s)) == {(seq20, "200510")}


def test_discharge_before_admission(s):
    seq20 = first(s, "20")
    inv = invoice_of(s, seq20)
    for i in inv:
        if s.records[i][:2] in ("20", "80"):
            s.put_at(i, 50, "1")
            s.put_at(i, 17, "20261001")
    s.put_invoice(seq20, 25, "20260930")
    s.fix_checks()
    expected = {(seq20, "200610")}
    expected |= {(q, "500513") for q in seqs_of(s, inv, "50")}
    assert codes(run(s)) == expected  # 200610 rejects the invoice: no group codes


@pytest.mark.parametrize("approval,expected", [("20261115", True), ("20261031", False)])
def test_discharge_before_the_revalidation_approval(s, approval, expected):
    seq20 = first(s, "20")
    inv = invoice_of(s, seq20)
    for i in inv:
        if s.records[i][:2] in ("20", "80"):
            s.put_at(i, 50, "5")  # revalidation
            s.put_at(i, 17, "20260901")
    s.put_invoice(seq20, 25, "20261031")
    s.put(seq20, 100, approval)
    s.fix_checks()
    assert codes(run(s)) == ({(seq20, "200621")} if expected else set())


def test_invoicing_date_in_the_future(s):
    seq20 = first(s, "20")
    s.put(seq20, 262, "20261124")
    s.fix_checks()
    assert codes(run(s)) == {(seq20, "204710")}


def test_prestation_in_the_future(s):
    seq = first(s, "50", alone=True)
    s.put(seq, 17, "2026112420261124")
    s.fix_checks()
    # Also after the invoicing date (zone 47 of record 20) and the creation date.
    assert codes(run(s)) == {(seq, "500510"), (seq, "500610"), (seq, "500516"), (seq, "500555")}


def test_last_date_before_first_rejects_the_invoice(s):
    seq = first(s, "50", alone=True)
    inv = invoice_of(s, seq)
    s.put(seq, 17, "2026101520261014")
    s.fix_checks()
    r = run(s)
    assert codes(r) == {(seq, "500612"), (s.seq_at(inv[0]), "200140")}
    assert r.invoices_rejected == 1 and r.records_rejected == len(inv)


def test_prestation_before_admission(s):
    seq = first(s, "50", alone=True)
    inv = invoice_of(s, seq)
    for i in inv:
        if s.records[i][:2] in ("20", "80"):
            s.put_at(i, 50, "1")
            s.put_at(i, 17, "20261001")
    s.put(seq, 17, "2026093020260930")
    s.fix_checks()
    assert codes(run(s)) == {(seq, "500511")}


def test_prestation_after_the_invoicing_date(s):
    inv = next(
        inv for inv in s.invoices() if len({s.get(q, 17, 8) for q in seqs_of(s, inv, "50")}) > 1
    )
    seq20 = s.seq_at(inv[0])
    day = min(s.get(q, 17, 8) for q in seqs_of(s, inv, "50"))
    s.put(seq20, 262, day)
    s.fix_checks()
    expected = {(q, "500516") for q in seqs_of(s, inv, "50") if s.get(q, 17, 8) > day}
    assert expected
    assert codes(run(s)) == with_groups(s, expected)


def test_prestation_more_than_a_month_after_the_invoiced_month(s):
    seq = first(s, "50", alone=True)
    s.put(seq, 17, "2026120520261205")
    s.fix_checks()
    r = run(s, today=20270115)
    assert codes(r) == {(seq, "500547"), (seq, "500647"), (seq, "500516"), (seq, "500555")}


def test_invalid_date_is_a_format_error(s):
    seq = first(s, "50", alone=True)
    s.put(seq, 17, "20261032")
    s.fix_checks()
    assert codes(run(s)) == {(seq, "500501")}


@pytest.mark.parametrize(
    "start,text,code",
    [
        (17, "20261341", "200501"),  # admission: neither against the discharge nor the 50s
        (25, "20260931", "200601"),  # discharge: not against the admission or the 50s
        (262, "20261199", "204709"),  # invoicing date: not after today, nor the 50s after it
    ],
)
def test_an_unreadable_date_of_record_20_is_compared_with_nothing(s, start, text, code):
    """An unreadable date is its format error only: its digits are no date to compare
    with today, with the other dates of the record 20 or with its prestations."""
    seq20 = first(s, "20")
    s.put_invoice(seq20, 17, "20260901")
    s.put_invoice(seq20, 25, "20261031")
    s.put_invoice(seq20, start, text)
    s.fix_checks()
    # The record 80 repeats the admission and discharge dates: its own format error.
    seq80 = seqs_of(s, invoice_of(s, seq20), "80")[0]
    also = {(seq80, "80" + code[2:])} if start in (17, 25) else set()
    assert codes(run(s)) == {(seq20, code)} | also


# -- family 5: amounts and signs ---------------------------------------------------------


def test_units_sign(s):
    seq = first(s, "50", alone=True)
    s.put(seq, 108, "-")
    s.fix_checks()
    assert codes(run(s)) == {(seq, "502212")}


def test_supplement_sign(s):
    seq = first(s, "50", alone=True)
    s.put(seq, 165, "-000000100")
    s.resum()
    assert codes(run(s)) == {(seq, "503012")}


def test_credit_note_needs_negative_records(s):
    seq20 = first(s, "20")
    inv = invoice_of(s, seq20)
    s.put(seq20, 51, "3")
    s.fix_checks()
    # Nor does it name the invoice it takes back.
    named = {(seq20, "202910"), (seq20, "203410"), (seq20, "203710")}
    expected = {(seq20, "201140")} | {(q, "502248") for q in seqs_of(s, inv, "50")}
    assert codes(run(s)) == expected | named  # the invoice is rejected: no group codes
    s.records[s.index(seq20)] = refers_to(s.records[s.index(seq20)], 17, 1, 131)
    s.fix_checks()
    assert codes(run(s)) == expected


def test_an_invoice_that_refers_to_an_earlier_one_names_it(s):
    """Invoicing type 1 (a correction) refers to an earlier invoice too: without its
    number, sending and mutuality, each is missing (F: the invoice is rejected)."""
    seq20 = first(s, "20")
    s.put(seq20, 51, "1")
    s.fix_checks()
    r = run(s)
    assert codes(r) == {(seq20, "202910"), (seq20, "203410"), (seq20, "203710")}
    assert {e.letter for e in r.errors} == {"F"}
    s.records[s.index(seq20)] = refers_to(s.records[s.index(seq20)], 17, 1, 131, kind="1")
    s.fix_checks()
    assert codes(run(s)) == set()


@pytest.mark.parametrize(
    "start,width,code",
    [
        (88, 12, "801910"),
        (68, 12, "801510"),
        (128, 10, "802710"),
        (165, 10, "803010"),
    ],
)
def test_invoice_totals(s, start, width, code):
    seq80 = first(s, "80")
    old = int(s.get(seq80, start, width))
    s.put(seq80, start, ("+" + str(old + 1).zfill(width - 1)))
    s.resum(invoices=False)
    # The record 90 adds the records 80 up: so it does not add the prestations up (the
    # official 901911/901511, B) where it has the account's total.
    sending = {"801910": "901911", "801510": "901511"}.get(code)
    also = {(first(s, "90"), sending)} if sending else set()
    assert codes(run(s)) == {(seq80, code)} | also


def test_prestations_on_account_b_make_the_account_b_totals(s):
    seq = first(s, "50", alone=True)
    s.put(seq, 51, "1")
    s.resum()
    assert int(s.get(first(s, "80"), 68, 12)) != 0 or seq > first(s, "80")
    assert codes(run(s)) == set()
    # And a record 80 that still puts it on account A is wrong on both accounts.
    inv = invoice_of(s, seq)
    seq80 = seqs_of(s, inv, "80")[0]
    a, b = int(s.get(seq80, 88, 12)), int(s.get(seq80, 68, 12))
    s.put(seq80, 68, "+" + "0" * 11)
    s.put(seq80, 88, "+" + str(a + b).zfill(11))
    s.resum(invoices=False)
    seq90 = first(s, "90")
    assert codes(run(s)) == {
        (seq80, "801910"),
        (seq80, "801510"),
        (seq90, "901911"),
        (seq90, "901511"),
    }


@pytest.mark.parametrize("trailer", ["90", "80"])
def test_a_trailer_one_cent_off_is_not_blamed_on_the_closing_records(s, trailer):
    """A record 90 (or 80) one cent off, its records 95/96 as the prestations add up: no
    technical rejection (DF011), the file is readable; the pre-validation names the
    trailer (801910 F on the invoice) and the record 90 against the records 80 (901910
    B): DF013 type 01."""
    seq = first(s, trailer)
    old = int(s.get(seq, 88, 12))
    s.put(seq, 88, "+" + str(old + 1).zfill(11))
    s.fix_checks()
    r = run(s)
    assert codes(r, 1) == set()
    expected = {(first(s, "90"), "901910")} | ({(seq, "801910")} if trailer == "80" else set())
    assert codes(r) == expected
    assert (r.technical, r.decision, r.rejection_type) == ("DF011", "DF013", "01")


def test_a_record_95_off_from_its_prestations_is_technical(s):
    """The same cent on a record 95 and its record 96 (the records 80 and 90 right):
    950441 and 960420, a technical rejection (DF012)."""
    i95 = next(i for i, rec in enumerate(s.records) if rec[:2] == "95")
    i96 = next(i for i, rec in enumerate(s.records) if rec[:2] == "96")
    for i in (i95, i96):
        s.put_at(i, 25, str(int(s.records[i][24:35]) + 1).zfill(11))
        s.put_at(i, 53, str(int(s.records[i][52:63]) + 1).zfill(11))
    r = run(s)
    assert codes(r, 1) == {(None, "950441"), (None, "960420")}
    assert r.technical == "DF012"


# -- family 6: check digits and controls ---------------------------------------------


def test_record_check_digits(s):
    seq = first(s, "50", alone=True)
    s.fix_checks()
    good = s.get(seq, 349, 2)
    s.put(seq, 349, f"{int(good) % 97 + 1:02d}")
    assert codes(run(s)) == {(seq, "509902")}


def test_invoice_control_number(s):
    seq80 = first(s, "80")
    s.put(seq80, 347, f"{int(s.get(seq80, 347, 2)) % 97 + 1:02d}")
    s.fix_checks()
    assert codes(run(s)) == {(seq80, "809802")}


@pytest.mark.parametrize("wrong", [None, "00"])
def test_sending_control_number(s, wrong):
    """A wrong control number is 909802, also 00 (never a control number: 0 is 97)."""
    seq90 = first(s, "90")
    s.put(seq90, 347, wrong or f"{int(s.get(seq90, 347, 2)) % 97 + 1:02d}")
    s.fix_checks()
    assert codes(run(s)) == {(seq90, "909802")}


def test_invoice_control_number_00(s):
    seq80 = first(s, "80")
    s.put(seq80, 347, "00")
    s.fix_checks()
    assert codes(run(s)) == {(seq80, "809802")}


def test_national_number_check_digits(s):
    seq20 = first(s, "20")
    inv = invoice_of(s, seq20)
    ident = s.get(seq20, 36, 13)
    bad = ident[:-2] + f"{(int(ident[-2:]) + 1) % 100:02d}"
    for i in inv:
        s.put_at(i, 36, bad)
    s.fix_checks()
    expected = {(seq20, "200802")} | {(q, "500802") for q in seqs_of(s, inv, "50")}
    assert codes(run(s)) == expected


def _another_person(s, seq):
    """The beneficiary of an invoice other than that of ``seq`` (a valid INSZ)."""
    own = s.get(seq, 36, 13)
    for rec in s.records:
        if rec[:2] == "20" and rec[35:48] != own:
            return rec[35:48]
    raise AssertionError("one person only")


@pytest.mark.parametrize(
    "rtype, start, code",
    [("51", 36, "510812"), ("52", 36, "520812"), ("52", 10, "520412")],
)
def test_records_51_and_52_hold_the_beneficiary_and_code_of_their_governors(s, rtype, start, code):
    """A record 51 or 52 names the beneficiary of its record 20; a record 52 the
    nomenclature code of its record 50 (as a record 51 does, 510412). A rejected 52
    rejects its 50 (500120) and so the 50's other 51/52; a rejected 51 does not."""
    seq = first(s, rtype)
    if start == 36:
        s.put(seq, 36, _another_person(s, seq))
    else:
        other = f"{(int(s.get(seq, 10, 7)) + 1) % 10_000_000:07d}"
        s.put(seq, 10, other)
    s.resum()
    expected = {(seq, code)}
    if rtype == "52":
        i = s.index(seq) - 1
        while s.records[i][:2] != "50":
            i -= 1
        expected = with_groups(s, {(s.seq_at(i), "500120")}) - {(seq, "520119")} | expected
    assert codes(run(s)) == expected


def test_a_rejected_record_52_rejects_its_record_50_and_the_other_51():
    s = Sending(clean(160, seed=7))
    i = next(
        i
        for i, r in enumerate(s.records)
        if [q[:2] for q in s.records[i : i + 3]] == ["50", "51", "52"]
    )
    seq50, seq52 = s.seq_at(i), s.seq_at(i + 2)
    s.put(seq52, 36, _another_person(s, seq52))
    s.resum()
    r = run(s)
    assert codes(r) == {(seq52, "520812"), (seq50, "500120"), (seq50 + 1, "510119")}
    assert r.records_rejected == 3


def test_a_record_51_beneficiary_has_its_check_digits(s):
    seq51 = first(s, "51")
    ident = s.get(seq51, 36, 13)
    s.put(seq51, 36, ident[:-2] + f"{(int(ident[-2:]) + 1) % 100:02d}")
    s.fix_checks()
    assert codes(run(s)) == {(seq51, "510802"), (seq51, "510812")}


def test_nihii_check_digits(s):
    seq = first(s, "50", alone=True)
    s.put(seq, 68, "018334781001")
    s.put(seq, 115, "012345678001")
    s.fix_checks()
    assert codes(run(s)) == {(seq, "501502"), (seq, "502402")}


# -- family 7: propagation ------------------------------------------------------------


def test_error_on_record_50_rejects_its_51_and_52(s):
    seq52 = first(s, "52")
    j = s.index(seq52) - 1
    while s.records[j][:2] in ("51", "52"):
        j -= 1
    seq50 = s.seq_at(j)
    group = list(range(seq50 + 1, seq52 + 1))
    s.put(seq50, 108, "-")
    s.fix_checks()
    expected = {(seq50, "502212")} | {(q, s.get(q, 1, 2) + "0119") for q in group}
    r = run(s)
    assert codes(r) == expected
    assert r.records_rejected == len(group) + 1


def test_error_on_record_52_rejects_its_50(s):
    seq52 = first(s, "52")
    s.put(seq52, 10, "0000000")
    s.resum()
    r = run(s)
    # Missing, and so not the code of its record 50 (as a record 51's zero code); the
    # 52 rejects its 50 (500120) and the 50 its other 51/52.
    i = s.index(seq52) - 1
    while s.records[i][:2] != "50":
        i -= 1
    dragged = with_groups(s, {(s.seq_at(i), "500120")}) - {(seq52, "520119")}
    assert codes(r) == {(seq52, "520410"), (seq52, "520412")} | dragged
    assert r.records_rejected == 1 + len(dragged)


def test_every_check_returns_its_findings_and_leaves_the_sending_alone(tmp_path):
    """One protocol: ``check(sending, context) -> Findings``; nothing is set on the sending
    for others to read back (only its own caches fill)."""
    from vsbengine.formats.efact.checks import chosen, content
    from vsbengine.formats.efact.findings import Context, Findings
    from vsbengine.formats.efact.generate import generate
    from vsbengine.formats.efact.refs import load
    from vsbengine.formats.efact.sending import Sending as Scanned

    g = generate(600, seed=12, month=202610, references=True, error_rate=0.05)
    g.write_refs(tmp_path / "refs")
    ctx = Context(TODAY, content.Lookups(load(tmp_path / "refs")))
    s = Scanned(g.tobytes())
    caches = {"_code_sums", "_core_errors", "own", "is_detail", "detail", "record10", "record90"}
    caches |= {"head20", "in_invoice", "head50", "invoices", "invoice_of", "invoice_end"}
    caches |= {"destination", "previous_destination"}
    before = set(vars(s))
    chunk_checks, _ = chosen(True)
    found = [check(s, ctx) for check in chunk_checks]
    assert all(isinstance(f, Findings) for f in found)
    assert set(vars(s)) - before <= caches
    by_content = found[-1]
    assert by_content.prestations is not None and len(by_content.prestations.unit) > 0
