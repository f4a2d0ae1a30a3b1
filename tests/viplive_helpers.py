"""Test data for the VIPLive side: exports, inclusions and configuration, made here."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

from stdnum import iban as _iban
from stdnum.nl import bsn as _bsn

HEADER = [
    "keten",
    "kwartaal",
    "agb",
    "praktijk",
    "iban",
    "uzovi",
    "patienten",
    "bedrag",
    "status",
    "download_datum",
]
INCLUSION_HEADER = [
    "patient",
    "agb",
    "keten",
    "uzovi",
    "included_from",
    "included_to",
    "hoofdbehandelaar",
]

CONFIG = """\
[care_group]
name = "Zorggroep Noorderlicht"
iban = "NL91ABNA0417164300"
bic = "ABNANL2A"
"""

NOW = dt.datetime(2021, 5, 28, 9, 30, tzinfo=dt.timezone.utc)


def iban_for(n: int) -> str:
    """A valid Dutch IBAN, different for every ``n``."""
    bban = f"RABO{n:010d}"
    return f"NL{_iban.calc_check_digits('NLXX' + bban)}{bban}"


def agb_for(n: int) -> str:
    return f"01{n:06d}"


def bsn_for(n: int) -> str:
    """The ``n``-th valid BSN from 100000000 on (11-test)."""
    found = 0
    for candidate in range(100_000_000, 999_999_999):
        if _bsn.is_valid(str(candidate)):
            if found == n:
                return str(candidate)
            found += 1
    raise AssertionError("unreachable")


def row(
    chain="DM",
    quarter="2021-Q2",
    practice=1,
    uzovi="3311",
    patients=10,
    amount="1.000,00",
    status="toegekend",
    day="2021-05-27",
    name=None,
    iban=None,
) -> list:
    return [
        chain,
        quarter,
        agb_for(practice),
        f"Huisartsenpraktijk {practice}" if name is None else name,
        iban or iban_for(practice),
        uzovi,
        patients,
        amount,
        status,
        day,
    ]


def write_csv(path: Path, rows, *, delimiter=";", encoding="utf-8", header=HEADER) -> Path:
    with open(path, "w", encoding=encoding, newline="") as fh:
        w = csv.writer(fh, delimiter=delimiter, lineterminator="\r\n")
        w.writerow(header)
        w.writerows(rows)
    return path


def write_xlsx(path: Path, rows, *, header=HEADER) -> Path:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(header)
    for r in rows:
        ws.append(r)
    wb.save(path)
    return path


def write_config(folder: Path, text: str = CONFIG) -> Path:
    path = folder / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path
