"""Commit, then publish: a round's files get their final names only after the
ledger transaction that books them has committed.

The ledger keeps each file's bytes and SHA-256 with the round (``round_files``),
so a crash at any moment leaves one of three states, and every run of ``pay``
(and ``run``) first finishes what it finds:

- nothing booked: no file of that round exists under a final name (temporary
  files the writer left are removed);
- booked, not yet published: the files are written from the ledger now;
- booked and published: nothing to do.

A final name that holds anything other than the file the ledger booked is
never replaced: that is a file of another round (or another ledger).
"""

from __future__ import annotations

import datetime as _dt
import hashlib
from pathlib import Path

from vsbengine.errors import InputError
from vsbengine.formats.viplive.ledger import Ledger, OwnedFile
from vsbengine.fsio import atomic_write, is_temporary, sha256_file

__all__ = ["STEM", "finish", "refuse_taken", "sha256", "staged_files"]

#: Every file name of a round starts so (``round-2021-06-01.xml``).
STEM = "round-"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def staged_files(files: dict[str, bytes]) -> dict[str, tuple[str, bytes]]:
    """``name -> (SHA-256, bytes)``, as :meth:`Ledger.own` books them."""
    return {name: (sha256(data), data) for name, data in files.items()}


def _publish(book: Ledger, f: OwnedFile) -> Path:
    path = Path(f.folder) / f.name
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        atomic_write(path, f.content, replace=False)
    except FileExistsError:
        if sha256_file(path) != f.sha256:
            raise InputError(
                f"exists and is not the file the ledger booked for {f.message_id}; it is "
                "never replaced: move it away and run again to publish the booked file",
                path=str(path),
            ) from None
    book.published(f, _dt.datetime.now().astimezone().replace(microsecond=0).isoformat())
    return path


def _remove_temporaries(folder: Path) -> None:
    """Temporary files a killed writer left for round files (never anyone else's)."""
    if not folder.is_dir():
        return
    for entry in folder.iterdir():
        if entry.name.startswith("." + STEM) and is_temporary(entry.name):
            entry.unlink(missing_ok=True)


def finish(book: Ledger, folders: list[Path] = ()) -> list[Path]:
    """Publish every booked file that has no final name yet; remove temporary files of
    round files in their folders and in ``folders``. Returns the files published."""
    pending = book.files(unpublished=True)
    for folder in {Path(f.folder) for f in pending} | {Path(x).absolute() for x in folders}:
        _remove_temporaries(folder)
    return [_publish(book, f) for f in pending]


def refuse_taken(book: Ledger, folder: Path, names: list[str]) -> None:
    """Before booking: ``folder`` must be a folder (it is made when missing), and none of
    ``names`` may exist in it (it would be another round's file) or be owned by another
    booking of this ledger."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        path = folder / name
        if path.exists() or path.is_symlink():
            raise InputError(
                "exists already and is not a file of this round: nothing was booked "
                "(give another --out, or move the file away)",
                path=str(path),
            )
        owner = book.owner(str(folder), name)
        if owner is not None:
            raise InputError(
                f"is booked for {owner} and not published yet; nothing was booked",
                path=str(path),
            )
