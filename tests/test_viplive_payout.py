"""Seed 003: a care group that pays after the insurer."""

import datetime as dt

import pytest

from vsbengine.formats.viplive import Quarter
from vsbengine.formats.viplive.payout import payout

D = dt.date


@pytest.mark.parametrize(
    ("quarter", "paid", "earliest", "due"),
    [
        (Quarter(2021, 2), D(2021, 6, 20), D(2021, 7, 1), D(2021, 7, 31)),  # first month
        (Quarter(2021, 2), D(2021, 6, 30), D(2021, 7, 1), D(2021, 7, 31)),
        (Quarter(2021, 2), D(2021, 7, 1), D(2021, 7, 2), D(2021, 7, 31)),  # 30 days after
        (Quarter(2021, 2), D(2021, 8, 15), D(2021, 8, 16), D(2021, 9, 14)),
        (Quarter(2021, 4), D(2021, 12, 1), D(2022, 1, 1), D(2022, 1, 31)),  # over the year
        (Quarter(2021, 4), D(2022, 1, 20), D(2022, 1, 21), D(2022, 2, 19)),
        (Quarter(2021, 3), None, D(2021, 10, 1), None),  # waits for the insurer
    ],
)
def test_payout_window(quarter, paid, earliest, due):
    w = payout(quarter, paid)
    assert (w.earliest, w.due) == (earliest, due)
