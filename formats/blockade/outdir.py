"""Writing outputs whole or not at all: CSV files, staged folders and the manifest.

A build writes its list into a hidden sibling folder and renames it into place
only when every file is written, so a reader never sees half a list. The CSV
dialect of every output: UTF-8, ``;``, a header line, ``\\n`` line ends, text
in double quotes, an empty field for "no value".
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
from vsbengine.formats.blockade.records import MANIFEST_FORMAT, Manifest, OutputFile

__all__ = ["MANIFEST", "StagedFolder", "read_manifest", "write_files", "write_manifest"]

MANIFEST = "manifest.json"
_OPTIONS = pacsv.WriteOptions(delimiter=";", include_header=True)


def write_table(table: pa.Table, path: Path) -> OutputFile:
    """Write ``table`` as CSV; return its row count and SHA-256."""
    pacsv.write_csv(table, str(path), _OPTIONS)
    return OutputFile(rows=table.num_rows, sha256=sha256_of(path))


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _fresh_name(folder: Path, stem: str) -> Path:
    return folder / f".{stem}.tmp-{os.getpid()}-{secrets.token_hex(4)}"


class StagedFolder:
    """A folder that replaces ``target`` on :meth:`commit`, or vanishes on error.

    ``target`` may be missing, an empty folder, or an earlier blockade list
    (a folder with a manifest); anything else is refused before any work.
    """

    def __init__(self, target) -> None:
        self.target = Path(target)
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
        if self.target.exists():
            old = _fresh_name(self.target.parent, self.target.name)
            os.rename(self.target, old)
            os.rename(self.path, self.target)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.rename(self.path, self.target)


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
    """Write every table into ``folder`` (created if needed), each file replaced whole.

    All files are written under temporary names first and renamed at the end.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    staged: dict[str, Path] = {}
    files = {}
    try:
        for name, table in tables.items():
            staged[name] = _fresh_name(folder, name)
            files[name] = write_table(table, staged[name])
        for name, path in staged.items():
            os.replace(path, folder / name)
    finally:
        for path in staged.values():
            if path.exists():
                path.unlink()
    return files


def write_manifest(folder: Path, manifest: Manifest) -> None:
    data = msgspec.json.format(msgspec.json.encode(manifest), indent=2)
    (Path(folder) / MANIFEST).write_bytes(data + b"\n")


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
