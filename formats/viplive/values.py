"""Parsers of single cells: each returns the value or raises ``ValueError(reason)``.

Cells come from CSV (always text) or from a spreadsheet (text, int, float,
datetime). A number cell cannot keep leading zeros, so AGB and UZOVI codes
that arrive as numbers are padded back to their length; text must have the
exact number of digits.
"""

from __future__ import annotations

import datetime as _dt
import re
import unicodedata
from functools import lru_cache

from stdnum import iban as _iban
from stdnum.exceptions import ValidationError
from stdnum.nl import bsn as _bsn

from vsbengine.digits import ascii_digits
from vsbengine.errors import shown
from vsbengine.formats.viplive.quarters import Quarter

__all__ = [
    "MAX_COUNT",
    "TooLarge",
    "bsn",
    "code",
    "count",
    "date",
    "fold",
    "iban",
    "is_empty",
    "quarter",
    "text",
]


@lru_cache(maxsize=4096)
def fold(text: str) -> str:
    """Lower case, accents dropped, runs of spaces, ``-`` and ``_`` as one ``_``.

    Cached: a column holds the same few codes over and over."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[\s_\-]+", "_", plain.strip().lower())


def is_empty(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def text(value: object) -> str:
    if is_empty(value):
        raise ValueError("empty")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def code(value: object, digits: int, what: str) -> str:
    """An all-digit code of ``digits`` digits (AGB: 8, UZOVI: 4); ``what`` names it
    with its article (``"an AGB code"``)."""
    if is_empty(value):
        raise ValueError(f"empty, expected {what} ({digits} digits)")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 10**digits:
        return f"{value:0{digits}d}"
    s = str(value).strip()
    if len(s) != digits or not ascii_digits(s):
        raise ValueError(f"not {what} ({digits} digits)")
    return s


#: The most patients one row may count (one practice, chain, quarter and insurer): far
#: above any practice, and a bound that keeps every sum of the ledger in its integers.
MAX_COUNT = 1_000_000


class TooLarge(ValueError):
    """A whole number above the most a cell may hold."""


def count(value: object, most: int = MAX_COUNT) -> int:
    """A number of patients: a whole number from zero to ``most``."""
    if is_empty(value):
        raise ValueError("empty, expected a number of patients")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool):
        n = value
    else:
        s = str(value).strip()
        if not ascii_digits(s):
            raise ValueError("not a whole number")
        n = int(s)
    if n < 0:
        raise ValueError("negative number")
    if n > most:
        raise TooLarge(f"more than {most:,}")
    return n


@lru_cache(maxsize=65536)
def _iban_of(s: str) -> str:
    try:
        return _iban.validate(s)
    except ValidationError:
        raise ValueError("not a valid IBAN (format or checksum)") from None


def iban(value: object) -> str:
    """An IBAN (checksum checked with python-stdnum), in compact form."""
    if is_empty(value):
        raise ValueError("empty, expected an IBAN")
    return _iban_of(str(value).strip())


def bsn(value: object) -> str:
    """A BSN (citizen service number) that passes the 11-test.

    The message never contains the value: a BSN is personal data.
    """
    if is_empty(value):
        raise ValueError("empty, expected a BSN")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    try:
        return _bsn.validate(str(value).strip())
    except ValidationError:
        raise ValueError("not a valid BSN") from None


def date(value: object, what: str = "a date YYYY-MM-DD") -> _dt.date:
    if isinstance(value, _dt.datetime):
        return value.date()
    if isinstance(value, _dt.date):
        return value
    if is_empty(value):
        raise ValueError(f"empty, expected {what}")
    s = str(value).strip()
    if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", s):
        raise ValueError(f"not {what}")
    try:
        return _dt.date.fromisoformat(s)
    except ValueError:
        raise ValueError(f"not an existing date ({what})") from None


def quarter(value: object) -> Quarter:
    if is_empty(value):
        raise ValueError("empty, expected a quarter such as 2021-Q2")
    return Quarter.parse(str(value))


def choice(value: object, allowed: dict[str, str], what: str) -> str:
    """One of ``allowed`` (keys folded with :func:`fold`), as its canonical spelling."""
    if is_empty(value):
        raise ValueError(f"empty, expected {what}")
    found = allowed.get(fold(str(value)))
    if found is None:
        known = ", ".join(sorted(set(allowed.values())))
        raise ValueError(f"unknown {what} {shown(str(value).strip())} (known: {known})")
    return found
