"""Reading one CSV input: delimiter, header, typed columns, errors located by line and column.

The good path hands the whole file to pyarrow's reader with every column's type
declared up front, and checks the values with vectorised kernels. Only when
something is wrong do we go looking for the exact line and column; that search
may be slow (it can re-read the file), the good path never pays for it.

Conventions of every input: UTF-8 (a byte-order mark is allowed), ``;`` or ``,``
as delimiter (the header line decides: ``;`` when it holds one), one header
line, column names matched case-insensitively, columns in any order, extra
columns ignored, empty lines skipped, dates as ``YYYY-MM-DD``. JSON Lines
(:mod:`~vsbengine.formats.blockade.jsonin`) is read beside CSV with the same
columns and checks. Text and key values are trimmed of surrounding blanks
(Unicode white space, as code words are), so an identifier compares as its
visible characters and a value of blanks is empty. An input larger than
:data:`MAX_INPUT_BYTES` is refused before it is read (memory grows with the input).

Errors name the file, the line and the column.
"""

from __future__ import annotations

import contextlib
import csv
import mmap
import os
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from vsbengine.errors import InputError, TableError, shown
from vsbengine.formats.blockade.jsonin import is_json_lines, read_json_lines
from vsbengine.fsio import path_text

__all__ = [
    "MAX_INPUT_BYTES",
    "NO_DATE",
    "Col",
    "CsvInput",
    "Keyed",
    "first_duplicate",
    "flatten",
    "read_csv",
]

#: The largest input file read: a build needs about 2.5 times its inputs in memory,
#: and 4 GiB is some 30 million rows. Larger inputs are refused with a message.
MAX_INPUT_BYTES = 4 << 30

#: An empty date, as int32 days since 1970-01-01.
NO_DATE = np.iinfo(np.int32).min

TEXT = "text"  # pyarrow string array
KEY = "key"  # dictionary-encoded text: few distinct values (control ids)
CODE = "code"  # one of a fixed set of words: int8 index into Col.allowed
DATE = "date"  # int32 days since 1970-01-01, NO_DATE when empty
INT = "int"  # int64

_ARROW = {
    TEXT: pa.string(),
    KEY: pa.dictionary(pa.int32(), pa.string()),
    CODE: pa.dictionary(pa.int32(), pa.string()),
    DATE: pa.date32(),
    INT: pa.int64(),
}
_DATE_SHAPE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
_INT_SHAPE = r"^-?[0-9]{1,18}$"
_NUMBER_BLANKS = " \t"  # around a date or number (pyarrow's CSV reader skips these)
_BIG = 2**31 - 2**24  # above this a string column needs 64-bit offsets
_BLOCK_BYTES = 8 << 20  # pyarrow reads in blocks of this size


@dataclass(frozen=True)
class Col:
    """One column an input needs.

    Parameters
    ----------
    name
        Column name as the contract spells it (matched case-insensitively).
    kind
        ``text``, ``key``, ``code``, ``date`` or ``int``.
    required
        The header must have it; when ``False`` and absent, ``default`` fills it.
    nonempty
        Every row must give a value.
    allowed
        For ``code`` columns: the words allowed (case-insensitive, spaces trimmed).
    default
        For an optional ``code`` column absent from the header: the word every row gets.
    """

    name: str
    kind: str = TEXT
    required: bool = True
    nonempty: bool = False
    allowed: tuple[str, ...] = ()
    default: str | None = None


@dataclass(frozen=True)
class Keyed:
    """A dictionary-encoded column: row ``i`` holds ``values[indices[i]]``."""

    indices: np.ndarray
    values: pa.Array


class CsvInput:
    """One input file, read and checked; its columns by contract name.

    ``columns[name]`` is a pyarrow string array (text), :class:`Keyed` (key),
    int8 codes (code), int32 days (date) or int64 (int).
    """

    def __init__(self, path, label: str) -> None:
        self.path = str(path)
        self.label = label
        self.delimiter = ","
        self.header: list[str] = []
        self.rows = 0
        self.columns: dict[str, object] = {}
        self.json_lines: np.ndarray | None = None  # line of every row of a JSON Lines input
        self._quoted: bool | None = None  # does the file hold a double quote anywhere?

    # -- located errors (failure path only) ------------------------------------------------

    def error(self, row: int, column: str | None, message: str) -> InputError:
        """An error at data row ``row`` (0-based) and ``column``, with its physical line."""
        return TableError(message, path=self.path, line=self.line(row), zone=column)

    def line(self, row: int) -> int:
        """The 1-based line on which data row ``row`` (0-based) starts; the header is line 1."""
        if self.json_lines is not None:
            return int(self.json_lines[row]) if row < self.json_lines.size else row + 1
        with open(self.path, "rb") as handle:
            try:
                with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as mm:
                    simple = mm.find(b'"') < 0 and mm.find(b"\n\n") < 0 and mm.find(b"\n\r\n") < 0
            except ValueError:  # empty file
                return row + 2
        if simple:
            return row + 2
        for index, start, _fields in self._records():
            if index == row:
                return start
        return row + 2

    def _records(self):
        """Yield (data row, first line, field count) for every non-empty record (slow path)."""
        with open(self.path, encoding="utf-8-sig", errors="replace", newline="") as handle:
            reader = csv.reader(handle, delimiter=self.delimiter)
            index = 0
            while True:
                before = reader.line_num
                try:
                    record = next(reader, None)
                except csv.Error as exc:  # a field past csv's limit, or broken quoting
                    raise TableError(
                        f"cannot be read as CSV here ({exc})", path=self.path, line=before + 1
                    ) from None
                if before == 0:
                    continue  # the header
                if record is None:
                    return
                if not record:
                    continue
                yield index, before + 1, len(record)
                index += 1

    # -- reading ------------------------------------------------------------------------------

    def _read_header(self) -> None:
        with open(self.path, "rb") as handle:
            first = handle.readline(1 << 20)
        if not first.strip():
            raise InputError(
                f"the {self.label} file is empty; it needs a header line", path=self.path, line=1
            )
        try:
            text = first.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise InputError("the header line is not UTF-8", path=self.path, line=1) from None
        self.delimiter = ";" if ";" in text else ","
        try:
            names = next(csv.reader([text], delimiter=self.delimiter))
        except csv.Error:  # a lone carriage return, a quote that never closes
            raise InputError(
                "the header line cannot be read as CSV (a stray quote or carriage return)",
                path=self.path,
                line=1,
            ) from None
        self.header = [name.strip() for name in names]

    def _resolve(self, cols: tuple[Col, ...]) -> dict[str, str]:
        """Map each wanted contract name to the header's spelling; refuse missing columns."""
        by_lower: dict[str, str] = {}
        for name in self.header:
            if name.lower() in by_lower:
                raise TableError(
                    f"column {shown(name)} appears twice in the header",
                    path=self.path,
                    line=1,
                    zone=name,
                )
            by_lower[name.lower()] = name
        found = {}
        wanted = {c.name.lower() for c in cols}
        for col in cols:
            actual = by_lower.get(col.name.lower())
            if actual is None:
                if col.required:
                    has = "the header has" if self.json_lines is None else "the objects have"
                    # Only the names it knows: a data line taken for a header holds
                    # national numbers and names, and may be of any length.
                    known = [n for n in self.header if n.lower() in wanted]
                    others = len(self.header) - len(known)
                    listed = ", ".join(known) or ("no columns" if not others else "none known")
                    if others:
                        listed += f" and {others} other{'s' if others > 1 else ''} (not shown)"
                    raise TableError(
                        f"missing column {col.name!r}; {has} {listed}",
                        path=self.path,
                        line=1 if self.json_lines is None else None,
                        zone=col.name,
                    )
                continue
            found[col.name] = actual
        return found

    def _has_quotes(self) -> bool:
        if self._quoted is None:
            with open(self.path, "rb") as handle:
                blocks = iter(lambda: handle.read(_BLOCK_BYTES), b"")
                self._quoted = any(b'"' in block for block in blocks)
        return self._quoted

    def _arrow_read(self, names: dict[str, str], types: dict[str, pa.DataType]) -> pa.Table:
        # A line break inside a value needs quotes around it: without any quote in the
        # file every line break ends a row, and pyarrow's faster splitter reads it the same.
        # pyarrow opens only paths that are UTF-8: a file named otherwise is opened here.
        with contextlib.ExitStack() as stack:
            source: object = self.path
            if path_text(self.path) != self.path:
                source = stack.enter_context(open(self.path, "rb"))
            return self._arrow_parse(source, names, types)

    def _arrow_parse(self, source, names: dict[str, str], types: dict[str, pa.DataType]):
        return pacsv.read_csv(
            source,
            # The header as read above (names stripped of blanks and tabs), not pyarrow's
            # own reading of it, so that the names found are the names it reads.
            read_options=pacsv.ReadOptions(
                block_size=_BLOCK_BYTES, column_names=self.header, skip_rows=1
            ),
            parse_options=pacsv.ParseOptions(
                delimiter=self.delimiter, newlines_in_values=self._has_quotes()
            ),
            convert_options=pacsv.ConvertOptions(
                include_columns=list(names.values()),
                column_types={names[n]: t for n, t in types.items()},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )

    def _check_size(self) -> None:
        size = os.stat(self.path).st_size  # a missing file stays an OSError
        if os.path.isdir(self.path):
            raise InputError(f"is a folder, not the {self.label} file", path=self.path)
        if size > MAX_INPUT_BYTES:
            raise InputError(
                f"{size:,} bytes, more than the {MAX_INPUT_BYTES:,} an input may have "
                "(a build holds about 2.5 times its inputs in memory); split the input",
                path=self.path,
            )

    def _read_json(self, cols: tuple[Col, ...]) -> tuple[pa.Table, dict[str, str], list[Col]]:
        raw, self.json_lines, self.header = read_json_lines(self.path, [c.name for c in cols])
        present = {k.lower() for k in self.header}
        names = self._resolve(cols)
        wanted = [c for c in cols if c.name in names and c.name.lower() in present]
        columns = {}
        for col in wanted:
            text = raw.column(col.name).combine_chunks()
            if col.kind in (DATE, INT):
                found = _first_bad_value(text, col.kind)
                if found is not None:
                    raise self.error(found[0], col.name, found[1])
                text = _trim_number(text)
                empty = pc.equal(pc.binary_length(text), 0)
                text = pc.if_else(empty, pa.nulls(len(text), pa.string()), text)
                if col.kind == DATE:
                    text = pc.strptime(text, format="%Y-%m-%d", unit="s").cast(pa.date32())
                else:
                    text = text.cast(pa.int64())
            elif col.kind in (KEY, CODE):
                text = pc.dictionary_encode(text)
            columns[names[col.name]] = text
        names = {c.name: names[c.name] for c in wanted}
        return pa.table(columns), names, wanted

    def read(self, cols: tuple[Col, ...]) -> CsvInput:
        self._check_size()
        if is_json_lines(self.path):
            table, names, wanted = self._read_json(cols)
            missing = [c for c in cols if c.required and c.name not in names]
            if missing:
                raise TableError(
                    f"missing column {missing[0].name!r}: no object has it",
                    path=self.path,
                    zone=missing[0].name,
                )
        else:
            self._read_header()
            names = self._resolve(cols)
            wanted = [c for c in cols if c.name in names]
            try:
                table = self._arrow_read(names, {c.name: _ARROW[c.kind] for c in wanted})
            except pa.ArrowInvalid as exc:
                raise self._locate(names, wanted, exc) from None
        self.rows = table.num_rows
        if any(c.kind in (KEY, CODE) for c in wanted):
            table = table.unify_dictionaries()
        for col in cols:
            if col.name in names:
                # Take each column out of the table so its chunks are freed once converted.
                index = table.schema.get_field_index(names[col.name])
                data = table.column(index)
                table = table.remove_column(index)
                self.columns[col.name] = self._convert(col, data)
                del data
            else:
                code = col.allowed.index(col.default)
                self.columns[col.name] = np.full(self.rows, code, dtype=np.int8)
        return self

    # -- conversion and checks of the good path ---------------------------------------------------

    def _convert(self, col: Col, data: pa.ChunkedArray):
        # Text and keys are trimmed of surrounding blanks (as code words are): an
        # identifier "111111111 " is the unit 111111111, a value of blanks is empty.
        if col.kind == TEXT:
            if data.nbytes > _BIG:
                data = data.cast(pa.large_string())
            array = pc.utf8_trim_whitespace(data.combine_chunks())
            if col.nonempty:
                self._refuse_first(pc.equal(pc.binary_length(array), 0), col, "a value is required")
            return array
        if col.kind in (KEY, CODE):
            keyed = _keyed(data)
            if col.kind == KEY:  # the dictionary may now hold a value twice: harmless
                keyed = Keyed(keyed.indices, pc.utf8_trim_whitespace(keyed.values))
            if col.nonempty:
                empty = pc.equal(pc.binary_length(keyed.values), 0).to_numpy(zero_copy_only=False)
                self._refuse_first(empty[keyed.indices], col, "a value is required")
            if col.kind == KEY:
                return keyed
            return self._codes(col, keyed)
        if col.nonempty and data.null_count:
            self._refuse_first(np.asarray(data.is_null()), col, "a value is required")
        if col.kind == DATE:
            return pc.fill_null(data.cast(pa.int32()), NO_DATE).to_numpy()
        return pc.fill_null(data, 0).to_numpy().astype(np.int64, copy=False)

    def _codes(self, col: Col, keyed: Keyed) -> np.ndarray:
        allowed = pa.array([word.upper() for word in col.allowed])
        words = pc.utf8_upper(pc.utf8_trim_whitespace(keyed.values))
        lookup = pc.index_in(words, value_set=allowed).fill_null(-1).to_numpy(zero_copy_only=False)
        codes = lookup.astype(np.int8)[keyed.indices]
        bad = np.flatnonzero(codes < 0)
        if bad.size:
            row = int(bad[0])
            value = keyed.values[int(keyed.indices[row])].as_py()
            raise self.error(row, col.name, f"{value!r} is not one of {', '.join(col.allowed)}")
        return codes

    def _refuse_first(self, mask, col: Col, message: str) -> None:
        mask = np.asarray(mask)
        if mask.any():
            raise self.error(int(np.argmax(mask)), col.name, message)

    # -- failure path: find the line and column pyarrow refused ---------------------------------

    def _locate(self, names: dict[str, str], wanted: list[Col], exc: Exception) -> InputError:
        try:
            raw = self._arrow_read(names, {c.name: pa.binary() for c in wanted})
        except pa.ArrowInvalid:
            return self._shape_error(exc)
        worst: tuple[int, int, Col, str] | None = None
        for order, col in enumerate(wanted):
            found = _first_bad_value(raw.column(names[col.name]).combine_chunks(), col.kind)
            if found is not None and (worst is None or (found[0], order) < worst[:2]):
                worst = (found[0], order, col, found[1])
        if worst is None:
            return InputError(f"cannot be read: {exc}", path=self.path)
        return self.error(worst[0], worst[2].name, worst[3])

    def _shape_error(self, exc: Exception) -> InputError:
        width = len(self.header)
        for _index, start, fields in self._records():
            if fields != width:
                return InputError(
                    f"expected {width} fields as in the header, found {fields}",
                    path=self.path,
                    line=start,
                )
        return InputError(f"cannot be read: {exc}", path=self.path)


def _keyed(data: pa.ChunkedArray) -> Keyed:
    chunks = data.chunks
    if not chunks:
        return Keyed(np.zeros(0, dtype=np.int32), pa.array([], pa.string()))
    indices = np.concatenate([c.indices.to_numpy(zero_copy_only=False) for c in chunks]).astype(
        np.int32, copy=False
    )
    return Keyed(indices, chunks[0].dictionary)


def _first_invalid_utf8(array: pa.Array) -> int | None:
    """Index of the first value that is not UTF-8, by halving (each cast validates)."""
    try:
        array.cast(pa.string())
        return None
    except pa.ArrowInvalid:
        pass
    low, high = 0, len(array)
    while high - low > 1:
        mid = (low + high) // 2
        try:
            array.slice(low, mid - low).cast(pa.string())
            low = mid
        except pa.ArrowInvalid:
            high = mid
    return low


def _trim_number(text: pa.Array) -> pa.Array:
    """A date or number without the blanks and tabs around it: what pyarrow's CSV reader
    accepts around one, so that CSV and JSON Lines take the same values."""
    return pc.utf8_trim(text, characters=_NUMBER_BLANKS)


def _first_bad_value(array: pa.Array, kind: str) -> tuple[int, str] | None:
    """First row (and why) whose raw bytes cannot become a value of ``kind``."""
    row = _first_invalid_utf8(array)
    if row is not None:
        return row, "the value is not UTF-8 text"
    if kind not in (DATE, INT):
        return None
    text = _trim_number(array.cast(pa.string()))
    empty = pc.equal(pc.binary_length(text), 0)
    if kind == DATE:
        # strptime rolls 2024-02-30 over to March: only a round trip proves a real day.
        parsed = pc.strptime(text, format="%Y-%m-%d", unit="s", error_is_null=True)
        good = pc.and_kleene(
            pc.match_substring_regex(text, _DATE_SHAPE),
            pc.equal(pc.strftime(parsed, format="%Y-%m-%d"), text),
        )
        expected = "a date as YYYY-MM-DD"
    else:
        good = pc.match_substring_regex(text, _INT_SHAPE)
        expected = "a whole number"
    bad = np.flatnonzero(~np.asarray(pc.or_kleene(empty, good).fill_null(False)))
    if not bad.size:
        return None
    row = int(bad[0])
    return row, f"{text[row].as_py()!r} is not {expected}"


def read_csv(path, label: str, cols: tuple[Col, ...]) -> CsvInput:
    """Read ``path`` with the columns ``cols``; raise a located :class:`InputError` if unusable."""
    return CsvInput(path, label).read(cols)


def first_duplicate(values: pa.Array) -> tuple[int, int] | None:
    """``(row, first_row)`` of the first value seen before, or ``None`` when all are distinct."""
    indices = pc.dictionary_encode(values).indices.to_numpy(zero_copy_only=False)
    if indices.size == 0 or int(indices.max()) + 1 == indices.size:
        return None
    # Codes are handed out in order of first appearance: a row repeats an earlier
    # value exactly when its code is not above every code before it.
    seen = np.maximum.accumulate(np.concatenate(([-1], indices[:-1])))
    row = int(np.argmax(indices <= seen))
    return row, int(np.argmax(indices == indices[row]))


def flatten(values: pa.Array, separator: str) -> tuple[pa.Array, np.ndarray]:
    """Split every value on ``separator``; return the parts and the row each came from."""
    parts = pc.split_pattern(values, separator)
    return pc.list_flatten(parts), pc.list_parent_indices(parts).to_numpy(zero_copy_only=False)
