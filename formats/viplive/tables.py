"""Reading a table (CSV or XLSX) into rows of cells with their line numbers.

CSV: ``;`` or ``,`` (whichever the header line uses most), UTF-8 (with or
without BOM) or else Windows-1252, decided from the bytes. XLSX: the first
worksheet, read with openpyxl; its row numbers are the lines. The header is
the first non-empty line; blank lines are skipped.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import re
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

from vsbengine.formats.viplive.problems import TableError
from vsbengine.formats.viplive.values import fold, is_empty

__all__ = ["MAX_TABLE_BYTES", "Table", "open_table"]

#: The largest table read (an export, inclusions, tariffs, modules): far above a care
#: group's year (32,000 export rows are about 3 MB), and a file is read whole.
MAX_TABLE_BYTES = 256 * 1024 * 1024

_XLSX_MAGIC = b"PK\x03\x04"
_XLS_MAGIC = b"\xd0\xcf\x11\xe0"


class Table:
    """An opened table: where each wanted column is, and its rows.

    Attributes
    ----------
    path : str
    kind : str
        ``"csv"`` or ``"xlsx"``.
    encoding, delimiter : str or None
        What was detected (CSV only).
    headers : list of str
        The header cells as the file spells them.
    index : dict
        Our column name -> position in a row.
    width : int
        Number of header cells; a row with more non-empty cells is refused.
    """

    def __init__(self, path, kind, headers, header_line, rows, encoding=None, delimiter=None):
        self.path, self.kind = path, kind
        self.headers, self.header_line = headers, header_line
        self.encoding, self.delimiter = encoding, delimiter
        self.width = len(headers)
        self.index: dict[str, int] = {}
        self._rows = rows

    def header(self, column: str) -> str:
        """The header of our ``column`` as the file spells it."""
        return self.headers[self.index[column]]

    def rows(self) -> Iterator[tuple[int, list]]:
        """``(line, cells)`` for every non-blank row after the header; ``cells`` has at
        least ``width`` items (missing ones are ``None``), trailing empty ones dropped."""
        width = self.width
        for line, cells in self._rows:
            if all(is_empty(c) for c in cells):
                continue
            while len(cells) > width and is_empty(cells[-1]):
                cells.pop()
            if len(cells) < width:
                cells = list(cells) + [None] * (width - len(cells))
            yield line, cells


#: A UTF-8 character that Windows-1252 text all but never holds: of two bytes with the
#: lead byte C2-C5 (the accented letters of Latin-1 and Latin Extended-A; in
#: Windows-1252 "Â", "Ã", "Ä" or "Å" before a symbol), or of three or four bytes (RFC
#: 3629). Other two-byte pairs are common there ("É’": C9 92) and are not taken.
_UTF8_SEQUENCE = re.compile(
    rb"[\xc2-\xc5][\x80-\xbf]|\xe0[\xa0-\xbf][\x80-\xbf]|[\xe1-\xec\xee\xef][\x80-\xbf]{2}"
    rb"|\xed[\x80-\x9f][\x80-\xbf]|\xf0[\x90-\xbf][\x80-\xbf]{2}|[\xf1-\xf3][\x80-\xbf]{3}"
    rb"|\xf4[\x80-\x8f][\x80-\xbf]{2}"
)


def _decode(data: bytes, path: str) -> tuple[str, str]:
    if data.startswith(codecs.BOM_UTF8):
        try:
            return data[len(codecs.BOM_UTF8) :].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError as exc:
            raise TableError(
                f"starts as UTF-8 but byte {exc.start + 3} is not UTF-8", path=path
            ) from None
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise TableError(
            "UTF-16 text is not read: save the file as UTF-8 or Windows-1252 CSV", path=path
        )
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as exc:
        bad = exc.start
    good = _UTF8_SEQUENCE.search(data)
    if good is not None:
        # Read as Windows-1252, the UTF-8 rows would turn into "Ã«" without a word.
        line_good, line_bad = (data.count(b"\n", 0, at) + 1 for at in (good.start(), bad))
        raise TableError(
            f"mixes encodings: line {line_good} is UTF-8 (byte {good.start()}), line "
            f"{line_bad} is not (byte {bad}); save the file in one encoding",
            path=path,
        )
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError as exc:
        raise TableError(f"neither UTF-8 nor Windows-1252 (byte {exc.start})", path=path) from None


def _delimiter(text: str) -> str:
    for line in io.StringIO(text):
        if line.strip():
            return "," if line.count(",") > line.count(";") else ";"
    return ";"


def _csv_rows(text: str, delimiter: str, path: str) -> Iterator[tuple[int, list]]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    line = 1
    try:
        for cells in reader:
            yield line, cells
            line = reader.line_num + 1
    except csv.Error as exc:
        raise TableError(f"not readable as CSV ({exc})", path=path, line=reader.line_num) from None


def _xlsx_rows(data: bytes, path: str) -> Iterator[tuple[int, list]]:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        # From the bytes, not the name: openpyxl judges a file by its extension.
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, ValueError, OSError) as exc:
        raise TableError(
            f"not a readable XLSX workbook ({type(exc).__name__})", path=path
        ) from None
    try:
        if not wb.worksheets:
            return
        sheet = wb.worksheets[0]
        for line, values in enumerate(sheet.iter_rows(min_row=1, values_only=True), start=1):
            yield line, list(values)
    finally:
        wb.close()


def _read_bounded(path: str) -> bytes:
    """The bytes of ``path``, refused past :data:`MAX_TABLE_BYTES` before reading them."""
    limit = MAX_TABLE_BYTES
    try:
        with open(path, "rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            if size > limit:
                raise TableError(
                    f"{size:,} bytes, more than the {limit:,} a table may have; "
                    "split the file (by quarter or chain)",
                    path=path,
                )
            data = fh.read(limit + 1)
    except OSError as exc:
        raise TableError(f"cannot read the file ({exc.strerror})", path=path) from None
    if len(data) > limit:  # grew while read, or a device without a size
        raise TableError(f"more than the {limit:,} bytes a table may have", path=path)
    return data


def _source(path: str) -> tuple[str, Iterator[tuple[int, list]], str | None, str | None]:
    data = _read_bounded(path)
    if data.startswith(_XLSX_MAGIC):
        return "xlsx", _xlsx_rows(data, path), None, None
    if data.startswith(_XLS_MAGIC):
        raise TableError(
            "XLS (Excel 97-2003) is not read: save the sheet as XLSX or CSV", path=path
        )
    text, encoding = _decode(data, path)
    delimiter = _delimiter(text)
    return "csv", _csv_rows(text, delimiter, path), encoding, delimiter


def open_table(
    path: str | Path,
    columns: Sequence[str],
    required: Sequence[str] | None = None,
    mapping: Mapping[str, str] | None = None,
) -> Table:
    """Open ``path`` and find ``columns`` in its header (``required`` ones must be there).

    Raises
    ------
    TableError
        The file cannot be read, has no header, lacks a required column, or has
        two headers for the same column.
    """
    path = str(path)
    kind, rows, encoding, delimiter = _source(path)
    try:
        return _with_header(path, kind, rows, encoding, delimiter, columns, required, mapping)
    except BaseException:
        rows.close()  # an XLSX workbook is closed by its generator
        raise


def _with_header(path, kind, rows, encoding, delimiter, columns, required, mapping) -> Table:
    for line, cells in rows:  # noqa: B007 - the header line is used below
        if not all(is_empty(c) for c in cells):
            break
    else:
        raise TableError("empty: no header line", path=path)
    headers = ["" if c is None else str(c).strip() for c in cells]
    while headers and not headers[-1]:
        headers.pop()
    table = Table(path, kind, headers, line, rows, encoding, delimiter)
    mapping = mapping or {}
    wanted = set(columns)
    for i, h in enumerate(headers):
        name = mapping.get(fold(h), fold(h))
        if name not in wanted:
            continue
        if name in table.index:
            raise TableError(
                f"two headers for column {name}: {headers[table.index[name]]!r} and {h!r}",
                path=path,
                line=line,
            )
        table.index[name] = i
    missing = [c for c in (columns if required is None else required) if c not in table.index]
    if missing:
        raise TableError(
            f"missing column{'s' if len(missing) > 1 else ''} {', '.join(missing)}",
            path=path,
            line=line,
        )
    return table
