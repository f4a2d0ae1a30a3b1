"""``build``: from the four inputs to a dated blockade list folder (steps 1 to 6)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from vsbengine.errors import ConfigError, InputError
from vsbengine.formats.blockade.delta import delta_table, read_previous
from vsbengine.formats.blockade.inputs import read_actions, read_controls, read_lines, read_loids
from vsbengine.formats.blockade.lists import make_lists
from vsbengine.formats.blockade.outdir import (
    MANIFEST,
    StagedFolder,
    check_format,
    manifest_bytes,
    refuse_target,
)
from vsbengine.formats.blockade.proof import LIST_NAMES
from vsbengine.formats.blockade.records import Manifest
from vsbengine.formats.blockade.steps import run_chain

__all__ = ["DEFAULT_EXCLUDE_BEFORE", "build"]

#: DBCs that started before this date are excluded automatically (reason 3 of the product).
DEFAULT_EXCLUDE_BEFORE = dt.date(2016, 1, 1)
_EPOCH = dt.date(1970, 1, 1)


def _days(day: dt.date) -> int:
    return (day - _EPOCH).days


def build(
    *,
    controls,
    actions,
    loids,
    lines,
    date: dt.date,
    out,
    previous=None,
    exclude_before: dt.date = DEFAULT_EXCLUDE_BEFORE,
    net_list: str = "b0010",
    output_format: str = "csv",
    allow_empty: bool = False,
) -> Manifest:
    """Build the blockade list of ``date`` into the folder ``out``.

    Parameters
    ----------
    controls, actions, loids, lines
        Paths of ``controls.csv``, ``actions.csv``, ``loids.csv`` and
        ``invoice_lines.csv`` (see the README for their columns).
    date
        The processing date: the list's date; actions on a DBC closed before it
        do not block.
    out
        Folder to write (new, empty, or an earlier blockade list that is replaced
        whole). Nothing is written unless every input is valid and the lists connect.
    previous
        Folder of the previous day's list: adds ``B0025_delta.csv`` (or ``.jsonl``).
    exclude_before
        Actions on a DBC that started before this date are ignored.
    net_list
        ``b0010`` (default) or ``r02062``: the list SAP hospitals read instead of
        B0010 (see :mod:`~vsbengine.formats.blockade.proof`).
    output_format
        ``csv`` (default) or ``jsonl``: every list as ``NAME.csv`` or as
        ``NAME.jsonl`` (JSON Lines, see :mod:`~vsbengine.formats.blockade.jsonout`).
        ``previous`` may be a folder written in either.
    allow_empty
        Build from an actions or LOID file without rows even though the previous list
        blocked units (by default that is refused: an export cut short would release
        every unit the next day).

    Returns
    -------
    Manifest
        What ``manifest.json`` in ``out`` says: date, files, counts of B1010.

    Raises
    ------
    InputError
        An input is unusable (with file, line and column).
    CheckError
        The lists do not connect (a bug, never a data problem).
    """
    out = Path(out)
    if net_list not in LIST_NAMES:
        raise ConfigError(f"the net list is b0010 or r02062, not {net_list!r}")
    suffix = check_format(output_format)
    refuse_target(out)
    before = read_previous(previous, date) if previous is not None else None
    control_table = read_controls(controls)
    action_table = read_actions(actions, control_table)
    loid_table = read_loids(loids)
    if before is not None and len(before[1]) and not allow_empty:
        # Either table without rows releases every unit: the actions that block, the
        # LOIDs that carry them to units.
        for path, what, rows in (
            (actions, "actions", len(action_table.action_id)),
            (loids, "LOIDs", len(loid_table.loid)),
        ):
            if not rows:
                raise InputError(
                    f"holds no {what}, while the list of {before[0]} blocked "
                    f"{len(before[1])} units: an export cut short would release them all; "
                    f"nothing was written (a day without any: --allow-empty)",
                    path=str(path),
                )
    chain = run_chain(
        control_table,
        action_table,
        loid_table,
        date=_days(date),
        exclude_before=_days(exclude_before),
    )
    lists = make_lists(chain, read_lines(lines), exclude_before=exclude_before, net_list=net_list)
    tables = {
        f"B0001.{suffix}": lists.b0001,
        f"{lists.net_name}.{suffix}": lists.b0010,
        f"B0025.{suffix}": lists.b0025,
        f"B1010.{suffix}": lists.b1010,
        f"B1020.{suffix}": lists.b1020,
        f"R03271.{suffix}": lists.r03271,
    }
    delta = None
    if before is not None:
        tables[f"B0025_delta.{suffix}"], delta = delta_table(*before, lists.blocked_units)
    with StagedFolder(out) as stage:
        files = {name: stage.write_table(name, tables[name]) for name in sorted(tables)}
        manifest = Manifest(
            date=date,
            exclude_before=exclude_before,
            units_blocked=lists.units_blocked,
            files=files,
            counts=lists.counts,
            delta=delta,
        )
        stage.write_bytes(MANIFEST, manifest_bytes(manifest))
        stage.commit()
    return manifest
