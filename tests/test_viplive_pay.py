import datetime as dt
import json
import sqlite3

import msgspec
import pytest
from lxml import etree
from viplive_helpers import NOW, agb_for, iban_for, row, write_config, write_csv

from vsbengine.errors import ConfigError, InputError
from vsbengine.formats import sepa
from vsbengine.formats.viplive import load_config, pay, summary_json

D = dt.date
NS = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"}


class Run:
    """Rounds against one ledger and one output folder."""

    def __init__(self, tmp_path):
        self.tmp = tmp_path
        self.ledger = tmp_path / "ledger.sqlite"
        self.out = tmp_path / "out"
        self.config = load_config(write_config(tmp_path))
        self.n = 0

    def export(self, rows, **kw):
        self.n += 1
        return write_csv(self.tmp / f"export{self.n}.csv", rows, **kw)

    def __call__(self, rows, day="2021-06-01", **kw):
        kw.setdefault("config", self.config)
        kw.setdefault("now", NOW)
        return pay([self.export(rows)], D.fromisoformat(day), self.ledger, self.out, **kw)

    def sql(self, query):
        with sqlite3.connect(self.ledger) as con:
            return con.execute(query).fetchall()


@pytest.fixture
def run(tmp_path):
    return Run(tmp_path)


def _paid(s):
    return [(p.agb, p.chain, p.amount, p.description) for p in s.payments]


def _counts(s):
    return {k: v for k, v in msgspec.structs.asdict(s.rows).items() if v}


def test_first_round_one_payment_per_practice_per_chain(run):
    s = run(
        [
            row("CVRM", practice=2, amount="500,00"),
            row("DM", practice=2, uzovi="3311", amount="1.000,00"),
            row("DM", practice=2, uzovi="7029", amount="250,50"),
            row("DM", practice=1, amount="2.000,00"),
            row("ASTMA", practice=1, amount="75,25"),
        ]
    )
    assert _paid(s) == [
        (agb_for(1), "DM", 200000, "DBC/DM/Q2/21/20211-1-1"),
        (agb_for(2), "DM", 125050, "DBC/DM/Q2/21/20211-1-2"),
        (agb_for(2), "CVRM", 50000, "DBC/CVRM/Q2/21/20212-1-1"),
        (agb_for(1), "ASTMA", 7525, "DBC/ASTMA/Q2/21/20214-1-1"),
    ]
    dm2 = s.payments[1]
    assert [(i.uzovi, i.amount) for i in dm2.insurers] == [("3311", 100000), ("7029", 25050)]
    assert (dm2.iban, dm2.invoice, dm2.end_to_end_id, dm2.round, dm2.sequence) == (
        iban_for(2),
        "20211-1-2",
        "DBC/DM/Q2/21/20211-1-2",
        1,
        2,
    )
    assert s.total == 382575 and [(r.quarter, r.round, r.booked) for r in s.rounds] == [
        ("2021-Q2", 1, "now")
    ]
    assert _counts(s) == {"read": 5, "paid": 5}


def test_the_summary_file_and_the_sepa_file(run):
    s = run([row("DM", practice=1, amount="1.234,56"), row("COPD", practice=3, amount="10")])
    data = json.loads((run.out / "round-2021-06-01.json").read_bytes())
    assert data["round"] == "2021-06-01"
    assert [
        {k: p[k] for k in ("agb", "chain", "amount", "description", "iban")}
        for p in data["payments"]
    ] == [
        {
            "agb": agb_for(1),
            "chain": "DM",
            "amount": 123456,
            "description": "DBC/DM/Q2/21/20211-1-1",
            "iban": iban_for(1),
        },
        {
            "agb": agb_for(3),
            "chain": "COPD",
            "amount": 1000,
            "description": "DBC/COPD/Q2/21/20213-1-1",
            "iban": iban_for(3),
        },
    ]
    assert s.pain001 == str(run.out / "round-2021-06-01.xml")
    xml = (run.out / "round-2021-06-01.xml").read_bytes()
    sepa.validate(xml)
    doc = etree.fromstring(xml)
    assert doc.findtext(".//p:GrpHdr/p:MsgId", namespaces=NS) == "VIPLIVE-20210601"
    assert doc.findtext(".//p:GrpHdr/p:CreDtTm", namespaces=NS) == "2021-05-28T09:30:00+00:00"
    assert doc.findtext(".//p:GrpHdr/p:CtrlSum", namespaces=NS) == "1244.56"
    assert doc.findtext(".//p:Dbtr/p:Nm", namespaces=NS) == "Zorggroep Noorderlicht"
    assert doc.findtext(".//p:DbtrAcct//p:IBAN", namespaces=NS) == "NL91ABNA0417164300"
    assert doc.findtext(".//p:ReqdExctnDt/p:Dt", namespaces=NS) == "2021-06-01"
    tx = doc.findall(".//p:CdtTrfTxInf", namespaces=NS)
    assert [
        (
            t.findtext(".//p:EndToEndId", namespaces=NS),
            t.findtext(".//p:InstdAmt", namespaces=NS),
            t.findtext(".//p:CdtrAcct//p:IBAN", namespaces=NS),
            t.findtext(".//p:Ustrd", namespaces=NS),
        )
        for t in tx
    ] == [
        ("DBC/DM/Q2/21/20211-1-1", "1234.56", iban_for(1), "DBC/DM/Q2/21/20211-1-1"),
        ("DBC/COPD/Q2/21/20213-1-1", "10.00", iban_for(3), "DBC/COPD/Q2/21/20213-1-1"),
    ]


def test_the_same_round_twice_pays_nothing_the_second_time(run):
    rows = [row("DM", practice=n, amount="100,00") for n in (1, 2, 3)]
    first = run(rows)
    files = {p.name: p.read_bytes() for p in run.out.iterdir()}
    again = run(rows)
    assert len(first.payments) == 3 and again.payments == [] and again.claims == []
    assert [(r.round, r.booked) for r in again.rounds] == [(1, "before")]
    assert _counts(again) == {"read": 3, "already_paid": 3}
    assert run.sql("SELECT COUNT(*), SUM(amount) FROM payments") == [(3, 30000)]
    assert {p.name: p.read_bytes() for p in run.out.iterdir()} == files  # nothing rewritten


def test_new_grants_after_a_round_was_booked_wait_for_the_next_round(run):
    run([row("DM", practice=1, amount="100,00")])
    s = run([row("DM", practice=1, amount="150,00", day="2021-05-30")])
    assert s.payments == []
    (p,) = s.pending
    assert (p.outstanding, p.reason) == (
        5000,
        (
            "round 1 of 2021-Q2 was booked before; the "
            "change is settled in the next round (2021-06-15)"
        ),
    )
    s = run([row("DM", practice=1, amount="150,00", day="2021-05-30")], "2021-06-15")
    assert _paid(s) == [(agb_for(1), "DM", 5000, "DBC/DM/Q2/21/20211-2-1")]


def test_a_follow_up_round_pays_only_what_was_granted_since(run):
    run(
        [
            row("DM", practice=1, uzovi="3311", amount="1.000,00"),
            row("DM", practice=2, amount="400,00"),
            row("DM", practice=3, uzovi="3311", amount="300,00"),
            row("DM", practice=3, uzovi="7029", status="in behandeling", amount="0"),
        ]
    )
    s = run(
        [
            row("DM", practice=1, uzovi="3311", amount="1.000,00", day="2021-06-10"),
            row("DM", practice=1, uzovi="7029", amount="60,00", day="2021-06-10"),
            row("DM", practice=2, amount="450,00", day="2021-06-10"),
            row("DM", practice=3, uzovi="3311", amount="300,00", day="2021-06-10"),
            row("DM", practice=3, uzovi="7029", amount="80,00", day="2021-06-10"),
        ],
        "2021-06-15",
    )
    assert _paid(s) == [
        (agb_for(1), "DM", 6000, "DBC/DM/Q2/21/20211-2-1"),
        (agb_for(2), "DM", 5000, "DBC/DM/Q2/21/20211-2-2"),
        (agb_for(3), "DM", 8000, "DBC/DM/Q2/21/20211-2-3"),
    ]
    assert _counts(s) == {"read": 5, "paid": 3, "already_paid": 2}
    assert run.sql("SELECT agb, SUM(amount) FROM payments GROUP BY agb ORDER BY agb") == [
        (agb_for(1), 106000),
        (agb_for(2), 45000),
        (agb_for(3), 38000),
    ]


def test_a_decrease_is_a_claim_never_a_negative_payment(run):
    run([row("DM", practice=1, amount="1.000,00"), row("CVRM", practice=1, amount="300,00")])
    s = run(
        [
            row("DM", practice=1, amount="800,00", day="2021-06-12"),
            row("CVRM", practice=1, amount="350,00", day="2021-06-12"),
        ],
        "2021-06-15",
    )
    assert _paid(s) == [(agb_for(1), "CVRM", 5000, "DBC/CVRM/Q2/21/20212-2-1")]
    (c,) = s.claims
    assert (c.agb, c.chain, c.uzovi, c.quarter, c.round, c.amount, c.granted, c.settled_before) == (
        agb_for(1),
        "DM",
        "3311",
        "2021-Q2",
        2,
        20000,
        80000,
        100000,
    )
    assert _counts(s) == {"read": 2, "paid": 1, "claimed": 1}
    assert all(p.amount > 0 for p in s.payments)
    # granted goes up again: only the part above what is settled now (800) is paid
    s = run([row("DM", practice=1, amount="900,00", day="2021-06-26")], "2021-06-29")
    assert _paid(s) == [(agb_for(1), "DM", 10000, "DBC/DM/Q2/21/20211-3-1")]


def test_rejected_grants(run):
    s = run(
        [
            row("DM", practice=1, status="afgewezen", amount="500,00"),
            row("DM", practice=2, amount="500,00"),
        ]
    )
    assert [p.agb for p in s.payments] == [agb_for(2)]
    assert _counts(s) == {"read": 2, "paid": 1, "rejected": 1}
    s = run(
        [row("DM", practice=2, status="afgewezen", amount="500,00", day="2021-06-14")], "2021-06-15"
    )
    assert s.payments == [] and [(c.agb, c.amount, c.granted) for c in s.claims] == [
        (agb_for(2), 50000, 0)
    ]


def test_pending_rows_say_why(run):
    s = run(
        [
            row("DM", practice=1, amount="100,00"),
            row("DM", practice=2, status="in behandeling", amount="100,00"),
            row("DM", quarter="2021-Q3", practice=3, amount="100,00"),
            row("DM", quarter="2021-Q1", practice=4, amount="100,00"),
            row("DM", practice=5, amount="100,00", day="2021-06-02"),
        ]
    )
    assert [p.agb for p in s.payments] == [agb_for(1)]
    assert [(p.line, p.agb, p.outstanding, p.reason) for p in s.pending] == [
        (3, agb_for(2), 0, "the insurer has not decided yet"),
        (4, agb_for(3), 10000, "2021-Q3 is first paid on 2021-09-01"),
        (5, agb_for(4), 10000, "2021-06-01 is not a payment round of 2021-Q1 (next: 2021-06-07)"),
        (
            6,
            agb_for(5),
            0,
            ("downloaded after the round date (2021-06-02): settled in a later round"),
        ),
    ]
    assert _counts(s) == {"read": 5, "paid": 1, "pending": 4}


def test_a_date_that_is_no_round_of_any_quarter_is_refused(run):
    with pytest.raises(ConfigError) as exc:
        run([row("DM", practice=1), row("DM", quarter="2021-Q1", practice=2)], "2021-06-02")
    assert str(exc.value) == (
        "2021-06-02 is not a payment round of any quarter in the exports "
        "(2021-Q1: next round 2021-06-07; 2021-Q2: next round 2021-06-15)"
    )
    assert not run.out.exists()
    assert run.sql("SELECT COUNT(*) FROM rounds") == [(0,)]


def test_latest_download_wins_and_duplicates_are_paid_once(run):
    s = run(
        [
            row("DM", practice=1, amount="100,00", day="2021-05-20"),
            row("DM", practice=1, amount="120,00", day="2021-05-27"),
            row("DM", practice=2, amount="200,00"),
            row("DM", practice=2, amount="200,00"),
        ]
    )
    assert _paid(s)[:2] == [
        (agb_for(1), "DM", 12000, "DBC/DM/Q2/21/20211-1-1"),
        (agb_for(2), "DM", 20000, "DBC/DM/Q2/21/20211-1-2"),
    ]
    assert _counts(s) == {"read": 4, "paid": 2, "superseded": 1, "duplicate": 1}


def test_contradicting_rows_are_refused_and_not_paid(run):
    s = run(
        [
            row("DM", practice=1, amount="100,00"),
            row("DM", practice=1, amount="110,00"),
            row("DM", practice=2, amount="50,00"),
            row("DM", practice=1, amount="100,00"),
        ]
    )
    path = str(run.tmp / "export1.csv")
    assert [p.agb for p in s.payments] == [agb_for(2)]
    assert [str(b) for b in s.bad_rows] == [
        (
            f"{path}, line 2, column bedrag: contradicts {path} line 3 (same chain, quarter, "
            "practice, insurer and download date)"
        ),
        (
            f"{path}, line 3, column bedrag: contradicts {path} line 2 (same chain, quarter, "
            "practice, insurer and download date)"
        ),
        (
            f"{path}, line 5, column bedrag: contradicts {path} line 3 (same chain, quarter, "
            "practice, insurer and download date)"
        ),
    ]
    assert _counts(s) == {"read": 4, "paid": 1, "bad": 3}


@pytest.mark.parametrize("bad", [{"amount": "1.155"}, {"patients": "4x", "status": "afgewezen"}])
def test_a_refused_newer_download_holds_its_key_back(run, bad):
    """The latest download of a key has a bad cell: the older good download of that key
    is not paid in its place (the key waits until the row is corrected); other keys are
    paid."""
    s = run(
        [
            row("DM", practice=1, amount="4.410,00", day="2021-05-20"),
            row("DM", practice=1, day="2021-05-27", **bad),
            row("DM", practice=2, amount="50,00"),
        ]
    )
    path = str(run.tmp / "export1.csv")
    assert [p.agb for p in s.payments] == [agb_for(2)]
    assert [b.line for b in s.bad_rows] == [3]
    assert [(p.line, p.reason) for p in s.pending] == [
        (
            2,
            f"the download of 2021-05-27 for this chain, quarter, practice and insurer ({path} "
            "line 3) was refused: an older download is not paid in its place; correct that row",
        )
    ]


def test_one_iban_per_payment(run):
    s = run(
        [
            row("DM", practice=1, uzovi="3311"),
            row("DM", practice=1, uzovi="7029", iban=iban_for(99)),
            row("CVRM", practice=1, iban=iban_for(99)),
        ]
    )
    path = str(run.tmp / "export1.csv")
    assert _paid(s) == [(agb_for(1), "CVRM", 100000, "DBC/CVRM/Q2/21/20212-1-1")]
    assert [str(b) for b in s.bad_rows] == [
        (
            f"{path}, line 2, column iban: another IBAN than {path} line 3 for the same practice, "
            "chain and quarter"
        ),
        (
            f"{path}, line 3, column iban: another IBAN than {path} line 2 for the same practice, "
            "chain and quarter"
        ),
    ]


def test_every_row_is_accounted_for(run):
    rows = [row("DM", practice=n, amount=f"{n}00,00") for n in range(1, 6)]
    rows += [
        row("DM", practice=6, amount="x"),
        row("DM", practice=7, status="in behandeling"),
        row("CVRM", practice=8, status="afgewezen"),
        row("DM", practice=1, day="2021-05-01"),
    ]
    run(rows)
    rows[0] = row("DM", practice=1, amount="50,00", day="2021-06-14")
    s = run(rows, "2021-06-15")
    c = s.rows
    assert c.read == 9
    assert (
        c.paid
        + c.already_paid
        + c.claimed
        + c.pending
        + c.rejected
        + c.superseded
        + c.duplicate
        + c.bad
    ) == c.read
    assert _counts(s) == {
        "read": 9,
        "already_paid": 4,
        "claimed": 1,
        "pending": 1,
        "rejected": 1,
        "superseded": 1,
        "bad": 1,
    }


def test_same_input_gives_the_same_numbers_and_files(tmp_path):
    rows = [
        row(chain, practice=n, uzovi=u, amount=f"{n * 7},{n:02d}")
        for n in range(1, 30)
        for chain in ("DM", "COPD")
        for u in ("3311", "7029")
    ]
    outputs = []
    for name in ("a", "b"):
        folder = tmp_path / name
        folder.mkdir()
        r = Run(folder)
        s = r(list(reversed(rows)) if name == "b" else rows)
        outputs.append(
            (
                [(p.agb, p.chain, p.invoice, p.amount) for p in s.payments],
                (r.out / "round-2021-06-01.xml").read_bytes(),
            )
        )
    assert outputs[0] == outputs[1]


def test_the_summary_is_deterministic_json(run):
    s = run([row("DM", practice=1)])
    assert summary_json(s) == (run.out / "round-2021-06-01.json").read_bytes()
    assert list(json.loads(summary_json(s))) == [
        "round",
        "rounds",
        "payments",
        "claims",
        "total",
        "rows",
        "pending",
        "bad_rows",
        "pain001",
        "dry_run",
        "warnings",
    ]


def test_paying_needs_the_care_group_and_books_nothing_without_it(run):
    with pytest.raises(ConfigError, match=r"^paying needs --config with the care group's "):
        run([row("DM", practice=1)], config=load_config(None))
    assert run.sql("SELECT COUNT(*) FROM rounds") == [(0,)]
    assert not run.out.exists()


def test_a_round_with_nothing_to_pay_is_booked_without_a_sepa_file(run):
    s = run([row("DM", practice=1, status="in behandeling")], config=load_config(None))
    assert s.pain001 is None and [r.booked for r in s.rounds] == ["now"]
    assert sorted(p.name for p in run.out.iterdir()) == ["round-2021-06-01.json"]


def test_dry_run_writes_nothing(run):
    s = run([row("DM", practice=1)], dry_run=True)
    assert len(s.payments) == 1 and s.dry_run and [r.booked for r in s.rounds] == ["dry run"]
    assert not run.ledger.exists() and not run.out.exists()
    run([row("DM", practice=1)])
    s = run([row("DM", practice=1)], dry_run=True)
    assert s.payments == [] and run.sql("SELECT COUNT(*) FROM payments") == [(1,)]


def test_a_failure_before_the_commit_books_nothing(run):
    run.out.parent.mkdir(exist_ok=True)
    run.out.write_text("a file where the output folder should be")
    with pytest.raises(ConfigError, match="not a folder"):
        run([row("DM", practice=1)])
    assert not run.ledger.exists()  # refused before the ledger is even opened
    run.out.unlink()
    s = run([row("DM", practice=1)])
    assert _paid(s) == [(agb_for(1), "DM", 100000, "DBC/DM/Q2/21/20211-1-1")]


def test_a_second_booking_on_the_same_date_gets_its_own_files(run):
    # 2021-06-01 is round 1 of 2021-Q2 and round 14 of 2020-Q4.
    run([row("DM", practice=1)])
    s = run([row("DM", quarter="2020-Q4", practice=2, day="2021-05-31")])
    assert _paid(s) == [(agb_for(2), "DM", 100000, "DBC/DM/Q4/20/20201-14-1")]
    assert sorted(p.name for p in run.out.iterdir()) == [
        "round-2021-06-01-2.json",
        "round-2021-06-01-2.xml",
        "round-2021-06-01.json",
        "round-2021-06-01.xml",
    ]
    assert run.sql("SELECT quarter, round, message_id FROM rounds ORDER BY message_id") == [
        ("2021-Q2", 1, "VIPLIVE-20210601"),
        ("2020-Q4", 14, "VIPLIVE-20210601-2"),
    ]


def test_chain_numbers_from_the_configuration(run):
    config = load_config(
        write_config(
            run.tmp, (run.tmp / "config.toml").read_text() + "\n[chains]\nDM = 5\nOUDEREN = 9\n"
        )
    )
    s = run([row("DM", practice=1), row("ouderen", practice=1)], config=config)
    assert [p.description for p in s.payments] == [
        "DBC/DM/Q2/21/20215-1-1",
        "DBC/OUDEREN/Q2/21/20219-1-1",
    ]
    s = run([row("CVRM", practice=2)], "2021-06-15", config=config)
    assert [str(b) for b in s.bad_rows] == [
        (
            f"{run.tmp / 'export2.csv'}, line 2, column keten: unknown chain 'CVRM' "
            "(known: DM, OUDEREN)"
        )
    ]


def test_a_file_that_is_not_a_ledger(run):
    run.ledger.write_bytes(b"not a database at all, just text" * 10)
    with pytest.raises(InputError, match=r"ledger.sqlite: not a usable ledger"):
        run([row("DM", practice=1)])
    other = run.tmp / "other.sqlite"
    with sqlite3.connect(other) as con:
        con.execute("CREATE TABLE t (x)")
    with pytest.raises(InputError, match=r"other.sqlite: not a VIPLive ledger$"):
        pay([run.export([row()])], D(2021, 6, 1), other, run.out, config=run.config)


def test_a_booking_that_fails_leaves_no_files(run, monkeypatch):
    from vsbengine.formats.viplive.ledger import Ledger

    def fail(*args, **kw):
        raise sqlite3.IntegrityError("UNIQUE constraint failed")

    monkeypatch.setattr(Ledger, "book", fail)
    with pytest.raises(InputError) as exc:
        run([row("DM", practice=1)])
    assert str(exc.value) == (
        f"{run.ledger}: the round could not be booked (UNIQUE constraint "
        "failed); nothing was booked or written"
    )
    assert not run.out.exists() or list(run.out.iterdir()) == []
    assert run.sql("SELECT COUNT(*) FROM rounds") == [(0,)]


def test_a_ledger_held_by_another_run(run, monkeypatch):
    from vsbengine.formats.viplive import ledger

    monkeypatch.setattr(ledger, "LOCK_TIMEOUT", 0.05)
    run([row("DM", practice=1)])
    other = sqlite3.connect(run.ledger, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(
            InputError,
            match=r"ledger.sqlite: the ledger is in use by another "
            r"run \(database is locked\)$",
        ):
            run([row("DM", practice=1)], "2021-06-15")
    finally:
        other.execute("ROLLBACK")
        other.close()
