"""Statements as files a practice can open: CSV (``;``, decimal comma, UTF-8 with
BOM so a Dutch spreadsheet opens it right) and a self-contained HTML page made
with the package's page templates (:mod:`vsbengine.pages`: no scripts, no
external resources, every value escaped).

Labels are Dutch: the readers are Dutch general practices.
"""

from __future__ import annotations

import csv
import datetime as _dt
import io
from pathlib import Path

import msgspec

from vsbengine import pages
from vsbengine.formats.viplive.files import write_atomic
from vsbengine.formats.viplive.money import euros_nl
from vsbengine.formats.viplive.specification import ChainStatement, Statement
from vsbengine.spreadsheet import safe_cell

__all__ = ["CSV_COLUMNS", "statement_csv", "statement_html", "write_statements"]

CSV_COLUMNS = (
    "kwartaal",
    "agb",
    "praktijk",
    "keten",
    "soort",
    "uzovi",
    "patienten",
    "bedrag",
    "datum",
    "omschrijving",
)


def _cell(text: str) -> str:
    """A text cell of the CSV: control characters replaced (a NUL stops CSV readers),
    formula-like text marked (:func:`~vsbengine.spreadsheet.safe_cell`)."""
    return safe_cell(pages.printable(text))


_OPEN_LABEL = {"to pay": "vl_open_to_pay", "to claim": "vl_open_to_claim"}


def _open_items(c: ChainStatement, lang: str) -> list[tuple[str, str, int]]:
    """What is still open on a chain, as ``(uzovi, text, cents)``: the page's table and
    the CSV's ``openstaand`` rows are both made from this.

    A claim booked by a round is money the practice still owes: nothing records that
    it was paid back, so it stays open (the care group decides how it is recovered).
    """
    return [
        (o.uzovi, pages.label(_OPEN_LABEL.get(o.kind, "vl_open_awaiting"), lang), o.amount)
        for o in c.open
    ] + [
        (k.uzovi, pages.label("vl_open_claim", lang, date=k.date.isoformat()), k.amount)
        for k in c.claims
    ]


def _csv_rows(s: Statement, c: ChainStatement):
    head = (s.quarter, s.agb, _cell(s.practice), c.chain)
    for i in c.insurers:
        yield head + (
            "toegekend",
            i.uzovi,
            i.patients,
            euros_nl(i.granted, False),
            i.downloaded.isoformat(),
            i.status,
        )
    for p in c.payments:
        yield head + (
            "betaald",
            "",
            "",
            euros_nl(p.amount, False),
            p.date.isoformat(),
            p.description,
        )
    claim_state = pages.label("vl_claim_open", "nl")
    for k in c.claims:
        yield head + (
            "gevorderd",
            k.uzovi,
            "",
            euros_nl(k.amount, False),
            k.date.isoformat(),
            claim_state,
        )
    for uzovi, text, cents in _open_items(c, "nl"):
        yield head + ("openstaand", uzovi, "", euros_nl(cents, False), "", text)


def statement_csv(s: Statement, chains: list[ChainStatement] | None = None) -> bytes:
    """The statement (or only ``chains`` of it) as CSV bytes."""
    buf = io.StringIO(newline="")
    w = csv.writer(buf, delimiter=";", lineterminator="\r\n")
    w.writerow(CSV_COLUMNS)
    for c in s.chains if chains is None else chains:
        w.writerows(_csv_rows(s, c))
    return b"\xef\xbb\xbf" + buf.getvalue().encode("utf-8")


class _Rows(msgspec.Struct, frozen=True):
    """The cells of one chain's tables, as the page shows them."""

    insurers: list[tuple]
    payments: list[tuple]
    claims: list[tuple]
    open: list[tuple]


def _chain_rows(c: ChainStatement, lang: str) -> _Rows:
    def eur(cents: int) -> str:
        return pages.amount(cents, lang)

    claim_state = pages.label("vl_claim_open", lang)
    return _Rows(
        insurers=[
            (i.uzovi, i.patients, eur(i.granted), i.status, i.downloaded.isoformat())
            for i in c.insurers
        ],
        payments=[(p.date.isoformat(), p.round, p.description, eur(p.amount)) for p in c.payments],
        claims=[
            (k.date.isoformat(), k.round, k.uzovi, claim_state, eur(k.amount)) for k in c.claims
        ],
        open=[(uzovi, text, eur(cents)) for uzovi, text, cents in _open_items(c, lang)],
    )


def statement_html(
    s: Statement,
    chains: list[ChainStatement] | None = None,
    *,
    care_group: str | None = None,
    made: _dt.date | None = None,
    lang: str = "nl",
) -> bytes:
    """The statement (or only ``chains`` of it) as a self-contained HTML page that names
    the care group (when known), the quarter and the date it was ``made`` (default:
    today). Dutch by default (the practices read it); ``lang="en"`` for English."""
    shown = s.chains if chains is None else chains
    overview = chains is None and len(s.chains) > 1

    def eur(cents: int) -> str:
        return pages.amount(cents, lang)

    return pages.render(
        "viplive_statement.html",
        lang=lang,
        made=made,
        statement=s,
        chains=shown,
        care_group=care_group,
        overview=overview,
        overview_rows=[
            (c.chain, c.patients, eur(c.granted), eur(c.paid), eur(c.claimed), eur(c.to_pay))
            for c in s.chains
        ]
        if overview
        else [],
        rows={c.chain: _chain_rows(c, lang) for c in shown},
    ).encode("utf-8")


def write_statements(
    statements: list[Statement],
    out: str | Path,
    per_practice: bool = False,
    *,
    care_group: str | None = None,
    made: _dt.date | None = None,
) -> list[Path]:
    """Write ``<out>/<quarter>/<agb>-<chain>.csv|.html`` per practice and chain, or with
    ``per_practice`` ``<agb>.csv|.html`` across chains; the pages name ``care_group`` and
    the date they were ``made`` (default: today). Returns the files written."""
    page = {"care_group": care_group, "made": made or _dt.date.today()}
    written = []
    for s in statements:
        folder = Path(out) / s.quarter
        if per_practice:
            written.append(write_atomic(folder / f"{s.agb}.csv", statement_csv(s)))
            written.append(write_atomic(folder / f"{s.agb}.html", statement_html(s, **page)))
            continue
        for c in s.chains:
            stem = f"{s.agb}-{c.chain}"
            written.append(write_atomic(folder / f"{stem}.csv", statement_csv(s, [c])))
            written.append(write_atomic(folder / f"{stem}.html", statement_html(s, [c], **page)))
    return written
