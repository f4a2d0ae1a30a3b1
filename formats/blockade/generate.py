"""Synthetic inputs of any size for benchmarks and trials (no real data involved).

Everything is drawn from one seeded generator and written column-wise, so ten
million rows take seconds and the same seed gives the same bytes.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from vsbengine.errors import ConfigError
from vsbengine.formats.blockade.columns import words
from vsbengine.formats.blockade.outdir import safe_table
from vsbengine.fsio import atomic_write

__all__ = ["INPUT_FILES", "MAX_ROWS", "generate"]

#: The most actions or invoice lines one call generates.
MAX_ROWS = 1_000_000_000

INPUT_FILES = ("controls.csv", "actions.csv", "loids.csv", "invoice_lines.csv", "run.csv")
_WRITE = pacsv.WriteOptions(delimiter=";", quoting_style="none", include_header=False)


def _codes(prefix: str, numbers: np.ndarray, width: int) -> pa.Array:
    digits = pc.utf8_lpad(pc.cast(pa.array(numbers), pa.string()), width, "0")
    return pc.binary_join_element_wise(prefix, digits, "")


def _dates(start: dt.date, offsets: np.ndarray) -> pa.Array:
    return pa.array(np.datetime64(start, "D") + offsets.astype("timedelta64[D]"))


def _write(table: pa.Table, path: Path) -> None:
    """Plain CSV as systems export it: no quotes (the generated values need none), text
    safe for spreadsheets as every CSV of the package (generated text never starts
    like a formula, so nothing changes; numbers such as credit amounts are no text)."""

    def write(handle) -> None:
        handle.write((";".join(table.column_names) + "\n").encode())
        pacsv.write_csv(safe_table(table), handle, _WRITE)

    atomic_write(path, write)


#: The files :func:`generate` writes.
FILES = ("controls.csv", "loids.csv", "actions.csv", "invoice_lines.csv", "run.csv")


def generate(
    out, *, actions: int, lines: int, seed: int = 0, force: bool = False
) -> dict[str, int]:
    """Write the five inputs (controls, actions, LOIDs, invoice lines, a run) into ``out``.

    About a quarter as many LOIDs as actions, one unit per LOID period (two thirds
    ZP), and a run that sends one line in ten. Returns the rows written per file.
    Synthetic inputs replace no file of these names, and never go into a published
    list's folder (its ``manifest.json``), unless ``force``.
    """
    for what, n in (("actions", actions), ("lines", lines)):
        if not 0 <= n <= MAX_ROWS:
            raise ConfigError(f"--{what} must be from 0 to {MAX_ROWS:,}, not {n}")
    rng = np.random.default_rng(seed)
    out = Path(out)
    there = [out / n for n in (*FILES, "manifest.json") if (out / n).exists()]
    if there and not force:
        raise ConfigError(f"{there[0]} exists: give another --out, or --force to replace")
    out.mkdir(parents=True, exist_ok=True)

    n_controls = 40
    every = np.arange(n_controls)
    control = pa.array([f"R{i:05d}" for i in range(30)] + [f"N{i:04d}" for i in range(10)])
    _write(
        pa.table(
            {
                "control": control,
                "description": [f"controle {i}" for i in range(n_controls)],
                # A fixed pattern: 3 in 4 block, 2 excluded by default, 2 by the client.
                "blocking": words(("NEE", "JA"), every % 4 != 1),
                "default_excluded": words(("NEE", "JA"), every % 20 == 2),
                "client_excluded": words(("NEE", "JA"), every % 20 == 3),
            }
        ),
        out / "controls.csv",
    )

    # LOIDs: one or two periods each (split on a date), each period reaching one unit.
    n_loids = max(1, actions // 4)
    split = rng.random(n_loids) < 0.3
    loid_of_row = np.repeat(np.arange(n_loids), 1 + split)
    second = np.zeros(loid_of_row.size, dtype=bool)
    second[1:] = loid_of_row[1:] == loid_of_row[:-1]
    cut = rng.integers(2500, 5000, n_loids)[loid_of_row]  # days after 2010-01-01
    n_units = max(2, actions // 3)
    unit_number = rng.integers(0, n_units, loid_of_row.size)
    loid_units = _units(unit_number)
    ends = split[loid_of_row] & ~second  # the first of two periods ends the day before the cut
    valid_to = pc.if_else(
        pa.array(ends),
        _dates(dt.date(2010, 1, 1), cut - 1),
        pa.nulls(loid_of_row.size, pa.date32()),
    )
    _write(
        pa.table(
            {
                "loid": _codes("L", loid_of_row, 9),
                "valid_from": pc.if_else(
                    pa.array(second),
                    _dates(dt.date(2010, 1, 1), cut),
                    _dates(dt.date(2010, 1, 1), rng.integers(0, 2000, loid_of_row.size)),
                ),
                "valid_to": valid_to,
                "unit": loid_units,
                "unit_kind": words(("OZP", "ZP"), _is_zp(unit_number)),
            }
        ),
        out / "loids.csv",
    )

    # Actions: a few without DBC or with an unknown LOID, some closed, some ignored.
    start = rng.integers(0, 3700, actions)  # days after 2014-01-01
    closed = rng.random(actions) < 0.3
    loid = _codes("L", rng.integers(0, n_loids, actions), 9)
    unknown = pa.array(rng.random(actions) < 0.01)
    with_related = rng.random(actions) < 0.05
    related = pc.if_else(
        pa.array(with_related),
        pc.binary_join_element_wise(
            _units(rng.integers(0, n_units, actions)),
            _codes("", rng.integers(0, 1_000_000, actions), 6),
            "@",
        ),
        "",
    )
    _write(
        pa.table(
            {
                "action_id": _codes("A", np.arange(actions), 10),
                "control": control.take(pa.array(rng.integers(0, n_controls, actions))),
                "dbc": pc.if_else(
                    pa.array(rng.random(actions) < 0.02),
                    "",
                    _codes("D", rng.integers(0, 10 * actions + 1, actions), 10),
                ),
                "loid": pc.if_else(unknown, "LX", loid),
                "action_date": _dates(dt.date(2023, 1, 1), rng.integers(0, 450, actions)),
                "dbc_start": _dates(dt.date(2014, 1, 1), start),
                "dbc_closed": pc.if_else(
                    pa.array(closed),
                    _dates(dt.date(2014, 1, 1), start + rng.integers(0, 400, actions)),
                    pa.nulls(actions, pa.date32()),
                ),
                "status": words(("open", "ignored"), rng.random(actions) < 0.1),
                "remark": pc.if_else(pa.array(rng.random(actions) < 0.05), "gecontroleerd", ""),
                "related": related,
            }
        ),
        out / "actions.csv",
    )

    # Invoice lines on the same units: debits and some credits, several per invoice.
    line_unit = rng.integers(0, n_units, lines)
    credit = rng.random(lines) < 0.2
    amount = rng.integers(1_000, 500_000, lines)
    line_id = _codes("F", np.arange(lines), 10)
    invoice = _codes("N", rng.integers(0, max(1, lines // 3), lines), 9)
    units = _units(line_unit)
    _write(
        pa.table(
            {
                "unit": units,
                "line_id": line_id,
                "invoice_number": invoice,
                "kind": words(("debit", "credit"), credit),
                "amount": np.where(credit, -amount, amount),
            }
        ),
        out / "invoice_lines.csv",
    )
    sent = np.flatnonzero(rng.random(lines) < 0.1)
    _write(
        pa.table(
            {
                "unit": units.take(pa.array(sent)),
                "invoice_number": invoice.take(pa.array(sent)),
                "line_id": line_id.take(pa.array(sent)),
            }
        ),
        out / "run.csv",
    )
    return {
        "controls.csv": n_controls,
        "actions.csv": actions,
        "loids.csv": int(loid_of_row.size),
        "invoice_lines.csv": lines,
        "run.csv": int(sent.size),
    }


def _is_zp(unit_number: np.ndarray) -> np.ndarray:
    return unit_number % 3 != 0


def _units(unit_number: np.ndarray) -> pa.Array:
    """Unit codes: two in three a 9-digit ZP, the others a 6-digit OZP."""
    zp = _codes("99", unit_number % 10_000_000, 7)
    ozp = _codes("1", unit_number % 100_000, 5)
    return pc.if_else(pa.array(_is_zp(unit_number)), zp, ozp)
