"""JSON Lines inputs beside CSV: one JSON object per line, its keys the columns.

The same columns and checks as the CSV inputs apply (names matched
case-insensitively, extra keys ignored). A value may be text or a number; a key
that is missing or ``null`` is an empty value; blank lines are skipped. The file
is decoded with msgspec in blocks of lines, so Python objects exist for one
block at a time; the columns are pyarrow string arrays.

A key given twice in one object (also in another case: ``unit`` and ``UNIT``) is
refused, located: a decoder would keep one of the two values without a word.

A file is JSON Lines when its name ends in ``.jsonl`` or ``.ndjson``, or when
its first non-blank byte is ``{``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

import msgspec
import numpy as np
import pyarrow as pa

from vsbengine.errors import TableError

__all__ = ["JSON_SUFFIXES", "is_json_lines", "read_json_lines"]

JSON_SUFFIXES = (".jsonl", ".ndjson")
_BLOCK = 8 << 20  # bytes of lines decoded at once
_DECODER = msgspec.json.Decoder(dict[str, Any])
#: The end of a key: a closing quote and a colon (inside a string value too, rarely: an
#: upper bound of the keys a line has).
_KEY_END = re.compile(rb'"\s*:')


def is_json_lines(path: str) -> bool:
    if path.lower().endswith(JSON_SUFFIXES):
        return True
    with open(path, "rb") as handle:
        start = handle.read(4096).lstrip(b"\xef\xbb\xbf \t\r\n")
    return start.startswith(b"{")


def _text(value: object, path: str, line: int, key: str) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        raise TableError("true/false is not a value of this column", path=path, line=line, zone=key)
    if isinstance(value, (int, float)):
        return str(value)
    raise TableError("a list or object is not a value", path=path, line=line, zone=key)


def _decode(block: list[bytes], lines: list[int], path: str) -> list[dict]:
    try:
        return _DECODER.decode_lines(b"\n".join(block))
    except msgspec.DecodeError:
        pass
    for raw, line in zip(block, lines):  # find the line (failure path only)
        try:
            _DECODER.decode(raw)
        except msgspec.DecodeError as exc:
            raise TableError(
                f"not a JSON object ({str(exc).split(' - at ')[0]})", path=path, line=line
            ) from None
    raise TableError("not JSON Lines", path=path)  # pragma: no cover - decode_lines agreed


def _refuse_duplicate_keys(block: list[bytes], objects: list[dict], lines: list[int], path):
    """A key twice in one object (the decoded dict kept one value): every key is
    followed by a colon, so a block with no more colons than keys decoded has none
    (one pass); else the lines with more key ends than keys are decoded again, pair by
    pair."""
    if b"\n".join(block).count(b":") <= sum(map(len, objects)):
        return
    for raw, obj, line in zip(block, objects, lines):
        n = len(obj)
        if raw.count(b":") > n and len(_KEY_END.findall(raw)) > n:
            json.loads(raw, object_pairs_hook=_once(path, line))


def _once(path: str, line: int):
    """An ``object_pairs_hook`` that refuses a key given twice in an object."""

    def pairs(items: list[tuple[str, Any]]) -> dict:
        keys = [k for k, _ in items]
        twice = next((k for i, k in enumerate(keys) if k in keys[:i]), None)
        if twice is not None:
            raise TableError(f"key {twice!r} twice in one object", path=path, line=line)
        return dict(items)

    return pairs


def _blocks(path: str) -> Iterable[tuple[list[bytes], list[int]]]:
    line = 0
    with open(path, "rb") as handle:
        while True:
            chunk = handle.readlines(_BLOCK)
            if not chunk:
                return
            block, numbers = [], []
            for raw in chunk:
                line += 1
                if line == 1:
                    raw = raw.removeprefix(b"\xef\xbb\xbf")
                if raw.strip():
                    block.append(raw.rstrip(b"\r\n"))
                    numbers.append(line)
            if block:
                yield block, numbers


def _refuse_two_spellings(obj: dict, spelt: dict[str, list[str]], path: str, line: int) -> None:
    """One object naming a column twice, in two cases (``unit`` and ``UNIT``)."""
    for name, spellings in spelt.items():
        given = [k for k in obj if k in spellings]
        if len(given) > 1:
            raise TableError(
                f"keys {given[0]!r} and {given[1]!r} are both column {name}",
                path=path,
                line=line,
                zone=name,
            )


def read_json_lines(path: str, wanted: Iterable[str]) -> tuple[pa.Table, np.ndarray, list[str]]:
    """The ``wanted`` columns (matched case-insensitively) as string columns, the line of
    every row, and the keys seen (in order of first appearance)."""
    wanted_lower = {w.lower(): w for w in wanted}
    parts: dict[str, list[pa.Array]] = {w: [] for w in wanted_lower.values()}
    line_parts: list[np.ndarray] = []
    seen: dict[str, str | None] = {}  # every key as spelt, in order: the column it fills
    spelt: dict[str, list[str]] = {}  # the columns the file names in more than one case
    for block, numbers in _blocks(path):
        objects = _decode(block, numbers, path)
        _refuse_duplicate_keys(block, objects, numbers, path)
        columns: dict[str, list[str]] = {w: [""] * len(objects) for w in parts}
        for i, (obj, line) in enumerate(zip(objects, numbers)):
            for key, value in obj.items():
                if key in seen:
                    name = seen[key]
                else:
                    name = seen[key] = wanted_lower.get(key.lower())
                    if name is not None:
                        spellings = [k for k, n in seen.items() if n == name]
                        if len(spellings) > 1:
                            spelt[name] = spellings
                if name is not None:
                    # Text as is (most values); anything else through _text's rules.
                    columns[name][i] = (
                        value if type(value) is str else _text(value, path, line, key)
                    )
            if spelt:
                _refuse_two_spellings(obj, spelt, path, line)
        for name, values in columns.items():
            parts[name].append(pa.array(values, pa.string()))
        line_parts.append(np.asarray(numbers, dtype=np.int64))
    table = pa.table(
        {
            name: pa.chunked_array(chunks, pa.string()).combine_chunks()
            for name, chunks in parts.items()
        }
    )
    lines = np.concatenate(line_parts) if line_parts else np.zeros(0, np.int64)
    return table, lines, list(seen)
