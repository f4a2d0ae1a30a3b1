"""Run locks and staging folders: telling a live run from a dead one, and cloning folders.

A process that writes outputs (a bulk run, a ``receive``, a sign-off through the
register) holds a *run lock*: an exclusive ``flock`` on a file of its own, held for as
long as the process lives. The kernel drops the lock when the process ends, however it
ends (``kill -9`` included), so another process can tell a run that is still working
from one that died (:func:`alive`) and finish or remove what the dead one left.

Work in progress goes to a staging folder of the run (hidden, in the same file system
as its final place) and is renamed into place with :func:`vsbengine.fsio.publish_dir`
when complete.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import shutil
from pathlib import Path

try:
    import fcntl
except ImportError:  # pragma: no cover - not a POSIX system
    fcntl = None  # type: ignore[assignment]

__all__ = ["RunLock", "alive", "clone_dir", "remove_tree"]

# Descriptors of the locks this process holds. A forked child (a worker of a process
# pool) closes its copies, so that the lock goes when this process goes.
_HELD: set[int] = set()


def _close_in_child() -> None:
    for fd in list(_HELD):
        with contextlib.suppress(OSError):
            os.close(fd)
    _HELD.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_close_in_child)


def _need_locks() -> None:
    if fcntl is None:  # pragma: no cover - not a POSIX system
        from vsbengine.errors import ConfigError

        raise ConfigError("run locks need POSIX file locks (Linux, macOS, BSD)")


class RunLock:
    """An exclusive lock on ``path``, held until :meth:`release` or the process ends.

    Raises :class:`BlockingIOError` when another live process holds it.
    """

    def __init__(self, path: str | os.PathLike, *, _held: int | None = None) -> None:
        _need_locks()
        self.path = Path(path)
        if _held is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o666)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                os.close(fd)
                raise BlockingIOError(
                    errno.EWOULDBLOCK, "held by another process", str(path)
                ) from None
        else:
            fd = _held
        self._fd: int | None = fd
        _HELD.add(fd)
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())

    @classmethod
    def fresh(cls, folder: str | os.PathLike) -> RunLock:
        """A new lock with a random name in ``folder`` (its stem is :attr:`token`).

        The file is locked before it has its name: made and locked under a hidden name,
        then renamed. Another process that looks for dead runs' locks (and removes
        them) never finds it unlocked, which it would take for a dead run's."""
        _need_locks()
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        token = secrets.token_hex(8)
        hidden = folder / f".{token}.making"
        flags = os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
        fd = os.open(hidden, flags, 0o666)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            path = folder / f"{token}.lock"
            os.rename(hidden, path)
        except BaseException:
            os.close(fd)
            with contextlib.suppress(FileNotFoundError):
                os.unlink(hidden)
            raise
        return cls(path, _held=fd)

    @property
    def token(self) -> str:
        return self.path.stem

    def release(self, remove: bool = True) -> None:
        """Give the lock up (and remove its file: while still holding it, so that a
        process that opened the file meanwhile finds it released, not taken again)."""
        if self._fd is None:
            return
        if remove:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.path)
        _HELD.discard(self._fd)
        os.close(self._fd)
        self._fd = None

    def __enter__(self) -> RunLock:
        return self

    def __exit__(self, *exc) -> None:
        self.release()


def alive(path: str | os.PathLike) -> bool:
    """Whether a live process holds the lock at ``path`` (a missing file: no)."""
    _need_locks()
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return True
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    finally:
        os.close(fd)


def clone_dir(source: str | os.PathLike, target: str | os.PathLike) -> Path:
    """A new folder ``target`` with the files of ``source``: hard links where the file
    system allows (the writers replace files, they never change one in place), copies
    otherwise."""
    source, target = Path(source), Path(target)
    target.mkdir(parents=True)
    for entry in source.iterdir():
        if not entry.is_file():
            continue
        try:
            os.link(entry, target / entry.name)
        except OSError:
            shutil.copy2(entry, target / entry.name)
    return target


def remove_tree(path: str | os.PathLike) -> None:
    """Remove a folder and everything in it; a missing folder is fine."""
    shutil.rmtree(path, ignore_errors=True)
