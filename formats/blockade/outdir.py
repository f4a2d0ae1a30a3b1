"""Writing outputs whole or not at all: CSV files, staged folders and the manifest.

A build writes its list into a hidden sibling folder and renames it into place
only when every file is written, so a reader never sees half a list. Every file
goes through :mod:`vsbengine.fsio` (fsynced, umask modes) and the folder is
published with :func:`vsbengine.fsio.publish_dir`. Replacing an earlier list
moves it aside first (``.<name>.old-<pid>-<random>``); a build killed in between
is finished by the next build: a folder left aside is put back when the list is
missing, or removed; staging folders of dead builds are removed.

The CSV dialect of every output: UTF-8, ``;``, a header line, ``\\n`` line
ends, text in double quotes, an empty field for "no value"; text a spreadsheet
would run as a formula gets a leading ``'`` (:func:`vsbengine.spreadsheet.safe_cell`).
"""

from __future__ import annotations

import hashlib
import os
import secrets
import shutil
from pathlib import Path

import msgspec
import pyarrow as pa
import pyarrow.csv as pacsv

from vsbengine.errors import ConfigError, InputError
from vsbengine.formats.blockade.columns import neutralised
from vsbengine.formats.blockade.records import MANIFEST_FORMAT, Manifest, OutputFile
from vsbengine.fsio import atomic_write, fsync_dir, publish_dir

__all__ = [
    "MANIFEST",
    "StagedFolder",
    "read_manifest",
    "recover",
    "safe_table",
    "write_files",
    "write_manifest",
]

MANIFEST = "manifest.json"
_OPTIONS = pacsv.WriteOptions(delimiter=";", include_header=True)


def safe_table(table: pa.Table) -> pa.Table:
    """``table`` with every text column neutralised for spreadsheets."""
    return pa.table({name: neutralised(table.column(name)) for name in table.column_names})


def write_table(table: pa.Table, path: Path) -> OutputFile:
    """Write ``table`` as CSV (text cells made safe), whole or not at all; return its row
    count and SHA-256."""
    safe = safe_table(table)
    atomic_write(path, lambda handle: pacsv.write_csv(safe, handle, _OPTIONS))
    return OutputFile(rows=table.num_rows, sha256=sha256_of(path))


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _fresh_name(folder: Path, stem: str, kind: str = "tmp") -> Path:
    return folder / f".{stem}.{kind}-{os.getpid()}-{secrets.token_hex(4)}"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return pid != 0


def recover(target: Path) -> None:
    """Finish what a killed build of ``target`` left: put an earlier list that was moved
    aside back when ``target`` is missing (else remove it), and remove the staging
    folders of builds that are no longer running."""
    parent = target.parent
    if not parent.is_dir():
        return
    prefix = f".{target.name}."
    for entry in sorted(parent.iterdir()):
        if not entry.name.startswith(prefix) or not entry.is_dir():
            continue
        kind, _, rest = entry.name[len(prefix) :].partition("-")
        pid = rest.split("-")[0]
        if kind not in ("tmp", "old") or not pid.isdigit() or _alive(int(pid)):
            continue
        if kind == "old" and not target.exists():
            os.rename(entry, target)
            fsync_dir(parent)
        else:
            shutil.rmtree(entry, ignore_errors=True)


class StagedFolder:
    """A folder that replaces ``target`` on :meth:`commit`, or vanishes on error.

    ``target`` may be missing, an empty folder, or an earlier blockade list
    (a folder with a manifest); anything else is refused before any work.
    """

    def __init__(self, target) -> None:
        self.target = Path(target)
        recover(self.target)
        refuse_target(self.target)
        self.target.parent.mkdir(parents=True, exist_ok=True)
        self.path = _fresh_name(self.target.parent, self.target.name)
        os.mkdir(self.path)

    def __enter__(self) -> StagedFolder:
        return self

    def __exit__(self, kind, value, traceback) -> None:
        if self.path.exists():
            shutil.rmtree(self.path, ignore_errors=True)

    def commit(self) -> None:
        old = None
        if self.target.exists():
            old = _fresh_name(self.target.parent, self.target.name, "old")
            os.rename(self.target, old)
        publish_dir(self.path, self.target)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)


def refuse_target(target: Path) -> None:
    """Refuse an output folder that a build must not replace."""
    if not target.exists():
        return
    if target.is_dir() and (not any(target.iterdir()) or (target / MANIFEST).is_file()):
        return
    raise ConfigError(
        f"{target}: exists and is not a blockade list folder; give a new or empty folder"
    )


def write_files(folder, tables: dict[str, pa.Table]) -> dict[str, OutputFile]:
    """Write every table into ``folder`` (created if needed), each file replaced whole
    (:func:`vsbengine.fsio.atomic_write`)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    return {name: write_table(table, folder / name) for name, table in tables.items()}


def write_manifest(folder: Path, manifest: Manifest) -> None:
    data = msgspec.json.format(msgspec.json.encode(manifest), indent=2)
    atomic_write(Path(folder) / MANIFEST, data + b"\n")


def read_manifest(folder) -> Manifest:
    """The manifest of a blockade list folder; a located error when missing or not ours."""
    path = Path(folder) / MANIFEST
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError(
            "not a blockade list folder (no manifest.json)", path=str(folder)
        ) from None
    try:
        manifest = msgspec.json.decode(data, type=Manifest)
    except msgspec.ValidationError as exc:
        raise InputError(f"not a blockade list manifest: {exc}", path=str(path)) from None
    except msgspec.DecodeError as exc:
        raise InputError(f"not valid JSON: {exc}", path=str(path)) from None
    if manifest.format != MANIFEST_FORMAT:
        raise InputError(f"format {manifest.format!r} is not {MANIFEST_FORMAT!r}", path=str(path))
    return manifest


def verify_file(folder, name: str, manifest: Manifest) -> Path:
    """The path of ``name`` in a list folder, refused when it differs from the manifest."""
    path = Path(folder) / name
    expected = manifest.files.get(name)
    if expected is None or not path.is_file():
        raise InputError(f"the blockade list has no {name}", path=str(folder))
    if sha256_of(path) != expected.sha256:
        raise InputError(
            "the file differs from the one the build wrote (its SHA-256 does not match "
            "manifest.json); blockade lists are not edited by hand",
            path=str(path),
        )
    return path
