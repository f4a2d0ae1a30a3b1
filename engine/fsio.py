"""Writing files whole or not at all: the one atomic-write helper of the package.

Every output the package writes goes through here:

- the data goes to a hidden temporary name in the target's own folder
  (``.<name>.<pid>-<random>.tmp``), is flushed and fsynced, then renamed to its
  final name, and the folder is fsynced so that the rename survives a crash;
- on any failure (a full disk, an interrupt, an exception of the caller) the
  temporary file is removed and the final name is untouched;
- new files get the mode ``open()`` would give them (``0o666`` less the umask),
  not the ``0o600`` of :func:`tempfile.mkstemp`: a bank-upload account that
  shares the group can read a payment file;
- ``replace=False`` never overwrites: an existing final name is refused with
  :class:`FileExistsError`, atomically (a hard link, not a check then a rename).

A crash can still leave a temporary file behind (kill -9 between the write and
the rename). :func:`leftovers` finds them and :func:`remove_leftovers` removes
them; readers of folders skip them because their names start with a dot.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

__all__ = [
    "atomic_open",
    "atomic_write",
    "fsync_dir",
    "is_temporary",
    "json_bytes",
    "leftovers",
    "path_text",
    "publish_dir",
    "remove_leftovers",
    "sha256_file",
    "texts",
]

_SUFFIX = ".tmp"


def path_text(path: str | os.PathLike) -> str:
    """A file's path as text that JSON, SQLite and terminals take: the path itself, or,
    for a name whose bytes are not UTF-8 (a Latin-1 ``é`` from another system, which
    Python holds as a lone surrogate), each such byte written as ``\\xNN``."""
    text = os.fspath(path)
    if isinstance(text, bytes):
        text = os.fsdecode(text)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        try:
            return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
        except UnicodeEncodeError:  # a surrogate no byte became (from JSON, say)
            return text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text


def json_bytes(value) -> bytes:
    """``value`` as JSON (``msgspec.json.encode``); when a str in it is no text JSON
    takes (a file's name whose bytes are not UTF-8), every str as :func:`path_text`
    makes it."""
    import msgspec

    try:
        return msgspec.json.encode(value)
    except UnicodeEncodeError:
        return msgspec.json.encode(texts(msgspec.to_builtins(value)))


def texts(value):
    """``value`` (what ``msgspec.to_builtins`` gives: dicts, lists, str, numbers) with
    every str as :func:`path_text` makes it."""
    if isinstance(value, str):
        return path_text(value)
    if isinstance(value, dict):
        return {texts(k): texts(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [texts(v) for v in value]
    return value


def _temporary(path: Path) -> Path:
    return path.with_name(f".{path.name}.{os.getpid()}-{secrets.token_hex(4)}{_SUFFIX}")


def is_temporary(name: str) -> bool:
    """Whether ``name`` is a temporary name made by this module."""
    return name.startswith(".") and name.endswith(_SUFFIX) and "-" in name


def fsync_dir(folder: str | os.PathLike) -> None:
    """Make the entries of ``folder`` (a rename, a new file) durable."""
    fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    except OSError as exc:  # some file systems cannot fsync a folder
        if exc.errno not in (errno.EINVAL, errno.ENOTSUP, errno.EBADF):
            raise
    finally:
        os.close(fd)


def _place(tmp: Path, path: Path, replace: bool) -> None:
    if replace:
        os.replace(tmp, path)
        return
    try:
        os.link(tmp, path)  # fails with EEXIST: never replaces, and atomic
    except OSError as exc:
        if exc.errno == errno.EEXIST:
            raise FileExistsError(errno.EEXIST, "exists already", str(path)) from None
        if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV):
            raise
        # A file system without hard links: check, then rename (not atomic, but rare).
        if path.exists():
            raise FileExistsError(errno.EEXIST, "exists already", str(path)) from None
        os.replace(tmp, path)
    else:
        os.unlink(tmp)


@contextlib.contextmanager
def atomic_open(path: str | os.PathLike, *, replace: bool = True) -> Iterator[BinaryIO]:
    """A binary file that appears under ``path`` only when the block ends without error.

    >>> with atomic_open("out/DF015_920900.dat") as fh:   # doctest: +SKIP
    ...     fh.write(b"...")
    """
    path = Path(path)
    if not replace and path.exists():
        raise FileExistsError(errno.EEXIST, "exists already", str(path))
    tmp = _temporary(path)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o666)
    try:
        with os.fdopen(fd, "wb") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        _place(tmp, path, replace)
    except BaseException as exc:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        if isinstance(exc, OSError) and exc.errno is not None and exc.filename in (None, str(tmp)):
            # A write that failed (a full disk) names no file, a rename the temporary
            # one: name the output.
            raise OSError(exc.errno, exc.strerror, str(path)) from exc
        raise
    fsync_dir(path.parent)


def atomic_write(
    path: str | os.PathLike,
    data: bytes | str | Callable[[BinaryIO], object],
    *,
    replace: bool = True,
) -> Path:
    """Write ``data`` (bytes, text written as UTF-8, or a function given the open
    binary file) to ``path`` whole or not at all; return the path."""
    path = Path(path)
    with atomic_open(path, replace=replace) as fh:
        if callable(data):
            data(fh)
        else:
            fh.write(data.encode("utf-8") if isinstance(data, str) else data)
    return path


def publish_dir(staged: str | os.PathLike, final: str | os.PathLike) -> Path:
    """Rename a finished staging folder to ``final`` (which must not exist) durably."""
    staged, final = Path(staged), Path(final)
    for entry in staged.iterdir():
        if entry.is_file():
            with open(entry, "rb") as fh:
                os.fsync(fh.fileno())
    fsync_dir(staged)
    if final.exists():
        raise FileExistsError(errno.EEXIST, "exists already", str(final))
    os.rename(staged, final)
    fsync_dir(final.parent)
    return final


def leftovers(folder: str | os.PathLike) -> list[Path]:
    """The temporary files a crash left in ``folder`` (not in its subfolders)."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if is_temporary(p.name) and p.is_file())


def remove_leftovers(folder: str | os.PathLike) -> list[Path]:
    """Remove what :func:`leftovers` finds; return what was removed."""
    found = leftovers(folder)
    for p in found:
        with contextlib.suppress(FileNotFoundError):
            p.unlink()
    return found


def sha256_file(path: str | os.PathLike) -> str:
    """SHA-256 (hex) of a file's content, read in blocks: what a manifest or a ledger
    records to tell later whether a published file is still the one it wrote."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
