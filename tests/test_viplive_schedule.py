import datetime as dt
import json

import pytest
from typer.testing import CliRunner

from vsbengine.cli.main import app
from vsbengine.formats.viplive import Quarter, first_round, round_number, schedule
from vsbengine.formats.viplive.schedule import next_round, round_date

D = dt.date


@pytest.mark.parametrize(
    "quarter, reference, download, first",
    [
        ("2021-Q1", D(2021, 1, 1), D(2021, 2, 24), D(2021, 3, 1)),
        ("2021-Q2", D(2021, 4, 1), D(2021, 5, 27), D(2021, 6, 1)),
        ("2021-Q3", D(2021, 7, 1), D(2021, 8, 27), D(2021, 9, 1)),
        ("2021-Q4", D(2021, 10, 1), D(2021, 11, 26), D(2021, 12, 1)),
        ("2024-Q1", D(2024, 1, 1), D(2024, 2, 25), D(2024, 3, 1)),  # leap year: 29 February
    ],
)
def test_first_round_and_download_date_of_every_quarter(quarter, reference, download, first):
    s = schedule(Quarter.parse(quarter))
    assert (s.reference_date, s.download_date, s.first_round) == (reference, download, first)
    assert s.rounds[0].number == 1 and s.rounds[0].date == first


def test_follow_ups_every_14_days_until_the_next_quarters_first_round():
    s = schedule(Quarter(2021, 2))
    assert [r.date for r in s.rounds] == [
        D(2021, 6, 1),
        D(2021, 6, 15),
        D(2021, 6, 29),
        D(2021, 7, 13),
        D(2021, 7, 27),
        D(2021, 8, 10),
        D(2021, 8, 24),
    ]
    assert s.follow_ups == 6 and s.next_quarter_first_round == D(2021, 9, 1)


def test_fourth_quarter_follow_ups_cross_the_year_end():
    s = schedule(Quarter(2021, 4))
    assert [r.date for r in s.rounds][2:5] == [D(2021, 12, 29), D(2022, 1, 12), D(2022, 1, 26)]
    assert s.rounds[-1].date == D(2022, 2, 23)
    assert s.next_quarter_first_round == D(2022, 3, 1)


@pytest.mark.parametrize("year", range(2019, 2031))
@pytest.mark.parametrize("number", [1, 2, 3, 4])
def test_every_listed_round_comes_before_the_next_quarters_first(year, number):
    q = Quarter(year, number)
    s = schedule(q)
    assert s.follow_ups == 6
    assert s.rounds[-1].date < first_round(q.next()) <= s.rounds[-1].date + dt.timedelta(14)


def test_more_follow_ups_on_request_and_none():
    assert len(schedule(Quarter(2021, 2), 10).rounds) == 11
    assert [r.date for r in schedule(Quarter(2021, 2), 0).rounds] == [D(2021, 6, 1)]


def test_round_number_only_on_round_dates():
    q = Quarter(2021, 2)
    assert round_number(q, D(2021, 6, 1)) == 1
    assert round_number(q, D(2021, 6, 15)) == 2
    assert round_number(q, D(2021, 9, 7)) == 8
    assert round_number(q, D(2021, 6, 2)) is None
    assert round_number(q, D(2021, 5, 18)) is None  # 14 days before the first round
    assert round_date(q, 8) == D(2021, 9, 7)
    assert next_round(q, D(2021, 5, 1)) == D(2021, 6, 1)
    assert next_round(q, D(2021, 6, 1)) == D(2021, 6, 15)
    assert next_round(q, D(2021, 6, 2)) == D(2021, 6, 15)


def test_quarter_parsing_and_order():
    assert Quarter.parse(" 2021-q3 ") == Quarter(2021, 3)
    assert str(Quarter(2021, 3)) == "2021-Q3" and Quarter(2021, 3).yy == "21"
    assert Quarter(2021, 4).next() == Quarter(2022, 1)
    assert Quarter.of(D(2021, 12, 31)) == Quarter(2021, 4)
    assert Quarter(2020, 4) < Quarter(2021, 1)
    for bad in ("2021-Q5", "2021Q2", "Q2-2021", "21-Q2", ""):
        with pytest.raises(ValueError):
            Quarter.parse(bad)


def test_cli_schedule_text_and_json():
    runner = CliRunner()
    r = runner.invoke(app, ["viplive", "schedule", "2021-Q2"])
    assert r.exit_code == 0
    assert "download   2021-05-27" in r.output
    assert "round 1    2021-06-01 (first round)" in r.output
    assert "round 7    2021-08-24 (follow-up 6)" in r.output
    r = runner.invoke(app, ["viplive", "schedule", "2021-Q4", "--json", "--follow-ups", "2"])
    data = json.loads(r.output)
    assert data["download_date"] == "2021-11-26" and data["first_round"] == "2021-12-01"
    assert [x["date"] for x in data["rounds"]] == ["2021-12-01", "2021-12-15", "2021-12-29"]


def test_cli_schedule_refuses_a_bad_quarter_in_one_line():
    r = CliRunner().invoke(app, ["viplive", "schedule", "2021-Q5"])
    assert r.exit_code == 2
    assert r.output.strip() == (
        "vsbengine: error: QUARTER must be a quarter such as 2021-Q2, not '2021-Q5'"
    )
