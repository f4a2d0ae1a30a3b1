"""``vsbengine blockade``: build blockade lists, reconcile invoicing runs, generate test inputs.

Thin: each command parses its options, calls :mod:`vsbengine.formats.blockade`
and prints the outcome. The package is imported inside the commands so that the
rest of the command line works without pyarrow.
"""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(
    help="Blockade lists: the units a hospital must not invoice, and the proof it held.",
    no_args_is_help=True,
)

EXIT_INVOICED = 1
log = logging.getLogger("vsbengine.cli")
_DATE = ["%Y-%m-%d"]
_FORMAT_HELP = (
    "File format of the lists: csv (';', quoted text) or jsonl (JSON Lines: one object "
    "per row, numbers as numbers, dates as YYYY-MM-DD, no value as null)."
)


def _echo_json(value) -> None:
    from vsbengine import fsio

    typer.echo(fsio.json_bytes(value).decode())


@app.command()
def build(
    controls: Annotated[Path, typer.Option(help="controls.csv: the controls and norms.")],
    actions: Annotated[Path, typer.Option(help="actions.csv: the signals of the controls.")],
    loids: Annotated[Path, typer.Option(help="loids.csv: LOID to unit, with validity.")],
    lines: Annotated[Path, typer.Option(help="invoice_lines.csv: the lines waiting.")],
    date: Annotated[dt.datetime, typer.Option(formats=_DATE, help="Processing date.")],
    out: Annotated[Path, typer.Option(help="Folder to write the list into.")],
    previous: Annotated[
        Path | None, typer.Option(help="Previous list folder: also write the B0025 delta.")
    ] = None,
    exclude_before: Annotated[
        dt.datetime,
        typer.Option(
            formats=_DATE,
            show_default="2016-01-01",
            help="Ignore actions on a DBC that started before this date.",
        ),
    ] = dt.datetime(2016, 1, 1),
    net_list: Annotated[
        str,
        typer.Option(
            "--list", help="The net list beside B0025: b0010, or r02062 for SAP hospitals."
        ),
    ] = "b0010",
    output_format: Annotated[str, typer.Option("--format", help=_FORMAT_HELP)] = "csv",
    as_json: Annotated[bool, typer.Option("--json", help="Print the manifest as JSON.")] = False,
    allow_empty: Annotated[
        bool,
        typer.Option(
            "--allow-empty",
            "--allow-empty-actions",
            help="Build from an actions or LOID file without rows although --previous "
            "blocked units.",
        ),
    ] = False,
) -> None:
    """Build the blockade list of a day: R03271, B0010 (or R02062), B0025, B0001, B1010,
    B1020 (+ delta)."""
    from vsbengine.formats.blockade import build as run_build

    manifest = run_build(
        controls=controls,
        actions=actions,
        loids=loids,
        lines=lines,
        date=date.date(),
        out=out,
        previous=previous,
        exclude_before=exclude_before.date(),
        net_list=net_list,
        output_format=output_format,
        allow_empty=allow_empty,
    )
    delta = manifest.delta
    log.info(
        "blockade list %s written to %s: %d units blocked%s",
        manifest.date,
        out,
        manifest.units_blocked,
        ""
        if delta is None
        else f"; against {delta.previous_date}: {delta.added} added, {delta.removed} removed",
    )
    if as_json:
        _echo_json(manifest)
        return
    counts = {(c.stap, c.meting): c.aantal for c in manifest.counts}
    typer.echo(f"blockade list {manifest.date} written to {out}")
    typer.echo(
        f"  R03271: {counts['6', 'R03271_eenheden']} units, "
        f"{counts['6', 'R03271_genegeerd']} ignored, {manifest.units_blocked} to block"
    )
    name = "R02062" if ("6", "R02062_regels") in counts else "B0010"
    typer.echo(
        f"  {name}/B0025: {counts['6', f'{name}_regels']} rows, "
        f"{counts['6', f'{name}_eenheden']} units (R03271 = {name} = B0025: ok)"
    )
    if delta is not None:
        typer.echo(
            f"  delta against {delta.previous_date}: {delta.added} added, {delta.removed} removed"
        )


@app.command()
def reconcile(
    blockade: Annotated[Path, typer.Option(help="A list folder, or a folder of list folders.")],
    run: Annotated[Path, typer.Option(help="run.csv: the lines an invoicing run sent.")],
    run_date: Annotated[dt.datetime, typer.Option(formats=_DATE, help="Date of the run.")],
    out: Annotated[Path, typer.Option(help="Folder for B1000 and B1001.")] = Path("."),
    output_format: Annotated[str, typer.Option("--format", help=_FORMAT_HELP)] = "csv",
    as_json: Annotated[bool, typer.Option("--json", help="Print the totals as JSON.")] = False,
) -> None:
    """Check a run against the latest list dated before it (B1000, B1001).

    Exit code 1 when a unit on the list was invoiced.
    """
    from vsbengine.formats.blockade import reconcile as run_reconcile

    result = run_reconcile(
        blockade=blockade,
        run=run,
        run_date=run_date.date(),
        out=out,
        output_format=output_format,
    )
    log.info(
        "run %s against the list of %s: %d units on the list, %d invoiced, %d not invoiced; "
        "B1000/B1001 in %s",
        result.run_date,
        result.blockade_date,
        result.units_on_list,
        result.invoiced,
        result.not_invoiced,
        out,
    )
    if as_json:
        _echo_json(result)
    else:
        typer.echo(
            f"run {result.run_date} against the list of {result.blockade_date}: "
            f"{result.units_on_list} units on the list, {result.invoiced} invoiced, "
            f"{result.not_invoiced} not invoiced"
        )
    if not result.held:
        if not as_json:
            typer.echo(
                f"vsbengine: {result.invoiced} blocked unit(s) were invoiced "
                f"(see B1000.{output_format})",
                err=True,
            )
        raise typer.Exit(EXIT_INVOICED)


@app.command()
def generate(
    out: Annotated[Path, typer.Option(help="Folder for the generated inputs.")],
    actions: Annotated[int, typer.Option(min=0, help="Number of actions.")] = 1000,
    lines: Annotated[int, typer.Option(min=0, help="Number of invoice lines.")] = 1000,
    seed: Annotated[int, typer.Option(help="The same seed gives the same files.")] = 0,
    force: Annotated[bool, typer.Option("--force", help="Replace files that exist.")] = False,
) -> None:
    """Write synthetic inputs (controls, actions, loids, invoice_lines, run) for trials."""
    from vsbengine.formats.blockade.generate import generate as run_generate

    made = run_generate(out, actions=actions, lines=lines, seed=seed, force=force)
    for name, rows in made.items():
        typer.echo(f"{out / name}: {rows} rows")
