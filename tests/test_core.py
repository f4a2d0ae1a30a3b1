"""The compiled core's boundary: the typed scan, its counters, and the row kernels."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys

import numpy as np
import pytest
from efact_edit import clean
from hypothesis import given, settings
from hypothesis import strategies as st

from vsbengine import _core
from vsbengine.formats.efact.compiled import KINDS, LAYOUTS
from vsbengine.formats.efact.sending import core_tables

P = _core.PartKind


def test_the_scan_is_a_typed_object_and_is_counted():
    data = clean(40, seed=201)
    before = _core.scan_counts()
    s = _core.scan(data, core_tables())
    _core.scan(data, core_tables(), framing_only=True)
    after = _core.scan_counts()
    assert isinstance(s, _core.Scan)
    assert (after.scans - before.scans, after.bytes - before.bytes) == (1, len(data))
    assert (after.framings - before.framings, after.framing_bytes - before.framing_bytes) == (
        1,
        len(data),
    )
    assert len(s.slots) == len(LAYOUTS.slot_names) and s.size == len(data)
    assert sum(len(u) for u in s.units) == len(s.offsets)  # every unit, by layout
    assert s.offsets[2] == 227 and len(s.finding_unit) == 0 and s.framing_total == 0
    with pytest.raises(AttributeError):
        s.offsets = None  # read-only


def test_the_python_side_reads_the_cores_constants():
    # One source: the enums of _core.pxd, not copies.
    assert KINDS == {"N": 0, "D": 1, "Y": 2, "S": 3, "A": 4, "X": 5}
    assert _core.FINDINGS["MISSING"] == _core.Finding.E_MISSING == 10
    assert _core.FRAMING["TRUNCATED"] == _core.FramingKind.FR_TRUNCATED


def render(parts, rows) -> list[str]:
    out, ends = _core.render_rows(parts, rows)
    text = bytes(out).decode()
    starts = [0, *ends[:-1].tolist()]
    return [text[a:b] for a, b in zip(starts, ends.tolist())]


def test_render_rows_writes_every_kind():
    v = np.array([0, 7, -7, 123456789, -(2**63), 2**63 - 1])
    n = len(v)
    rows = render(
        [
            (P.P_TEXT, b"<", 0),
            (P.P_INT, v, 0),
            (P.P_TEXT, b"|", 0),
            (P.P_ZFILL, v, 4),
            (P.P_TEXT, b"|", 0),
            (P.P_COPY, (b"xyz", np.array([0, 1, 2, 0, 1, 2])), 1),
            (P.P_TEXT, b">", 0),
        ],
        n,
    )
    assert rows == [f"<{x}|{str(x).zfill(4)}|{'xyz'[i % 3]}>" for i, x in enumerate(v.tolist())]
    fixed = render(
        [
            (P.P_DIGITS, np.array([0, 42, 999999]), 6),
            (P.P_SIGNED, np.array([0, -42, 99999]), 6),
            (P.P_DATE, np.array([20261123, 20240229, 19991231]), 0),
        ],
        3,
    )
    assert fixed == ["000000+000002026-11-23", "000042-000422024-02-29", "999999+999991999-12-31"]


@pytest.mark.parametrize(
    "part,message",
    [
        ((P.P_DIGITS, np.array([1234567]), 6), "part 0: value of row 0 does not fit"),
        ((P.P_DIGITS, np.array([-1]), 6), "part 0: value of row 0 does not fit"),
        ((P.P_SIGNED, np.array([100000]), 6), "part 0: value of row 0 does not fit"),
        ((P.P_COPY, (b"ab", np.array([2])), 1), "part 0: value of row 0 does not fit"),
    ],
)
def test_render_rows_refuses_what_does_not_fit(part, message):
    with pytest.raises(ValueError, match=message):
        _core.render_rows([part], 1)


def test_render_rows_into_a_buffer_keeps_what_it_skips():
    buf = bytearray(b"....|....|" * 3)
    view, _ = _core.render_rows([(P.P_DIGITS, np.array([1, 2, 3]), 4), (P.P_SKIP, None, 6)], 3, buf)
    assert bytes(view) == b"0001|....|0002|....|0003|....|"
    with pytest.raises(ValueError, match="out holds 30 bytes"):
        _core.render_rows([(P.P_DIGITS, np.array([1] * 4), 4), (P.P_SKIP, None, 6)], 4, buf)


def test_write_interleaved(tmp_path):
    records = b"AAAABBBBCCCC"
    rows = b"1-2-3-"
    path = tmp_path / "out"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT)
    try:
        _core.write_interleaved(fd, records, np.array([8, 0, 4]), 4, rows, 2, 3)
        with pytest.raises(ValueError, match="line 0: offset 9 outside the records"):
            _core.write_interleaved(fd, records, np.array([9]), 4, rows, 2, 1)
    finally:
        os.close(fd)
    assert path.read_bytes() == b"CCCC1-AAAA2-BBBB3-"
    with pytest.raises(OSError):
        _core.write_interleaved(fd, records, np.array([0]), 4, rows, 2, 1)  # closed


def test_control_rows():
    # Lines of 4 bytes; a control byte is one below 0x20 or 0x7F (not 0x80-0xFF, not
    # the blank).
    lines = [b"AB\rD", b"efgh", b"\x7fijk", b"l\x00m\x1f", b"n\x80o\xff", b"p q "]
    records = b"".join(lines) + b"r"
    offsets = np.arange(0, 24, 4, dtype=np.int64)
    assert _core.control_rows(records, offsets, 4).tolist() == [0, 2, 3]
    assert _core.control_rows(records, offsets[[3, 1, 0]], 4).tolist() == [0, 2]
    assert _core.control_rows(records, np.array([5]), 3).tolist() == []  # "fgh"
    assert _core.control_rows(records, np.array([5]), 4).tolist() == [0]  # "fgh\x7f"
    assert _core.control_rows(records, np.zeros(0, np.int64), 4).tolist() == []
    assert _core.control_rows(records, offsets, 0).tolist() == []
    with pytest.raises(ValueError, match="line 0: offset 22 outside the records"):
        _core.control_rows(records, np.array([22]), 4)
    with pytest.raises(ValueError, match="negative width"):
        _core.control_rows(records, offsets, -1)


def _zone_findings(data: bytes):
    scan = _core.scan(data, core_tables())
    return [
        (int(u), LAYOUTS.zones[int(z)].layout, LAYOUTS.zones[int(z)].zone, int(k))
        for u, z, k in zip(scan.finding_unit, scan.finding_zone, scan.finding_kind)
    ]


@pytest.mark.parametrize(
    "at,text,zone",
    [
        (195, "1", "39"),  # a digit: the masked comparison of all reserved zones
        (346, "7", "59"),
        (235, "A", "45"),  # a letter: the character classes find it first
        (52, " ", "12"),  # a blank
    ],
)
def test_reserved_zones_must_hold_zeros(at, text, zone):
    """F_ZERO -> E_NOT_ZERO once, on the sub-zone that holds something else."""
    data = bytearray(clean(30, seed=83))
    r80 = next(i for i in range(227, len(data), 350) if data[i : i + 2] == b"80")
    data[r80 + at - 1 : r80 + at - 1 + len(text)] = text.encode()
    unit = 2 + (r80 - 227) // 350
    found = [f for f in _zone_findings(bytes(data)) if f[0] == unit]
    not_zero = int(_core.Finding.E_NOT_ZERO)
    assert [f for f in found if f[3] == not_zero] == [(unit, "80", zone, not_zero)]


def test_reserved_zones_that_may_be_blank():
    data = bytearray(clean(30, seed=83))
    data[227 + 234 : 227 + 260] = b" " * 26  # record 10 zone 45: blanks (zb)
    assert _zone_findings(bytes(data)) == [(2, "10", "99", int(_core.Finding.E_CHECK))]
    data[227 + 234] = ord("0")  # zeros and blanks mixed: neither
    assert (2, "10", "45", int(_core.Finding.E_NOT_ZERO)) in _zone_findings(bytes(data))


def _resident(address: int) -> int:
    """Bytes resident of the mapping that holds ``address`` (Linux's smaps)."""
    with open("/proc/self/smaps") as fh:
        inside = False
        for line in fh:
            head = line.split()[0]
            if "-" in head and all(c in "0123456789abcdef-" for c in head):
                lo, hi = (int(x, 16) for x in head.split("-"))
                inside = lo <= address < hi
            elif inside and line.startswith("Rss:"):
                return int(line.split()[1]) * 1024
    raise LookupError("no such mapping")


@contextlib.contextmanager
def _mapped_sending(tmp_path, seed: int):
    """A generated sending of 21 MB, as bytes and as a read-only map of its file, and
    the map's address (for :func:`_resident`); the map is closed after."""
    import mmap

    from vsbengine.formats.efact.generate import generate

    data = generate(60_000, seed=seed, month=202610, error_rate=0.01).tobytes()
    path = tmp_path / "s.920000"
    path.write_bytes(data)
    with open(path, "rb") as fh:
        mm = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
    try:
        yield data, mm, np.frombuffer(mm, dtype=np.uint8).ctypes.data
    finally:
        mm.close()


@pytest.mark.skipif(not os.path.exists("/proc/self/smaps"), reason="Linux's smaps")
def test_a_file_map_gives_its_pages_back_behind_the_scan(tmp_path):
    """drop_pages: the same scan as of the bytes, the map reads the same bytes after it,
    and the file was not left resident (its pages went back as the scan went)."""
    with _mapped_sending(tmp_path, 5) as (data, mm, address):
        ref = _core.scan(data, core_tables())
        got = _core.scan(mm, core_tables(), drop_pages=True)
        assert _resident(address) < len(data) // 2
        for name in ("offsets", "layout", "finding_unit", "finding_zone", "finding_kind"):
            assert np.array_equal(getattr(got, name), getattr(ref, name)), name
        assert np.array_equal(got.rule_unit, ref.rule_unit) and len(ref.rule_unit)
        assert all(np.array_equal(a, b) for a, b in zip(got.slots, ref.slots))
        assert mm[:] == data


@pytest.mark.parametrize("rtype", ["10", "20", "30", "50", "51", "80"])
def test_every_byte_of_a_reserved_zone_is_compared(rtype):
    """The layout's zero masks cover every byte of its zeros-only reserved zones (the
    16-byte blocks and the tail of the masked span alike)."""
    base = bytearray(clean(60, seed=1))
    at = next(i for i in range(227, len(base), 350) if base[i : i + 2] == rtype.encode())
    unit = 2 + (at - 227) // 350
    not_zero = int(_core.Finding.E_NOT_ZERO)
    zones = [z for z in LAYOUTS.layout(rtype).zones if z.must_be_zero and not z.blank_ok]
    assert zones
    for z in zones:
        for j in range(z.start, z.end):
            data = bytearray(base)
            data[at + j] = ord("7")
            found = [f for f in _zone_findings(bytes(data)) if f[0] == unit and f[3] == not_zero]
            assert found == [(unit, rtype, z.zone, not_zero)], (z.zone, j)


def _before_a_guard_page(data: bytes):
    """``data`` as a buffer that ends where a page that may not be read begins: a read
    past its end is a crash here, not a silent look at the bytes after it."""
    import ctypes
    import ctypes.util

    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    libc.mmap.restype = ctypes.c_void_p
    libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int]
    libc.mmap.argtypes += [ctypes.c_int, ctypes.c_long]
    libc.mprotect.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
    page = os.sysconf("SC_PAGE_SIZE")
    pages = -(-len(data) // page) + 1
    base = libc.mmap(None, pages * page, 3, 0x22, -1, 0)  # read+write, private+anonymous
    assert base not in (None, ctypes.c_void_p(-1).value)
    assert libc.mprotect(base + (pages - 1) * page, page, 0) == 0
    start = base + (pages - 1) * page - len(data)
    ctypes.memmove(start, data, len(data))
    return memoryview((ctypes.c_char * len(data)).from_address(start)).cast("B")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="mmap flags of Linux")
def test_the_scan_reads_nothing_past_the_end_of_the_bytes():
    """A file that ends with each record type, whole, one byte short or cut in the
    middle, with and without line breaks: the unit functions read zones 8 bytes at a
    time, never past the bytes given (in a child process: a crash fails the test)."""
    script = f"""
import sys
sys.path[:0] = {sys.path!r}
import vsbengine
from efact_edit import clean, lined
from test_core import _before_a_guard_page
data = clean(200, seed=4)
recs = [data[i : i + 350] for i in range(227, len(data), 350)]
for t in sorted({{r[:2] for r in recs}}):
    last = next(r for r in recs if r[:2] == t)
    for tail in (last, last[:349], last[:200]):
        d = data[:227] + b"".join(recs[:30]) + tail
        for d in (d, lined(d), d[:-1], lined(d)[:-2]):
            vsbengine.validate(_before_a_guard_page(d), today=20261123)
print("read", len(recs))
"""
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.startswith("read"), out.stderr[-2000:]


@given(
    marks=st.lists(st.integers(-5, 60), max_size=40),
    units=st.lists(st.integers(-5, 60), max_size=40),
)
@settings(max_examples=300, deadline=None)
def test_last_before_is_the_last_mark_below_each_unit(marks, units):
    m = np.sort(np.array(marks, dtype=np.int64))
    u = np.sort(np.array(units, dtype=np.int64))
    at = np.searchsorted(m, u) - 1
    want = np.where(at >= 0, m[np.maximum(at, 0)] if len(m) else -1, -1)
    assert _core.last_before(m, u).tolist() == want.tolist()


@given(
    marks=st.lists(st.integers(0, 60), max_size=40),
    units=st.lists(st.integers(0, 60), max_size=40),
    bars=st.lists(st.lists(st.integers(0, 60), max_size=20), max_size=3),
)
@settings(max_examples=300, deadline=None)
def test_last_before_with_bars_is_minus_one_where_a_bar_came_between(marks, units, bars):
    m = np.sort(np.array(marks, dtype=np.int64))
    u = np.sort(np.array(units, dtype=np.int64))
    b = [np.sort(np.array(x, dtype=np.int64)) for x in bars]
    last = _core.last_before(m, u)
    bar = np.full(len(u), -1, dtype=np.int64)
    for x in b:
        bar = np.maximum(bar, _core.last_before(x, u))
    want = np.where(last > bar, last, -1)
    assert _core.last_before(m, u, *b).tolist() == want.tolist()


@pytest.mark.parametrize(
    "marks, units, bars", [([3, 1], [2], []), ([1, 3], [4, 2], []), ([1, 3], [4], [[2, 1]])]
)
def test_last_before_wants_ascending_arrays(marks, units, bars):
    with pytest.raises(ValueError, match="ascending"):
        _core.last_before(np.array(marks), np.array(units), *map(np.array, bars))


def test_last_before_takes_at_most_four_bars():
    with pytest.raises(ValueError, match="four"):
        _core.last_before(np.arange(3), np.arange(3), *([np.arange(2)] * 5))


@pytest.mark.skipif(not os.path.exists("/proc/self/smaps"), reason="Linux's smaps")
def test_the_digest_of_a_mapped_file_gives_its_pages_back(tmp_path):
    """validate(..., digest=True) hashes the file beside the scan: behind the hash the
    map's pages go back too, so the digest does not make the whole file resident."""
    from vsbengine import digest
    from vsbengine.formats.efact.chunks import Reader
    from vsbengine.pipeline import _Digest

    with _mapped_sending(tmp_path, 6) as (data, mm, address):
        assert _Digest(Reader(mm, mapped=True)).result() == digest.of_bytes(data)
        assert _resident(address) < len(data) // 2
        assert _Digest(Reader(data)).result() == digest.of_bytes(data)  # bytes: kept
        assert mm[:] == data


@pytest.mark.skipif(not os.path.exists("/proc/self/smaps"), reason="Linux's smaps")
def test_interleaved_lines_from_a_mapped_file_give_their_pages_back(tmp_path):
    """write_interleaved(drop=True): the same lines, and the scattered records read from
    the map (each read maps its neighbours too) do not stay resident."""
    with _mapped_sending(tmp_path, 8) as (data, mm, address):
        offsets = np.arange(227, len(data) - 350, 350 * 37, dtype=np.int64)  # every 37th
        rows = bytes(range(48, 58)) * len(offsets)
        want = b"".join(
            data[o : o + 350] + rows[i * 10 : i * 10 + 10] for i, o in enumerate(offsets)
        )
        with open(tmp_path / "out", "wb") as out:
            view = memoryview(mm)
            _core.write_interleaved(out.fileno(), view, offsets, 350, rows, 10, len(offsets), True)
            del view
        assert (tmp_path / "out").read_bytes() == want
        assert _resident(address) < len(data) // 4
