"""The summaries of the blockade side as msgspec Structs (JSON out, manifest in and out)."""

from __future__ import annotations

import datetime as dt

import msgspec

__all__ = ["MANIFEST_FORMAT", "Count", "DeltaCounts", "Manifest", "OutputFile", "Reconciliation"]

MANIFEST_FORMAT = "vsbengine-blockade-list"


class Count(msgspec.Struct, frozen=True):
    """One row of B1010: a measure of one step of the chain."""

    stap: str
    meting: str
    aantal: int
    omschrijving: str


class OutputFile(msgspec.Struct, frozen=True):
    """A file written: its data rows (header excluded) and its SHA-256."""

    rows: int
    sha256: str


class DeltaCounts(msgspec.Struct, frozen=True):
    """The delta against the previous list, in units."""

    previous_date: dt.date
    added: int
    removed: int


class Manifest(msgspec.Struct, kw_only=True):
    """``manifest.json`` of a blockade list folder: its date, its files, the counts of B1010.

    The manifest says what the folder holds and for which day; it carries no
    paths and no clock time, so a re-run on the same input is byte-identical.
    """

    format: str = MANIFEST_FORMAT
    version: int = 1
    date: dt.date
    exclude_before: dt.date
    units_blocked: int
    files: dict[str, OutputFile]
    counts: list[Count]
    delta: DeltaCounts | None = None


class Reconciliation(msgspec.Struct, kw_only=True):
    """The outcome of one invoicing run against the blockade list in force (B1001's totals)."""

    run_date: dt.date
    blockade_date: dt.date
    blockade_list: str
    units_on_list: int
    invoiced: int
    not_invoiced: int
    run_lines: int
    run_units: int
    files: dict[str, OutputFile]

    @property
    def held(self) -> bool:
        """True when no unit of the blockade list was invoiced in the run."""
        return self.invoiced == 0
