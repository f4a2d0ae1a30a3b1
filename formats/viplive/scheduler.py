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
following days, until that quarter's next grid day: the round keeps its own date
and numbers (it pays what was downloaded by its date), and the SEPA file asks for
execution today. Per quarter only its last missed grid day counts (a round pays
everything up to it). The candidates, today's grid day included, are tried in
date order and the first that is due is paid; missed days with nothing to do are
passed over, so they never hide a later one. A run books at most one round and
rounds are booked in date order: when a second one is still due, the outcome's
next possible round is today (the next run pays it). A missed day before the
latest booked round can no longer be booked; its quarter's next grid day pays
what it would have paid.

The outcome names the next possible round: the next day a round could move
money (a quarter's first round still to come, or the next grid day of a quarter
with something granted and not paid, lowered and not claimed, or awaiting the
insurer). When nothing is open it is ``None``, and a day off the grid says
``settled``.

Exports are every ``*.csv`` and ``*.xlsx`` in the folder (hidden files skipped,
and the ``~$`` owner files Excel keeps beside a workbook someone has open): a
folder that keeps each download works, since the newest download per key counts
and older ones are superseded.
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
from vsbengine.formats.viplive.rounds import Plan, current_rows, open_quarters, plan_round
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
        if not p.name.startswith((".", "~$"))
        and p.suffix.lower() in EXPORT_SUFFIXES
        and p.is_file()
    )
    if not files:
        raise ConfigError(f"{folder}: no exports (*.csv, *.xlsx) in the folder")
    return files


def _last_grid_day(q: Quarter, today: _dt.date) -> tuple[int, _dt.date] | None:
    if today < first_round(q):
        return None
    n = (today - first_round(q)).days // FOLLOW_UP_DAYS + 1
    return n, round_date(q, n)


class _Book(msgspec.Struct):
    """What the ledger says, read once per decision."""

    booked: dict
    latest: _dt.date | None
    settled: dict
    known: dict

    @classmethod
    def read(cls, ledger) -> _Book:
        with Ledger.open(ledger, create=False) as book:
            return cls(book.rounds(), book.latest_round(), book.settled(), book.grants())


def _candidates(quarters, book: _Book, today) -> list[tuple[_dt.date, bool]]:
    """The days a round could be held on today, in date order: today when it is a grid
    day, and per quarter the last grid day before today when it was missed (not
    booked, and not before the latest booked round: rounds are booked in date order)."""
    days: set[tuple[_dt.date, bool]] = set()
    for q in quarters:
        if round_number(q, today) is not None:
            days.add((today, False))
            continue
        found = _last_grid_day(q, today)
        if found is None:
            continue
        n, day = found
        if (str(q), n) not in book.booked and (book.latest is None or day >= book.latest):
            days.add((day, True))
    return sorted(days)


def _plan(read, day, config: Config, book: _Book) -> Plan | None:
    """The round ``day`` would book, or ``None`` when no quarter in the rows has one then."""
    try:
        return plan_round(
            read.grants,
            day,
            config.chains,
            book.settled,
            book.booked,
            {f.path: f.headers for f in read.files},
            book.known,
            read.as_of(day).held,
        )
    except ConfigError:
        return None


def _is_due(plan: Plan | None) -> bool:
    """A round is due when it is a quarter's first round (always booked) or has money to
    move for a quarter it books now."""
    if plan is None or not plan.quarters:
        return False
    moving = {p.quarter for p in plan.payments} | {c.quarter for c in plan.claims}
    return 1 in plan.quarters.values() or bool(moving & set(plan.quarters))


def _due(read, quarters, config, book, today) -> tuple[_dt.date, bool] | None:
    """The earliest candidate day whose round is due (missed days with nothing to do are
    passed over, so they never hide a later one)."""
    for day, late in _candidates(quarters, book, today):
        if _is_due(_plan(read, day, config, book)):
            return day, late
    return None


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

    The outcome's ``next_round`` is the next day a round could move money (see the
    module text); ``None`` when everything granted is settled.

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
    book = _Book.read(ledger)
    # A stale export is refused here already (located, exit 2), as pay would.
    current_rows(read.grants, today, book.known, held=read.as_of(today).held)

    def upcoming() -> _dt.date | None:
        return _next_possible_round(read, quarters, config, _Book.read(ledger), today)

    def attempt(day: _dt.date, late: bool, dry_run: bool) -> RoundSummary:
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

    found = _due(read, quarters, config, book, today)
    if found is not None:
        day, late = found
        summary = attempt(day, late, dry_run=False)
        what = ", ".join(
            f"{r.quarter} round {r.round}" for r in summary.rounds if r.booked == "now"
        )
        reason = f"{what}" + (f" (the round of {day}, caught up today)" if late else "")
        return RunOutcome(today, PAID, reason, day, upcoming(), names, summary)
    if not any(round_number(q, today) is not None for q in quarters):
        following = upcoming()
        if following is None:
            return RunOutcome(today, SETTLED, "everything granted is settled", None, None, names)
        return RunOutcome(today, NOT_DUE, "no payment round today", None, following, names)
    # Today is a grid day, and its round is not due: say why.
    plan = attempt(today, False, dry_run=True)
    new = {r.quarter: r.round for r in plan.rounds if r.booked == "dry run"}
    if not plan.rounds and plan.pending:
        n = len(plan.pending)
        reason = f"nothing to pay or claim; {n} row{'s' if n > 1 else ''} still pending"
        return RunOutcome(today, NOTHING_NEW, reason, today, upcoming(), names, plan)
    if not new:
        rounds = ", ".join(f"{r.quarter} round {r.round}" for r in plan.rounds)
        return RunOutcome(
            today, ALREADY_PAID, f"{rounds} booked before", today, upcoming(), names, plan
        )
    waiting = [p for p in plan.pending if p.quarter in new]
    if waiting:
        reason = (
            f"nothing new to pay or claim; {len(waiting)} row"
            f"{'s' if len(waiting) > 1 else ''} still pending"
        )
        return RunOutcome(today, NOTHING_NEW, reason, today, upcoming(), names, plan)
    return RunOutcome(
        today,
        SETTLED,
        f"{', '.join(sorted(new))}: everything granted is settled",
        today,
        upcoming(),
        names,
        plan,
    )


def _next_possible_round(read, quarters, config: Config, book: _Book, today: _dt.date):
    """The next day a round could move money, as the ledger and the exports stand on
    ``today``: today itself when another round is still due (a run books one round at a
    time), else the earliest of a quarter's first round still to come and the next grid
    day of each quarter with something open (granted and not paid, lowered and not
    claimed, or awaiting the insurer). ``None`` when everything granted is settled."""
    if _due(read, quarters, config, book, today) is not None:
        return today
    held = read.as_of(today).held
    still_open = open_quarters(
        current_rows(read.grants, today, book.known, held=held), book.settled
    )
    # A key held back by a refused newer download is open: it moves once corrected.
    for h in held:
        if h.downloaded <= today:
            still_open[h.quarter] = True
    days = []
    for q in quarters:
        if first_round(q) > today and (str(q), 1) not in book.booked:
            days.append(first_round(q))
        elif str(q) in still_open:
            days.append(next_round(q, today))
    return min(days, default=None)
