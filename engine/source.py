"""Opening a billing file: a path (memory-mapped) or a bytes-like object."""

from __future__ import annotations

import mmap
import os
from vsbengine.errors import InputError

#: Names of the answer messages; a file starting with one is not a sending.
ANSWER_MESSAGES = ("931000", "920999", "920098", "920099", "920900")


def load(source) -> tuple[object, str | None]:
    """Return ``(buffer, name)`` for a path or a bytes-like object.

    A path is memory-mapped read-only (any size that fits the disk; the map
    lives as long as something refers to it); a bytes-like object is used as it
    is. Raises :class:`InputError` for a missing or unreadable file.
    """
    if isinstance(source, (bytes, bytearray, memoryview, mmap.mmap)):
        return source, None
    if not isinstance(source, (str, os.PathLike)):
        raise TypeError(f"source must be a path or bytes-like, not {type(source).__name__}")
    path = os.fspath(source)
    try:
        fh = open(path, "rb")
    except FileNotFoundError:
        raise InputError("no such file", path=path) from None
    except IsADirectoryError:
        raise InputError("is a folder, not a file", path=path) from None
    except PermissionError:
        raise InputError("permission denied", path=path) from None
    except OSError as exc:
        raise InputError(f"cannot open: {exc.strerror}", path=path) from None
    with fh:
        if os.fstat(fh.fileno()).st_size == 0:
            return b"", path
        try:
            return mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ), path
        except (OSError, ValueError):
            # Not mappable (a pipe, a special file): read it.
            return fh.read(), path


def sniff(data, path: str | None) -> None:
    """Refuse input that is not a billing file at all (exit code 2 in the CLI)."""
    if len(data) == 0:
        raise InputError("empty file: not a billing file", path=path, offset=0)
    head = bytes(data[:6])
    if len(head) < 6 or not head.isdigit():
        raise InputError(
            "not a billing file: it does not start with a six-digit message name (920000)",
            path=path, offset=0,
        )
    name = head.decode("ascii")
    if name in ANSWER_MESSAGES:
        raise InputError(
            f"this is an answer message ({name}), not a sending; read it with 'vsbengine read'",
            path=path, offset=0,
        )
