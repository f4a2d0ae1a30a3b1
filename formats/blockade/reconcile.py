"""``reconcile``: did an invoicing run send a unit of the blockade list in force? (B1000, B1001)

The list in force for a run is the most recent list dated strictly before the
run date. ``blockade`` is either one list folder or a folder of list folders
(for instance one per day); each list's date comes from its ``manifest.json``.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from vsbengine.errors import InputError
from vsbengine.formats.blockade.columns import (
    date_column,
    join_per_group,
    positions,
    run_starts,
    take,
    words,
)
from vsbengine.formats.blockade.delta import listed_units
from vsbengine.formats.blockade.inputs import UNIT_KIND, Run, is_zp, read_run
from vsbengine.formats.blockade.outdir import MANIFEST, check_format, read_manifest, write_files
from vsbengine.formats.blockade.records import Reconciliation

__all__ = ["INVOICED", "NOT_INVOICED", "find_list", "reconcile"]

INVOICED = "Gefactureerd"
NOT_INVOICED = "Niet gefactureerd"


def find_list(blockade, run_date: dt.date) -> Path:
    """The list folder in force for a run on ``run_date``."""
    root = Path(blockade)
    if not root.is_dir():
        raise InputError("no such folder", path=str(root))
    if (root / MANIFEST).is_file():
        candidates = [root]
    else:
        candidates = sorted(p for p in root.iterdir() if (p / MANIFEST).is_file())
    dated = [(read_manifest(folder).date, folder) for folder in candidates]
    before = [(date, folder) for date, folder in dated if date < run_date]
    if not before:
        seen = ", ".join(sorted({str(date) for date, _ in dated})) or "none"
        raise InputError(
            f"no blockade list dated before {run_date} (lists found: {seen})", path=str(root)
        )
    latest = max(date for date, _ in before)
    chosen = [folder for date, folder in before if date == latest]
    if len(chosen) > 1:
        raise InputError(
            f"more than one blockade list dated {latest}: "
            + ", ".join(folder.name for folder in chosen),
            path=str(root),
        )
    return chosen[0]


def reconcile(
    *, blockade, run, run_date: dt.date, out=".", output_format: str = "csv"
) -> Reconciliation:
    """Check an invoicing run against the blockade list in force; write B1000 and B1001.

    Parameters
    ----------
    blockade
        One blockade list folder, or a folder holding several (see :func:`find_list`),
        written in CSV or JSON Lines.
    run
        ``run.csv`` of the invoicing run (unit, invoice_number, line_id).
    run_date
        The date of the run (``Facturatiedatum``).
    out
        Folder for ``B1000.csv`` and ``B1001.csv`` (created when missing).
    output_format
        ``csv`` (default) or ``jsonl``: ``B1000.jsonl`` and ``B1001.jsonl`` instead.

    Returns
    -------
    Reconciliation
        The totals of B1001; ``held`` is False when a blocked unit was invoiced.
    """
    suffix = check_format(output_format)
    folder = find_list(blockade, run_date)
    list_date, units = listed_units(folder)
    sent = read_run(run)
    invoiced = np.asarray(pc.is_in(units, value_set=sent.unit.cast(units.type)))
    n_units, n_invoiced = len(units), int(np.count_nonzero(invoiced))
    b1000 = pa.table(
        {
            "Eenheid": units,
            "Soort": words(UNIT_KIND, is_zp(units)),
            "Datum_blokkade_bestand": date_column(list_date, n_units),
            "Facturatiedatum": date_column(run_date, n_units),
            "facturatie_check": words((NOT_INVOICED, INVOICED), invoiced),
            "Factuurnummers": _invoice_numbers(sent, units),
        }
    )
    run_units = len(pc.unique(sent.unit))
    b1001 = pa.table(
        {
            "Facturatiedatum": date_column(run_date, 1),
            "Datum_blokkade_bestand": date_column(list_date, 1),
            "Eenheden_blokkadelijst": [n_units],
            "Gefactureerd": [n_invoiced],
            "Niet_gefactureerd": [n_units - n_invoiced],
            "Regels_run": [len(sent.unit)],
            "Eenheden_run": [run_units],
        }
    )
    files = write_files(out, {f"B1000.{suffix}": b1000, f"B1001.{suffix}": b1001})
    return Reconciliation(
        run_date=run_date,
        blockade_date=list_date,
        blockade_list=str(folder),
        units_on_list=n_units,
        invoiced=n_invoiced,
        not_invoiced=n_units - n_invoiced,
        run_lines=len(sent.unit),
        run_units=run_units,
        files=files,
    )


def _invoice_numbers(sent: Run, units: pa.Array) -> pa.Array:
    """Per listed unit, the distinct invoice numbers the run sent it on; null when none."""
    position = positions(sent.unit, units)
    rows = np.flatnonzero(position >= 0)
    keys = pa.table({"unit": position[rows], "invoice": take(sent.invoice_number, rows)})
    order = pc.sort_indices(keys, sort_keys=[("unit", "ascending"), ("invoice", "ascending")])
    keys = keys.take(order)
    unit = keys.column("unit").to_numpy()
    invoice = keys.column("invoice").combine_chunks()
    same = np.zeros(len(unit), dtype=bool)
    if len(unit) > 1:
        same[1:] = np.asarray(pc.equal(invoice.slice(1), invoice.slice(0, len(unit) - 1)))
    first = run_starts(unit)
    keep = ~same
    keep[first] = True
    return join_per_group(unit[keep], invoice.filter(pa.array(keep)), np.arange(len(units)), ", ")
