"""Writing outputs whole or not at all: CSV files, staged folders and the manifest.

A build writes its list into a hidden sibling folder and renames it into place
only when every file is written, so a reader never sees half a list. The folder
is the unit that appears whole: its files are written plainly (no reader sees
them) and :func:`vsbengine.fsio.publish_dir` fsyncs each of them once and the
folder once before it renames the folder to a hidden ready name
(``.<name>.new-<pid>-<random>``). Only then is an earlier list moved aside
(``.<name>.old-...``) and the ready one renamed into place: the list is missing
for two renames, not for the fsyncs. A build killed in between is finished by the
next build: a folder left aside is put back when the list is missing, or removed;
staging and ready folders of dead builds are removed. Files written straight into
a folder (``reconcile``) go through :func:`vsbengine.fsio.atomic_write`.

Every list is written in one of :data:`OUTPUT_FORMATS`, chosen by its file name's
suffix: ``.csv`` or ``.jsonl`` (:mod:`~vsbengine.formats.blockade.jsonout`). The
CSV dialect: UTF-8, ``;``, a header line, ``\\n`` line ends, text in double
quotes, an empty field for "no value"; text a spreadsheet would run as a formula
gets a leading ``'`` (:func:`vsbengine.spreadsheet.safe_cell`).
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

from vsbengine.digits import ascii_digits
from vsbengine.errors import ConfigError, InputError
from vsbengine.formats.blockade.columns import neutralised
from vsbengine.formats.blockade.jsonout import json_lines
from vsbengine.formats.blockade.records import MANIFEST_FORMAT, Manifest, OutputFile
from vsbengine.fsio import atomic_write, fsync_dir, json_bytes, publish_dir, sha256_file

__all__ = [
    "MANIFEST",
    "OUTPUT_FORMATS",
    "StagedFolder",
    "check_format",
    "list_file",
    "manifest_bytes",
    "read_manifest",
    "recover",
    "safe_table",
    "write_files",
]

MANIFEST = "manifest.json"
#: The formats a list can be written in; the first is the default. Each is also the
#: suffix of the files written in it.
OUTPUT_FORMATS = ("csv", "jsonl")
# Batches of 16K rows: fewer calls than the default 1,024, and buffers that stay in
# cache (measured faster than both 1,024 and 65,536 on the 1M-row benchmark).
_OPTIONS = pacsv.WriteOptions(delimiter=";", include_header=True, batch_size=1 << 14)


def safe_table(table: pa.Table) -> pa.Table:
    """``table`` with every text column neutralised for spreadsheets."""
    return pa.table({name: neutralised(table.column(name)) for name in table.column_names})


class _Hashing:
    """A binary file that hashes what goes through it (the manifest's SHA-256 without
    reading the file back)."""

    closed = False

    def __init__(self, handle) -> None:
        self.handle = handle
        self.digest = hashlib.sha256()

    def write(self, data) -> int:
        self.digest.update(data)
        return self.handle.write(data)

    def writable(self) -> bool:
        return True

    def flush(self) -> None:
        self.handle.flush()


def check_format(output_format: str) -> str:
    """``output_format`` when it is one of :data:`OUTPUT_FORMATS`, else a ConfigError."""
    if output_format not in OUTPUT_FORMATS:
        raise ConfigError(
            f"the output format is {' or '.join(OUTPUT_FORMATS)}, not {output_format!r}"
        )
    return output_format


def _write(table: pa.Table, handle, name: str) -> OutputFile:
    """Write ``table`` to ``handle`` in the format of ``name``'s suffix (CSV with text
    cells made safe, or JSON Lines); its rows and SHA-256."""
    hashing = _Hashing(handle)
    if name.endswith(".jsonl"):
        for chunk in json_lines(table):
            hashing.write(chunk)
    elif name.endswith(".csv"):
        pacsv.write_csv(safe_table(table), hashing, _OPTIONS)
    else:  # pragma: no cover - the names are the package's own
        raise ValueError(f"{name}: not a .csv or .jsonl name")
    return OutputFile(rows=table.num_rows, sha256=hashing.digest.hexdigest())


def write_table(table: pa.Table, path: Path) -> OutputFile:
    """Write ``table`` as ``path`` (CSV or JSON Lines, by its suffix), whole or not at
    all; return its row count and SHA-256."""
    written: list[OutputFile] = []
    atomic_write(path, lambda handle: written.append(_write(table, handle, path.name)))
    return written[0]


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
    aside back when ``target`` is missing (else remove it), and remove the staging and
    ready folders of builds that are no longer running."""
    parent = target.parent
    if not parent.is_dir():
        return
    prefix = f".{target.name}."
    for entry in sorted(parent.iterdir()):
        if not entry.name.startswith(prefix) or not entry.is_dir():
            continue
        kind, _, rest = entry.name[len(prefix) :].partition("-")
        pid = rest.split("-")[0]
        if kind not in ("tmp", "new", "old") or not ascii_digits(pid) or _alive(int(pid)):
            continue
        if kind == "old" and not target.exists():
            os.rename(entry, target)
            fsync_dir(parent)
        else:
            shutil.rmtree(entry, ignore_errors=True)


class StagedFolder:
    """A folder that replaces ``target`` on :meth:`commit`, or vanishes on error.

    ``target`` may be missing, an empty folder, or an earlier blockade list
    (a folder with a manifest); anything else is refused before any work. Files
    are written into it with :meth:`write_table` and :meth:`write_bytes`; they are
    made durable once, by :meth:`commit`.
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

    def _open(self, name: str):
        # "x": a name is written once; the mode honours the umask. No fsync here:
        # commit() syncs every file once.
        return open(self.path / name, "xb")

    def write_table(self, name: str, table: pa.Table) -> OutputFile:
        """Write ``table`` as ``name`` (CSV or JSON Lines, by its suffix); its rows and
        SHA-256."""
        with self._open(name) as handle:
            return _write(table, handle, name)

    def write_bytes(self, name: str, data: bytes) -> None:
        with self._open(name) as handle:
            handle.write(data)

    def commit(self) -> None:
        """Make the files durable (each once), then put the folder in place of ``target``."""
        ready = publish_dir(self.path, _fresh_name(self.target.parent, self.target.name, "new"))
        self.path = ready  # removed by __exit__ if what follows fails
        old = None
        if self.target.exists():
            old = _fresh_name(self.target.parent, self.target.name, "old")
            os.rename(self.target, old)
        try:
            os.rename(ready, self.target)
        except BaseException:
            if old is not None:
                os.rename(old, self.target)  # the earlier list stays in force
            raise
        fsync_dir(self.target.parent)
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


def manifest_bytes(manifest: Manifest) -> bytes:
    """``manifest.json`` as written: indented JSON, a final newline."""
    return msgspec.json.format(json_bytes(manifest), indent=2) + b"\n"


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


def list_file(folder, stem: str, manifest: Manifest) -> str:
    """The name of list ``stem`` (``B0025``) in a list folder written in any of
    :data:`OUTPUT_FORMATS`, as its manifest records it."""
    names = [f"{stem}.{suffix}" for suffix in OUTPUT_FORMATS]
    found = [name for name in names if name in manifest.files]
    if not found:
        raise InputError(
            f"the blockade list has no {stem} ({' or '.join(names)} in manifest.json)",
            path=str(folder),
        )
    if len(found) > 1:
        raise InputError(
            f"the blockade list has {stem} twice ({' and '.join(found)}); a build writes one",
            path=str(folder),
        )
    return found[0]


def verify_file(folder, name: str, manifest: Manifest) -> Path:
    """The path of ``name`` in a list folder, refused when it differs from the manifest."""
    path = Path(folder) / name
    expected = manifest.files.get(name)
    if expected is None or not path.is_file():
        raise InputError(f"the blockade list has no {name}", path=str(folder))
    if sha256_file(path) != expected.sha256:
        raise InputError(
            "the file differs from the one the build wrote (its SHA-256 does not match "
            "manifest.json); blockade lists are not edited by hand",
            path=str(path),
        )
    return path
