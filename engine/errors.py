"""Exception types of the package.

A billing file with errors is not an exception: it is a result with errors.
Exceptions are for input that cannot be used at all, misuse, and I/O.

Messages never carry personal data (national numbers, names): they name the
file, the byte offset, the record and the zone, and the CLI prints them as one
line without a traceback.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = [
    "ConfigError",
    "InputError",
    "MissingDependencyError",
    "ReferenceDataError",
    "TableError",
    "VsbEngineError",
    "located",
    "one_line",
]


def one_line(text: str) -> str:
    """``text`` for one line of a terminal: control and format characters (a line break
    or an escape in a file name, a bidirectional override) as ``?``, as ``ls`` shows
    such names; a byte of a name that is not UTF-8 as ``\\xNN``
    (:func:`vsbengine.fsio.path_text`)."""
    if text.isprintable():
        return text
    from vsbengine.fsio import path_text

    text = path_text(text)
    return "".join("?" if unicodedata.category(ch) in _NOT_ON_A_LINE else ch for ch in text)


#: Unicode categories :func:`one_line` replaces: controls, formats, surrogates (what
#: ``os.fsdecode`` makes of undecodable bytes), private and unassigned characters, and
#: the line and paragraph separators (U+2028, U+2029).
_NOT_ON_A_LINE = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})


def quoted(value: str, limit: int = 40) -> str:
    """``value`` quoted for an error message, cut to ``limit`` characters (an argument
    of 100 KB is no line to print)."""
    if len(value) <= limit:
        return repr(value)
    return f"{value[:limit]!r}... ({len(value):,} characters)"


#: What may be personal data when it stands where a code or a column name was due: 8
#: digits (a BSN, a national number, a phone number), or capitalised words with a space
#: (a name), as a shifted column or a data line taken for a header puts them there.
_PERSONAL = re.compile(r".*\d{8}.*|[A-Z][^\s]*(\s+\S+)+", re.DOTALL)


def shown(text: str) -> str:
    """``text`` quoted for a message (:func:`quoted`), or a placeholder when it may be
    personal data (see ``_PERSONAL``)."""
    if _PERSONAL.fullmatch(text):
        return "(not shown: it may be personal data)"
    return quoted(text)


class VsbEngineError(Exception):
    """Base class of every exception the package raises on purpose."""


class InputError(VsbEngineError, ValueError):
    """Input that cannot be used: missing, unreadable, or not of the expected kind.

    Parameters
    ----------
    message
        What is wrong, in one sentence without personal data.
    path
        The file concerned, when there is one.
    offset
        Byte offset (0-based) of the problem in the file.
    line
        1-based line number, for line-oriented inputs (CSV).
    record
        Record sequence number or record index, when known.
    zone
        Zone or column name, when known.
    """

    def __init__(
        self,
        message: str,
        *,
        path: str | None = None,
        offset: int | None = None,
        line: int | None = None,
        record: int | None = None,
        zone: str | None = None,
    ) -> None:
        self.reason = message
        self.path = None if path is None else str(path)
        self.offset = offset
        self.line = line
        self.record = record
        self.zone = zone
        super().__init__(self._format())

    def _format(self) -> str:
        where = []
        if self.path is not None:
            where.append(self.path)
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.offset is not None:
            where.append(f"byte {self.offset}")
        if self.record is not None:
            where.append(f"record {self.record}")
        if self.zone is not None:
            where.append(f"zone {self.zone}")
        return f"{': '.join([', '.join(where), self.reason]) if where else self.reason}"


def located(path: str | None, line: int | None, column: str | None, reason: str) -> str:
    """``path, line 12, column bedrag: reason`` (parts that are unknown are left out)."""
    where = [str(path)] if path is not None else []
    if line is not None:
        where.append(f"line {line}")
    if column is not None:
        where.append(f"column {column}")
    return f"{', '.join(where)}: {reason}" if where else reason


class TableError(InputError):
    """An :class:`InputError` in a table (CSV, JSON Lines, spreadsheet): the zone is a
    column, named as the file's header spells it."""

    def _format(self) -> str:
        return located(self.path, self.line, self.zone, self.reason)


class ReferenceDataError(InputError):
    """Reference data (members, codes, tariffs, ...) refused at load time."""


class ConfigError(VsbEngineError, ValueError):
    """A configuration value or a combination of options that cannot be used."""


class MissingDependencyError(VsbEngineError, ImportError):
    """An optional dependency of a feature is not installed (the message says which extra)."""
