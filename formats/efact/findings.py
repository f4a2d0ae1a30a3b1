"""The error table: every error found in a sending, as columns.

Checks add errors with :meth:`ErrorBuilder.add`, naming the units, the code and
the zone; the letter comes from the catalogue, so that each code has one
letter everywhere. :meth:`ErrorBuilder.table` returns an :class:`ErrorTable`
sorted by unit (file order), keeping the order in which the checks found them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vsbengine.formats.efact.catalogue import catalogue


@dataclass(frozen=True)
class ErrorTable:
    """Errors as columns: ``unit`` (int64), ``code`` (int32, six digits),
    ``letter`` (uint8 ASCII, 0 for none), ``zone`` (int32 global zone index, -1
    for none)."""

    unit: np.ndarray
    code: np.ndarray
    letter: np.ndarray
    zone: np.ndarray

    def __len__(self) -> int:
        return len(self.unit)

    def select(self, mask: np.ndarray) -> "ErrorTable":
        return ErrorTable(self.unit[mask], self.code[mask], self.letter[mask], self.zone[mask])

    def has_letter(self, letter: str) -> np.ndarray:
        return self.letter == ord(letter)

    def codes(self) -> list[str]:
        """The codes as six-character strings, in table order."""
        return [f"{c:06d}" for c in self.code.tolist()]


def letter_of(code: str) -> str:
    return catalogue()[code].letter


class ErrorBuilder:
    """Collects errors from the checks (all as arrays, no object per error)."""

    def __init__(self) -> None:
        self._parts: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []

    def add(self, units, code: str, zone: int = -1) -> None:
        """Add ``code`` on every unit of ``units`` (a unit index or an array of them)."""
        units = np.atleast_1d(np.asarray(units, dtype=np.int64))
        if units.size == 0:
            return
        letter = letter_of(code)
        n = units.size
        self._parts.append((
            units,
            np.full(n, int(code), dtype=np.int32),
            np.full(n, ord(letter) if letter else 0, dtype=np.uint8),
            np.full(n, zone, dtype=np.int32),
        ))

    def add_table(self, table: ErrorTable) -> None:
        if len(table):
            self._parts.append((table.unit, table.code, table.letter, table.zone))

    def __len__(self) -> int:
        return sum(len(p[0]) for p in self._parts)

    def table(self) -> ErrorTable:
        if not self._parts:
            e = np.empty(0)
            return ErrorTable(e.astype(np.int64), e.astype(np.int32), e.astype(np.uint8),
                              e.astype(np.int32))
        unit, code, letter, zone = (np.concatenate(c) for c in zip(*self._parts))
        # The same code twice on one unit says nothing more: keep the first.
        key = unit * 1_000_000 + code
        _, first = np.unique(key, return_index=True)
        first.sort()
        unit, code, letter, zone = unit[first], code[first], letter[first], zone[first]
        order = np.argsort(unit, kind="stable")
        return ErrorTable(unit[order], code[order], letter[order], zone[order])


@dataclass(frozen=True)
class Problem:
    """A located framing problem, for the engine's own report.

    ``record`` is the position of the record in the file (1 = the first record
    after segment 300), ``None`` for the segments.
    """

    offset: int | None
    record: int | None
    zone: str | None
    message: str
