"""The sending register: ``receive``, ``inbox``, and ``sign``/``confirm`` of a sending.

Thin: every command parses its options, calls :mod:`vsbengine.register` or
:mod:`vsbengine.receive` and prints. A register that cannot be used (missing,
locked, read-only, not a register, newer schema) is one line on stderr, exit 2.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Literal

import typer

from vsbengine.cli import options
from vsbengine.errors import ConfigError, InputError, one_line

_JSON = typer.Option(False, "--json", help="Print the result as JSON.")


def _money(cents: int | None) -> str:
    return "" if cents is None else f"{cents / 100:,.2f}"


def _line(o, register: Path) -> str:
    """One line per input of a receive (its name's control characters as "?")."""
    where = f"sending {o.sending}" if o.sending is not None else ""
    path = one_line(str(o.path))
    if o.outcome == "unreadable":
        return one_line(f"{o.path}: unreadable: {o.reason}")
    if o.outcome == "skipped":
        p = o.previous
        had = f"{p.outcome.replace('_', ' ')}" if p else "?"
        if p is not None and p.error_ratio is not None:
            had += f", {p.error_ratio:.2f} % rejected"
        return f"{path}: skipped: {o.reason}: {had}"
    from vsbengine.cli.bulk import LABELS

    shown = o.error_ratio is not None and o.outcome != "rejected_technical"
    ratio = f" ({o.error_ratio:.2f} % rejected)" if shown else ""
    text = f"{path}: {where}: {LABELS[o.outcome]}{ratio}: {', '.join(o.messages)}"
    if o.identity_codes:
        from vsbengine.formats.efact.catalogue import explain

        first = o.identity_codes[0]
        text += f"; {', '.join(o.identity_codes)}: {explain(first).en}"
    if o.outcome == "waiting":
        verb = "sign" if o.waiting_for == "signature" else "confirm"
        text += (
            f"; {o.proposed} waits for a {o.waiting_for}: "
            f"vsbengine {verb} {register} {o.sending} --by NAME"
        )
    return text


def receive(
    files: list[str] = typer.Argument(..., help="Billing files (or folders, globs)."),
    register: Path = typer.Option(..., "--register", help="The sending register (created)."),
    refs: Path | None = typer.Option(
        None, help="The zorgkas's reference data: content checks, and DF017's accounts."
    ),
    sign_as: str | None = typer.Option(
        None,
        help="With --refs: sign an acceptance or confirm a rejection at once (unattended); "
        + options.SIGN_AS_WAITS,
    ),
    today: str | None = typer.Option(
        None, help="Date of receipt, which the checks take as today (YYYY-MM-DD)."
    ),
    reference: int | None = typer.Option(
        None, help="Insurer's message reference for the answers (one file only)."
    ),
    memory_limit: str | None = typer.Option(
        None, help="Memory the process may use, e.g. 512M: big files are read in chunks."
    ),
    workers: int = typer.Option(0, min=0, help="Worker processes (default 0: this process)."),
    json_out: bool = _JSON,
) -> None:
    """Receive billing files into a sending register: each content once, decided once.

    Duplicates are reported with the earlier sending's outcome; a number already used
    by an accepted sending is refused (DF012, 100721); proposals wait for 'vsbengine
    sign' or 'vsbengine confirm' unless --sign-as is given. Exit 0 when every file got
    its outcome, 1 when one was unreadable, 2 for an unusable register or option.
    """
    import msgspec

    from vsbengine import limits
    from vsbengine import receive as engine_receive

    limits.check_workers(workers, "--workers", least=0)
    if sign_as is not None:
        sign_as = limits.check_name(sign_as, "--sign-as")
    try:
        summary = engine_receive.receive(
            str(register),
            files,
            refs=None if refs is None else str(refs),
            sign_as=sign_as,
            today=options.date(today),
            memory_limit=options.memory_limit(memory_limit),
            reference=reference,
            workers=workers,
        )
    except KeyboardInterrupt:
        typer.echo("interrupted: the same command again goes on where this run stopped", err=True)
        raise typer.Exit(130) from None
    from vsbengine.cli.bulk import counts_text

    counts = counts_text(summary)
    logging.getLogger("vsbengine.cli").info(
        "receive run %s into %s: %d files: %s", summary.run, register, len(summary.files),
        counts or "no files",
    )  # fmt: skip
    if json_out:
        typer.echo(msgspec.json.encode(summary).decode())
    else:
        for o in summary.files:
            typer.echo(_line(o, register))
        typer.echo(f"run {summary.run}: {counts or 'no files (nothing to receive)'}")
    raise typer.Exit(1 if summary.counts.get("unreadable") else 0)


def _waits(e) -> str:
    if e.state == "proposed":
        return e.waiting_for or ""
    if e.state == "payment_due":
        return f"payment by {e.due_on}"
    if e.state == "received":
        return "its check (being received)"
    return ""


def inbox(
    register: Path = typer.Argument(..., help="The sending register."),
    waiting: bool = typer.Option(False, "--waiting", help="Proposals waiting (the default)."),
    due: str | None = typer.Option(
        None, "--due", help="Payment orders due on or before this date (YYYY-MM-DD)."
    ),
    all_: bool = typer.Option(False, "--all", help="Every sending."),
    json_out: bool = _JSON,
) -> None:
    """List the sendings of a register: state, ratio, amounts and what each waits for."""
    import msgspec
    from rich.console import Console
    from rich.table import Table

    from vsbengine.register import Register

    if sum((waiting, due is not None, all_)) > 1:
        raise ConfigError("--waiting, --due and --all: give one")
    which = "all" if all_ else "due" if due is not None else "waiting"
    day = options.date(due, "--due")
    try:
        reg = Register(str(register), create=False)
    except InputError as exc:
        if "read-only" not in exc.reason:
            raise
        # Looking needs no writing: a register one may only read is listed as it is.
        reg = Register(str(register), readonly=True)
    with reg:
        entries = reg.inbox(which, day)
    if json_out:
        typer.echo(msgspec.json.encode(entries).decode())
        return
    table = Table(title=f"{register}: {len(entries)} {which} sending(s)")
    columns: tuple[tuple[str, Literal["left", "right"]], ...] = (
        ("id", "right"),
        ("file", "left"),
        ("facility", "left"),
        ("number", "right"),
        ("month", "left"),
        ("received", "left"),
        ("state", "left"),
        ("proposed", "left"),
        ("ratio %", "right"),
        ("requested", "right"),
        ("accepted", "right"),
        ("waits for", "left"),
    )
    for name, justify in columns:
        table.add_column(name, justify=justify)
    for e in entries:
        table.add_row(
            str(e.id),
            e.file_name,
            e.facility or "",
            "" if e.sending_number is None else f"{e.sending_number:03d}",
            e.invoiced_month or "",
            e.received_on,
            e.state if not e.identity_codes else f"{e.state} ({', '.join(e.identity_codes)})",
            e.proposed or e.technical or "",
            "" if e.error_ratio is None else f"{e.error_ratio:.2f}",
            _money(e.amount_requested),
            _money(e.amount_accepted),
            _waits(e),
        )
    Console(width=200).print(table)


def decide(action: str, register: Path, sending: int, by: str, json_out: bool) -> None:
    """``vsbengine sign|confirm REGISTER ID --by NAME``."""
    import msgspec

    from vsbengine.register import Register

    with Register(str(register), create=False) as reg:
        e = reg.decide(sending, action, by)
    logging.getLogger("vsbengine.cli").info(
        "sending %d of %s %s: %s", sending, register, e.state.replace("_", " "), e.folder
    )  # who decided is in the register, not in the log (a name)
    if json_out:
        typer.echo(msgspec.json.encode(e).decode())
        return
    folder = Path(e.folder or ".")
    names = sorted(p.name for p in folder.iterdir() if p.name.startswith("DF"))
    what = "signed" if action == "sign" else "confirmed"
    due = f"; payment due on {e.due_on}" if e.due_on else ""
    typer.echo(
        f"sending {sending}: {what} by {e.decided_by} at {e.decided_at}: "
        f"{', '.join(names)} in {e.folder}{due}"
    )


def register(app: typer.Typer) -> None:
    """Add the register's commands to the root app."""
    app.command("receive")(receive)
    app.command("inbox")(inbox)
