"""When a care group that pays after the insurer must pay the practices (seed 003).

Seed 003 (Ketenzorg Friesland): declarations the insurer approved *and paid*
are paid to the general practices and chain partners after the quarter, in
the first month of the next quarter, "and otherwise" within 30 days after the
care group received the insurer's money. Our reading:

- nothing is paid before the insurer has paid, nor before the quarter ended;
- the insurer paid by the quarter's last day: the payout falls in the first
  month of the next quarter (from its 1st, due by its last day);
- the insurer paid later: due within 30 days after that payment (from the day
  after it arrived).
"""

from __future__ import annotations

import datetime as _dt

import msgspec

from vsbengine.formats.viplive.quarters import Quarter

__all__ = ["PAY_WITHIN_DAYS", "Payout", "payout"]

PAY_WITHIN_DAYS = 30


class Payout(msgspec.Struct, frozen=True):
    quarter: str
    insurer_paid: _dt.date | None
    earliest: _dt.date  # the first day the practices may be paid
    due: _dt.date | None  # the last day; None while the insurer has not paid
    rule: str


def payout(quarter: Quarter, insurer_paid: _dt.date | None = None) -> Payout:
    """The payout window of ``quarter``'s declarations, given when the insurer paid."""
    nxt = quarter.next()
    start = nxt.start
    first_month_end = _dt.date(nxt.year, nxt.start.month + 1, 1) - _dt.timedelta(days=1)
    if insurer_paid is None:
        return Payout(
            str(quarter), None, start, None,
            "waits for the insurer's payment; not before the next quarter starts",
        )  # fmt: skip
    if insurer_paid < start:
        return Payout(
            str(quarter), insurer_paid, start, first_month_end,
            "the insurer paid within the quarter: in the first month of the next quarter",
        )  # fmt: skip
    return Payout(
        str(quarter),
        insurer_paid,
        insurer_paid + _dt.timedelta(days=1),
        insurer_paid + _dt.timedelta(days=PAY_WITHIN_DAYS),
        f"the insurer paid after the quarter: within {PAY_WITHIN_DAYS} days of its payment",
    )
