"""Whole-column helpers shared by the lists: runs of sorted keys, joins per group, words."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from vsbengine.spreadsheet import FORMULA_STARTS, safe_cell

__all__ = [
    "TEXT_MARK",
    "date_column",
    "distinct_sorted",
    "join_per_group",
    "neutralised",
    "positions",
    "run_starts",
    "run_sums",
    "take",
    "unneutralised",
    "words",
]

#: What :func:`~vsbengine.spreadsheet.safe_cell` puts before a formula-like text.
TEXT_MARK = "'"


def words(choices: tuple[str, ...], codes: np.ndarray) -> pa.Array:
    """``choices[code]`` for every code (booleans pick index 0 or 1)."""
    return pa.array(choices).take(pa.array(np.asarray(codes).astype(np.int8)))


def take(values, indices):
    """``values.take(indices)``; numpy indices are handed over as an Arrow array, which
    pyarrow takes an order of magnitude faster than a numpy array."""
    if not isinstance(indices, (pa.Array, pa.ChunkedArray)):
        indices = pa.array(indices)
    return values.take(indices)


def positions(values, value_set) -> np.ndarray:
    """Index of every value in ``value_set`` (int64), -1 where it is absent."""
    found = pc.index_in(values, value_set=value_set.cast(values.type)).fill_null(-1)
    return found.to_numpy(zero_copy_only=False).astype(np.int64)


def date_column(day: dt.date, n: int) -> pa.Array:
    """``day`` repeated ``n`` times, as a date32 column."""
    return pa.array(np.full(n, np.datetime64(day, "D")))


def run_starts(*sorted_keys: np.ndarray) -> np.ndarray:
    """Where each run of equal keys starts, for rows sorted by the keys."""
    if not sorted_keys[0].size:
        return np.zeros(0, dtype=np.int64)
    change = np.zeros(sorted_keys[0].size, dtype=bool)
    change[0] = True
    for key in sorted_keys:
        change[1:] |= key[1:] != key[:-1]
    return np.flatnonzero(change)


def run_sums(flags: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Sum of ``flags`` over each run that starts at ``starts``."""
    if not starts.size:
        return np.zeros(0, dtype=np.int64)
    return np.add.reduceat(flags.astype(np.int64), starts)


def join_per_group(group: np.ndarray, tokens: pa.Array, wanted: np.ndarray, sep: str) -> pa.Array:
    """Join ``tokens`` per group, aligned to ``wanted``; null where a group has none.

    ``group`` holds the group of every token and must be sorted; ``wanted``
    must be sorted too.
    """
    starts = run_starts(group)
    offsets = pa.array(np.append(starts, group.size).astype(np.int32))
    joined = pc.binary_join(pa.ListArray.from_arrays(offsets, tokens), sep)
    keys = group[starts]
    at = np.searchsorted(keys, wanted)
    hit = at < keys.size
    hit[hit] = keys[at[hit]] == wanted[hit]
    if not hit.any():
        return pa.nulls(wanted.size, joined.type)
    return joined.take(pa.array(np.where(hit, at, 0), mask=~hit))


class NotSorted(ValueError):
    """A column that should be sorted is not."""


def distinct_sorted(values) -> pa.Array:
    """The distinct values of a sorted column, in order; :class:`NotSorted` if it is not sorted."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if len(values) < 2:
        return values
    head, tail = values.slice(0, len(values) - 1), values.slice(1)
    if not pc.all(pc.less_equal(head, tail)).as_py():
        raise NotSorted("the column is not sorted")
    keep = np.concatenate(([True], np.asarray(pc.not_equal(head, tail))))
    return values.filter(pa.array(keep))


#: Lead bytes that :func:`~vsbengine.spreadsheet.safe_cell` marks, as a lookup table.
#: Every formula start is one ASCII character, so in UTF-8 it is the value's first byte.
_FORMULA_BYTE = np.zeros(256, dtype=bool)
for _start in FORMULA_STARTS:
    if len(_start.encode()) != 1:  # pragma: no cover - a guard on the shared list
        raise RuntimeError(f"formula start {_start!r} is not one ASCII character")
    _FORMULA_BYTE[ord(_start)] = True


def _formula_like(values: pa.Array) -> np.ndarray:
    """Per value: does it start with a formula character? One gather of first bytes
    (the offsets and data buffers read in place), no kernel per value."""
    n = len(values)
    if n == 0:
        return np.zeros(0, dtype=bool)
    _, offsets_buf, data_buf = values.buffers()
    width = 8 if pa.types.is_large_string(values.type) else 4
    offsets = np.frombuffer(
        offsets_buf,
        dtype=np.int64 if width == 8 else np.int32,
        count=n + 1,
        offset=values.offset * width,
    )
    starts = offsets[:-1]
    if data_buf is None or data_buf.size == 0:
        return np.zeros(n, dtype=bool)
    data = np.frombuffer(data_buf, dtype=np.uint8)
    first = data[np.minimum(starts, data.size - 1)]
    found = _FORMULA_BYTE[first] & (offsets[1:] > starts)
    if values.null_count:
        found &= np.asarray(values.is_valid())
    return found


def neutralised(values):
    """A text column with :func:`~vsbengine.spreadsheet.safe_cell` applied to every value
    (only the few formula-like ones are touched; a dictionary column's dictionary only)."""
    if isinstance(values, pa.ChunkedArray):
        return pa.chunked_array([neutralised(c) for c in values.chunks], values.type)
    if pa.types.is_dictionary(values.type):
        return pa.DictionaryArray.from_arrays(values.indices, neutralised(values.dictionary))
    if not (pa.types.is_string(values.type) or pa.types.is_large_string(values.type)):
        return values
    risky = _formula_like(values)
    if not risky.any():
        return values
    rows = np.flatnonzero(risky)
    fixed = [safe_cell(v) for v in values.take(pa.array(rows)).to_pylist()]
    return pc.replace_with_mask(values, pa.array(risky), pa.array(fixed, values.type))


def unneutralised(values: pa.Array) -> pa.Array:
    """The inverse of :func:`neutralised` for columns read back (units never start with
    the text mark themselves: the inputs refuse such codes)."""
    marked = np.asarray(pc.starts_with(values, TEXT_MARK).fill_null(False))
    if not marked.any():
        return values
    tail = pc.utf8_slice_codeunits(values, 1)
    undo = marked & _formula_like(tail)
    return pc.if_else(pa.array(undo), tail, values)
