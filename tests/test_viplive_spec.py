import csv
import datetime as dt
import io
import re

import pytest
from test_viplive_pay import Run
from viplive_helpers import agb_for, row

from vsbengine.formats.viplive import Ledger, statements, write_statements
from vsbengine.formats.viplive.money import euros_nl
from vsbengine.formats.viplive.statement_files import CSV_COLUMNS, statement_csv, statement_html

NAME = 'Praktijk <script>alert("x")</script> & Zn'


@pytest.fixture
def ledger(tmp_path):
    run = Run(tmp_path)
    run(
        [
            row("DM", practice=1, uzovi="3311", patients=20, amount="1.000,00", name=NAME),
            row(
                "DM",
                practice=1,
                uzovi="7029",
                patients=5,
                status="in behandeling",
                amount="0",
                name=NAME,
            ),
            row("CVRM", practice=1, patients=8, amount="400,00", name=NAME),
            row("DM", practice=2, amount="300,00"),
        ]
    )
    run(
        [
            row(
                "DM",
                practice=1,
                uzovi="3311",
                patients=18,
                amount="900,00",
                day="2021-06-14",
                name=NAME,
            ),
            row(
                "DM",
                practice=1,
                uzovi="7029",
                patients=6,
                amount="150,00",
                day="2021-06-14",
                name=NAME,
            ),
            row("CVRM", practice=1, patients=8, amount="400,00", day="2021-06-14", name=NAME),
        ],
        "2021-06-15",
    )
    # granted later than the round-2 download: waits for round 3
    run(
        [row("CVRM", practice=1, patients=9, amount="450,00", day="2021-06-15", name=NAME)],
        "2021-06-15",
    )
    return run.ledger


def _statement(ledger, agb=None):
    with Ledger.open(ledger, create=False) as book:
        return statements(book, "2021-Q2", [agb] if agb else None, {"DM": 1, "CVRM": 2})


def test_statement_per_chain_granted_paid_claimed_and_open(ledger):
    s1, s2 = _statement(ledger)
    assert (s1.agb, s1.practice, s2.agb) == (agb_for(1), NAME, agb_for(2))
    dm, cvrm = s1.chains
    assert dm.chain == "DM"
    assert [(i.uzovi, i.patients, i.granted, i.status, i.settled) for i in dm.insurers] == [
        ("3311", 18, 90000, "toegekend", 90000),
        ("7029", 6, 15000, "toegekend", 15000),
    ]
    assert [(p.date, p.round, p.description, p.amount) for p in dm.payments] == [
        (dt.date(2021, 6, 1), 1, "DBC/DM/Q2/21/20211-1-1", 100000),
        (dt.date(2021, 6, 15), 2, "DBC/DM/Q2/21/20211-2-1", 15000),
    ]
    assert [(c.date, c.uzovi, c.amount) for c in dm.claims] == [
        (dt.date(2021, 6, 15), "3311", 10000)
    ]
    assert dm.open == [] and (dm.patients, dm.granted, dm.paid, dm.claimed) == (
        24,
        105000,
        115000,
        10000,
    )
    assert [(o.uzovi, o.kind, o.amount) for o in cvrm.open] == [("3311", "to pay", 5000)]
    assert (cvrm.patients, cvrm.granted, cvrm.paid, cvrm.to_pay) == (9, 45000, 40000, 5000)
    assert (s1.patients, s1.granted, s1.paid, s1.claimed, s1.to_pay) == (
        33,
        150000,
        155000,
        10000,
        5000,
    )


def test_awaiting_the_insurer_is_open_too(tmp_path):
    run = Run(tmp_path)
    run([row("DM", practice=1, status="in behandeling", amount="120,00")])
    (s,) = _statement(run.ledger)
    assert [(o.kind, o.amount) for o in s.chains[0].open] == [("awaiting insurer", 12000)]


def test_only_the_practices_asked_for(ledger):
    assert [s.agb for s in _statement(ledger, agb_for(2))] == [agb_for(2)]
    assert _statement(ledger, agb_for(9)) == []


def test_csv_statement(ledger):
    s = _statement(ledger)[0]
    data = statement_csv(s)
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data[3:].decode("utf-8")), delimiter=";"))
    assert tuple(rows[0]) == CSV_COLUMNS
    name = f"'{NAME}" if NAME[0] in "=+-@" else NAME
    assert rows[1:] == [
        [
            "2021-Q2",
            agb_for(1),
            name,
            "DM",
            "toegekend",
            "3311",
            "18",
            "900,00",
            "2021-06-14",
            "toegekend",
        ],
        [
            "2021-Q2",
            agb_for(1),
            name,
            "DM",
            "toegekend",
            "7029",
            "6",
            "150,00",
            "2021-06-14",
            "toegekend",
        ],
        [
            "2021-Q2",
            agb_for(1),
            name,
            "DM",
            "betaald",
            "",
            "",
            "1000,00",
            "2021-06-01",
            "DBC/DM/Q2/21/20211-1-1",
        ],
        [
            "2021-Q2",
            agb_for(1),
            name,
            "DM",
            "betaald",
            "",
            "",
            "150,00",
            "2021-06-15",
            "DBC/DM/Q2/21/20211-2-1",
        ],
        [
            "2021-Q2",
            agb_for(1),
            name,
            "DM",
            "gevorderd",
            "3311",
            "",
            "100,00",
            "2021-06-15",
            "openstaand: nog terug te betalen",
        ],
        [
            "2021-Q2",
            agb_for(1),
            name,
            "DM",
            "openstaand",
            "3311",
            "",
            "100,00",
            "",
            "terug te betalen door de praktijk (vordering van 2021-06-15)",
        ],
        [
            "2021-Q2",
            agb_for(1),
            name,
            "CVRM",
            "toegekend",
            "3311",
            "9",
            "450,00",
            "2021-06-15",
            "toegekend",
        ],
        [
            "2021-Q2",
            agb_for(1),
            name,
            "CVRM",
            "betaald",
            "",
            "",
            "400,00",
            "2021-06-01",
            "DBC/CVRM/Q2/21/20212-1-1",
        ],
        [
            "2021-Q2",
            agb_for(1),
            name,
            "CVRM",
            "openstaand",
            "3311",
            "",
            "50,00",
            "",
            "nog te betalen aan de praktijk",
        ],
    ]


def test_csv_cells_never_start_a_formula(tmp_path):
    run = Run(tmp_path)
    run([row("DM", practice=1, name='=HYPERLINK("http://x")')])
    (s,) = _statement(run.ledger)
    data = statement_csv(s)
    assert b"'=HYPERLINK(" in data
    assert b";=HYPERLINK" not in data and b';"=HYPERLINK' not in data


def test_control_characters_of_a_name_reach_neither_csv_nor_page(tmp_path):
    """A NUL or a BEL in an exported name (accepted: the practice is paid) is shown as
    U+FFFD: a NUL stops CSV readers and is a parse error in HTML."""
    run = Run(tmp_path)
    run([row("DM", practice=1, name="Praktijk\x00De\x07Linde\x1b[31m")])
    (s,) = _statement(run.ledger)
    for data in (statement_csv(s).decode("utf-8-sig"), statement_html(s).decode("utf-8")):
        assert "Praktijk\ufffdDe\ufffdLinde\ufffd[31m" in data
        assert not any(ord(c) < 0x20 and c not in "\t\r\n" for c in data)


def test_html_is_self_contained_and_escaped(ledger):
    html = statement_html(_statement(ledger)[0]).decode("utf-8")
    assert html.startswith("<!DOCTYPE html>")
    assert "<script" not in html and "alert(&#34;x&#34;)" in html
    assert "&lt;script&gt;" in html and "&amp; Zn" in html
    assert "src=" not in html and "href=" not in html and "http" not in html
    assert "DBC/DM/Q2/21/20211-2-1" in html and "€\u00a01.000,00" in html
    assert "<h2>Overzicht</h2>" in html and "Nog te betalen" in html


def test_files_per_practice_and_chain_or_across_chains(ledger, tmp_path):
    found = _statement(ledger)
    written = write_statements(found, tmp_path / "spec")
    assert sorted(p.relative_to(tmp_path / "spec").as_posix() for p in written) == [
        f"2021-Q2/{agb_for(1)}-CVRM.csv",
        f"2021-Q2/{agb_for(1)}-CVRM.html",
        f"2021-Q2/{agb_for(1)}-DM.csv",
        f"2021-Q2/{agb_for(1)}-DM.html",
        f"2021-Q2/{agb_for(2)}-DM.csv",
        f"2021-Q2/{agb_for(2)}-DM.html",
    ]
    dm_only = (tmp_path / "spec" / "2021-Q2" / f"{agb_for(1)}-DM.html").read_text("utf-8")
    assert "Keten DM" in dm_only and "Keten CVRM" not in dm_only and "Overzicht" not in dm_only
    written = write_statements(found, tmp_path / "pp", per_practice=True)
    assert sorted(p.name for p in written) == [
        f"{agb_for(1)}.csv",
        f"{agb_for(1)}.html",
        f"{agb_for(2)}.csv",
        f"{agb_for(2)}.html",
    ]
    both = (tmp_path / "pp" / "2021-Q2" / f"{agb_for(1)}.html").read_text("utf-8")
    assert "Keten DM" in both and "Keten CVRM" in both and "Overzicht" in both


def test_statements_are_deterministic(ledger, tmp_path):
    a = [p.read_bytes() for p in write_statements(_statement(ledger), tmp_path / "a", True)]
    b = [p.read_bytes() for p in write_statements(_statement(ledger), tmp_path / "b", True)]
    assert a == b


def test_html_names_the_care_group_quarter_and_date(ledger):
    s = _statement(ledger)[0]
    html = statement_html(s, care_group="Zorggroep <Noord> & Zn", made=dt.date(2021, 6, 20)).decode(
        "utf-8"
    )
    assert '<p class="issuer">Zorggroep &lt;Noord&gt; &amp; Zn</p>' in html
    assert "<h1>Specificatie ketenzorg 2021-Q2</h1>" in html
    assert "<dd>2021-Q2 (2e kwartaal 2021)</dd>" in html
    assert '<p class="made">Opgemaakt op 20 juni 2021</p>' in html
    english = statement_html(s, made=dt.date(2021, 6, 20), lang="en").decode("utf-8")
    assert (
        '<p class="made">Made on June 20, 2021</p>' in english and 'class="issuer"' not in english
    )


def test_a_claim_that_was_not_paid_back_is_open(ledger):
    """DM of practice 1: paid 1000 + 150, granted now 900 + 150: a claim of 100 on the
    practice. Nothing says it was paid back, so it is still open, not "recovered"."""
    s = _statement(ledger)[0]
    html = statement_html(s, [s.chains[0]]).decode("utf-8")
    assert "Teruggevorderd" not in html and "teruggevorderd" not in html
    claims = html.split("<h3>Vorderingen op de praktijk</h3>", 1)[1].split("<h3>", 1)[0]
    assert "<td>openstaand: nog terug te betalen</td>" in claims
    still_open = html.split("<h3>Nog openstaand</h3>", 1)[1]
    assert "Geen." not in still_open.split("</table>", 1)[0]
    assert (
        "<td>3311</td><td>terug te betalen door de praktijk (vordering van 2021-06-15)</td>"
        '<td class="n">€\u00a0100,00</td>'
    ) in still_open


def euros(cents: int) -> str:
    return euros_nl(cents, False)


def test_the_csv_says_what_the_page_says_about_claims_and_open_items(ledger):
    """The booked claim is "gevorderd" and still open in the CSV too (never "recovered"):
    the CSV's open rows are the page's open table, text for text."""
    s = _statement(ledger)[0]
    for chain in s.chains:
        data = statement_csv(s, [chain]).decode("utf-8-sig")
        assert "teruggevorderd" not in data
        rows = list(csv.DictReader(io.StringIO(data), delimiter=";"))
        html = statement_html(s, [chain]).decode("utf-8")
        table = html.split("<h3>Nog openstaand</h3>", 1)[1].split("</table>", 1)[0]
        on_page = re.findall(
            r"<tr><td>(\d{4})</td><td>([^<]*)</td><td class=\"n\">€\xa0([^<]*)</td>", table
        )
        in_csv = [
            (r["uzovi"], r["omschrijving"], r["bedrag"]) for r in rows if r["soort"] == "openstaand"
        ]
        assert in_csv == on_page and in_csv
        claims = [r for r in rows if r["soort"] == "gevorderd"]
        assert [r["bedrag"] for r in claims] == [euros(k.amount) for k in chain.claims]
        assert all(r["omschrijving"] == "openstaand: nog terug te betalen" for r in claims)
        assert {r["soort"] for r in rows} <= {"toegekend", "betaald", "gevorderd", "openstaand"}


def test_nothing_open_says_none(tmp_path):
    run = Run(tmp_path)
    run([row("DM", practice=1, amount="100,00")])
    (s,) = _statement(run.ledger)
    html = statement_html(s).decode("utf-8")
    assert (
        html.split("<h3>Nog openstaand</h3>", 1)[1].lstrip().startswith('<p class="none">Geen.</p>')
    )
