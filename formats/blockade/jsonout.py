"""JSON Lines out: a list as one JSON object per row, built column by column.

Every row is the object of its columns, in the table's column order, with typed
values: text as a JSON string, whole numbers as numbers, dates as
``"YYYY-MM-DD"`` strings, and no value (a null, or empty text) as ``null``. The
bytes of each line are exactly what ``msgspec.json.encode`` gives for the row as
a ``dict`` (no blanks, UTF-8 kept as is, only ``"``, ``\\`` and control
characters escaped), followed by ``\\n``; a list without rows is an empty file.
Text is written as it is: the ``'`` that CSV puts before formula-like text
(:func:`~vsbengine.spreadsheet.safe_cell`) is a spreadsheet's concern, not JSON's.

The lines are put together with one ``take`` per batch of rows: every row is a
run of pieces (a key with its quotes, a value, ``null``, ...) taken from one array of
pieces, so the data buffer of the result is the JSON Lines bytes, and no Python
object is made per row. Only the rare text holding a character JSON escapes
(``"``, ``\\`` or a control character), found with a byte table, is escaped by
msgspec, value by value.
"""

from __future__ import annotations

from collections.abc import Iterator

import msgspec
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["json_lines"]

_BATCH = 1 << 16  # rows per batch: its pieces and indices stay small
#: The bytes that JSON escapes inside a string: control characters, '"' and '\'.
_ESCAPED = np.zeros(256, dtype=bool)
_ESCAPED[:0x20] = True
_ESCAPED[[ord('"'), ord("\\")]] = True


def _offsets(values: pa.Array) -> np.ndarray:
    buf = values.buffers()[1]
    return np.frombuffer(buf, np.int32, count=len(values) + 1, offset=values.offset * 4)


def _escaped(values: pa.Array) -> pa.Array:
    """``values`` (text) as the insides of JSON strings."""
    offsets, data = _offsets(values), values.buffers()[2]
    if data is None or offsets[-1] == offsets[0]:
        return values
    raw = np.frombuffer(data, np.uint8)[offsets[0] : offsets[-1]]
    hits = np.flatnonzero(_ESCAPED[raw])
    if not hits.size:
        return values
    rows = np.unique(np.searchsorted(offsets, hits + offsets[0], side="right") - 1)
    texts = values.take(pa.array(rows)).to_pylist()
    fixed = [msgspec.json.encode(v).decode()[1:-1] for v in texts]
    mask = np.zeros(len(values), dtype=bool)
    mask[rows] = True
    return pc.replace_with_mask(values, pa.array(mask), pa.array(fixed, pa.string()))


def _column(column: pa.Array) -> tuple[pa.Array, np.ndarray, bool]:
    """The JSON text of ``column``'s values: an array of pieces, the piece of every row
    (-1 for no value), and whether the pieces go in quotes."""
    kind = column.type
    if column.null_count:
        valid = np.asarray(column.is_valid())
    else:
        valid = np.ones(len(column), dtype=bool)
    if pa.types.is_dictionary(kind):
        pieces = column.dictionary.cast(pa.string())
        index = column.indices.fill_null(0).to_numpy(zero_copy_only=False).astype(np.int64)
        quoted = True
    elif pa.types.is_string(kind) or pa.types.is_large_string(kind):
        pieces = column.cast(pa.string())
        index = np.arange(len(column), dtype=np.int64)
        quoted = True
    elif pa.types.is_integer(kind):
        return column.cast(pa.string()), np.where(valid, np.arange(len(column)), -1), False
    elif pa.types.is_date32(kind):  # ISO text: YYYY-MM-DD
        return column.cast(pa.string()), np.where(valid, np.arange(len(column)), -1), True
    else:  # pragma: no cover - the lists hold text, whole numbers and dates only
        raise TypeError(f"no JSON form for a column of {kind}")
    if len(pieces):  # empty text is no value
        valid &= (np.diff(_offsets(pieces)) > 0)[index]
    return _escaped(pieces), np.where(valid, index, -1), quoted


def _keys(names: list[str]) -> list[str]:
    """Four pieces per column: its key as ``,"name":``, after a closing quote of the
    value before it or not, and followed by an opening quote or not (``4 * i + 2 *
    closing + opening``); then the line's end, after a closing quote or not; then
    ``null``. Folding the quotes into the keys halves the pieces of a row."""
    pieces = []
    for i, name in enumerate(names):
        key = ("{" if i == 0 else ",") + msgspec.json.encode(name).decode() + ":"
        pieces += [close + key + open_ for close in ("", '"') for open_ in ("", '"')]
    return [*pieces, "}\n", '"}\n', "null"]


def _lines(batch: pa.Table, keys: list[str]) -> memoryview:
    n, width = batch.num_rows, batch.num_columns
    end, null = 4 * width, 4 * width + 2
    arrays = [pa.array(keys, pa.string())]
    base = len(keys)
    slots: list[np.ndarray] = []
    closing = np.zeros(n, dtype=np.int64)  # did the value before end in a quote?
    for i, column in enumerate(batch.columns):
        pieces, index, quoted = _column(column.combine_chunks())
        has = index >= 0
        opening = has.astype(np.int64) if quoted else np.zeros(n, dtype=np.int64)
        slots.append(4 * i + 2 * closing + opening)
        slots.append(np.where(has, index + base, null))
        closing = opening
        arrays.append(pieces)
        base += len(pieces)
    slots.append(end + closing)
    order = np.stack(slots, axis=1).ravel()  # row by row, piece by piece
    lines = pa.concat_arrays(arrays).take(pa.array(order))
    offsets = _offsets(lines)
    return memoryview(lines.buffers()[2])[int(offsets[0]) : int(offsets[-1])]


def json_lines(table: pa.Table) -> Iterator[memoryview]:
    """The JSON Lines bytes of ``table``, a batch of rows at a time."""
    keys = _keys(table.column_names)
    for start in range(0, table.num_rows, _BATCH):
        yield _lines(table.slice(start, _BATCH), keys)
