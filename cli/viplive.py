"""``vsbengine viplive``: chain-care payments to practices, and quarterly declarations.

Thin: every command parses its options, calls :mod:`vsbengine.formats.viplive`
and prints. Exit codes: 0 done, 1 done but some rows were refused (listed),
2 unusable input or options (one line on stderr, from the root group).
"""

from __future__ import annotations

import datetime as _dt
import logging
from pathlib import Path

import typer

from vsbengine.digits import ascii_digits
from vsbengine.errors import ConfigError, one_line

app = typer.Typer(
    help="VIPLive chain-care payments and quarterly declarations.",
    no_args_is_help=True,
)

EXIT_DONE, EXIT_ROWS_REFUSED = 0, 1
#: Files, counts and outcomes only (see vsbengine.cli.logs): no BSN, no practice names.
log = logging.getLogger("vsbengine.cli")
_SHOWN = 20

_JSON = typer.Option(False, "--json", help="Print the result as JSON.")
_MAPPING = typer.Option(None, "--mapping", help="TOML file renaming your own headers to ours.")
_CONFIG = typer.Option(
    None, "--config", help="TOML file: [care_group] name, iban, bic; [chains] numbers."
)


def _quarter(text: str, option: str):
    from vsbengine.formats.viplive import Quarter

    try:
        return Quarter.parse(text)
    except ValueError:
        raise ConfigError(f"{option} must be a quarter such as 2021-Q2, not {text!r}") from None


def _date(text: str, option: str) -> _dt.date:
    from vsbengine.formats.viplive.schedule import check_day

    try:
        day = _dt.date.fromisoformat(text)
    except ValueError:
        raise ConfigError(f"{option} must be a date YYYY-MM-DD, not {text!r}") from None
    try:
        return check_day(day, option)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None


def _mapping(path: Path | None):
    from vsbengine.formats.viplive import load_mapping

    return None if path is None else load_mapping(path)


def _print_json(struct) -> None:
    from vsbengine.formats.viplive import summary_json

    typer.echo(summary_json(struct).decode(), nl=False)


def _listed(label: str, items: list, text) -> list[str]:
    lines = [f"  {label:<9} {text(x)}" for x in items[:_SHOWN]]
    if len(items) > _SHOWN:
        lines.append(f"  {'':<9} ... {len(items) - _SHOWN} more (--json lists them all)")
    return lines


@app.command()
def schedule(
    quarter: str = typer.Argument(..., help="The quarter, e.g. 2021-Q2."),
    follow_ups: int | None = typer.Option(
        None,
        "--follow-ups",
        min=0,
        help="Follow-up rounds to list (default: those before the next quarter's first round).",
    ),
    json_out: bool = _JSON,
) -> None:
    """Payment rounds of a quarter: download date, first round, follow-ups every 14 days."""
    from vsbengine.formats.viplive import schedule as make

    q = _quarter(quarter, "QUARTER")
    try:
        s = make(q, follow_ups)
    except ValueError as exc:
        raise ConfigError(f"--follow-ups {follow_ups}: {exc}") from None
    if json_out:
        _print_json(s)
        return
    lines = [
        f"{s.quarter}: reference date {s.reference_date}",
        f"  download   {s.download_date} (five days before the first round)",
    ]
    for r in s.rounds:
        kind = "first round" if r.number == 1 else f"follow-up {r.number - 1}"
        lines.append(f"  round {r.number:<4} {r.date} ({kind})")
    lines.append(
        f"  later follow-ups every 14 days while anything is unsettled "
        f"(next quarter's first round: {s.next_quarter_first_round})"
    )
    typer.echo("\n".join(lines))


@app.command()
def check(
    exports: list[Path] = typer.Argument(..., help="VIPLive exports (CSV or XLSX)."),
    mapping: Path | None = _MAPPING,
    config: Path | None = _CONFIG,
    json_out: bool = _JSON,
) -> None:
    """Read and check exports without paying: exit 0 all rows good, 1 some refused."""
    from vsbengine.formats.viplive import load_config, read_exports

    conf = load_config(config)
    read = read_exports(exports, chains=conf.chains, mapping=_mapping(mapping))
    log.info(
        "checked %d export file(s): %d rows, %d good, %d refused",
        len(read.files),
        read.rows,
        len(read.grants),
        read.bad_lines,
    )
    if json_out:
        _print_json(
            {
                "rows": read.rows,
                "good": len(read.grants),
                "refused": read.bad_lines,
                "files": read.files,
                "bad_rows": read.bad_rows,
            }
        )
    else:
        lines = [
            f"{one_line(str(f.path))}: {f.rows} rows ({f.kind}"
            + (f", {f.encoding}, delimiter {f.delimiter!r})" if f.kind == "csv" else ")")
            for f in read.files
        ]
        lines.append(
            f"  rows:     {read.rows} read, {len(read.grants)} good, {read.bad_lines} refused"
        )
        lines += _listed("bad row:", read.bad_rows, lambda b: one_line(str(b)))
        typer.echo("\n".join(lines))
    raise typer.Exit(EXIT_ROWS_REFUSED if read.bad_rows else EXIT_DONE)


def _pay_text(s) -> str:
    from vsbengine.formats.viplive import euros_nl

    rounds = ", ".join(f"{r.quarter} round {r.round} (booked {r.booked})" for r in s.rounds)
    c = s.rows
    lines = [
        f"round {s.round}: {rounds or 'nothing to book'}",
        f"  payments: {len(s.payments)}, total {euros_nl(s.total)} EUR",
        f"  claims:   {len(s.claims)}, total {euros_nl(sum(x.amount for x in s.claims))} EUR",
        (
            f"  rows:     {c.read} read: {c.paid} paid, {c.already_paid} already paid, "
            f"{c.claimed} claimed, {c.pending} pending, {c.rejected} rejected, "
            f"{c.superseded} superseded, {c.duplicate} duplicate, {c.bad} refused"
        ),
    ]
    if s.pain001:
        lines.append(f"  pain.001: {one_line(str(s.pain001))}")
    lines += _listed(
        "claim:",
        s.claims,
        lambda k: (
            f"{k.agb} {k.chain} {k.quarter} insurer {k.uzovi}: {euros_nl(k.amount)} EUR "
            f"(granted now {euros_nl(k.granted)}, settled {euros_nl(k.settled_before)})"
        ),
    )
    return "\n".join(lines + _waiting(s))


def _waiting(s) -> list[str]:
    """A round's pending rows (why each waits) and refused rows, one line each."""
    return _listed(
        "pending:", s.pending, lambda p: one_line(f"{p.path}, line {p.line}: {p.reason}")
    ) + _listed("bad row:", s.bad_rows, lambda b: one_line(str(b)))


def _cell(text: str, width: int) -> str:
    """Text for a terminal column: :func:`one_line`, cut to ``width``."""
    clean = one_line(text)
    return clean if len(clean) <= width else clean[: width - 1] + "…"


def _payments_table(payments) -> str:
    """The payments of a round, one line each, and the total."""
    from vsbengine.formats.viplive import euros_nl

    if not payments:
        return "  no payments"
    head = ("agb", "practice", "chain", "quarter", "round", "description", "iban", "amount EUR")
    rows = [
        (
            p.agb,
            _cell(p.practice, 30),
            p.chain,
            p.quarter,
            str(p.round),
            p.description,
            p.iban,
            euros_nl(p.amount),
        )
        for p in payments
    ]
    total = euros_nl(sum(p.amount for p in payments))
    widths = [max(len(r[i]) for r in [head, *rows, ("",) * 7 + (total,)]) for i in range(8)]

    def line(r) -> str:
        cells = [f"{v:<{w}}" for v, w in zip(r[:-1], widths)]
        return "  " + "  ".join([*cells, f"{r[-1]:>{widths[-1]}}"]).rstrip()

    out = [line(head), line(["-" * w for w in widths])]
    out += [line(r) for r in rows]
    out.append(line(("total", "", "", "", "", f"{len(rows)} payments", "", total)))
    return "\n".join(out)


@app.command()
def pay(
    exports: list[Path] = typer.Argument(..., help="VIPLive exports (CSV or XLSX)."),
    round_date: str = typer.Option(..., "--round-date", help="The round's date (YYYY-MM-DD)."),
    ledger: Path = typer.Option(..., "--ledger", help="The SQLite ledger (made when missing)."),
    out: Path | None = typer.Option(
        None, "--out", help="Folder for round-<date>.xml (pain.001) and round-<date>.json."
    ),
    config: Path | None = _CONFIG,
    mapping: Path | None = _MAPPING,
    dry_run: bool = typer.Option(False, "--dry-run", help="Decide and print; write nothing."),
    json_out: bool = _JSON,
) -> None:
    """Pay a round: what is granted and not yet paid, one payment per practice and chain."""
    from vsbengine.formats.viplive import load_config
    from vsbengine.formats.viplive import pay as run

    if out is None and not dry_run:
        raise ConfigError("--out is needed (or --dry-run)")
    summary = run(
        exports,
        _date(round_date, "--round-date"),
        ledger,
        out,
        config=load_config(config),
        mapping=_mapping(mapping),
        dry_run=dry_run,
    )
    _log_round(summary, ledger)
    _warn(summary)
    if json_out:
        _print_json(summary)
    else:
        typer.echo(_pay_text(summary))
        if dry_run:
            typer.echo("  would pay (dry run: nothing written, nothing booked):")
            typer.echo(_payments_table(summary.payments))
    raise typer.Exit(EXIT_ROWS_REFUSED if summary.bad_rows else EXIT_DONE)


def _warn(summary) -> None:
    for text in summary.warnings:
        typer.echo(f"vsbengine: warning: {text}", err=True)


def _log_round(summary, ledger: Path) -> None:
    r = summary.rows
    log.info(
        "round %s%s (ledger %s): %d payment(s), %d claim(s), %d cents, %s; rows: %d read, "
        "%d paid, %d already paid, %d claimed, %d pending, %d rejected, %d superseded, "
        "%d duplicate, %d bad",
        summary.round,
        " (dry run)" if summary.dry_run else "",
        ledger,
        len(summary.payments),
        len(summary.claims),
        summary.total,
        summary.pain001 or "no payment file",
        r.read,
        r.paid,
        r.already_paid,
        r.claimed,
        r.pending,
        r.rejected,
        r.superseded,
        r.duplicate,
        r.bad,
    )


def _next_round_text(outcome) -> str:
    if outcome.next_round is None:
        if outcome.round_date is None and outcome.decision == "not due":
            return "none yet (no export rows downloaded by today)"
        return "none (everything granted is settled)"
    if outcome.next_round == outcome.today:
        return f"{outcome.today} (another round is due: run again)"
    return str(outcome.next_round)


@app.command()
def run(
    ledger: Path = typer.Option(..., "--ledger", help="The SQLite ledger (made when missing)."),
    exports: Path = typer.Option(
        ..., "--exports", help="Folder of the downloaded exports (*.csv, *.xlsx)."
    ),
    config: Path = typer.Option(
        ..., "--config", help="TOML file: [care_group] name, iban, bic; [chains] numbers."
    ),
    today: str | None = typer.Option(
        None, "--today", help="Decide as on this date (YYYY-MM-DD; default: today)."
    ),
    out: Path | None = typer.Option(
        None, "--out", help="Folder for the round's files (default: the ledger's folder)."
    ),
    mapping: Path | None = _MAPPING,
    json_out: bool = _JSON,
) -> None:
    """For a scheduler: pay the round due today, if one is; otherwise say why not.

    Exit 0: paid, or nothing due; 1: paid, but some rows were refused; 2: unusable
    input. Running it twice on a day pays nothing the second time.
    """
    from vsbengine.formats.viplive import load_config
    from vsbengine.formats.viplive.scheduler import NOTHING_NEW
    from vsbengine.formats.viplive.scheduler import run as decide

    outcome = decide(
        ledger,
        exports,
        out if out is not None else ledger.absolute().parent,
        today=None if today is None else _date(today, "--today"),
        config=load_config(config),
        mapping=_mapping(mapping),
    )
    log.info(
        "run %s: %s: %s; next possible round %s",
        outcome.today,
        outcome.decision,
        outcome.reason,
        outcome.next_round or "none",
    )
    if outcome.summary is not None and outcome.decision == "paid":
        _log_round(outcome.summary, ledger)
        _warn(outcome.summary)
    if json_out:
        _print_json(outcome)
    else:
        lines = [f"{outcome.today}: {outcome.decision}: {outcome.reason}"]
        if outcome.decision == "paid":
            lines.append(_pay_text(outcome.summary))
        elif outcome.decision == NOTHING_NEW and outcome.summary is not None:
            # Why nothing moves: the rows that wait, and the refused rows behind them.
            lines += _waiting(outcome.summary)
        lines.append(f"  next possible round: {_next_round_text(outcome)}")
        typer.echo("\n".join(lines))
    refused = outcome.decision in ("paid", NOTHING_NEW) and outcome.summary.bad_rows
    raise typer.Exit(EXIT_ROWS_REFUSED if refused else EXIT_DONE)


@app.command()
def spec(
    ledger: Path = typer.Option(..., "--ledger", help="The SQLite ledger of the rounds."),
    quarter: str = typer.Option(..., "--quarter", help="The quarter, e.g. 2021-Q2."),
    out: Path = typer.Option(..., "--out", help="Folder; files go to <out>/<quarter>/."),
    agb: list[str] | None = typer.Option(None, "--agb", help="Only this practice (repeatable)."),
    per_practice: bool = typer.Option(
        False,
        "--per-practice",
        help="One statement per practice across chains (with totals) "
        "instead of one per practice and chain.",
    ),
    config: Path | None = _CONFIG,
    json_out: bool = _JSON,
) -> None:
    """Payment specifications per practice: granted, paid, claimed, still open (CSV and HTML)."""
    from vsbengine.formats.viplive import Ledger, load_config, statements, write_statements

    q = _quarter(quarter, "--quarter")
    conf = load_config(config)
    for code in agb or ():
        if len(code) != 8 or not ascii_digits(code):
            raise ConfigError(f"--agb must be an AGB code of 8 digits, not {code!r}")
    if not ledger.exists():
        raise ConfigError(f"{ledger}: no such ledger")
    with Ledger.open(ledger, create=False) as book:
        found = statements(book, str(q), agb, conf.chains)
    written = write_statements(
        found, out, per_practice, care_group=conf.care_group.name if conf.care_group else None
    )
    log.info("specifications %s: %d practices, %d files in %s", q, len(found), len(written), out)
    if json_out:
        _print_json(found)
    else:
        typer.echo(f"{q}: {len(found)} practices, {len(written)} files in {out / str(q)}")


def _declare_text(d) -> str:
    from vsbengine.formats.viplive import euros_nl

    def money(x):
        return "-" if x is None else euros_nl(x)

    lines = [
        f"declaration {d.quarter} (reference date {d.reference_date})",
        (f"  {'chain':<6} {'uzovi':<5} {'agb':<8} {'patients':>8} {'tariff':>12} {'amount':>14}"),
    ]
    lines += [
        f"  {x.chain:<6} {x.uzovi:<5} {x.agb:<8} {x.patients:>8} {money(x.tariff):>12} "
        f"{money(x.amount):>14}"
        for x in d.lines
    ]
    lines.append(
        f"  total: {d.patients} patients"
        + (f", {euros_nl(d.amount)} EUR" if d.amount is not None else "")
    )
    if d.missing_tariffs:
        lines.append(f"  no tariff for: {', '.join(d.missing_tariffs)}")
    lines.append(
        f"  rows: {d.rows} read, {d.patients} counted, "
        + ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in d.not_counted.items())
        + f", {d.refused} refused"
    )
    lines += _listed("bad row:", d.bad_rows, lambda b: one_line(str(b)))
    return "\n".join(lines)


@app.command()
def declare(
    inclusions: Path = typer.Argument(
        ..., help="Inclusions (CSV or XLSX), one row per patient and chain."
    ),
    quarter: str = typer.Option(..., "--quarter", help="The quarter to declare, e.g. 2021-Q2."),
    tariffs: Path | None = typer.Option(
        None, "--tariffs", help="Tariffs: keten, uzovi, quarter, tariff (cents)."
    ),
    modules: Path | None = typer.Option(
        None,
        "--modules",
        help="Care products (see `viplive tariff`): the tariff of a line --tariffs has none for.",
    ),
    mapping: Path | None = _MAPPING,
    config: Path | None = _CONFIG,
    json_out: bool = _JSON,
) -> None:
    """Patients included on the quarter's reference date, per chain, insurer and practice."""
    from vsbengine.formats.viplive import declare as count
    from vsbengine.formats.viplive import load_config

    conf = load_config(config)
    d = count(
        inclusions,
        _quarter(quarter, "--quarter"),
        tariffs=tariffs,
        modules=modules,
        chains=conf.chains,
        mapping=_mapping(mapping),
    )
    log.info(
        "declaration %s of %s: %d rows, %d patients counted, %d refused",
        d.quarter,
        inclusions,
        d.rows,
        d.patients,
        d.refused,
    )
    if json_out:
        _print_json(d)
    else:
        typer.echo(_declare_text(d))
    raise typer.Exit(EXIT_ROWS_REFUSED if d.bad_rows else EXIT_DONE)


@app.command()
def tariff(
    modules: Path = typer.Argument(
        ...,
        help="Care products: keten, zorgproduct, zorgverlener, voorkomen, minuten, "
        "tarief_per_minuut.",
    ),
    mapping: Path | None = _MAPPING,
    config: Path | None = _CONFIG,
    json_out: bool = _JSON,
) -> None:
    """Each chain DBC's tariff from its care products: share x minutes x tariff per minute."""
    from vsbengine.formats.viplive import euros_nl, load_config
    from vsbengine.formats.viplive.tariff import build_tariffs

    conf = load_config(config)
    found = build_tariffs(modules, chains=conf.chains, mapping=_mapping(mapping))
    if json_out:
        _print_json(found)
        return
    lines = []
    for t in found:
        lines.append(f"{t.chain}: {euros_nl(t.tariff)} EUR per patient per quarter")
        lines += [
            f"  {p.product:<28} {p.provider:<22} {p.occurrence:>6} % x {p.minutes:>6} min x "
            f"{p.tariff_per_minute:>7} EUR/min = {euros_nl(p.amount):>10}"
            for p in t.products
        ]
    typer.echo("\n".join(lines) if lines else "no care products")


@app.command()
def payout(
    quarter: str = typer.Option(..., "--quarter", help="The declared quarter, e.g. 2021-Q2."),
    insurer_paid: str | None = typer.Option(
        None, "--insurer-paid", help="When the insurer's payment arrived (YYYY-MM-DD)."
    ),
    json_out: bool = _JSON,
) -> None:
    """When a care group that pays after the insurer pays the practices (seed 003)."""
    from vsbengine.formats.viplive.payout import payout as window

    paid = None if insurer_paid is None else _date(insurer_paid, "--insurer-paid")
    w = window(_quarter(quarter, "--quarter"), paid)
    if json_out:
        _print_json(w)
        return
    due = "open (the insurer has not paid)" if w.due is None else f"by {w.due}"
    typer.echo(f"{w.quarter}: pay from {w.earliest}, {due}: {w.rule}")
