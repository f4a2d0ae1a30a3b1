"""``vsbengine bulk``: validate many billing files on all cores or a Dask cluster."""

from __future__ import annotations

import contextlib
import functools
import sys
import time
from collections import Counter
from pathlib import Path

import typer

from vsbengine.cli import options
from vsbengine.errors import ConfigError, one_line

LABELS = {
    "accepted": "accepted",
    "rejected_technical": "rejected technically (DF012)",
    "rejected_sending": "rejected as a sending (DF013)",
    "waiting": "waiting for a sign-off",
    "unreadable": "unreadable",
    "skipped": "skipped (processed before)",
    "interrupted": "not done (interrupted)",
}


def _before(files) -> str:
    """What the skipped files had: ``accepted 2, waiting 1``."""
    had = Counter(o.previous.outcome if o.previous else "?" for o in files)
    return ", ".join(f"{k.replace('_', ' ')} {n}" for k, n in sorted(had.items()))


def print_summary(summary, where: str) -> None:
    """The table of outcomes and the lines that need a look (shared with ``receive``)."""
    from rich.console import Console
    from rich.table import Table

    table = Table()
    table.add_column("outcome")
    table.add_column("files", justify="right")
    table.add_column("skipped files had")
    skipped = [o for o in summary.files if o.outcome == "skipped"]
    for key, label in LABELS.items():
        if key == "interrupted" and not summary.counts.get(key):
            continue
        table.add_row(
            label, str(summary.counts.get(key, 0)), _before(skipped) if key == "skipped" else ""
        )
    Console().print(table)
    typer.echo(
        f"{len(summary.files)} files, {summary.records:,} records in {summary.elapsed:.1f} s "
        f"({summary.runner}, {summary.workers} workers)"
        + (f", run {summary.run}" if summary.run is not None else "")
    )
    for o in summary.files:
        if o.outcome == "unreadable":
            typer.echo(one_line(f"unreadable: {o.path}: {o.reason}"))
        elif o.outcome == "interrupted":
            typer.echo(one_line(f"not done: {o.path}"))
    if summary.interrupted:
        typer.echo("interrupted: the same command again goes on where this run stopped")
    typer.echo(where)


def bulk(
    inputs: list[str] = typer.Argument(..., help="Folders, globs or files of billing files."),
    out: Path | None = typer.Option(
        None, "--out", help="Folder for the answers and the summary (without --register)."
    ),
    register: Path | None = typer.Option(
        None, "--register", help="Receive the files into this sending register instead."
    ),
    workers: int | None = typer.Option(
        None, min=1, help="Worker processes (default: one per core)."
    ),
    refs: Path | None = typer.Option(None, help="Reference data (loaded once per worker)."),
    sign_as: str | None = typer.Option(
        None,
        help="With --refs: sign an acceptance or confirm a rejection at once (unattended); "
        + options.SIGN_AS_WAITS,
    ),
    force: bool = typer.Option(
        False, help="Process files again even if their content was (--out only)."
    ),
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

    Exit code 0 when every file was processed (accepted, rejected or waiting), 1 when a
    file was unreadable, 2 for a usage error, 130 when interrupted.
    """
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    from vsbengine import bulk as engine_bulk
    from vsbengine import limits

    if scheduler and dask_local:
        raise ConfigError("--scheduler and --dask-local cannot go together")
    if register is not None and out is not None:
        raise ConfigError("--out and --register cannot go together: the register keeps the answers")
    if register is None and out is None:
        raise ConfigError("say where the answers go: --out DIR or --register PATH")
    if sign_as is not None and refs is None:
        from vsbengine.receive import SIGN_AS_NEEDS_REFS

        raise ConfigError(SIGN_AS_NEEDS_REFS)
    if register is not None and force:
        raise ConfigError("--force is for --out: a register never processes a content twice")
    if workers is not None:
        limits.check_workers(workers, "--workers")
        if scheduler or dask_local:
            raise ConfigError("--workers is for the local pool: Dask has its own workers")
    if sign_as is not None:
        sign_as = limits.check_name(sign_as, "--sign-as")
    if dask_local is not None:
        limits.check_workers(dask_local, "--dask-local")
    day = options.date(today)
    limit = options.memory_limit(memory_limit)
    files = engine_bulk.collect(inputs, engine_bulk.written_by(out, register))
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
        records[0] += o.records_total or 0
        rate = records[0] / max(time.perf_counter() - started, 1e-9)
        bar.update(task, advance=1, rate=f"{rate:,.0f} records/s")

    try:
        with bar:
            # Where the files run: a Dask cluster or the local pool; the rest is shared.
            run = (
                functools.partial(
                    engine_bulk.run_dask, scheduler=scheduler, local_workers=dask_local
                )
                if scheduler or dask_local
                else functools.partial(engine_bulk.run_local, workers=workers)
            )
            summary = run(
                files,
                None if out is None else str(out),
                register=None if register is None else str(register),
                today=day,
                refs=str(refs) if refs else None,
                force=force,
                progress=advance,
                memory_limit=limit,
                sign_as=sign_as,
            )
    except KeyboardInterrupt:
        typer.echo("interrupted: the same command again goes on where this run stopped", err=True)
        raise typer.Exit(130) from None
    except engine_bulk.SummaryNotSaved as exc:
        # A full disk: the run's summary is printed at least, then the one error line.
        with contextlib.suppress(typer.Exit):
            emit(exc.summary, json_out, f"summary: not saved: {exc.filename}: {exc.strerror}")
        raise
    emit(summary, json_out, where_of(out, register))


def where_of(out, register) -> str:
    from vsbengine import bulk as engine_bulk

    if register is not None:
        return f"register: {register} (vsbengine inbox {register})"
    return f"summary: {out / engine_bulk.SUMMARY}"


def counts_text(summary) -> str:
    """A run's outcome counts on one line (``2 accepted, 1 waiting``; empty: none)."""
    return ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in summary.counts.items() if n)


def emit(summary, json_out: bool, where: str) -> None:
    """Print a run's summary (JSON or the table) and exit with its code."""
    import logging

    import msgspec

    logging.getLogger("vsbengine.cli").info(
        "bulk run: %d files: %s%s; %s",
        len(summary.files),
        counts_text(summary) or "nothing",
        " (interrupted)" if getattr(summary, "interrupted", False) else "",
        where,
    )

    if json_out:
        typer.echo(msgspec.json.encode(summary).decode())
    else:
        print_summary(summary, where)
    raise typer.Exit(1 if summary.counts.get("unreadable") else 0)


def register(app: typer.Typer) -> None:
    app.command("bulk")(bulk)
