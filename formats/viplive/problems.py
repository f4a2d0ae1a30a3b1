"""Bad rows and located errors of the VIPLive side: file, line and column.

A bad row is not an exception: it is a :class:`Problem` in the result, and the
good rows still go. Exceptions (:class:`TableError`) are for input that cannot
be used at all: a missing column, an unreadable file, a bad tariff table.
Messages never repeat a personal value (a BSN); they say where and what.
"""

from __future__ import annotations

import msgspec

from vsbengine.errors import TableError, located

__all__ = ["Problem", "TableError", "located"]


class Problem(msgspec.Struct, frozen=True):
    """One refused row (or one refused cell of a row), located in its file.

    ``column`` is the header as the file spells it; ``None`` when the row as a
    whole is wrong (for instance too many fields).
    """

    path: str
    line: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        return located(self.path, self.line, self.column, self.message)
