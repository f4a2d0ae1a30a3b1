import datetime as dt

import pytest

from vsbengine.formats.viplive import values
from vsbengine.formats.viplive.money import cents, euros, euros_nl


@pytest.mark.parametrize(
    "text, expected",
    [
        ("1.234,56", 123456),
        ("1234.56", 123456),
        ("1234,56", 123456),
        ("1,234.56", 123456),
        ("1234", 123400),
        ("0,5", 50),
        ("12,05", 1205),
        ("1.234.567", 123456700),
        ("1.234.567,8", 123456780),
        ("1,234,567.89", 123456789),
        (" € 1.234,56 ", 123456),
        ("0", 0),
        ("0,00", 0),
        ("1\u00a0234,56", 123456),
        ("999.999.999,99", 99_999_999_999),  # the most one SEPA transfer carries
        ("999999999.99", 99_999_999_999),
    ],
)
def test_amount_text_to_cents_exactly(text, expected):
    assert cents(text) == expected


@pytest.mark.parametrize(
    "number, expected",
    [
        (1234, 123400),
        (1234.56, 123456),
        (0.1 + 0.2, 30),
        (1e3, 100000),
        (19.99, 1999),
    ],
)
def test_amount_cells_to_cents(number, expected):
    assert cents(number) == expected


AMBIGUOUS = "ambiguous amount (thousands separator or three decimals?): write 1234,00 or 1.234,00"


@pytest.mark.parametrize(
    "text, reason",
    [
        ("1.234", AMBIGUOUS),
        ("1,234", AMBIGUOUS),
        ("12,345", AMBIGUOUS),
        ("1234,567", "more than two decimals"),
        ("-10,00", "negative amount"),
        ("1.23,45", "not an amount such as 1.234,56 or 1234.56"),
        ("12a", "not an amount such as 1.234,56 or 1234.56"),
        ("", "not an amount such as 1.234,56 or 1234.56"),
        ("1,234,56", "not an amount such as 1.234,56 or 1234.56"),
    ],
)
def test_amounts_refused_with_a_reason(text, reason):
    with pytest.raises(ValueError) as exc:
        cents(text)
    assert str(exc.value) == reason


TOO_MUCH = "more than 999.999.999,99 EUR, the most one SEPA credit transfer carries"


@pytest.mark.parametrize(
    "value",
    ["1.000.000.000,00", "9" * 15, "99999999999999999999,00", 10**9, 1e9, 1e30, 1.7e308],
)
def test_amounts_above_what_a_transfer_carries_are_refused(value):
    """No amount of a row can exceed one credit transfer (nor the ledger's integers); a
    huge number cell is refused as such, not by Decimal running out of digits."""
    with pytest.raises(ValueError) as exc:
        cents(value)
    assert str(exc.value) == TOO_MUCH


def test_amount_cells_refused():
    for bad, reason in (
        (1.005, "more than two decimals"),
        (-1, "negative amount"),
        (-0.5, "negative amount"),
        (float("nan"), "not an amount"),
        (True, "not an amount"),
        (None, "not an amount"),
    ):
        with pytest.raises(ValueError, match=reason):
            cents(bad)


def test_euro_formatting():
    assert euros(123456) == "1234.56" and euros(5) == "0.05" and euros(-150) == "-1.50"
    assert euros_nl(123456789) == "1.234.567,89" and euros_nl(123456, False) == "1234,56"
    assert euros_nl(-5) == "-0,05"


def test_codes_have_exact_digits_and_numbers_get_their_zeros_back():
    assert values.code("01234567", 8, "an AGB code") == "01234567"
    assert values.code(1234567, 8, "an AGB code") == "01234567"  # number cell
    assert values.code(3311.0, 4, "a UZOVI code") == "3311"
    for bad in ("1234567", "012345678", "0123456a", "０１２３４５６７"):
        with pytest.raises(ValueError, match=r"^not an AGB code \(8 digits\)$"):
            values.code(bad, 8, "an AGB code")
    with pytest.raises(ValueError, match=r"^empty, expected a UZOVI code \(4 digits\)$"):
        values.code(" ", 4, "a UZOVI code")


def test_iban_checksum_and_compact_form():
    assert values.iban("nl91 abna 0417 1643 00") == "NL91ABNA0417164300"
    with pytest.raises(ValueError, match=r"^not a valid IBAN \(format or checksum\)$"):
        values.iban("NL92ABNA0417164300")


def test_bsn_eleven_test_without_the_value_in_the_message():
    assert values.bsn("111222333") == "111222333"
    assert values.bsn(10000008) == "010000008"  # a number cell lost its zero
    with pytest.raises(ValueError) as exc:
        values.bsn("111222334")
    assert str(exc.value) == "not a valid BSN" and "111222334" not in str(exc.value)


def test_dates_counts_and_choices():
    assert values.date("2021-05-27") == dt.date(2021, 5, 27)
    assert values.date(dt.datetime(2021, 5, 27, 0, 0)) == dt.date(2021, 5, 27)
    for bad, reason in (
        ("27-05-2021", "not a date YYYY-MM-DD"),
        ("2021-02-29", "not an existing date (a date YYYY-MM-DD)"),
    ):
        with pytest.raises(ValueError) as exc:
            values.date(bad)
        assert str(exc.value) == reason
    assert values.count("12") == 12 and values.count(12.0) == 12
    for bad in ("1.5", "-3", "x", "1000001", 10**20, 1e20):
        with pytest.raises(ValueError):
            values.count(bad)
    assert values.count("1000000") == values.MAX_COUNT
    assert values.count("5000000", most=10**7) == 5_000_000
    assert values.choice("In Behandeling", {"in_behandeling": "in behandeling"}, "status") == (
        "in behandeling"
    )
    assert values.fold("  Download-Datum ") == "download_datum"
    assert values.fold("Patiënten") == "patienten"
