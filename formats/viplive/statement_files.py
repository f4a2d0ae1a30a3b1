"""Statements as files a practice can open: CSV (``;``, decimal comma, UTF-8 with
BOM so a Dutch spreadsheet opens it right) and a small self-contained HTML page
(no scripts, no external resources, every value escaped).

Labels are Dutch: the readers are Dutch general practices.
"""

from __future__ import annotations

import csv
import io
from html import escape
from pathlib import Path

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
_OPEN = {
    "to pay": "nog te betalen",
    "to claim": "nog terug te vorderen",
    "awaiting insurer": "in behandeling bij de zorgverzekeraar",
}


_cell = safe_cell


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
    for k in c.claims:
        yield head + (
            "teruggevorderd",
            k.uzovi,
            "",
            euros_nl(k.amount, False),
            k.date.isoformat(),
            "toekenning verlaagd",
        )
    for o in c.open:
        yield head + ("openstaand", o.uzovi, "", euros_nl(o.amount, False), "", _OPEN[o.kind])


def statement_csv(s: Statement, chains: list[ChainStatement] | None = None) -> bytes:
    """The statement (or only ``chains`` of it) as CSV bytes."""
    buf = io.StringIO(newline="")
    w = csv.writer(buf, delimiter=";", lineterminator="\r\n")
    w.writerow(CSV_COLUMNS)
    for c in s.chains if chains is None else chains:
        w.writerows(_csv_rows(s, c))
    return b"\xef\xbb\xbf" + buf.getvalue().encode("utf-8")


_STYLE = """body{font-family:system-ui,sans-serif;margin:2em;color:#222;max-width:60em}
table{border-collapse:collapse;margin:.5em 0 1.2em}th,td{border:1px solid #bbb;padding:.25em .6em}
th{background:#eee;text-align:left}td.n{text-align:right;font-variant-numeric:tabular-nums}
tfoot td{font-weight:bold}h2{margin-top:1.6em;border-bottom:2px solid #444}
.muted{color:#666}"""


def _eur(cents: int) -> str:
    return f"&euro;&nbsp;{escape(euros_nl(cents))}"


def _table(headers, rows, numeric=(), foot=None) -> str:
    if not rows:
        return '<p class="muted">Geen.</p>'
    out = [
        "<table><thead><tr>",
        *(f"<th>{escape(h)}</th>" for h in headers),
        "</tr></thead><tbody>",
    ]
    for row in rows:
        out.append(
            "<tr>"
            + "".join(
                f'<td class="n">{v}</td>' if i in numeric else f"<td>{v}</td>"
                for i, v in enumerate(row)
            )
            + "</tr>"
        )
    out.append("</tbody>")
    if foot is not None:
        out.append(
            "<tfoot><tr>"
            + "".join(
                f'<td class="n">{v}</td>' if i in numeric else f"<td>{v}</td>"
                for i, v in enumerate(foot)
            )
            + "</tr></tfoot>"
        )
    out.append("</table>")
    return "".join(out)


def _chain_html(c: ChainStatement) -> str:
    e = escape
    parts = [
        f"<h2>Keten {e(c.chain)}</h2>",
        "<h3>Toegekend</h3>",
        _table(
            ("Zorgverzekeraar (UZOVI)", "Patiënten", "Bedrag", "Status", "Stand op"),
            [
                (e(i.uzovi), i.patients, _eur(i.granted), e(i.status), e(i.downloaded.isoformat()))
                for i in c.insurers
            ],
            numeric=(1, 2),
            foot=("Totaal toegekend", c.patients, _eur(c.granted), "", ""),
        ),
    ]
    parts += [
        "<h3>Betalingen</h3>",
        _table(
            ("Datum", "Ronde", "Omschrijving", "Bedrag"),
            [
                (e(p.date.isoformat()), p.round, e(p.description), _eur(p.amount))
                for p in c.payments
            ],
            numeric=(1, 3),
            foot=("Totaal betaald", "", "", _eur(c.paid)) if c.payments else None,
        ),
    ]
    if c.claims:
        parts += [
            "<h3>Terugvorderingen</h3>",
            _table(
                ("Datum", "Ronde", "Zorgverzekeraar (UZOVI)", "Bedrag"),
                [(e(k.date.isoformat()), k.round, e(k.uzovi), _eur(k.amount)) for k in c.claims],
                numeric=(1, 3),
            ),
        ]
    parts += [
        "<h3>Nog openstaand</h3>",
        _table(
            ("Zorgverzekeraar (UZOVI)", "Wat", "Bedrag"),
            [(e(o.uzovi), e(_OPEN[o.kind]), _eur(o.amount)) for o in c.open],
            numeric=(2,),
        ),
    ]
    return "".join(parts)


def statement_html(s: Statement, chains: list[ChainStatement] | None = None) -> bytes:
    """The statement (or only ``chains`` of it) as a self-contained HTML page."""
    e = escape
    shown = s.chains if chains is None else chains
    what = ", ".join(c.chain for c in shown)
    title = f"Specificatie ketenzorg {s.quarter} {what}: {s.practice}"
    body = [
        f"<h1>Specificatie ketenzorg {e(s.quarter)}</h1>",
        (
            f"<p><strong>{e(s.practice)}</strong> &middot; AGB {e(s.agb)} &middot; "
            f"IBAN {e(s.iban)}</p>"
        ),
    ]
    if chains is None and len(s.chains) > 1:
        body += [
            "<h2>Overzicht</h2>",
            _table(
                ("Keten", "Patiënten", "Toegekend", "Betaald", "Teruggevorderd", "Nog te betalen"),
                [
                    (
                        e(c.chain),
                        c.patients,
                        _eur(c.granted),
                        _eur(c.paid),
                        _eur(c.claimed),
                        _eur(c.to_pay),
                    )
                    for c in s.chains
                ],
                numeric=(1, 2, 3, 4, 5),
                foot=(
                    "Totaal",
                    s.patients,
                    _eur(s.granted),
                    _eur(s.paid),
                    _eur(s.claimed),
                    _eur(s.to_pay),
                ),
            ),
        ]
    body += [_chain_html(c) for c in shown]
    body.append(
        '<p class="muted">Bedragen per keten zoals toegekend door de zorgverzekeraars '
        "(via VECOZO) en uitbetaald door de zorggroep. Omschrijving van een betaling: "
        "DBC/keten/kwartaal/jaar/factuurnummer.</p>"
    )
    page = (
        f'<!DOCTYPE html>\n<html lang="nl"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{e(title)}</title><style>{_STYLE}</style></head>\n<body>\n"
        + "\n".join(body)
        + "\n</body></html>\n"
    )
    return page.encode("utf-8")


def write_statements(
    statements: list[Statement], out: str | Path, per_practice: bool = False
) -> list[Path]:
    """Write ``<out>/<quarter>/<agb>-<chain>.csv|.html`` per practice and chain, or with
    ``per_practice`` ``<agb>.csv|.html`` across chains. Returns the files written."""
    written = []
    for s in statements:
        folder = Path(out) / s.quarter
        if per_practice:
            written.append(write_atomic(folder / f"{s.agb}.csv", statement_csv(s)))
            written.append(write_atomic(folder / f"{s.agb}.html", statement_html(s)))
            continue
        for c in s.chains:
            stem = f"{s.agb}-{c.chain}"
            written.append(write_atomic(folder / f"{stem}.csv", statement_csv(s, [c])))
            written.append(write_atomic(folder / f"{stem}.html", statement_html(s, [c])))
    return written
