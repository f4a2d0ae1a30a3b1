"""The insurers' official error list, read from the operator's own copy.

The insurers publish the list of eFact error codes as a spreadsheet
(``liste_codes_erreur_lijst.xls``): a code, its letter and its text in Dutch and
French. The package carries the codes and letters only (``data/official.csv``); an
operator who points the engine at a copy of the list (``--codes FILE`` on ``read`` and
``explain``, or ``[codes] official_list`` in ``zorgkas.toml``) gets the official texts.

Accepted: the ``.xls`` sheet (read with xlrd: ``pip install 'vsbengine[codes]'``), an
``.xlsx`` copy (openpyxl) and a CSV export of it (``;``, ``,`` or tab separated, UTF-8
or Windows-1252). The columns are found by their headers (``code``/``foutcode``/
``code erreur``, ``type``/``letter``/``lettre``, ``NL``/``omschrijving``, ``FR``/
``libellé``) or, without recognisable headers, by their content: the column of
six-character codes, a column of single letters B/F/R/S/E, and the text columns, Dutch
and French told apart by their words. A row without a code is skipped; a file in which
no code column is found is refused with a clear error.
"""

from __future__ import annotations

import csv
import io
import os
import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache
from typing import NamedTuple

from vsbengine.digits import ascii_digits
from vsbengine.errors import InputError, MissingDependencyError

__all__ = ["OfficialList", "OfficialText", "read_official_list"]

_CODE = re.compile(r"^[0-9]{4}[0-9A-Z]{2}$")
_LETTERS = set("BFRSE")
#: How each column's header reads (lower case, without accents): whole words, or words
#: a header contains ("Code erreur / Foutcode", "Libellé NL", "Omschrijving").
_HEADERS = {
    "code": (("code", "codes", "foutcode", "errorcode"), ("code",)),
    "letter": (("type", "letter", "lettre", "soort", "categorie"), ("type", "letter", "lettre")),
    "nl": (("nl", "nederlands", "neerlandais", "dutch"), ("omschrijving", "nederlands")),
    "fr": (("fr", "francais", "french"), ("libelle", "francais", "description")),
}
#: Frequent words that tell the two languages of the list apart.
_NL_WORDS = {"niet", "van", "en", "verschillend", "toegelaten", "numeriek", "het", "met", "een"}
_FR_WORDS = {"non", "du", "le", "la", "des", "different", "autorise", "numerique", "et", "avec"}


class OfficialText(NamedTuple):
    """One code of the official list: its letter ('' when the copy gives none) and its
    texts in Dutch and French ('' when the copy lacks that language)."""

    code: str
    letter: str
    nl: str
    fr: str

    def text(self, lang: str) -> str:
        """The text in ``lang`` (``"fr"``; anything else gives Dutch), else the other one."""
        first, second = (self.fr, self.nl) if lang == "fr" else (self.nl, self.fr)
        return first or second


class OfficialList:
    """The official texts of a copy of the list, by code."""

    def __init__(self, texts: dict[str, OfficialText], path: str) -> None:
        self.texts = texts
        self.path = path

    def __len__(self) -> int:
        return len(self.texts)

    def get(self, code: str) -> OfficialText | None:
        return self.texts.get(code.strip().upper())


def _plain(text: str) -> str:
    """Lower case, accents removed, spaces collapsed (for headers and word counts)."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(stripped.lower().replace("_", " ").split())


def _cell(value) -> str:
    """A cell as text: numbers as a spreadsheet shows them (100101.0 -> '100101')."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _code(text: str) -> str | None:
    t = text.strip().upper()
    if ascii_digits(t) and len(t) < 6:
        t = t.zfill(6)  # a code read as a number lost its leading zero
    return t if _CODE.match(t) else None


def _header_columns(row: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for i, cell in enumerate(row):
        plain = _plain(cell)
        words = set(re.findall(r"[a-z]+", plain))
        # A whole word first ("Omschrijving FR" is French), then a part of one.
        keys = [k for k, (whole, _) in _HEADERS.items() if words & set(whole)]
        keys += [k for k, (_, part) in _HEADERS.items() if any(w in plain for w in part)]
        for key in keys:
            if key not in found:
                found[key] = i
                break
    # A header row names the codes and at least one text column (not a title row).
    return found if "code" in found and ("nl" in found or "fr" in found) else {}


def _dutchness(texts: Iterable[str]) -> int:
    """How much more Dutch than French a column's texts read (by their frequent words)."""
    score = 0
    for t in texts:
        words = set(_plain(t).replace("'", " ").split())
        score += len(words & _NL_WORDS) - len(words & _FR_WORDS)
    return score


def _content_columns(rows: list[list[str]]) -> dict[str, int]:
    """Columns found by what they hold, for a sheet without recognisable headers."""
    width = max((len(r) for r in rows), default=0)
    sample = rows[:200]
    codes = [sum(1 for r in sample if i < len(r) and _code(r[i])) for i in range(width)]
    if not codes or max(codes) == 0:
        return {}
    found = {"code": codes.index(max(codes))}
    texts = []
    for i in range(width):
        if i == found["code"]:
            continue
        cells = [r[i] for r in sample if i < len(r) and r[i]]
        if cells and all(c.upper() in _LETTERS for c in cells) and "letter" not in found:
            found["letter"] = i
        elif cells and sum(len(c) for c in cells) / len(cells) > 8:
            texts.append(i)
    scores = {i: _dutchness(r[i] for r in sample if i < len(r)) for i in texts}
    if len(scores) >= 2:
        found["nl"] = max(scores, key=lambda i: scores[i])
        found["fr"] = min(scores, key=lambda i: scores[i])
    elif scores:
        only = next(iter(scores))
        found["nl" if scores[only] >= 0 else "fr"] = only
    return found


def parse_rows(rows: list[list[str]], path: str) -> OfficialList:
    """The official list from a sheet's rows (cells as text)."""
    columns: dict[str, int] = {}
    start = 0
    for k, row in enumerate(rows[:20]):
        columns = _header_columns(row)
        if columns:
            start = k + 1
            break
    if not columns:
        columns = _content_columns(rows)
    if "code" not in columns:
        raise InputError(
            "no column of error codes found (a header 'code' or cells like 509902)", path=path
        )

    def at(row: list[str], key: str) -> str:
        i = columns.get(key)
        return row[i].strip() if i is not None and i < len(row) else ""

    texts: dict[str, OfficialText] = {}
    for row in rows[start:]:
        code = _code(at(row, "code"))
        if code is None:
            continue
        letter = at(row, "letter").upper().lstrip("\ufeff")
        texts[code] = OfficialText(
            code, letter if letter in _LETTERS else "", at(row, "nl"), at(row, "fr")
        )
    if not texts:
        raise InputError("no error codes in the official list", path=path)
    return OfficialList(texts, path)


def _xls_rows(path: str) -> list[list[str]]:
    try:
        import xlrd
    except ImportError:
        raise MissingDependencyError(
            "reading the .xls official list needs xlrd: pip install 'vsbengine[codes]' "
            "(or give an .xlsx or a CSV export of it)"
        ) from None
    try:
        book = xlrd.open_workbook(path)
    except Exception as exc:  # xlrd raises its own errors for a file it cannot read
        raise InputError(f"not a readable .xls sheet: {exc}", path=path) from None
    return _best([[_cell(v) for v in sheet.row_values(r)] for r in range(sheet.nrows)]
                 for sheet in book.sheets())  # fmt: skip


def _xlsx_rows(path: str) -> list[list[str]]:
    import openpyxl

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # zipfile, XML and openpyxl errors alike
        raise InputError(f"not a readable .xlsx sheet: {exc}", path=path) from None
    try:
        return _best(
            [[_cell(v) for v in row] for row in sheet.iter_rows(values_only=True)]
            for sheet in book.worksheets
        )
    finally:
        book.close()


def _best(sheets: Iterable[list[list[str]]]) -> list[list[str]]:
    """The sheet with the most codes (a workbook may hold an explanation sheet too)."""
    best: list[list[str]] = []
    best_n = -1
    for rows in sheets:
        n = sum(1 for r in rows for c in r[:4] if _code(c))
        if n > best_n:
            best, best_n = rows, n
    return best


def _csv_rows(path: str) -> list[list[str]]:
    with open(path, "rb") as fh:
        raw = fh.read()
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - cp1252 decodes almost anything
        raise InputError("not a text file", path=path)
    first = text.split("\n", 1)[0]
    delimiter = max(";,\t", key=first.count)
    return [[c.strip() for c in row] for row in csv.reader(io.StringIO(text), delimiter=delimiter)]


@lru_cache(maxsize=4)
def _read(path: str, mtime: float) -> OfficialList:
    ext = os.path.splitext(path)[1].lower()
    if ext == ".xls":
        rows = _xls_rows(path)
    elif ext in (".xlsx", ".xlsm"):
        rows = _xlsx_rows(path)
    else:
        rows = _csv_rows(path)
    return parse_rows(rows, path)


def read_official_list(path) -> OfficialList:
    """Read a copy of the official list (``.xls``, ``.xlsx`` or ``.csv``).

    Raises
    ------
    vsbengine.InputError
        The file is missing, unreadable, or holds no column of codes.
    vsbengine.errors.MissingDependencyError
        An ``.xls`` file without xlrd installed.
    """
    path = os.fspath(path)
    try:
        mtime = os.stat(path).st_mtime
    except OSError as exc:
        raise InputError(exc.strerror or "cannot read it", path=path) from None
    return _read(path, mtime)
