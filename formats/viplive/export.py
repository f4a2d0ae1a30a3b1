"""Reading VIPLive exports (CSV or XLSX) into validated rows.

Every cell is checked; a row with a bad cell is reported (file, line, column)
and left out, the good rows go on. Input that cannot be read at all (missing
column, unknown encoding) raises :class:`~vsbengine.formats.viplive.problems.TableError`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

from vsbengine.formats.sepa.credit_transfer import carries_text
from vsbengine.formats.viplive import values
from vsbengine.formats.viplive.columns import EXPORT
from vsbengine.formats.viplive.config import DEFAULT_CHAINS
from vsbengine.formats.viplive.money import cents
from vsbengine.formats.viplive.problems import Problem, TableError
from vsbengine.formats.viplive.records import ExportRead, Grant, Held, SourceFile
from vsbengine.formats.viplive.tables import Table, open_table

#: The cells of a refused row that make it hold its key back (see Held).
_HELD = ("kwartaal", "keten", "agb", "uzovi", "download_datum")

__all__ = ["STATUSES", "read_exports"]

#: Statuses of a grant, by folded spelling.
STATUSES = {"toegekend": "toegekend", "afgewezen": "afgewezen", "in_behandeling": "in behandeling"}


def _practice(value: object) -> str:
    name = values.text(value)
    if not carries_text(name):
        raise ValueError("no letters or digits a SEPA payment can carry")
    return name


def _parsers(chains: Mapping[str, int]):
    lookup = {values.fold(c): c.upper() for c in chains}
    return {
        "keten": lambda v: values.choice(v, lookup, "chain"),
        "kwartaal": lambda v: str(values.quarter(v)),
        "agb": lambda v: values.code(v, 8, "an AGB code"),
        "praktijk": _practice,
        "iban": values.iban,
        "uzovi": lambda v: values.code(v, 4, "a UZOVI code"),
        "patienten": values.count,
        "bedrag": cents,
        "status": lambda v: values.choice(v, STATUSES, "status"),
        "download_datum": values.date,
    }


def too_wide(table: Table, line: int, cells: list) -> Problem | None:
    """The problem of a row with more cells than the header has, if it has."""
    if len(cells) > table.width:
        return Problem(table.path, line, None, f"{len(cells)} fields, the header has {table.width}")
    return None


def parse_row(table: Table, line: int, cells: list, parsers) -> list:
    """The parsed cells of one row of reference data (``parsers``: ``(column, parse)``
    pairs); the first bad cell stops the command as a located :class:`TableError`."""
    wide = too_wide(table, line, cells)
    if wide is not None:
        raise TableError(wide.message, path=table.path, line=line)
    got = []
    for name, parse in parsers:
        try:
            got.append(parse(cells[table.index[name]]))
        except ValueError as exc:
            raise TableError(
                str(exc), path=table.path, line=line, zone=table.header(name)
            ) from None
    return got


def _read_one(
    table: Table, parsers, grants: list[Grant], bad: list[Problem], held: list[Held]
) -> int:
    columns = [(name, table.index[name], table.header(name), parsers[name]) for name in EXPORT]
    path = table.path
    n = 0
    for line, cells in table.rows():
        n += 1
        wide = too_wide(table, line, cells)
        if wide is not None:
            bad.append(wide)
            continue
        got = []
        ok = True
        read = {}
        for name, i, header, parse in columns:
            try:
                got.append(value := parse(cells[i]))
                read[name] = value
            except ValueError as exc:
                bad.append(Problem(path, line, header, str(exc)))
                ok = False
        if not ok and all(k in read for k in _HELD):
            # A newer download with a bad cell holds its key back (see Held).
            held.append(
                Held(
                    read["kwartaal"],
                    read["keten"],
                    read["agb"],
                    read["uzovi"],
                    read["download_datum"],
                    path,
                    line,
                )
            )
        if ok:
            chain, quarter, agb, practice, iban, uzovi, patients, amount, status, day = got
            grants.append(
                Grant(
                    quarter,
                    chain,
                    agb,
                    practice,
                    iban,
                    uzovi,
                    patients,
                    amount,
                    status,
                    day,
                    path,
                    line,
                )
            )
    return n


def read_exports(
    paths: Iterable[str | Path],
    *,
    chains: Mapping[str, int] | None = None,
    mapping: Mapping[str, str] | None = None,
) -> ExportRead:
    """Read and check VIPLive exports.

    Parameters
    ----------
    paths
        CSV or XLSX files, in the order given (that order is part of the input:
        it decides which of two identical rows is kept).
    chains
        Known chain codes (their numbers are not used here); default DM, CVRM,
        COPD, ASTMA.
    mapping
        Customer header -> our column, from :func:`~vsbengine.formats.viplive.columns.load_mapping`.

    Returns
    -------
    ExportRead
        The good rows, the bad ones, and per file what was detected.
    """
    parsers = _parsers(chains or DEFAULT_CHAINS)
    grants: list[Grant] = []
    bad: list[Problem] = []
    held: list[Held] = []
    files = []
    total = 0
    for path in paths:
        table = open_table(path, EXPORT, mapping=mapping)
        n = _read_one(table, parsers, grants, bad, held)
        files.append(
            SourceFile(
                table.path,
                table.kind,
                table.encoding,
                table.delimiter,
                n,
                {c: table.header(c) for c in EXPORT},
            )
        )
        total += n
    return ExportRead(grants, bad, total, files, held)
