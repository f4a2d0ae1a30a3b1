"""``viplive run`` over a simulated quarter, day by day, as a daily scheduler would run it."""

import datetime as dt
import json

import pytest
from lxml import etree
from typer.testing import CliRunner
from viplive_helpers import NOW, agb_for, row, write_config, write_csv

from vsbengine.cli.main import app
from vsbengine.errors import ConfigError
from vsbengine.formats.viplive import load_config
from vsbengine.formats.viplive.scheduler import run

D = dt.date
NS = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"}

# Downloads as they arrive in the exports folder, by download date.
DOWNLOADS = {
    D(2021, 5, 27): [
        row("DM", practice=1, amount="1.000,00", day="2021-05-27"),
        row("DM", practice=2, status="in behandeling", amount="0", day="2021-05-27"),
        row("CVRM", practice=3, amount="500,00", day="2021-05-27"),
    ],
    D(2021, 6, 10): [
        row("DM", practice=1, amount="1.000,00", day="2021-06-10"),
        row("DM", practice=2, amount="400,00", day="2021-06-10"),
        row("CVRM", practice=3, amount="500,00", day="2021-06-10"),
    ],
    D(2021, 6, 24): [  # nothing new
        row("DM", practice=1, amount="1.000,00", day="2021-06-24"),
        row("DM", practice=2, amount="400,00", day="2021-06-24"),
        row("CVRM", practice=3, amount="500,00", day="2021-06-24"),
    ],
    D(2021, 7, 5): [  # the insurer lowers practice 3's grant: a claim
        row("DM", practice=1, amount="1.000,00", day="2021-07-05"),
        row("DM", practice=2, amount="400,00", day="2021-07-05"),
        row("CVRM", practice=3, amount="450,00", day="2021-07-05"),
    ],
    D(2021, 8, 27): [  # the next quarter's first download
        row("DM", quarter="2021-Q3", practice=1, amount="900,00", day="2021-08-27"),
    ],
}


class Scheduler:
    def __init__(self, tmp):
        self.exports = tmp / "exports"
        self.exports.mkdir()
        self.ledger, self.out = tmp / "ledger.sqlite", tmp / "out"
        self.config = load_config(write_config(tmp))

    def arrive(self, day):
        if day in DOWNLOADS:
            write_csv(self.exports / f"viplive-{day}.csv", DOWNLOADS[day])

    def __call__(self, day):
        return run(self.ledger, self.exports, self.out, today=day, config=self.config, now=NOW)


def _days(first, last):
    day = first
    while day <= last:
        yield day
        day += dt.timedelta(days=1)


def test_a_quarter_day_by_day_pays_on_the_grid_and_only_while_something_is_open(tmp_path):
    s = Scheduler(tmp_path)
    paid, other, said = {}, {}, []
    for day in _days(D(2021, 5, 25), D(2021, 9, 20)):
        s.arrive(day)
        if not any(s.exports.iterdir()):
            with pytest.raises(ConfigError, match="no exports"):
                s(day)
            continue
        outcome = s(day)
        again = s(day)  # a second run the same day changes nothing
        if outcome.decision == "paid":
            assert again.decision == "already paid"
            paid[day] = [(p.agb, p.chain, p.amount) for p in outcome.summary.payments] + [
                (c.agb, c.chain, -c.amount) for c in outcome.summary.claims
            ]
        else:
            assert (again.decision == outcome.decision and outcome.summary is None) or (
                outcome.summary.payments == [] and outcome.summary.claims == []
            )
            if outcome.round_date is not None:
                other[day] = outcome.decision
        # What the run says, from the day it changes.
        if not said or said[-1][1:] != (outcome.decision, outcome.next_round):
            said.append((day, outcome.decision, outcome.next_round))
    assert paid == {
        D(2021, 6, 1): [(agb_for(1), "DM", 100000), (agb_for(3), "CVRM", 50000)],
        D(2021, 6, 15): [(agb_for(2), "DM", 40000)],
        D(2021, 7, 13): [(agb_for(3), "CVRM", -5000)],
        D(2021, 9, 1): [(agb_for(1), "DM", 90000)],
    }
    # Grid days on which nothing was open: checked, nothing booked.
    assert other == {
        D(2021, 6, 29): "settled",
        D(2021, 7, 27): "settled",
        D(2021, 8, 10): "settled",
        D(2021, 8, 24): "settled",
        D(2021, 9, 7): "settled",
        D(2021, 9, 15): "settled",
    }
    # The next possible round is a day that can move money, or none when all is settled.
    assert said == [
        (D(2021, 5, 27), "not due", D(2021, 6, 1)),  # the quarter's first round
        (D(2021, 6, 1), "paid", D(2021, 6, 15)),  # practice 2 awaits its insurer
        (D(2021, 6, 2), "not due", D(2021, 6, 15)),
        (D(2021, 6, 15), "paid", None),  # everything granted is paid
        (D(2021, 6, 16), "settled", None),
        (D(2021, 7, 5), "not due", D(2021, 7, 13)),  # a lowered grant: a claim to book
        (D(2021, 7, 13), "paid", None),
        (D(2021, 7, 14), "settled", None),
        (D(2021, 8, 27), "not due", D(2021, 9, 1)),  # the next quarter's download
        (D(2021, 9, 1), "paid", None),
        (D(2021, 9, 2), "settled", None),
    ]
    assert sorted(p.name for p in s.out.glob("*.xml")) == [
        "round-2021-06-01.xml",
        "round-2021-06-15.xml",
        "round-2021-09-01.xml",
    ]


def test_a_follow_up_with_only_pending_rows_books_nothing(tmp_path):
    s = Scheduler(tmp_path)
    write_csv(
        s.exports / "a.csv",
        [
            row("DM", practice=1, amount="100,00"),
            row("DM", practice=2, status="in behandeling", amount="0"),
        ],
    )
    assert s(D(2021, 6, 1)).decision == "paid"
    outcome = s(D(2021, 6, 15))
    assert (outcome.decision, outcome.reason) == (
        "nothing new",
        "nothing new to pay or claim; 1 row still pending",
    )
    assert outcome.next_round == D(2021, 6, 29)


def test_a_missed_grid_day_is_caught_up_with_execution_today(tmp_path):
    s = Scheduler(tmp_path)
    write_csv(s.exports / "a.csv", [row("DM", practice=1, amount="100,00")])
    before = s(D(2021, 5, 31))
    assert (before.decision, before.reason, before.next_round) == (
        "not due",
        "no payment round today",
        D(2021, 6, 1),
    )
    outcome = s(D(2021, 6, 3))  # the machine was off on 1 and 2 June
    assert outcome.decision == "paid" and outcome.round_date == D(2021, 6, 1)
    assert outcome.reason == "2021-Q2 round 1 (the round of 2021-06-01, caught up today)"
    doc = etree.parse(str(s.out / "round-2021-06-01.xml"))
    assert doc.findtext(".//p:ReqdExctnDt/p:Dt", namespaces=NS) == "2021-06-03"
    assert [p.description for p in outcome.summary.payments] == ["DBC/DM/Q2/21/20211-1-1"]
    after = s(D(2021, 6, 4))  # caught up already, and nothing is open
    assert (after.decision, after.reason, after.next_round) == (
        "settled",
        "everything granted is settled",
        None,
    )


def test_a_missed_day_with_nothing_to_do_does_not_hide_a_later_due_round(tmp_path):
    s = Scheduler(tmp_path)
    write_csv(s.exports / "q2.csv", [row("DM", practice=1, amount="100,00")])
    assert s(D(2021, 6, 1)).decision == "paid"
    q3 = [row("DM", quarter="2021-Q3", practice=1, amount="90,00", day="2021-08-27")]
    write_csv(s.exports / "q3.csv", q3)
    # Off from 20 August to 2 September: missed Q2's follow-up of 08-24 (nothing open)
    # and Q3's first round of 09-01.
    outcome = s(D(2021, 9, 3))
    assert (outcome.decision, outcome.round_date, outcome.reason) == (
        "paid",
        D(2021, 9, 1),
        "2021-Q3 round 1 (the round of 2021-09-01, caught up today)",
    )
    assert [p.invoice for p in outcome.summary.payments] == ["20211-1-1"]
    assert outcome.next_round is None


def test_two_missed_rounds_that_are_due_are_paid_by_two_runs_in_date_order(tmp_path):
    s = Scheduler(tmp_path)
    write_csv(s.exports / "q2.csv", [row("DM", practice=1, amount="100,00")])
    assert s(D(2021, 6, 1)).decision == "paid"
    raised = [row("DM", practice=1, amount="120,00", day="2021-08-20")]
    write_csv(s.exports / "q2-raised.csv", raised)
    q3 = [row("DM", quarter="2021-Q3", practice=1, amount="90,00", day="2021-08-27")]
    write_csv(s.exports / "q3.csv", q3)
    # Missed 08-24 (Q2: 20,00 more) and 09-01 (Q3's first round).
    r = CliRunner().invoke(
        app,
        [
            "viplive", "run", "--ledger", str(s.ledger), "--exports", str(s.exports),
            "--config", str(tmp_path / "config.toml"), "--out", str(s.out),
            "--today", "2021-09-03",
        ],
    )  # fmt: skip
    lines = r.output.splitlines()
    assert (
        lines[0] == "2021-09-03: paid: 2021-Q2 round 7 (the round of 2021-08-24, caught up today)"
    )
    assert lines[-1] == "  next possible round: 2021-09-03 (another round is due: run again)"
    first = json.loads((s.out / "round-2021-08-24.json").read_text())
    assert [(p["quarter"], p["amount"]) for p in first["payments"]] == [("2021-Q2", 2000)]
    second = s(D(2021, 9, 3))
    assert (second.decision, second.round_date) == ("paid", D(2021, 9, 1))
    assert [(p.quarter, p.amount) for p in second.summary.payments] == [("2021-Q3", 9000)]
    assert second.next_round is None
    assert s(D(2021, 9, 3)).decision == "settled"


def test_the_next_possible_round_is_one_that_can_move_money(tmp_path):
    s = Scheduler(tmp_path)
    write_csv(
        s.exports / "a.csv",
        [row("DM", practice=1, amount="100,00"), row("CVRM", practice=2, amount="50,00")],
    )
    assert s(D(2021, 5, 28)).next_round == D(2021, 6, 1)  # the first round is to come
    assert s(D(2021, 6, 1)).next_round is None  # all paid
    settled = s(D(2021, 6, 8))
    assert (settled.decision, settled.reason, settled.next_round) == (
        "settled",
        "everything granted is settled",
        None,
    )
    grid = s(D(2021, 6, 15))
    assert (grid.decision, grid.next_round) == ("settled", None)
    # A grant awaiting the insurer keeps the follow-ups possible.
    write_csv(
        s.exports / "b.csv",
        [row("DM", practice=3, status="in behandeling", amount="0", day="2021-06-20")],
    )
    waiting = s(D(2021, 6, 21))
    assert (waiting.decision, waiting.next_round) == ("not due", D(2021, 6, 29))
    assert s(D(2021, 6, 29)).decision == "nothing new"


def test_run_on_the_command_line(tmp_path):
    s = Scheduler(tmp_path)
    write_csv(s.exports / "a.csv", [row("DM", practice=1, amount="100,00")])
    runner = CliRunner()
    args = [
        "viplive", "run", "--ledger", str(s.ledger), "--exports", str(s.exports),
        "--config", str(tmp_path / "config.toml"),
    ]  # fmt: skip
    r = runner.invoke(app, [*args, "--today", "2021-05-30"])
    assert r.exit_code == 0 and r.output.splitlines() == [
        "2021-05-30: not due: no payment round today",
        "  next possible round: 2021-06-01",
    ]
    r = runner.invoke(app, [*args, "--today", "2021-06-01", "--json"])
    assert r.exit_code == 0, r.output
    data = json.loads(r.output)
    assert (data["decision"], data["round_date"], data["summary"]["total"]) == (
        "paid",
        "2021-06-01",
        10000,
    )
    assert (tmp_path / "round-2021-06-01.xml").is_file()  # default --out: the ledger's folder
    r = runner.invoke(app, [*args, "--today", "2021-06-01"])
    assert r.exit_code == 0 and "already paid" in r.output
    r = runner.invoke(app, [*args, "--today", "2021-06-02"])
    assert r.exit_code == 0 and r.output.splitlines() == [
        "2021-06-02: settled: everything granted is settled",
        "  next possible round: none (everything granted is settled)",
    ]
    r = runner.invoke(app, [*args, "--today", "10000-01-01"])
    assert r.exit_code == 2 and r.stderr == (
        "vsbengine: error: --today must be a date YYYY-MM-DD, not '10000-01-01'\n"
    )


def test_a_refused_newer_download_holds_its_key_back_in_run(tmp_path):
    """A granted row is paid in no later round once a newer download of its key has a
    bad cell: run says why nothing moves, lists the row, exits 1, and the key is open."""
    s = Scheduler(tmp_path)
    write_csv(s.exports / "a.csv", [row("DM", practice=1, status="in behandeling", amount="0")])
    assert s(D(2021, 6, 1)).decision == "paid"  # the first round, nothing granted yet
    write_csv(s.exports / "b.csv", [row("DM", practice=1, amount="4.410,00", day="2021-06-05")])
    write_csv(s.exports / "c.csv", [row("DM", practice=1, amount="1.155", day="2021-06-12")])
    args = [
        "viplive", "run", "--ledger", str(s.ledger), "--exports", str(s.exports),
        "--config", str(tmp_path / "config.toml"), "--out", str(s.out),
    ]  # fmt: skip
    r = CliRunner().invoke(app, [*args, "--today", "2021-06-15"])
    assert r.exit_code == 1, r.output
    lines = r.output.splitlines()
    assert lines[0] == "2021-06-15: nothing new: nothing to pay or claim; 2 rows still pending"
    assert any(x.startswith("  bad row:") and "c.csv, line 2, column bedrag" in x for x in lines)
    assert sum("was refused: an older download is not paid" in x for x in lines) == 2
    assert lines[-1] != "  next possible round: none (everything granted is settled)"
    assert not list(s.out.glob("round-2021-06-15*"))


def test_excel_owner_files_beside_an_open_workbook_are_not_exports(tmp_path):
    """Excel keeps ``~$name.xlsx`` beside a workbook someone has open (a few bytes, no
    workbook): the run reads the exports and passes it over."""
    s = Scheduler(tmp_path)
    write_csv(s.exports / "a.csv", [row("DM", practice=1, amount="100,00")])
    (s.exports / "~$export.xlsx").write_bytes(b"\x0bJan Jansen\x00\x00\x00")
    result = s(D(2021, 6, 1))
    assert result.decision == "paid" and result.exports == [str(s.exports / "a.csv")]


def test_a_refused_row_a_later_download_corrects_is_superseded(tmp_path):
    """The row that held its key back is replaced by a later, good download of that key:
    the key is paid, the old row counts as superseded (not refused: the run exits 0), and
    once everything is paid nothing is open."""
    s = Scheduler(tmp_path)
    first_rows = [row("DM", practice=1, amount="1.155"), row("DM", practice=2, amount="10,00")]
    write_csv(s.exports / "a.csv", first_rows)
    first = s(D(2021, 6, 1))
    assert first.decision == "paid" and first.summary.rows.bad == 1
    assert first.summary.total == 1000
    write_csv(s.exports / "b.csv", [row("DM", practice=1, amount="1.155,00", day="2021-06-10")])
    result = s(D(2021, 6, 15))
    assert result.decision == "paid" and result.summary.total == 115500
    rows = result.summary.rows
    assert (rows.read, rows.paid, rows.already_paid, rows.superseded, rows.bad) == (3, 1, 1, 1, 0)
    assert result.summary.bad_rows == []
    later = s(D(2021, 6, 29))
    assert later.decision == "settled" and later.next_round is None
    args = [
        "viplive", "run", "--ledger", str(s.ledger), "--exports", str(s.exports),
        "--config", str(tmp_path / "config.toml"), "--out", str(s.out), "--today", "2021-07-13",
    ]  # fmt: skip
    r = CliRunner().invoke(app, args)
    assert r.exit_code == 0 and "bad row" not in r.output, r.output
    assert (
        r.output.splitlines()[-1] == "  next possible round: none (everything granted is settled)"
    )
