"""``viplive run``: whether a payment round is due today, and paying it if so.

Meant to be started every day by a scheduler (cron, a systemd timer). The rule
of seed 000: the first round of a quarter is on the 1st of its third month;
after that, every two weeks and only while not everything is settled, a check
looks for new grants and pays them. So on a day of a quarter's 14-day grid:

- round 1 of a quarter is always due (it books the quarter, even with nothing
  to pay yet);
- a follow-up round is due when the exports hold something to pay or to claim
  against the ledger; with only rows still awaiting the insurer, or nothing
  open at all, nothing is booked and the outcome says why;
- a round already booked is not paid again (running twice a day is harmless).

A grid day the scheduler missed (the machine was off) is caught up on the
following days, until the next grid day: the round keeps its own date and
numbers, and the SEPA file asks for execution today. Only the earliest missed
round is caught up; rounds are booked in date order.

Exports are every ``*.csv`` and ``*.xlsx`` in the folder (hidden files
skipped): a folder that keeps each download works, since the newest download
per key counts and older ones are superseded.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping
from pathlib import Path

import msgspec

from vsbengine.errors import ConfigError
from vsbengine.formats.viplive.config import Config
from vsbengine.formats.viplive.export import read_exports
from vsbengine.formats.viplive.ledger import Ledger
from vsbengine.formats.viplive.payments import pay
from vsbengine.formats.viplive.quarters import Quarter
from vsbengine.formats.viplive.records import RoundSummary
from vsbengine.formats.viplive.schedule import (
    FOLLOW_UP_DAYS,
    check_day,
    first_round,
    next_round,
    round_date,
    round_number,
)

__all__ = ["EXPORT_SUFFIXES", "RunOutcome", "export_files", "run"]

EXPORT_SUFFIXES = (".csv", ".xlsx")

#: What ``run`` did.
PAID, ALREADY_PAID, NOT_DUE, NOTHING_NEW, SETTLED = (
    "paid",
    "already paid",
    "not due",
    "nothing new",
    "settled",
)


class RunOutcome(msgspec.Struct):
    """What ``viplive run`` decided, and the round it paid (if any)."""

    today: _dt.date
    decision: str  # paid, already paid, not due, nothing new, settled
    reason: str
    round_date: _dt.date | None
    next_round: _dt.date | None
    exports: list[str]
    summary: RoundSummary | None = None


def export_files(folder: str | Path) -> list[Path]:
    """The exports in ``folder``, by name; refused when there are none."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ConfigError(f"{folder}: not a folder (--exports names the folder of the exports)")
    files = sorted(
        p
        for p in folder.iterdir()
        if not p.name.startswith(".") and p.suffix.lower() in EXPORT_SUFFIXES and p.is_file()
    )
    if not files:
        raise ConfigError(f"{folder}: no exports (*.csv, *.xlsx) in the folder")
    return files


def _last_grid_day(q: Quarter, today: _dt.date) -> tuple[int, _dt.date] | None:
    if today < first_round(q):
        return None
    n = (today - first_round(q)).days // FOLLOW_UP_DAYS + 1
    return n, round_date(q, n)


def _candidate(quarters, booked, latest, today) -> tuple[_dt.date, bool] | None:
    """The day to decide on: today when it is a grid day, else the earliest grid day
    since the last one that was missed (not booked, not before the latest round)."""
    if any(round_number(q, today) is not None for q in quarters):
        return today, False
    missed = []
    for q in quarters:
        found = _last_grid_day(q, today)
        if found is None:
            continue
        n, day = found
        if (str(q), n) not in booked and (latest is None or day >= latest):
            missed.append(day)
    return (min(missed), True) if missed else None


def run(
    ledger: str | Path,
    exports: str | Path,
    out: str | Path,
    *,
    today: _dt.date | None = None,
    config: Config | None = None,
    mapping: Mapping[str, str] | None = None,
    now: _dt.datetime | None = None,
) -> RunOutcome:
    """Pay the round due on ``today`` (default: the current date), if one is due.

    Raises
    ------
    vsbengine.ConfigError, vsbengine.InputError
        As :func:`~vsbengine.formats.viplive.pay`, and a folder without exports.
    """
    today = today or _dt.date.today()
    try:
        check_day(today, "--today")
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    config = config or Config()
    files = export_files(exports)
    names = [str(p) for p in files]
    read = read_exports(files, chains=config.chains, mapping=mapping)
    quarters = sorted({Quarter.parse(g.quarter) for g in read.grants if g.downloaded <= today})
    if not quarters:
        return RunOutcome(today, NOT_DUE, "no export rows downloaded by today", None, None, names)
    with Ledger.open(ledger, create=False) as book:
        booked, latest = book.rounds(), book.latest_round()
    upcoming = min(next_round(q, today) for q in quarters)
    found = _candidate(quarters, booked, latest, today)
    if found is None:
        return RunOutcome(today, NOT_DUE, "no payment round today", None, upcoming, names)
    day, late = found

    def attempt(dry_run: bool) -> RoundSummary:
        return pay(
            files,
            day,
            ledger,
            out,
            config=config,
            mapping=mapping,
            dry_run=dry_run,
            now=now,
            execution=today if late else None,
        )

    plan = attempt(dry_run=True)
    new = {r.quarter: r.round for r in plan.rounds if r.booked == "dry run"}
    if not new:
        rounds = ", ".join(f"{r.quarter} round {r.round}" for r in plan.rounds)
        return RunOutcome(
            today, ALREADY_PAID, f"{rounds} booked before", day, upcoming, names, plan
        )
    moving = {p.quarter for p in plan.payments} | {c.quarter for c in plan.claims}
    first = sorted(q for q, n in new.items() if n == 1)
    if not first and not moving & set(new) and late:
        # The missed grid day had nothing to do: today is simply no round day.
        return RunOutcome(today, NOT_DUE, "no payment round today", None, upcoming, names)
    if not first and not moving & set(new):
        waiting = [p for p in plan.pending if p.quarter in new]
        if waiting:
            reason = (
                f"nothing new to pay or claim; {len(waiting)} row"
                f"{'s' if len(waiting) > 1 else ''} still pending"
            )
            return RunOutcome(today, NOTHING_NEW, reason, day, upcoming, names, plan)
        return RunOutcome(
            today,
            SETTLED,
            f"{', '.join(sorted(new))}: everything granted is settled",
            day,
            upcoming,
            names,
            plan,
        )
    summary = attempt(dry_run=False)
    what = ", ".join(f"{r.quarter} round {r.round}" for r in summary.rounds if r.booked == "now")
    reason = f"{what}" + (f" (the round of {day}, caught up today)" if late else "")
    return RunOutcome(today, PAID, reason, day, upcoming, names, summary)
