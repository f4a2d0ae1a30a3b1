"""``vsbengine bulk``: validate many billing files on all cores or a Dask cluster."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import typer

from vsbengine.errors import ConfigError

_LABELS = {
    "accepted": "accepted",
    "rejected_technical": "rejected technically (DF012)",
    "rejected_sending": "rejected as a sending (DF013)",
    "unreadable": "unreadable",
    "skipped": "skipped (processed before)",
}


def bulk(
    inputs: list[str] = typer.Argument(..., help="Folders, globs or files of billing files."),
    out: Path = typer.Option(..., "--out", help="Folder for the answers and the summary."),
    workers: int | None = typer.Option(
        None, min=1, help="Worker processes (default: one per core)."
    ),
    refs: Path | None = typer.Option(None, help="Reference data (loaded once per worker)."),
    force: bool = typer.Option(False, help="Process files again even if their content was."),
    json_out: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
    scheduler: str | None = typer.Option(None, help="Run on the Dask cluster at this address."),
    dask_local: int | None = typer.Option(
        None, min=1, help="Run on a local Dask cluster of N workers."
    ),
    today: str | None = typer.Option(None, help="Date the checks take as today (YYYY-MM-DD)."),
    memory_limit: str | None = typer.Option(
        None, help="Memory per worker for one file, e.g. 1G: big files are streamed in chunks."
    ),
    progress: bool | None = typer.Option(
        None, "--progress/--no-progress", help="Progress bar (default: when stderr is a terminal)."
    ),
) -> None:
    """Validate every billing file under INPUTS; one outcome per file, a summary at the end.

    Exit code 0 when every file was processed (accepted or rejected), 1 when a file
    was unreadable, 2 for a usage error.
    """
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )
    from rich.table import Table

    from vsbengine import bulk as engine_bulk
    from vsbengine.cli import options

    if scheduler and dask_local:
        raise ConfigError("--scheduler and --dask-local cannot go together")
    day = options.date(today)
    limit = options.size(memory_limit)
    files = engine_bulk.collect(inputs)
    if not files:
        raise ConfigError("no input files")
    show = sys.stderr.isatty() if progress is None else progress
    err = Console(stderr=True)
    bar = Progress(
        TextColumn("validating"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}"),
        TimeRemainingColumn(),
        console=err,
        disable=not show,
    )
    task = bar.add_task("files", total=len(files), rate="")
    started = time.perf_counter()
    records = [0]

    def advance(o) -> None:
        records[0] += o.records_total
        rate = records[0] / max(time.perf_counter() - started, 1e-9)
        bar.update(task, advance=1, rate=f"{rate:,.0f} records/s")

    common = dict(
        today=day,
        refs=str(refs) if refs else None,
        force=force,
        progress=advance,
        memory_limit=limit,
    )
    with bar:
        if scheduler or dask_local:
            summary = engine_bulk.run_dask(
                files, str(out), scheduler=scheduler, local_workers=dask_local, **common
            )
        else:
            summary = engine_bulk.run_local(files, str(out), workers=workers, **common)

    import msgspec

    if json_out:
        typer.echo(msgspec.json.encode(summary).decode())
    else:
        table = Table()
        table.add_column("outcome")
        table.add_column("files", justify="right")
        for key, label in _LABELS.items():
            table.add_row(label, str(summary.counts[key]))
        Console().print(table)
        typer.echo(
            f"{len(files)} files, {summary.records:,} records in {summary.elapsed:.1f} s "
            f"({summary.runner}, {summary.workers} workers)"
        )
        for o in summary.files:
            if o.outcome == "unreadable":
                typer.echo(f"unreadable: {o.path}: {o.reason}")
        typer.echo(f"summary: {out / engine_bulk.SUMMARY}")
    raise typer.Exit(1 if summary.counts["unreadable"] else 0)


def register(app: typer.Typer) -> None:
    app.command("bulk")(bulk)
