"""Cutting a billing file into chunks at invoice boundaries.

A chunk ends right after a record 80 (the end of an invoice), so that every
check of an invoice sees the whole invoice. A small file is one chunk; a big
one is validated chunk by chunk with bounded memory, and chunks can go to
several threads (the core releases the GIL). Each chunk after the first is
checked together with a copy of the file's segments 200/300, its record 10 and
the record just before the chunk, so that the cross-record checks (record 90
against 10, sequence numbers, record order, invoice order) work across the cut;
errors on those copies are not reported again.

Reading goes through a memory map (zero copy) or, with a memory limit, through
``pread`` into buffers of the chunk's size, so that the mapped file does not
count against the limit.
"""

from __future__ import annotations

import mmap
import os
import weakref
from dataclasses import dataclass, field

import numpy as np

from vsbengine import _core
from vsbengine.errors import InputError
from vsbengine.formats.efact.compiled import LAYOUTS
from vsbengine.formats.efact.sending import Sending, core_tables

#: Chunk size when no memory limit is given: files up to this size are one chunk.
DEFAULT_CHUNK = 512 * 1024 * 1024
#: Bytes of memory a chunk costs per byte of its size (buffer, columns, work arrays).
MEMORY_PER_BYTE = 6
_L80 = LAYOUTS.index["80"]
_L10 = LAYOUTS.index["10"]


#: What a file that shrank while it was read is told as.
SHRANK = (
    "the file shrank while it was read (another process truncated or rewrote it): "
    "nothing was concluded from it; validate it again once it is complete"
)


def map_file(fd: int) -> tuple[mmap.mmap, int]:
    """A read-only map of the file open at ``fd``, guarded against the file shrinking
    while it is read (:func:`vsbengine._core.guard_map`: the pages past its new end read
    as zeros instead of killing the process); the guard ends with the map."""
    mm = mmap.mmap(fd, 0, access=mmap.ACCESS_READ)
    guard = _core.guard_map(mm)
    if guard >= 0:
        weakref.finalize(mm, _core.unguard_map, guard)
    return mm, guard


def shrank(guard: int) -> bool:
    """Whether the file of a guarded map shrank while the map was read."""
    return guard >= 0 and _core.map_shrank(guard)


class Reader:
    """Byte ranges of a source: a bytes-like object, a memory map, or a file read with pread."""

    def __init__(
        self,
        data=None,
        *,
        fd: int | None = None,
        size: int | None = None,
        mapped: bool = False,
        guard: int = -1,
    ) -> None:
        if data is None and (fd is None or size is None):
            raise ValueError("a Reader needs data, or a file descriptor and its size")
        self.data = data
        self.fd = fd
        #: ``data`` is a read-only shared map of a file (made by :func:`open_reader`):
        #: the scan may give its pages back as it goes.
        self.mapped = mapped
        #: The map's guard (:func:`map_file`), -1 for none.
        self.guard = guard
        self.size = len(data) if data is not None else int(size)  # type: ignore[arg-type]

    @property
    def shrank(self) -> bool:
        """The mapped file shrank while it was read (its bytes past the end read as zeros)."""
        return shrank(self.guard)

    def read(self, start: int, end: int):
        """Bytes ``[start, end)`` (a view of the data or the map, or a new bytearray)."""
        end = min(end, self.size)
        if start >= end:
            return b""
        if self.data is not None:
            return memoryview(self.data)[start:end]
        out = bytearray(end - start)
        self.read_into(start, memoryview(out))
        return out

    def drop(self, start: int, length: int) -> None:
        """Give back the whole pages of ``[start, start + length)`` of a mapped file
        (:func:`vsbengine._core.drop_pages`, as the scan does; they are read again from
        the page cache when touched); nothing otherwise."""
        if self.mapped:
            _core.drop_pages(memoryview(self.data)[start : start + length])

    def read_into(self, start: int, view: memoryview) -> None:
        """Fill ``view`` with the bytes from ``start`` on (they must exist)."""
        if self.data is not None:
            view[:] = memoryview(self.data)[start : start + len(view)]
            return
        got = 0
        assert self.fd is not None
        while got < len(view):
            n = os.preadv(self.fd, [view[got:]], start + got)
            if n == 0:
                raise OSError("file shrank while being read")
            got += n


@dataclass(frozen=True)
class Chunk:
    """A run of whole records: bytes ``[start, end)`` of the file."""

    index: int
    start: int
    end: int
    #: Index (in the whole file) of the chunk's first record unit (units 0/1 are
    #: the segments).
    first_unit: int
    #: Record units in the chunk (-1 for a file that is one chunk: not counted ahead).
    units: int
    #: Bytes ``[start, end)`` of the record before the chunk, or None.
    previous: tuple[int, int] | None
    last: bool
    #: Record type of the unit right after the chunk (None: the last chunk, or a unit
    #: of no type of message 920000).
    next_type: int | None = None


@dataclass
class Plan:
    size: int
    #: Offset of the first record (after segments 200/300 and their line breaks).
    header_end: int
    lines: bool
    #: Bytes ``[start, end)`` of the first record 10 (with its line break), or None.
    record10: tuple[int, int] | None
    #: Offsets of segments 200 and 300 (-1 when absent).
    segments: tuple[int, int] = (-1, -1)
    chunks: list[Chunk] = field(default_factory=list)

    def prefix(self, reader: Reader, chunk: Chunk) -> tuple[bytes, int]:
        """Bytes to put before a chunk (segments, record 10, previous record) and the
        number of record units they hold."""
        if chunk.index == 0:
            return b"", 0
        parts = [bytes(reader.read(0, self.header_end))]
        units = 0
        if self.record10 is not None:
            parts.append(bytes(reader.read(*self.record10)))
            units += 1
        if chunk.previous is not None and chunk.previous != self.record10:
            parts.append(bytes(reader.read(*chunk.previous)))
            units += 1
        return b"".join(parts), units


def scan_chunk(
    reader: Reader, plan: Plan, chunk: Chunk, *, today: int = 0, rules: bool = True
) -> Sending:
    """Read one chunk (with the copies its checks need before it) and scan it: the one
    place where chunks become :class:`~vsbengine.formats.efact.sending.Sending` objects
    (``today``: what the rules take as today; ``rules``: run them)."""
    prefix, n_prefix = plan.prefix(reader, chunk)
    drop_pages = False
    if prefix:
        # One buffer for the copies and the chunk: no second copy of the chunk.
        data: object = bytearray(len(prefix) + chunk.end - chunk.start)
        view = memoryview(data)  # type: ignore[arg-type]
        view[: len(prefix)] = prefix
        reader.read_into(chunk.start, view[len(prefix) :])
        # Copied: the map's pages of the chunk go back (the page cache keeps them).
        reader.drop(chunk.start, chunk.end - chunk.start)
    else:
        data = reader.read(chunk.start, chunk.end)
        drop_pages = reader.mapped
    return Sending(
        data,
        own_first=2 + n_prefix,
        last=chunk.last,
        next_type=chunk.next_type,
        unit_base=chunk.first_unit,
        offset_base=chunk.start - len(prefix),
        own_offset=len(prefix),
        today=today,
        rules=rules,
        drop_pages=drop_pages,
    )


def _frame(buf, body: bool, lines: bool):
    return _core.scan(buf, core_tables(), framing_cap=0, body=body, lines=lines, framing_only=True)


def plan(reader: Reader, chunk_bytes: int = DEFAULT_CHUNK) -> Plan:
    """Frame the file (types and positions only) and cut it into chunks."""
    size = reader.size
    # The segments, the first record and where the unit after it starts: what the
    # copies before every chunk are cut from. Broken framing (a short line after the
    # record 10) can put that start further: the window grows, up to a chunk's size
    # (a file that is one chunk needs no copies).
    window = 67 + 2 + 160 + 2 + 2 * 352
    while True:
        head = _frame(reader.read(0, min(size, window)), body=False, lines=False)
        if len(head.offsets) > 3 or window >= min(size, chunk_bytes) or size <= chunk_bytes:
            break
        window *= 4
    offsets, layout = head.offsets, head.layout
    lines = head.lines
    header_end = int(offsets[2]) if len(offsets) > 2 and offsets[2] >= 0 else size
    record10 = None
    if len(offsets) > 2 and layout[2] == _L10:
        first = int(offsets[2])
        if len(offsets) > 3:
            record10 = (first, int(offsets[3]))
        else:
            # The record 10 is the file's last unit, or no unit after it was framed
            # within a chunk's size: its copy is one record and a line break, never
            # the rest of the file (which every chunk would then scan again).
            record10 = (first, min(size, first + 352))
    seg200, seg300 = (int(offsets[i]) if len(offsets) > i else -1 for i in (0, 1))
    segments = (seg200, seg300)
    result = Plan(
        size=size, header_end=header_end, lines=lines, record10=record10, segments=segments
    )
    if size <= chunk_bytes:
        # One chunk: its record count comes from its own scan (see Summary.units).
        result.chunks.append(Chunk(0, 0, size, 2, -1, None, True))
        return result

    pos, first_unit, previous = 0, 2, None
    while pos < size:
        want = chunk_bytes
        while True:
            block_end = min(pos + want, size)
            body = pos > 0
            scan = _frame(reader.read(pos, block_end), body=body, lines=lines)
            reader.drop(pos, block_end - pos)  # framed: the pages go back until the scan
            off, lay = scan.offsets, scan.layout
            if block_end == size:
                cut_unit, cut = len(off), size
                break
            # The last record 80 with a unit after it: the chunk ends where that unit starts.
            ends = np.flatnonzero(lay[2:-1] == _L80) + 2
            if len(ends):
                cut_unit = int(ends[-1]) + 1
                cut = pos + int(off[cut_unit])
                break
            if want >= 4 * chunk_bytes and len(off) > 3:
                # No invoice ends in four chunks' worth of bytes (a broken file):
                # cut at a record boundary rather than hold it all.
                cut_unit = len(off) - 1
                cut = pos + int(off[cut_unit])
                break
            want *= 2
        units = cut_unit - 2
        last = cut >= size
        after = int(lay[cut_unit]) if cut_unit < len(lay) else -1
        next_type = (
            int(LAYOUTS.layout_rtype[after]) if 0 <= after < len(LAYOUTS.layout_rtype) else None
        )
        result.chunks.append(
            Chunk(len(result.chunks), pos, cut, first_unit, units, previous, last, next_type)
        )
        if cut_unit >= 3:
            previous = (pos + int(off[cut_unit - 1]), cut)
        first_unit += units
        pos = cut
    return result


def open_reader(source, memory_limit: int | None):
    """A :class:`Reader` for a path or a bytes-like object, and the thing to close.

    With a memory limit, a path is read with pread; otherwise it is memory-mapped.
    """
    if not isinstance(source, (str, os.PathLike)):
        return Reader(source), None
    fd = os.open(os.fspath(source), os.O_RDONLY)
    size = os.fstat(fd).st_size
    if memory_limit is None and size:
        try:
            mm, guard = map_file(fd)
        except (OSError, ValueError):
            return Reader(fd=fd, size=size), fd
        os.close(fd)
        return Reader(mm, mapped=True, guard=guard), mm
    return Reader(fd=fd, size=size), fd


def resident_bytes() -> int:
    """Memory the process holds now (Linux: /proc/self/statm; elsewhere an estimate)."""
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 64 << 20


def chunk_size(memory_limit: int | None, threads: int = 1) -> int:
    """The chunk size that keeps ``threads`` chunks in flight within ``memory_limit``
    (which counts the whole process: what it holds already is set aside)."""
    if memory_limit is None:
        return DEFAULT_CHUNK
    budget = memory_limit - resident_bytes()
    return max(1 << 20, budget // (MEMORY_PER_BYTE * max(threads, 1)))


class Scanned:
    """The scanned chunks of one sending, for the writers of its answers.

    Kept from the validation (``kept``: every chunk's
    :class:`~vsbengine.formats.efact.sending.Sending`, in file order), or scanned
    again chunk by chunk from ``source`` (a path or bytes) when they were not kept: a
    second streaming pass within ``memory_limit`` (in chunks cut for what the limit
    leaves then), or the first scan of a command that writes the answers of a saved
    result. ``plan`` is the validation's.
    """

    def __init__(
        self,
        source,
        *,
        memory_limit: int | None = None,
        plan: Plan | None = None,
        kept: list[Sending] | None = None,
        guard: int = -1,
    ) -> None:
        self.source = source
        self.memory_limit = memory_limit
        self.plan = plan
        self.kept = kept
        self.guard = guard  # of the map the kept scans (or ``source``) are views of

    def __iter__(self):
        """The chunks' sendings, in file order. Raises
        :class:`~vsbengine.errors.InputError` after the last one when the mapped file
        shrank meanwhile (what was read of it past its end was zeros)."""
        if self.kept is not None:
            yield from self.kept
        else:
            from vsbengine.source import open_source

            with open_source(self.source, self.memory_limit) as (reader, _):
                # Cut anew: the chunks must fit what the limit leaves now (the validation's
                # result and the heap it left behind take their share).
                plan_ = plan(reader, chunk_size(self.memory_limit))
                for chunk in plan_.chunks:
                    yield scan_chunk(reader, plan_, chunk, rules=False)
        if shrank(self.guard):
            raise InputError(SHRANK, path=self.source if isinstance(self.source, str) else None)
