"""ASCII digits only: ``²``, fullwidth and Arabic-Indic digits are no digits of an input."""

from __future__ import annotations

import pytest

from vsbengine.digits import ascii_digits, ascii_int

#: Digits Python's own tests take: superscripts (Latin-1 B2/B3/B9 decoded), fullwidth,
#: Arabic-Indic, Devanagari. Each is "2" or "3" to int() (or an error: ``int("²")``).
NOT_ASCII = ["²", "³", "¹", "２", "٣", "۳", "३"]


@pytest.mark.parametrize("text", ["0", "0123456789", "9" * 100])
def test_ascii_digits_are_digits(text):
    assert ascii_digits(text)


@pytest.mark.parametrize("digit", NOT_ASCII)
def test_other_digits_are_not(digit):
    assert digit.isdigit(), "the case must fool str.isdigit"
    assert not ascii_digits(digit) and not ascii_digits(f"12{digit}45")


@pytest.mark.parametrize("text", ["", " 1", "1 ", "+1", "-1", "1_0", "1.0", "1e3", "x"])
def test_no_signs_spaces_or_separators(text):
    assert not ascii_digits(text)


@pytest.mark.parametrize(
    "text, number",
    [("0", 0), ("007", 7), ("9" * 18, 10**18 - 1), ("9" * 19, None), ("9" * 5000, None)]
    + [(f"1{d}", None) for d in NOT_ASCII]
    + [(t, None) for t in ("", " 1", "1_0", "+1", "-1")],
)
def test_ascii_int(text, number):
    assert ascii_int(text) == number
