"""Quarters (``2021-Q2``) and their reference dates."""

from __future__ import annotations

import datetime as _dt
import re
from functools import lru_cache

import msgspec

__all__ = ["Quarter"]

_QUARTER = re.compile(r"([0-9]{4})-Q([1-4])", re.IGNORECASE)


class Quarter(msgspec.Struct, frozen=True, order=True):
    """A calendar quarter; ``str()`` gives ``2021-Q2``."""

    year: int
    number: int

    @classmethod
    def parse(cls, text: str) -> Quarter:
        """``2021-Q2`` (case-insensitive) as a quarter; ``ValueError`` otherwise."""
        if not isinstance(text, str):
            raise ValueError("not a quarter such as 2021-Q2")
        return _parse(text)

    @classmethod
    def of(cls, day: _dt.date) -> Quarter:
        """The quarter ``day`` falls in."""
        return cls(day.year, (day.month - 1) // 3 + 1)

    def __str__(self) -> str:
        return f"{self.year}-Q{self.number}"

    @property
    def start(self) -> _dt.date:
        """First day of the quarter, which is also its reference date (peildatum)."""
        return _dt.date(self.year, 3 * self.number - 2, 1)

    reference_date = start

    @property
    def yy(self) -> str:
        """The year in two digits, as payment descriptions write it."""
        return f"{self.year % 100:02d}"

    def next(self) -> Quarter:
        return (
            Quarter(self.year + 1, 1) if self.number == 4 else Quarter(self.year, self.number + 1)
        )


@lru_cache(maxsize=1024)
def _parse(text: str) -> Quarter:
    # Cached: every row names its quarter, and there are only a few.
    m = _QUARTER.fullmatch(text.strip())
    if m is None:
        raise ValueError("not a quarter such as 2021-Q2")
    if not 1900 <= int(m.group(1)) <= 2999:
        raise ValueError("a quarter of the years 1900 to 2999, such as 2021-Q2")
    return Quarter(int(m.group(1)), int(m.group(2)))
