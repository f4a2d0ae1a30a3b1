"""Opening a billing file: a path (memory-mapped or read in chunks) or a bytes-like object."""

from __future__ import annotations

import contextlib
import mmap
import os
from collections.abc import Iterator
from contextlib import contextmanager

from vsbengine.errors import InputError
from vsbengine.formats.efact.chunks import Reader, open_reader

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
    path = os.fspath(source)
    if os.path.isdir(path):
        raise InputError("is a folder, not a file", path=path)
    try:
        reader, handle = open_reader(path, memory_limit)
    except OSError as exc:
        raise _path_error(path, exc) from None
    try:
        yield reader, path
    except OSError as exc:
        raise _path_error(path, exc) from None
    finally:
        if isinstance(handle, int):
            os.close(handle)
        elif handle is not None:
            # Views of the map may still be alive; it closes when they go.
            with contextlib.suppress(BufferError):
                handle.close()


def load(source) -> tuple[bytes | bytearray | memoryview | mmap.mmap, str | None]:
    """Return ``(buffer, name)``: the whole content of a path (memory-mapped) or a
    bytes-like object as it is. For small inputs (answer messages)."""
    if isinstance(source, (bytes, bytearray, memoryview, mmap.mmap)):
        return source, None
    if not isinstance(source, (str, os.PathLike)):
        raise TypeError(f"source must be a path or bytes-like, not {type(source).__name__}")
    path = os.fspath(source)
    try:
        with open(path, "rb") as fh:
            return fh.read(), path
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
