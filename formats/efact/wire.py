"""Writing zones into fixed-width records, many rows at a time.

Records are ``(n, length)`` uint8 arrays; every helper writes one zone of the
given rows, vectorised. Templates come from the same layout tables the engine
reads with, so that whatever is written here reads back through them.
"""

from __future__ import annotations

import numpy as np

from vsbengine.formats.efact.compiled import Layout, Zone, layout_named

_POW10 = 10 ** np.arange(19, dtype=np.int64)
#: Up to this many rows, formatting each value costs less than a pass per digit.
_FEW = 32


def _few(v: np.ndarray, arr: np.ndarray, rows) -> bool:
    """One value per row of ``arr``, and only a few rows."""
    every = isinstance(rows, slice) and rows == slice(None)
    return every and v.ndim == 1 and len(v) == len(arr) and len(v) <= _FEW


#: What an answer writes for each byte it copies from a sending: the byte itself, a
#: blank for a control byte (below 0x20, or 0x7F), which would frame the answer wrongly
#: for its reader (a line break, NUL, ...). Bytes from 0x80 up are kept (UTF-8 text).
TEXT = bytes(0x20 if b < 0x20 or b == 0x7F else b for b in range(256))
TEXT_LUT = np.frombuffer(TEXT, dtype=np.uint8)


def as_text(raw: bytes) -> bytes:
    """``raw`` with its control bytes as blanks (see :data:`TEXT`)."""
    return raw.translate(TEXT)


def template(layout: Layout | str) -> np.ndarray:
    """An empty record of a layout: zeros in numeric zones, blanks in text zones,
    ``+`` and zeros in signed amounts, ``00`` in error fields."""
    if isinstance(layout, str):
        layout = layout_named(layout)
    rec = np.full(layout.length, ord("0"), dtype=np.uint8)
    for z in layout.zones:
        if z.is_error_field:
            continue
        if z.kind in "AX":
            rec[z.start : z.end] = ord(" ")
        elif z.kind == "S":
            rec[z.start] = ord("+")
    name = layout.name
    if len(name) == 2 and name.isdigit():
        rec[0:2] = np.frombuffer(name.encode(), dtype=np.uint8)
    return rec


def records(layout: Layout | str, n: int) -> np.ndarray:
    """``n`` empty records of a layout, as an ``(n, length)`` array."""
    return np.tile(template(layout), (n, 1))


def _zone(layout: str, zone: str | Zone) -> Zone:
    return zone if isinstance(zone, Zone) else layout_named(layout).zone(zone)


def put_digits(arr: np.ndarray, layout: str, zone: str | Zone, values, rows=slice(None)) -> None:
    """Write non-negative integers right-aligned and zero-filled into a zone."""
    z = _zone(layout, zone)
    v = np.asarray(values, dtype=np.int64)
    if np.any(v < 0):
        raise ValueError(f"negative value for digits zone {layout}/{z.zone}")
    if np.any(v >= _POW10[min(z.digits, 18)]) and z.digits < 19:
        raise ValueError(f"value too long for zone {layout}/{z.zone} ({z.digits} digits)")
    if v.ndim == 0:  # one value for every row: format it once
        text = f"{int(v):0{z.length}d}"[-z.length :]  # the low digits, as below
        arr[rows, z.start : z.end] = np.frombuffer(text.encode(), np.uint8)
        return
    if _few(v, arr, rows):  # a few rows: one by one
        for i, x in enumerate(v.tolist()):
            put_digits(arr, layout, z, x, rows=i)
        return
    for k in range(z.length):
        arr[rows, z.end - 1 - k] = 48 + (v // _POW10[k]) % 10


def put_signed(arr: np.ndarray, layout: str, zone: str | Zone, values, rows=slice(None)) -> None:
    """Write signed integers as ``+``/``-`` followed by zero-filled digits."""
    z = _zone(layout, zone)
    v = np.asarray(values, dtype=np.int64)
    mag = np.abs(v)
    if np.any(mag >= _POW10[z.digits]):
        raise ValueError(f"value too long for zone {layout}/{z.zone} ({z.digits} digits)")
    if v.ndim == 0:  # one value for every row: format it once
        text = f"{'-' if v < 0 else '+'}{int(mag):0{z.digits}d}"
        arr[rows, z.start : z.end] = np.frombuffer(text.encode(), np.uint8)
        return
    if _few(v, arr, rows):  # a few rows: one by one
        for i, x in enumerate(v.tolist()):
            put_signed(arr, layout, z, x, rows=i)
        return
    arr[rows, z.start] = np.where(v < 0, ord("-"), ord("+"))
    for k in range(z.digits):
        arr[rows, z.end - 1 - k] = 48 + (mag // _POW10[k]) % 10


def put_text(arr: np.ndarray, layout: str, zone: str | Zone, text, rows=slice(None)) -> None:
    """Write text left-aligned and blank-filled (one value for all rows, or one per row).

    Text is ASCII (the format counts one byte per position); longer text is cut.
    """
    z = _zone(layout, zone)
    if isinstance(text, (str, bytes)):
        raw = text.encode("ascii") if isinstance(text, str) else text
        cell = np.full(z.length, ord(" "), dtype=np.uint8)
        raw = raw[: z.length]
        cell[: len(raw)] = np.frombuffer(raw, dtype=np.uint8)
        arr[rows, z.start : z.end] = cell
        return
    fixed = np.asarray(text, dtype=f"S{z.length}")
    cells = np.frombuffer(np.char.ljust(fixed, z.length).tobytes(), dtype=np.uint8)
    arr[rows, z.start : z.end] = cells.reshape(-1, z.length)


def put_raw(arr: np.ndarray, start: int, raw: np.ndarray | bytes, rows=slice(None)) -> None:
    """Copy bytes (one value, or one row per record) to 0-based position ``start``."""
    if isinstance(raw, (bytes, bytearray)):
        raw = np.frombuffer(bytes(raw), dtype=np.uint8)
    width = raw.shape[-1]
    arr[rows, start : start + width] = raw
