"""The delta of a blockade list against the previous day's: units added and removed."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from vsbengine.errors import InputError
from vsbengine.formats.blockade.columns import unneutralised
from vsbengine.formats.blockade.csvin import Col, read_csv
from vsbengine.formats.blockade.outdir import list_file, read_manifest, verify_file
from vsbengine.formats.blockade.records import DeltaCounts

__all__ = ["ADDED", "REMOVED", "delta_table", "listed_units", "read_previous"]

ADDED = "Toegevoegd"
REMOVED = "Verwijderd"


def listed_units(folder) -> tuple[dt.date, pa.Array]:
    """The date of a blockade list folder and its distinct units (from B0025), sorted.

    The folder may be written in CSV or JSON Lines (``B0025.csv`` or
    ``B0025.jsonl``). B0025 must be the file the build wrote: its SHA-256 is
    checked against the manifest.
    """
    manifest = read_manifest(folder)
    name = list_file(folder, "B0025", manifest)
    path = verify_file(folder, name, manifest)
    if manifest.files[name].rows == 0:  # an empty JSON Lines file has no keys to read
        units = pa.array([], pa.string())
    else:
        units = read_csv(path, "B0025", (Col("Eenheid", nonempty=True),)).columns["Eenheid"]
    if name.endswith(".csv"):  # JSON Lines holds the units as they are
        units = unneutralised(units)
    distinct = pc.unique(units)
    return manifest.date, distinct.take(pc.sort_indices(distinct))


def read_previous(folder, date: dt.date) -> tuple[dt.date, pa.Array]:
    """The previous list's date and units; it must be dated before ``date``."""
    previous_date, units = listed_units(folder)
    if previous_date >= date:
        raise InputError(
            f"the previous list is dated {previous_date}, not before {date}", path=str(Path(folder))
        )
    return previous_date, units


def delta_table(
    previous_date: dt.date, previous: pa.Array, current: pa.Array
) -> tuple[pa.Table, DeltaCounts]:
    """Units on ``current`` but not ``previous`` (added) and the reverse (removed), by unit."""
    current = current.cast(previous.type)
    added = current.filter(pc.invert(pc.is_in(current, value_set=previous)))
    removed = previous.filter(pc.invert(pc.is_in(previous, value_set=current)))
    units = pa.concat_arrays([added, removed])
    change = pa.array([ADDED, REMOVED]).take(
        pa.array([0] * len(added) + [1] * len(removed), pa.int8())
    )
    table = pa.table({"Eenheid": units, "Mutatie": change})
    table = table.take(pc.sort_indices(table, sort_keys=[("Eenheid", "ascending")]))
    return table, DeltaCounts(previous_date=previous_date, added=len(added), removed=len(removed))
