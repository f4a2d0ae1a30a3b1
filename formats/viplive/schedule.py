"""Payment rounds of a quarter.

The first round is on the 1st of the quarter's third month; the payment files
are downloaded five days before. Follow-up rounds come every 14 days after the
first, for as long as something is left to settle: round ``n`` is on
``first + 14 * (n - 1)``, so a date belongs to at most one round of a quarter
and round numbers follow from the calendar alone (stable numbering).
"""

from __future__ import annotations

import datetime as _dt

import msgspec

from vsbengine.formats.viplive.quarters import Quarter

__all__ = [
    "DOWNLOAD_DAYS",
    "FOLLOW_UP_DAYS",
    "LAST_DAY",
    "Round",
    "Schedule",
    "check_day",
    "first_round",
    "round_date",
    "round_number",
    "schedule",
]

DOWNLOAD_DAYS = 5
FOLLOW_UP_DAYS = 14
#: Round dates and quarters end here (quarters start in 1900): far enough for any
#: payment, and every date computed from them (next rounds, the next quarter) exists.
LAST_DAY = _dt.date(2999, 12, 31)


class Round(msgspec.Struct, frozen=True):
    number: int
    date: _dt.date


class Schedule(msgspec.Struct, frozen=True):
    """The rounds of a quarter as ``vsbengine viplive schedule`` shows them."""

    quarter: str
    reference_date: _dt.date
    download_date: _dt.date
    first_round: _dt.date
    follow_ups: int
    rounds: list[Round]
    next_quarter_first_round: _dt.date


def first_round(q: Quarter) -> _dt.date:
    """1st of the third month of the quarter (2021-Q2: 2021-06-01)."""
    return _dt.date(q.year, 3 * q.number, 1)


def round_date(q: Quarter, number: int) -> _dt.date:
    """Date of round ``number`` (1 = first round, 2 = first follow-up, ...)."""
    if number < 1:
        raise ValueError("rounds are numbered from 1")
    return first_round(q) + _dt.timedelta(days=FOLLOW_UP_DAYS * (number - 1))


def round_number(q: Quarter, day: _dt.date) -> int | None:
    """The round of ``q`` held on ``day``, or ``None`` when ``day`` is not one of them."""
    days = (day - first_round(q)).days
    if days < 0 or days % FOLLOW_UP_DAYS:
        return None
    return days // FOLLOW_UP_DAYS + 1


def check_day(day: _dt.date, what: str = "a round date") -> _dt.date:
    """``day``, or ``ValueError`` when it lies after :data:`LAST_DAY`."""
    if day > LAST_DAY:
        raise ValueError(f"{what} after {LAST_DAY} is not supported")
    return day


def next_round(q: Quarter, day: _dt.date) -> _dt.date:
    """The first round of ``q`` after ``day``."""
    days = (day - first_round(q)).days
    if days < 0:
        return first_round(q)
    return round_date(q, days // FOLLOW_UP_DAYS + 2)


def schedule(q: Quarter, follow_ups: int | None = None) -> Schedule:
    """The first round, its download date and ``follow_ups`` follow-up rounds.

    By default the follow-ups listed are those before the next quarter's first
    round (always six): from then on the next quarter's download takes over.
    Later follow-ups exist for as long as something is unsettled; pass
    ``follow_ups`` to list more.
    """
    first = first_round(q)
    following = first_round(q.next())
    if follow_ups is None:
        follow_ups = (following - first).days // FOLLOW_UP_DAYS
        if (following - first).days % FOLLOW_UP_DAYS == 0:
            follow_ups -= 1
    if follow_ups < 0:
        raise ValueError("the number of follow-up rounds cannot be negative")
    if follow_ups > (LAST_DAY - first).days // FOLLOW_UP_DAYS:
        raise ValueError(f"follow-up rounds after {LAST_DAY} are not supported")
    rounds = [Round(n, round_date(q, n)) for n in range(1, follow_ups + 2)]
    return Schedule(
        str(q),
        q.reference_date,
        first - _dt.timedelta(days=DOWNLOAD_DAYS),
        first,
        follow_ups,
        rounds,
        following,
    )
