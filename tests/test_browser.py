"""Every page type, rendered in a real (headless) browser.

Each page type registers a builder in :data:`PAGES`: it writes the page from
data with hostile names and returns the page, the texts that must show as
written, and a check that the numbers on the page equal the data's. The tests
below run every registered page through the same checks: it renders without
scripts or fetched resources, the hostile texts come out escaped, it reads at
1200 px and printed (A4 width, and to PDF through the browser), and a
screenshot of screen and print is kept (see browser_helpers.artefacts()).
The review page and the night's report register here when they exist.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from browser_helpers import A4_WIDTH_PX, WIDTH, Browser, cents
from test_viplive_pay import Run
from viplive_helpers import row

from vsbengine.formats.viplive import Ledger, statements, write_statements

HOSTILE_PRACTICE = '<script>alert("x")</script> & Zn <b>vet</b>'
HOSTILE_GROUP = "Zorggroep <img src=x onerror=alert(1)> & Co"
MADE = dt.date(2021, 6, 20)


@dataclass
class Page:
    path: Path
    literal: list[str]  # texts that must be shown exactly as written (escaped in the source)
    title: str  # a text the window title holds
    numbers: Callable[[Browser], None]  # asserts that the numbers shown equal the data's


# -- VIPLive statements ---------------------------------------------------------------------


def _viplive_ledger(tmp: Path) -> Path:
    """Two rounds: payments, a lowered grant (a claim), one awaiting the insurer, one to pay."""
    run = Run(tmp)
    name = HOSTILE_PRACTICE
    run([row("DM", practice=1, uzovi="3311", patients=20, amount="1.000,00", name=name),
         row("DM", practice=1, uzovi="7029", patients=5, status="in behandeling", amount="0",
             name=name),
         row("CVRM", practice=1, patients=8, amount="400,00", name=name),
         row("DM", practice=2, amount="300,00")])  # fmt: skip
    run([row("DM", practice=1, uzovi="3311", patients=18, amount="900,00", day="2021-06-14",
             name=name),
         row("DM", practice=1, uzovi="7029", patients=6, amount="1.234,56", day="2021-06-14",
             name=name),
         row("CVRM", practice=1, patients=8, amount="400,00", day="2021-06-14", name=name)],
        "2021-06-15")  # fmt: skip
    run([row("CVRM", practice=1, patients=9, amount="450,00", day="2021-06-15", name=name)],
        "2021-06-15")  # fmt: skip
    return run.ledger


def _statement_numbers(statement, chains):
    """The check of a statement page against the Statement it was made from."""

    def check(b: Browser) -> None:
        tables = b.tables()
        seen = set()
        for c in chains:
            part = {t["heading"]: t for t in tables if t["section"] == f"chain-{c.chain}"}
            granted = part["Toegekend"]
            assert [(r[0], int(r[1]), cents(r[2]), r[3], r[4]) for r in granted["rows"]] == [
                (i.uzovi, i.patients, i.granted, i.status, i.downloaded.isoformat())
                for i in c.insurers
            ]
            assert (int(granted["foot"][1]), cents(granted["foot"][2])) == (c.patients, c.granted)
            paid = part["Betalingen"]
            assert [(r[0], int(r[1]), r[2], cents(r[3])) for r in paid["rows"]] == [
                (p.date.isoformat(), p.round, p.description, p.amount) for p in c.payments
            ]
            assert cents(paid["foot"][3]) == c.paid == sum(p.amount for p in c.payments)
            if c.claims:
                claims = part["Vorderingen op de praktijk"]
                assert [(r[0], r[2], cents(r[4])) for r in claims["rows"]] == [
                    (k.date.isoformat(), k.uzovi, k.amount) for k in c.claims
                ]
                assert cents(claims["foot"][4]) == c.claimed
            still = part["Nog openstaand"]["rows"]
            assert sorted((r[0], cents(r[2])) for r in still) == sorted(
                [(o.uzovi, o.amount) for o in c.open] + [(k.uzovi, k.amount) for k in c.claims]
            )
            seen.add(c.chain)
        assert seen == {c.chain for c in chains}
        overview = [t for t in tables if t["heading"] == "Overzicht"]
        if len(chains) > 1:
            (o,) = overview
            assert [(r[0], int(r[1]), *map(cents, r[2:])) for r in o["rows"]] == [
                (c.chain, c.patients, c.granted, c.paid, c.claimed, c.to_pay) for c in chains
            ]
            foot = o["foot"]
            assert (int(foot[1]), *map(cents, foot[2:])) == (
                statement.patients,
                statement.granted,
                statement.paid,
                statement.claimed,
                statement.to_pay,
            )
        else:
            assert overview == []
        text = b.text()
        assert f"AGB-code\n{statement.agb}" in text and statement.iban in text
        assert "Opgemaakt op 20 juni 2021" in text and "2021-Q2 (2e kwartaal 2021)" in text

    return check


def _statement_page(tmp: Path, per_practice: bool) -> Page:
    with Ledger.open(_viplive_ledger(tmp), create=False) as book:
        (s, _) = statements(book, "2021-Q2", None, {"DM": 1, "CVRM": 2})
    out = tmp / "spec"
    write_statements([s], out, per_practice, care_group=HOSTILE_GROUP, made=MADE)
    name = f"{s.agb}.html" if per_practice else f"{s.agb}-DM.html"
    chains = s.chains if per_practice else [s.chains[0]]
    return Page(
        out / "2021-Q2" / name,
        [HOSTILE_PRACTICE, HOSTILE_GROUP],
        HOSTILE_PRACTICE,
        _statement_numbers(s, chains),
    )


PAGES: dict[str, Callable[[Path], Page]] = {
    "viplive-statement-chain": lambda tmp: _statement_page(tmp, per_practice=False),
    "viplive-statement-practice": lambda tmp: _statement_page(tmp, per_practice=True),
}


# -- the checks every page gets -------------------------------------------------------------


@pytest.fixture(params=sorted(PAGES))
def page(request, tmp_path):
    return request.param, PAGES[request.param](tmp_path)


def test_renders_self_contained_with_hostile_text_escaped(browser, page):
    kind, p = page
    browser.open(p.path)
    assert (
        browser.js("return document.querySelectorAll('script, iframe, object, embed').length") == 0
    )
    assert browser.js("return document.querySelectorAll('img, link, [onerror]').length") == 0
    assert browser.loaded_resources() == []
    text = browser.text()
    for literal in p.literal:
        assert literal in text, f"{kind}: {literal!r} is not shown as written"
    assert p.title in browser.driver.title
    assert "<script" not in p.path.read_text("utf-8")


def test_numbers_equal_the_data(browser, page):
    kind, p = page
    browser.open(p.path)
    p.numbers(browser)


def test_readable_at_1200_px(browser, page):
    kind, p = page
    browser.open(p.path, width=WIDTH)
    out = browser.overflow()
    assert out["page"] <= 0 and out["element"] <= 1, f"{kind} is wider than {WIDTH} px: {out}"
    smallest = browser.js(
        "return Math.min(...[...document.querySelectorAll('body *')]"
        ".filter(e => e.innerText && e.children.length === 0)"
        ".map(e => parseFloat(getComputedStyle(e).fontSize)))"
    )
    assert smallest >= 12, f"{kind}: text of {smallest} px"
    shot = browser.screenshot(kind)
    assert shot.stat().st_size > 10_000


def test_readable_in_print(browser, page):
    pypdf = pytest.importorskip("pypdf")
    kind, p = page
    browser.open(p.path, width=A4_WIDTH_PX, media="print")
    out = browser.overflow()
    assert out["page"] <= 0 and out["element"] <= 1, f"{kind} is wider than A4: {out}"
    browser.screenshot(f"{kind}-print")
    browser.open(p.path)
    pdf = pypdf.PdfReader(browser.pdf(kind))
    assert len(pdf.pages) >= 1
    box = pdf.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)  # A4 in points
    text = " ".join(page.extract_text() for page in pdf.pages)
    for literal in p.literal:
        assert " ".join(literal.split()) in " ".join(text.split())
