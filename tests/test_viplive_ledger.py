"""The ledger is the truth across runs: stale exports, rounds out of order, re-runs,
the schema migration, and a property test over random sequences of rounds."""

import datetime as dt
import os
import sqlite3
import stat

import pytest
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st
from lxml import etree
from typer.testing import CliRunner
from viplive_helpers import NOW, agb_for, row, write_config, write_csv

from vsbengine.cli.main import app
from vsbengine.errors import ConfigError, InputError
from vsbengine.formats.viplive import Ledger, TableError, load_config, pay
from vsbengine.formats.viplive.ledger import SCHEMA_VERSION

D = dt.date
NS = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"}


def _paid(s):
    return [(p.agb, p.chain, p.amount) for p in s.payments]


def _claims(s):
    return [(c.agb, c.chain, c.amount) for c in s.claims]


class Book:
    def __init__(self, tmp):
        self.tmp, self.ledger, self.out = tmp, tmp / "ledger.sqlite", tmp / "out"
        self.config = load_config(write_config(tmp))

    def export(self, name, rows):
        return write_csv(self.tmp / name, rows)

    def pay(self, export, day, **kw):
        kw.setdefault("config", self.config)
        kw.setdefault("now", NOW)
        return pay([export], D.fromisoformat(day), self.ledger, self.out, **kw)

    def sql(self, q):
        with sqlite3.connect(self.ledger) as con:
            return con.execute(q).fetchall()


@pytest.fixture
def book(tmp_path):
    return Book(tmp_path)


# The scenario of issue 15: practice 1's DM grant goes down by 20,00 in the second
# download, practice 2's goes up by 65,44.
def _issue_exports(book):
    first = book.export(
        "download-2021-05-27.csv",
        [
            row("DM", practice=1, amount="1.000,00", day="2021-05-27"),
            row("DM", practice=2, amount="500,00", day="2021-05-27"),
        ],
    )
    second = book.export(
        "download-2021-06-10.csv",
        [
            row("DM", practice=1, amount="980,00", day="2021-06-10"),
            row("DM", practice=2, amount="565,44", day="2021-06-10"),
        ],
    )
    return first, second


def test_the_scenario_of_the_issue_a_stale_export_moves_no_money(book):
    first, second = _issue_exports(book)
    s1 = book.pay(first, "2021-06-01")
    assert _paid(s1) == [(agb_for(1), "DM", 100000), (agb_for(2), "DM", 50000)]
    s2 = book.pay(second, "2021-06-15")
    assert _paid(s2) == [(agb_for(2), "DM", 6544)]
    assert _claims(s2) == [(agb_for(1), "DM", 2000)]
    before = book.sql("SELECT * FROM movements ORDER BY 1, 2, 3, 4, 5")
    files = sorted(p.name for p in book.out.iterdir())
    with pytest.raises(TableError) as exc:
        book.pay(first, "2021-07-13")  # round 4
    assert str(exc.value) == (
        f"{first}, line 2, column download_datum: downloaded 2021-05-27, but the ledger "
        "already booked the download of 2021-06-10 for this practice, chain, quarter and "
        "insurer: an older export is never paid (2 rows of the exports are older than the "
        "ledger); nothing was paid"
    )
    assert book.sql("SELECT * FROM movements ORDER BY 1, 2, 3, 4, 5") == before
    assert sorted(p.name for p in book.out.iterdir()) == files
    # The newer file again pays and claims nothing.
    s4 = book.pay(second, "2021-07-13")
    assert s4.payments == [] and s4.claims == [] and s4.rows.already_paid == 2
    assert book.sql("SELECT agb, SUM(amount) FROM movements GROUP BY agb ORDER BY agb") == [
        (agb_for(1), 98000),
        (agb_for(2), 56544),
    ]


def test_the_scenario_on_the_command_line_exits_2_with_one_line(book):
    first, second = _issue_exports(book)
    config = book.tmp / "config.toml"
    runner = CliRunner()

    def cli(export, day):
        return runner.invoke(
            app,
            [
                "viplive", "pay", str(export), "--round-date", day, "--ledger",
                str(book.ledger), "--out", str(book.out), "--config", str(config),
            ],
        )  # fmt: skip

    assert cli(first, "2021-06-01").exit_code == 0
    assert cli(second, "2021-06-15").exit_code == 0
    r = cli(first, "2021-07-13")
    assert r.exit_code == 2
    assert r.stderr.count("\n") == 1 and r.stderr.startswith(
        f"vsbengine: error: {first}, line 2, column download_datum: downloaded 2021-05-27"
    )


def test_an_earlier_round_after_a_later_one_is_refused(book):
    first, second = _issue_exports(book)
    book.pay(second, "2021-06-15")
    for day in ("2021-06-01", "2021-06-14"):
        with pytest.raises(ConfigError) as exc:
            book.pay(first, day)
        assert str(exc.value).startswith(
            f"{day} is before the latest booked round (2021-06-15): rounds are booked in date order"
        )
    with pytest.raises(ConfigError, match="before the latest booked round"):
        book.pay(first, "2021-06-01", dry_run=True)  # a dry run says the same
    assert book.sql("SELECT COUNT(*) FROM rounds") == [(1,)]


def test_an_older_file_given_with_the_newer_one_is_superseded_not_refused(book):
    first, second = _issue_exports(book)
    book.pay(first, "2021-06-01")
    s = pay([first, second], D(2021, 6, 15), book.ledger, book.out, config=book.config, now=NOW)
    assert _paid(s) == [(agb_for(2), "DM", 6544)] and s.rows.superseded == 2


def test_a_row_of_the_booked_download_date_that_says_otherwise_is_refused(book):
    first, _ = _issue_exports(book)
    book.pay(first, "2021-06-01")
    changed = book.export(
        "changed.csv",
        [
            row("DM", practice=1, amount="1.100,00", day="2021-05-27"),
            row("DM", practice=2, amount="500,00", day="2021-05-27"),
        ],
    )
    s = book.pay(changed, "2021-06-15")
    assert s.payments == [] and s.rows.bad == 1 and s.rows.already_paid == 1
    assert [str(p) for p in s.bad_rows] == [
        f"{changed}, line 2, column bedrag: contradicts the download of 2021-05-27 the "
        f"ledger booked ({first} line 2; same chain, quarter, practice and insurer)"
    ]


def test_a_round_date_past_the_calendar_is_refused(book):
    first, _ = _issue_exports(book)
    with pytest.raises(ConfigError, match=r"^9999-12-31: a round date after 2999-12-31"):
        book.pay(first, "9999-12-31")


def test_files_get_the_umask_mode_and_are_never_replaced(book, tmp_path):
    first, second = _issue_exports(book)
    old = os.umask(0o022)
    try:
        book.pay(first, "2021-06-01")
    finally:
        os.umask(old)
    for p in book.out.iterdir():
        assert stat.S_IMODE(p.stat().st_mode) == 0o644, p
    # Another ledger paying into the same folder never replaces the first one's files.
    other = Book(tmp_path)
    other.ledger = tmp_path / "other.sqlite"
    xml = (book.out / "round-2021-06-01.xml").read_bytes()
    with pytest.raises(InputError) as exc:
        other.pay(first, "2021-06-01")
    assert str(exc.value) == (
        f"{book.out / 'round-2021-06-01.xml'}: exists already and is not a file of this "
        "round: nothing was booked (give another --out, or move the file away)"
    )
    assert (book.out / "round-2021-06-01.xml").read_bytes() == xml
    assert other.sql("SELECT COUNT(*) FROM rounds") == [(0,)]


def test_a_booked_round_whose_files_were_not_published_is_finished_by_the_next_run(
    book, monkeypatch
):
    from vsbengine.formats.viplive import payments

    first, second = _issue_exports(book)
    monkeypatch.setattr(payments, "finish", lambda b, folders=(): [])  # as if killed
    book.pay(first, "2021-06-01")
    assert not book.out.exists() or list(book.out.iterdir()) == []
    assert book.sql("SELECT name, published IS NULL FROM round_files ORDER BY name") == [
        ("round-2021-06-01.json", 1),
        ("round-2021-06-01.xml", 1),
    ]
    monkeypatch.undo()
    s = book.pay(second, "2021-06-15")
    assert sorted(p.name for p in book.out.iterdir()) == [
        "round-2021-06-01.json",
        "round-2021-06-01.xml",
        "round-2021-06-15.json",
        "round-2021-06-15.xml",
    ]
    assert book.sql("SELECT COUNT(*) FROM round_files WHERE published IS NULL") == [(0,)]
    assert _paid(s) == [(agb_for(2), "DM", 6544)]


def test_a_folder_named_in_bytes_that_are_not_utf8_is_booked_and_finished(book, monkeypatch):
    """round_files keeps such a folder as its bytes; the next run publishes into it."""
    from pathlib import Path

    from vsbengine.formats.viplive import payments

    book.out = Path(os.fsdecode(os.fsencode(book.tmp) + b"/out-\xe9"))
    first, second = _issue_exports(book)
    monkeypatch.setattr(payments, "finish", lambda b, folders=(): [])  # as if killed
    book.pay(first, "2021-06-01")
    assert book.sql("SELECT DISTINCT folder FROM round_files") == [(os.fsencode(book.out),)]
    with Ledger.open(book.ledger, create=False) as read:
        assert {f.folder for f in read.files(unpublished=True)} == {str(book.out)}
    monkeypatch.undo()
    book.pay(second, "2021-06-15")
    assert len(list(book.out.iterdir())) == 4
    assert book.sql("SELECT COUNT(*) FROM round_files WHERE published IS NULL") == [(0,)]


def test_a_foreign_file_under_a_booked_name_is_not_replaced(book, monkeypatch):
    from vsbengine.formats.viplive import payments

    first, second = _issue_exports(book)
    monkeypatch.setattr(payments, "finish", lambda b, folders=(): [])
    book.pay(first, "2021-06-01")
    monkeypatch.undo()
    (book.out / "round-2021-06-01.xml").write_bytes(b"someone else's file")
    with pytest.raises(InputError, match=r"exists and is not the file the ledger booked"):
        book.pay(second, "2021-06-15")
    assert (book.out / "round-2021-06-01.xml").read_bytes() == b"someone else's file"


_V1 = """
CREATE TABLE rounds (quarter TEXT NOT NULL, round INTEGER NOT NULL, date TEXT NOT NULL,
    booked_at TEXT NOT NULL, message_id TEXT, PRIMARY KEY (quarter, round));
CREATE TABLE payments (quarter TEXT, chain TEXT, agb TEXT, round INTEGER, sequence INTEGER,
    date TEXT, amount INTEGER, iban TEXT, practice TEXT, invoice TEXT, description TEXT UNIQUE,
    PRIMARY KEY (quarter, chain, round, sequence));
CREATE TABLE movements (quarter TEXT, chain TEXT, agb TEXT, uzovi TEXT, round INTEGER,
    date TEXT, amount INTEGER, granted INTEGER, patients INTEGER,
    PRIMARY KEY (quarter, chain, agb, uzovi, round));
CREATE TABLE grants (quarter TEXT, chain TEXT, agb TEXT, uzovi TEXT, practice TEXT, iban TEXT,
    patients INTEGER, amount INTEGER, status TEXT, downloaded TEXT, source TEXT, line INTEGER,
    PRIMARY KEY (quarter, chain, agb, uzovi));
PRAGMA user_version = 1;
"""


def test_a_version_1_ledger_is_migrated_and_keeps_its_rounds(book):
    first, second = _issue_exports(book)
    with sqlite3.connect(book.ledger) as con:
        con.executescript(_V1)
        con.execute("INSERT INTO rounds VALUES ('2021-Q2', 1, '2021-06-01', 'x', 'VIPLIVE-1')")
        con.execute(
            "INSERT INTO movements VALUES "
            f"('2021-Q2', 'DM', '{agb_for(1)}', '3311', 1, '2021-06-01', 100000, 100000, 10)"
        )
        con.execute(
            "INSERT INTO grants VALUES ('2021-Q2', 'DM', ?, '3311', 'P', 'NL', 10, 100000, "
            "'toegekend', '2021-05-27', 'old.csv', 2)",
            [agb_for(1)],
        )
    with Ledger.open(book.ledger, create=False) as read_only:  # read as it is
        assert read_only.version == 1 and read_only.files() == []
    s = book.pay(second, "2021-06-15")
    assert book.sql("PRAGMA user_version") == [(SCHEMA_VERSION,)] == [(2,)]
    assert _claims(s) == [(agb_for(1), "DM", 2000)]
    assert _paid(s) == [(agb_for(2), "DM", 56544)]
    with pytest.raises(TableError, match="older export is never paid"):
        book.pay(first, "2021-06-29")


# -- property: over any sequence of exports, rounds and re-runs --------------------------------

_KEYS = [(1, "DM", "3311"), (1, "DM", "7029"), (2, "DM", "3311"), (2, "COPD", "3311")]
_ROUNDS = [D(2021, 6, 1) + dt.timedelta(days=14 * n) for n in range(6)]


@st.composite
def _sequences(draw):
    """Exports (each a download date and per key an amount or a status) and the operations:
    pay round r with export e (stale, repeated and out-of-order ones included)."""
    n_exports = draw(st.integers(1, 4))
    days = sorted(draw(st.lists(st.integers(0, 60), min_size=n_exports, max_size=n_exports)))
    exports = []
    for d in days:
        rows = {}
        for key in _KEYS:
            kind = draw(st.sampled_from(["amount", "amount", "afgewezen", "pending", "absent"]))
            if kind == "absent":
                continue
            rows[key] = (kind, draw(st.integers(0, 3000)) * 100 + draw(st.integers(0, 99)))
        exports.append((D(2021, 5, 20) + dt.timedelta(days=d), rows))
    ops = draw(
        st.lists(
            st.tuples(st.integers(0, len(_ROUNDS) - 1), st.integers(0, n_exports - 1)),
            min_size=1,
            max_size=6,
        )
    )
    if draw(st.booleans()):  # mostly forward in time: stale exports rather than old rounds
        ops = sorted(ops, key=lambda op: op[0])
    return exports, ops


def _export_rows(day, rows):
    out = []
    for (practice, chain, uzovi), (kind, cents) in rows.items():
        status = {"amount": "toegekend", "afgewezen": "afgewezen", "pending": "in behandeling"}
        amount = f"{cents // 100},{cents % 100:02d}"
        out.append(
            row(chain, practice=practice, uzovi=uzovi, amount=amount, status=status[kind],
                day=day.isoformat())
        )  # fmt: skip
    return out


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(_sequences())
@example(  # two exports of one download date that differ in every row: the second's round
    # refuses them all and books nothing, so paying the first round again is a re-run
    seq=(
        [
            (D(2021, 5, 20), dict.fromkeys(_KEYS, ("amount", 1))),
            (D(2021, 5, 20), dict.fromkeys(_KEYS, ("amount", 0))),
        ],
        [(0, 0), (1, 1), (0, 0)],
    )
)
def test_paid_per_practice_and_chain_is_the_newest_grant_minus_claims(tmp_path_factory, seq):
    exports, ops = seq
    tmp = tmp_path_factory.mktemp("prop")
    config = load_config(write_config(tmp))
    files = [
        write_csv(tmp / f"e{i}.csv", _export_rows(day, rows))
        for i, (day, rows) in enumerate(exports)
    ]
    ledger, out = tmp / "l.sqlite", tmp / "out"
    # The model: what the ledger must hold per key after each operation.
    newest: dict = {}  # key -> download date the ledger kept
    kept: dict = {}  # key -> the row (kind, cents) the ledger kept for that date
    settled: dict = {}  # key -> net settled (cents)
    booked_rounds: set = set()
    latest = None
    for r, e in ops:
        day, (downloaded, rows) = _ROUNDS[r], exports[e]
        due = downloaded <= day
        keys = [k for k in rows if due]
        stale = any(downloaded < newest.get(k, downloaded) for k in keys)
        try:
            pay([files[e]], day, ledger, out, config=config, now=NOW)
        except ConfigError as exc:
            if "before the latest booked round" in str(exc):
                event("refused: out of order")
                assert latest is not None and day < latest
            else:  # nothing of the export is due on that day
                assert "not a payment round" in str(exc) or not keys
            continue
        except TableError as exc:
            event("refused: stale")
            assert stale and "older export is never paid" in str(exc)
            continue
        assert not stale and (latest is None or day >= latest)
        opened = day not in booked_rounds
        taken = []  # the keys not refused: a round whose every row is refused books nothing
        for k in keys:
            if newest.get(k) == downloaded and kept.get(k, rows[k]) != rows[k]:
                event("refused: same download date, other content")
                continue  # nobody can tell which of the two is right: the row is refused
            taken.append(k)
            newest[k], kept[k] = downloaded, rows[k]
            kind, cents = rows[k]
            if opened and kind != "pending":
                settled[k] = cents if kind == "amount" else 0
        event("booked" if opened and taken else "re-run or nothing due")
        if opened and taken:
            booked_rounds.add(day)
            latest = day
        with sqlite3.connect(ledger) as con:
            movements = {
                (int(a[-6:]), c, u): s
                for a, c, u, s in con.execute(
                    "SELECT agb, chain, uzovi, SUM(amount) FROM movements GROUP BY 1, 2, 3"
                )
            }
            paid = dict(
                con.execute(
                    "SELECT agb || chain, SUM(amount) FROM payments GROUP BY agb, chain"
                ).fetchall()
            )
            claimed = dict(
                con.execute(
                    "SELECT agb || chain, -SUM(amount) FROM movements WHERE amount < 0 "
                    "GROUP BY agb, chain"
                ).fetchall()
            )
        assert {k: v for k, v in movements.items() if v} == {k: v for k, v in settled.items() if v}
        for practice, chain in {(p, c) for p, c, _ in _KEYS}:
            newest_granted = sum(
                v for (p, c, _), v in settled.items() if (p, c) == (practice, chain)
            )
            key = agb_for(practice) + chain
            assert paid.get(key, 0) - claimed.get(key, 0) == newest_granted
    # The SEPA files hold exactly what the ledger paid: nothing twice, nothing missing.
    in_files = 0
    for xml in out.glob("round-*.xml") if out.exists() else ():
        doc = etree.parse(str(xml))
        in_files += sum(
            round(float(a.text) * 100) for a in doc.iterfind(".//p:InstdAmt", namespaces=NS)
        )
    with sqlite3.connect(ledger) as con:
        (total,) = con.execute("SELECT COALESCE(SUM(amount), 0) FROM payments").fetchone()
    assert in_files == total


def test_a_folder_is_not_a_ledger(tmp_path):
    for create in (True, False):
        with pytest.raises(InputError) as info:
            Ledger.open(tmp_path, create=create)
        assert str(info.value) == f"{tmp_path}: is a folder, not a ledger file"


def test_a_ledger_in_a_missing_folder(tmp_path):
    path = tmp_path / "missing" / "ledger.sqlite"
    with pytest.raises(InputError) as info:
        Ledger.open(path)
    assert str(info.value) == f"{path}: cannot open the ledger (unable to open database file)"
