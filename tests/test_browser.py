"""Every page type, rendered in a real (headless) browser.

Each page type registers a builder in :data:`PAGES`: it writes the page from
data with hostile names and returns the page, the texts that must show as
written, and a check that the numbers on the page equal the data's. The tests
below run every registered page through the same checks: it renders without
scripts or fetched resources, the hostile texts come out escaped, it reads at
1200 px and printed (A4 width, and to PDF through the browser), and a
screenshot of screen and print is kept (see browser_helpers.artefacts()).
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


# -- the review page of a sending -------------------------------------------------------------

HOSTILE_FACILITY = "Kliniek <script>alert(1)</script> & Zn"
HOSTILE_REFERENCE = "<b>ref</b> & co"  # record 10 zone 28, the facility's own reference


def _sending(
    tmp: Path, error_rate: float, iban: str | None = None, name: str = HOSTILE_FACILITY
) -> Path:
    """A generated sending with its reference data; the facility's name is hostile."""
    from efact_edit import Sending

    from vsbengine.formats.efact.generate import generate

    g = generate(600, seed=41, month=202610, references=True, error_rate=error_rate)
    g.write_refs(tmp / "refs")
    facilities = tmp / "refs" / "facilities.csv"
    head, line = facilities.read_text().splitlines()
    cells = line.split(",")
    cells[1] = f'"{name}"'
    facilities.write_text(head + "\n" + ",".join(cells) + "\n")
    s = Sending(g.tobytes())
    s.put(1, 138, HOSTILE_REFERENCE.ljust(25))
    if iban is not None:  # record 10 zone 36 and record 90 zone 36 (they must be equal)
        for seq in (1, s.seqs("90")[0]):
            s.put(seq, 179, iban.ljust(34))
    s.resum()
    path = tmp / "sending.920000"
    path.write_bytes(s.tobytes())
    return path


def _review_numbers(result, proposal, national_numbers: set[str]):
    """The check of a review page against the result and the proposal it was made from."""
    import numpy as np

    def check(b: Browser) -> None:
        tables = {(t["section"], t["heading"]): t for t in b.tables()}
        counts = next(t for (sec, _), t in tables.items() if sec == "decision")["rows"]
        assert [int(x) for x in counts[0][1:]] == [result.records_total, result.records_rejected]
        assert [int(x) for x in counts[2][1:]] == [
            result.prestations_total,
            result.prestations_rejected,
        ]
        codes = next(t for (sec, _), t in tables.items() if sec == "codes")
        values, n = np.unique(result.error_table.code, return_counts=True)
        assert sorted((r[0], int(r[2])) for r in codes["rows"]) == sorted(
            (f"{c:06d}", k) for c, k in zip(values.tolist(), n.tolist())
        )
        assert int(codes["foot"][2]) == len(result.errors)
        money = next(t for (sec, _), t in tables.items() if sec == "amounts")
        per_mutuality = {(int(r[0]), r[1]): [cents(x) for x in r[2:]] for r in money["rows"]}
        for a in proposal["amounts"]:
            if a["record_type"] == "91":
                assert per_mutuality[(a["mutuality"], "A")] == [
                    a["requested_a"],
                    a["accepted_a"],
                    a["refused_a"],
                ]
            else:
                foot = [cents(x) for x in money["foot"][2:]]
                assert foot == [a["requested"], a["accepted"], a["refused"]]
        text = b.text()
        assert f"{result.error_ratio:.2f} %" in text
        # National numbers are masked by default: none of the sending's shows in clear.
        assert national_numbers and not any(n in text for n in national_numbers)
        plan = proposal["payment"]
        if plan is None:
            assert proposal["proposed"] == "DF013"
            assert b.js("return document.getElementById('account-flag') !== null")
            flagged = next(t for (sec, _), t in tables.items() if sec == "accounts")["rows"][0]
            assert flagged[1].startswith(proposal["accounts"][0]["iban"])
            assert flagged[2].startswith(proposal["accounts"][0]["registered_iban"])
            return
        paid = next(t for (sec, _), t in tables.items() if sec == "payment")
        assert [(r[1], cents(r[4])) for r in paid["rows"]] == [
            (p["iban"], p["amount"]) for p in plan["payments"]
        ]
        assert cents(paid["foot"][4]) == plan["total"] == proposal["amounts"][-1]["accepted"]

    return check


def _review_page(tmp: Path, flagged: bool) -> Page:
    from efact_edit import TODAY, Sending

    import vsbengine
    from vsbengine import review, signoff

    path = _sending(tmp, 0.0 if flagged else 0.01, "BE71096123456769" if flagged else None)
    engine = vsbengine.Engine(tmp / "refs", today=TODAY)
    result = engine.validate(str(path))
    assert result.decision == ("DF013" if flagged else "DF014")
    proposal = signoff.propose(result, tmp / "out", engine.refs)
    sent = Sending(path.read_bytes())
    insz = {sent.get(q, 36, 13)[2:] for q in sent.seqs("20")}  # record 20 zone 8a,8b
    return Page(
        tmp / "out" / review.FILE,
        [HOSTILE_FACILITY, HOSTILE_REFERENCE],
        HOSTILE_FACILITY,
        _review_numbers(result, proposal, insz),
    )


# -- the night's report -----------------------------------------------------------------------

HOSTILE_FILE = "<i>&a.920000"  # short: a file name may wrap in its cell anywhere
HOSTILE_SHORT = "Kliniek <script> & Zn"  # words that fit the narrow columns of the report


def _night_numbers(summary):
    from vsbengine import night

    def check(b: Browser) -> None:
        tables = {t["section"]: t for t in b.tables()}
        outcomes = {r[0]: int(r[1]) for r in tables["outcomes"]["rows"]}
        assert sum(outcomes.values()) == int(tables["outcomes"]["foot"][1]) == len(summary.files)
        rows = night.rows(summary)
        shown = tables["files"]["rows"]
        assert [r[0] for r in shown] == [Path(r.file).name for r in rows]
        assert shown[0][3] == "onleesbaar"  # the unreadable file first
        for cell, r in zip(shown, rows):
            assert cell[5] == ("" if r.records_total is None else str(r.records_total))
            assert (cents(cell[6]) if cell[6] else None) == r.amount_requested
            assert (cents(cell[7]) if cell[7] else None) == r.amount_accepted
        foot = tables["files"]["foot"]
        assert cents(foot[6]) == sum(r.amount_requested or 0 for r in rows)
        assert cents(foot[7]) == sum(r.amount_accepted or 0 for r in rows)

    return check


def _night_page(tmp: Path) -> Page:
    from efact_edit import TODAY

    from vsbengine import bulk

    path = _sending(tmp, 0.01, name=HOSTILE_SHORT)
    folder = tmp / "in"
    folder.mkdir()
    path.rename(folder / HOSTILE_FILE)
    rejected = _sending(tmp / "second", 0.3, name=HOSTILE_SHORT)
    rejected.rename(folder / "b.920000")
    (folder / "c.920000").write_bytes(b"not a sending\n")
    summary = bulk.run_local(
        [str(folder)], str(tmp / "out"), workers=0, today=TODAY, refs=str(tmp / "refs")
    )
    (page,) = (tmp / "out" / "runs").glob("*.html")
    return Page(page, [HOSTILE_FILE, HOSTILE_SHORT], "Nachtrapport", _night_numbers(summary))


PAGES: dict[str, Callable[[Path], Page]] = {
    "viplive-statement-chain": lambda tmp: _statement_page(tmp, per_practice=False),
    "viplive-statement-practice": lambda tmp: _statement_page(tmp, per_practice=True),
    "review-accepted": lambda tmp: _review_page(tmp, flagged=False),
    "review-account-flagged": lambda tmp: _review_page(tmp, flagged=True),
    "night-report": _night_page,
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
