"""Opening a billing file: a path (memory-mapped or read in chunks) or a bytes-like object."""

from __future__ import annotations

import contextlib
import mmap
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager

from vsbengine.errors import InputError
from vsbengine.formats.efact.chunks import SHRANK, Reader, open_reader

#: Names of the answer messages; a file starting with one is not a sending.
ANSWER_MESSAGES = ("931000", "920999", "920098", "920099", "920900")


def _path_error(path: str, exc: OSError) -> InputError:
    if isinstance(exc, FileNotFoundError):
        return InputError("no such file", path=path)
    if isinstance(exc, IsADirectoryError):
        return InputError("is a folder, not a file", path=path)
    if isinstance(exc, PermissionError):
        return InputError("permission denied", path=path)
    return InputError(f"cannot read: {exc.strerror or exc}", path=path)


# Longer than any path a file system takes (PATH_MAX, NAME_MAX on Linux).
_PATH_MAX, _NAME_MAX = 4096, 255
#: A str as long as a segment 200 that starts with six digits and names no file is the
#: content of a message, not a path: never quoted (it holds national numbers).
_SEGMENT_200 = 67


def as_path(source) -> str:
    """The path a ``str`` or path-like names; :class:`InputError` for one that cannot be
    a path (the content of a file given as text, say), without quoting it. A ``str``
    with a line break, or as long as a segment 200 and starting with six digits, is a
    path only when it names a file (file names may hold line breaks)."""
    path = os.fspath(source)
    if isinstance(path, bytes):
        path = os.fsdecode(path)
    text_like = isinstance(source, str) and (
        any(c in path for c in "\n\r") or (len(path) >= _SEGMENT_200 and path[:6].isdigit())
    )
    if (
        len(path) > _PATH_MAX
        or "\0" in path
        or len(os.path.basename(path)) > _NAME_MAX
        or (text_like and not os.path.lexists(path))
    ):
        raise InputError(
            f"a {type(source).__name__} is taken as the path of a file, and this one "
            f"({len(path)} characters) cannot be a path: pass the content of a billing "
            "file as bytes"
        )
    return path


def flat(buffer):
    """A bytes-like object as the one-dimensional bytes the core reads.

    bytes, bytearray and mmap are taken as they are; a buffer of another shape or item
    format (a memoryview cast to ``"I"`` or to two dimensions, a numpy array) is cast
    to bytes without a copy; a strided one (``view[::2]``, a Fortran-ordered array) is
    copied. Anything else is a :class:`TypeError`."""
    if isinstance(buffer, (bytes, bytearray, mmap.mmap)):
        return buffer
    try:
        view = memoryview(buffer)
    except TypeError:
        raise TypeError(
            f"source must be a path or bytes-like, not {type(buffer).__name__}"
        ) from None
    if view.ndim == 1 and view.format == "B" and view.c_contiguous:
        return view
    return view.cast("B") if view.c_contiguous else view.tobytes()


_KINDS = (
    (stat.S_ISFIFO, "a named pipe"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a device"),
    (stat.S_ISBLK, "a device"),
)


def require_regular(path: str) -> None:
    """Refuse a path of a folder run that is not a regular file (a named pipe, a socket,
    a device, a folder, one that cannot be read saying so): opening a pipe would wait
    for a writer for ever, and a run reads files. A missing or unreadable file is left
    to the reading (which names it)."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return
    if stat.S_ISDIR(mode):
        try:
            os.scandir(path).close()
        except OSError as exc:
            raise InputError(
                f"a folder that cannot be read ({exc.strerror}): its files are not read",
                path=path,
            ) from None
        raise InputError("a folder, not a file", path=path)
    for test, kind in _KINDS:
        if test(mode):
            raise InputError(f"not a regular file but {kind}: not read", path=path)


def stream_limit(memory_limit: int | None = None) -> int:
    """The most a stream (a pipe, standard input, a device) is read into memory: the
    memory limit when one is set, else half the machine's memory."""
    if memory_limit is not None:
        return memory_limit
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") // 2
    except (ValueError, OSError):  # pragma: no cover - every Linux has both
        return 8 << 30


def read_whole(fh, limit: int, name: str | None) -> bytes:
    """All of a stream, refused (a located error, not a MemoryError) past ``limit``
    bytes: /dev/zero or a producer that never stops must not take the machine."""
    parts, size = [], 0
    try:
        while block := fh.read(1 << 20):
            size += len(block)
            if size > limit:
                raise InputError(
                    f"the stream goes on past {limit:,} bytes, the most read into memory: "
                    "give the file itself (it is memory-mapped) or a larger --memory-limit",
                    path=name,
                )
            parts.append(block)
        return b"".join(parts)
    except MemoryError:
        raise InputError(
            f"no memory left after {size:,} bytes of the stream: give the file itself",
            path=name,
        ) from None


def read_stream(source, memory_limit: int | None = None) -> tuple[object, str | None]:
    """``(bytes, path)`` for a path that is not a regular file (a pipe, ``/dev/stdin``, a
    terminal): it can be read only once, so it is read whole (up to
    :func:`stream_limit`); ``(source, None)`` for anything else (a bytes-like object as
    :func:`flat` makes it)."""
    if not isinstance(source, (str, os.PathLike)):
        return flat(source), None
    path = as_path(source)
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return source, None  # open_source names the problem
    if stat.S_ISREG(mode) or stat.S_ISDIR(mode):
        return source, None
    try:
        with open(path, "rb") as fh:
            return read_whole(fh, stream_limit(memory_limit), path), path
    except OSError as exc:
        raise _path_error(path, exc) from None


@contextmanager
def open_source(source, memory_limit: int | None = None) -> Iterator[tuple[Reader, str | None]]:
    """Yield ``(reader, name)`` for a path or a bytes-like object.

    A path is memory-mapped (any size that fits the disk), or read with pread in
    chunks when a memory limit is set. Raises :class:`InputError` for a missing or
    unreadable file.
    """
    if isinstance(source, (bytes, bytearray, memoryview, mmap.mmap)):
        yield Reader(source), None
        return
    if not isinstance(source, (str, os.PathLike)):
        raise TypeError(f"source must be a path or bytes-like, not {type(source).__name__}")
    path = as_path(source)
    if os.path.isdir(path):
        raise InputError("is a folder, not a file", path=path)
    try:
        reader, handle = open_reader(path, memory_limit)
    except OSError as exc:
        raise _path_error(path, exc) from None
    try:
        yield reader, path
        if reader.shrank:
            raise InputError(SHRANK, path=path)
    except OSError as exc:
        raise _path_error(path, exc) from None
    finally:
        if isinstance(handle, int):
            os.close(handle)
        elif handle is not None:
            # Views of the map may still be alive; it closes when they go.
            with contextlib.suppress(BufferError):
                handle.close()


def load(
    source, limit: int | None = None
) -> tuple[bytes | bytearray | memoryview | mmap.mmap, str | None]:
    """Return ``(buffer, name)``: the whole content of a path (at most ``limit`` bytes of
    a stream: :func:`read_whole`) or a bytes-like object as it is. For small inputs
    (answer messages)."""
    if not isinstance(source, (str, os.PathLike)):
        return flat(source), None
    path = as_path(source)
    try:
        with open(path, "rb") as fh:
            return read_whole(fh, stream_limit(limit), path), path
    except OSError as exc:
        raise _path_error(path, exc) from None


def sniff(head: bytes, size: int, path: str | None) -> None:
    """Refuse input that is not a billing file at all (exit code 2 in the CLI)."""
    if size == 0:
        raise InputError("empty file: not a billing file", path=path, offset=0)
    if len(head) < 6 or not head[:6].isdigit():
        raise InputError(
            "not a billing file: it does not start with a six-digit message name (920000)",
            path=path,
            offset=0,
        )
    name = head[:6].decode("ascii")
    if name in ANSWER_MESSAGES:
        raise InputError(
            f"this is an answer message ({name}), not a sending; read it with 'vsbengine read'",
            path=path,
            offset=0,
        )
