"""The night's report of a run (``bulk``, ``receive``): one row per input file.

Written at the end of every run, beside the run's record, and again on demand
(``vsbengine report``, :func:`write`):

- folder runs (``bulk --out OUT``): ``OUT/runs/<start>-<id>.html``, ``.csv`` and,
  when pyarrow is installed, ``.parquet``, beside the run's summary ``.json``;
- register runs: ``R.sendings/runs/<run>.json`` (the run's summary) and the same
  three files.

Each row: the file, its facility (number and name), sending number and invoiced
month, the outcome (and why, for an unreadable or skipped file), the error ratio,
the records, the amounts requested and accepted, the seconds it took, where its
answers are. The unreadable files come first (they need a look), then the others in
the run's order. The HTML page is a page of :mod:`vsbengine.pages` (self-contained,
prints on A4); the CSV's text cells go through :func:`vsbengine.spreadsheet.safe_cell`;
every file is written whole or not at all (:mod:`vsbengine.fsio`).
"""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path

import msgspec

from vsbengine.digits import ascii_int
from vsbengine.errors import InputError, quoted

__all__ = ["COLUMNS", "Row", "after_run", "folder_runs", "rows", "write", "write_for"]

#: The folder of the register's run reports, inside ``R.sendings``.
REGISTER_RUNS = "runs"


class Row(msgspec.Struct, frozen=True):
    """One input file of a run, as the report shows it (amounts in cents, ``None``
    where nothing was counted)."""

    file: str
    outcome: str
    reason: str | None
    facility: str | None
    facility_name: str | None
    sending_number: int | None
    invoiced_month: str | None
    register_sending: int | None
    proposed: str | None
    waiting_for: str | None
    error_ratio: float | None
    records_total: int | None
    records_rejected: int | None
    errors: int | None
    amount_requested: int | None
    amount_accepted: int | None
    seconds: float
    output: str | None


#: The columns of the CSV and Parquet summaries, in order.
COLUMNS = tuple(Row.__struct_fields__)
_TEXT = {"file", "outcome", "reason", "facility", "facility_name", "invoiced_month"}
_TEXT |= {"proposed", "waiting_for", "output"}


def _facility_name(o) -> str | None:
    """The facility's name: the outcome's, else the proposal's in its folder."""
    if o.facility_name:
        return o.facility_name
    if not o.output:
        return None
    try:
        with open(os.path.join(o.output, "proposal.json"), "rb") as fh:
            return json.loads(fh.read()).get("facility")
    except (OSError, ValueError):
        return None


def rows(summary) -> list[Row]:
    """The report's rows of a run's :class:`~vsbengine.bulk.Summary`: the unreadable
    files first, then the others in the run's order."""
    files = sorted(summary.files, key=lambda o: o.outcome != "unreadable")
    return [
        Row(
            file=o.path,
            outcome=o.outcome,
            reason=o.reason,
            facility=o.facility,
            facility_name=_facility_name(o),
            sending_number=o.sending_number,
            invoiced_month=o.invoiced_month,
            register_sending=o.sending,
            proposed=o.proposed,
            waiting_for=o.waiting_for,
            error_ratio=o.error_ratio,
            records_total=o.records_total,
            records_rejected=o.records_rejected,
            errors=o.errors,
            amount_requested=o.amount_requested,
            amount_accepted=o.amount_accepted,
            seconds=round(o.seconds, 3),
            output=o.output,
        )
        for o in files
    ]


# -- the three files --------------------------------------------------------------------------


def _csv(table: list[Row]) -> bytes:
    from vsbengine.spreadsheet import safe_cell

    out = io.StringIO()
    w = csv.writer(out, delimiter=";", lineterminator="\r\n")
    w.writerow(COLUMNS)
    for r in table:
        w.writerow(
            [
                ""
                if v is None
                else safe_cell(str(v))
                if name in _TEXT
                else (f"{v:.2f}" if name == "error_ratio" else str(v))
                for name, v in zip(COLUMNS, msgspec.structs.astuple(r))
            ]
        )
    # A BOM: spreadsheets then read the names as UTF-8.
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _parquet(table: list[Row]) -> bytes | None:
    """The rows as Parquet, or ``None`` without pyarrow."""
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        return None
    types = {
        "sending_number": pa.int32(),
        "register_sending": pa.int64(),
        "error_ratio": pa.float64(),
        "records_total": pa.int64(),
        "records_rejected": pa.int64(),
        "errors": pa.int64(),
        "amount_requested": pa.int64(),
        "amount_accepted": pa.int64(),
        "seconds": pa.float64(),
    }
    data = {
        name: pa.array([getattr(r, name) for r in table], type=types.get(name, pa.string()))
        for name in COLUMNS
    }
    sink = io.BytesIO()
    pq.write_table(pa.table(data), sink)
    return sink.getvalue()


def _page(summary, table: list[Row], title: str, lang: str, made=None) -> str:
    from vsbengine import pages

    def eur(cents):
        return "" if cents is None else pages.amount(cents, lang)

    body = []
    for r in table:
        body.append(
            [
                os.path.basename(r.file),
                " ".join(x for x in (r.facility_name or "", r.facility or "") if x),
                " ".join(
                    x
                    for x in (
                        "" if r.sending_number is None else f"{r.sending_number:03d}",
                        f"({r.invoiced_month})" if r.invoiced_month else "",
                    )
                    if x
                ),
                pages.label(f"nr_{r.outcome}", lang)
                + (f" ({r.proposed})" if r.outcome == "waiting" and r.proposed else ""),
                "" if r.error_ratio is None else f"{r.error_ratio:.2f} %",
                "" if r.records_total is None else r.records_total,
                eur(r.amount_requested),
                eur(r.amount_accepted),
                f"{r.seconds:.2f}",
                r.reason or "",
            ]
        )
    requested = sum(r.amount_requested or 0 for r in table)
    accepted = sum(r.amount_accepted or 0 for r in table)
    counts = [
        [pages.label(f"nr_{k}", lang), n]
        for k, n in summary.counts.items()
        if n or k != "interrupted"
    ]
    return pages.render(
        "night_report.html",
        lang=lang,
        made=made,
        title=title,
        s=summary,
        rows=body,
        unreadable=sum(1 for r in table if r.outcome == "unreadable"),
        counts=counts,
        foot=[
            pages.label("total", lang),
            "",
            "",
            "",
            "",
            sum(r.records_total or 0 for r in table if r.outcome != "skipped"),
            eur(requested),
            eur(accepted),
            f"{sum(r.seconds for r in table):.2f}",
            "",
        ],
    )


def write(summary, stem, *, title: str = "", lang: str = "nl", made=None) -> list[Path]:
    """Write the report of ``summary`` as ``stem.html``, ``stem.csv`` and (with pyarrow)
    ``stem.parquet``; return the paths written."""
    from vsbengine.fsio import atomic_write

    stem = Path(stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    table = rows(summary)
    written = [
        atomic_write(
            stem.with_name(stem.name + ".html"),
            _page(summary, table, title or stem.name, lang, made).encode("utf-8"),
        ),
        atomic_write(stem.with_name(stem.name + ".csv"), _csv(table)),
    ]
    parquet = _parquet(table)
    if parquet is not None:
        written.append(atomic_write(stem.with_name(stem.name + ".parquet"), parquet))
    return written


def after_run(write_report, *args, **kwargs) -> list[Path]:
    """Write a run's report at its end (``write_report``: :func:`write` or
    :func:`write_register_run`). The report is the run's second copy of what its summary
    holds: a disk that refuses it is a warning (the file it names), not a failed run;
    ``vsbengine report`` makes it again."""
    import logging

    try:
        return write_report(*args, **kwargs)
    except OSError as exc:
        logging.getLogger("vsbengine").warning(
            "the night report was not written (vsbengine report makes it again): %s: %s",
            exc.filename or "",
            exc.strerror or type(exc).__name__,
        )
        return []


# -- where the runs are ------------------------------------------------------------------------


def folder_runs(out) -> list[Path]:
    """The run summaries of a bulk output folder (``OUT/runs/*.json``), oldest first (by
    the start in their names, then, for runs started in the same second, by when they
    ended)."""
    folder = Path(out) / "runs"
    if not folder.is_dir():
        raise InputError("no runs here (not the --out folder of a bulk run)", path=str(out))
    found = [p for p in folder.glob("*.json") if not p.name.startswith(".")]
    return sorted(found, key=lambda p: (p.stem.split("-", 1)[0], p.stat().st_mtime_ns))


def register_stem(register, run: int) -> Path:
    """Where the report of run ``run`` of a register goes (without its suffix)."""
    from vsbengine.register import folders_of

    return folders_of(register) / REGISTER_RUNS / f"{run:06d}"


def write_register_run(register, summary, *, lang: str = "nl") -> list[Path]:
    """At the end of a register run: its summary (``.json``) and its report."""
    from vsbengine.fsio import atomic_write

    stem = register_stem(register, summary.run)
    stem.parent.mkdir(parents=True, exist_ok=True)
    data = msgspec.json.format(msgspec.json.encode(summary)) + b"\n"
    done = [atomic_write(stem.with_name(stem.name + ".json"), data)]
    return done + write(summary, stem, title=_register_title(register, summary.run), lang=lang)


def _register_title(register, run: int) -> str:
    return f"{os.path.basename(os.fspath(register))}, run {run}"


def _summary_of(path: Path):
    from vsbengine.bulk import Summary

    try:
        return msgspec.json.decode(path.read_bytes(), type=Summary)
    except (OSError, msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise InputError(f"not a run summary ({type(exc).__name__})", path=str(path)) from None


def write_for(target, run: str | None = None, *, out=None, lang: str = "nl") -> list[Path]:
    """(Re)write the report of a run: ``target`` is a bulk output folder (``run``: the
    stem or the id of a summary under ``runs/``, default the latest) or a register
    (``run``: its number, default the last run that had inputs). ``out``: the folder to
    write into (default: beside the run's record)."""
    target = Path(target)
    if target.is_dir():
        runs = folder_runs(target)
        if run is not None:
            runs = [p for p in runs if p.stem == run or p.stem.endswith(f"-{run}")]
        if not runs:
            raise InputError(f"no run {run!r} here" if run else "no run here", path=str(target))
        chosen = runs[-1]
        stem = (Path(out) if out is not None else chosen.parent) / chosen.stem
        return write(_summary_of(chosen), stem, title=f"{target.name}, {chosen.stem}", lang=lang)
    summary = _register_summary(target, run)
    stem = register_stem(target, summary.run)
    if out is not None:
        stem = Path(out) / stem.name
    return write(summary, stem, title=_register_title(target, summary.run), lang=lang)


def _register_summary(register: Path, run: str | None):
    """A register run's summary: the one its run wrote, else rebuilt from the register
    (its inputs and their sendings; the seconds per file are not recorded there)."""
    from vsbengine import bulk
    from vsbengine.receive import outcome_of, skipped_outcome
    from vsbengine.register import Register

    with Register(str(register), readonly=True) as reg:
        runs = reg.runs()
        if run is not None:
            number = ascii_int(run)
            if number is None:
                raise InputError(f"--run must be a run's number, not {quoted(run)}")
            chosen = next((r for r in runs if r.id == number), None)
            if chosen is None:
                raise InputError(f"no run {number} in this register", path=str(register))
        else:
            with_inputs = [r for r in runs if reg.inputs(r.id)]
            if not with_inputs:
                raise InputError("no run with inputs in this register", path=str(register))
            chosen = with_inputs[-1]
        recorded = register_stem(register, chosen.id).with_name(f"{chosen.id:06d}.json")
        if recorded.is_file():
            return _summary_of(recorded)
        outcomes = {}
        for i in reg.inputs(chosen.id):
            if i["sending"] is not None and i["outcome"] == "skipped":
                o = skipped_outcome(i["path"], reg.entry(i["sending"]), reason=i["reason"])
            elif i["sending"] is not None:
                o = outcome_of(i["path"], reg.entry(i["sending"]), reason=i["reason"])
                o.outcome = i["outcome"]
            else:
                o = bulk.Outcome(i["path"], i["outcome"], reason=i["reason"])
            outcomes[i["path"]] = o
        rebuilt = bulk.summarize(
            list(outcomes),
            outcomes,
            "register",
            0,
            0.0,
            started_at=chosen.started_at,
            interrupted=chosen.status != "finished",
            run=chosen.id,
            register=reg.path,
        )
        return msgspec.structs.replace(rebuilt, ended_at=chosen.ended_at)
