"""The quarterly declaration: patients included on the reference date, per chain,
insurer and practice.

A patient counts for quarter Q when, on Q's reference date (1 January, 1 April,
1 July, 1 October), the inclusion has started (``included_from`` on or before
it), has not ended (``included_to`` empty, or on or after it: the end date is
the last day included) and the main treatment lies with the general practice
(``hoofdbehandelaar`` = ``huisarts``). Someone included after the reference
date therefore counts from the next quarter on. A patient counts at most once
per chain: a second row for the same patient and chain on the same reference
date is refused.

BSNs are checked (11-test) and used only to find those double rows; they never
appear in a result or a message.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from pathlib import Path

from vsbengine.formats.viplive import values
from vsbengine.formats.viplive.columns import INCLUSIONS, TARIFFS
from vsbengine.formats.viplive.config import DEFAULT_CHAINS
from vsbengine.formats.viplive.export import parse_row, too_wide
from vsbengine.formats.viplive.money import MAX_CENTS, max_text
from vsbengine.formats.viplive.problems import Problem, TableError
from vsbengine.formats.viplive.quarters import Quarter
from vsbengine.formats.viplive.records import Declaration, DeclarationLine
from vsbengine.formats.viplive.tables import open_table

__all__ = ["MAIN_TREATMENT", "declare", "load_tariffs"]

#: Who has the main treatment (hoofdbehandelaarschap), by folded spelling.
MAIN_TREATMENT = {
    "huisarts": "huisarts",
    "specialist": "specialist",
    "medisch_specialist": "specialist",
    "niet_geregeld": "niet geregeld",
    "niet_geregelde_zorg": "niet geregeld",
}

#: Why a good row is not counted (keys of ``Declaration.not_counted``).
NOT_COUNTED = (
    "included_after_reference_date",
    "ended_before_reference_date",
    "main_treatment_specialist",
    "main_treatment_not_arranged",
)


def _chain_parser(chains: Mapping[str, int]):
    lookup = {values.fold(c): c.upper() for c in chains}
    return lambda v: values.choice(v, lookup, "chain")


def load_tariffs(
    path: str | Path,
    quarter: Quarter,
    *,
    chains: Mapping[str, int] | None = None,
    mapping: Mapping[str, str] | None = None,
) -> dict[tuple[str, str], int]:
    """Tariffs of ``quarter`` as ``{(chain, uzovi): cents}``.

    Every row is checked (also those of other quarters); tariffs are reference
    data, so the first bad row stops the declaration.

    Raises
    ------
    TableError
        Unreadable file, missing column, a bad cell, or two tariffs for the
        same chain, insurer and quarter.
    """
    table = open_table(path, TARIFFS, mapping=mapping)
    chain = _chain_parser(chains or DEFAULT_CHAINS)
    parsers = (
        ("keten", chain),
        ("uzovi", lambda v: values.code(v, 4, "a UZOVI code")),
        ("quarter", values.quarter),
        ("tariff", _cents),
    )
    seen: dict[tuple, int] = {}
    found: dict[tuple[str, str], int] = {}
    for line, cells in table.rows():
        got = parse_row(table, line, cells, parsers)
        c, u, q, tariff = got
        if (c, u, q) in seen:
            raise TableError(
                f"a second tariff for {c}, {u}, {q} (line {seen[(c, u, q)]})",
                path=table.path,
                line=line,
            )
        seen[(c, u, q)] = line
        if q == quarter:
            found[(c, u)] = tariff
    return found


def _cents(value: object) -> int:
    try:
        return values.count(value, most=MAX_CENTS)
    except values.TooLarge:
        raise ValueError(f"more than {MAX_CENTS} cents ({max_text()})") from None
    except ValueError:
        raise ValueError("not a whole number of cents") from None


def declare(
    inclusions: str | Path,
    quarter: Quarter,
    *,
    tariffs: str | Path | None = None,
    modules: str | Path | None = None,
    chains: Mapping[str, int] | None = None,
    mapping: Mapping[str, str] | None = None,
) -> Declaration:
    """Count the patients to declare for ``quarter`` (see the module text for the rule).

    Bad rows (BSN failing the 11-test, unknown chain, bad dates, ...) are
    reported with file, line and column and not counted; the rest still count.
    With ``tariffs`` each line gets its tariff and amount (cents). With
    ``modules`` (care products, :func:`~vsbengine.formats.viplive.tariff.build_tariffs`)
    a line that the tariffs table gives no tariff gets its chain's built tariff.
    """
    chains = chains or DEFAULT_CHAINS
    table = open_table(
        inclusions,
        INCLUSIONS,
        required=[c for c in INCLUSIONS if c != "included_to"],
        mapping=mapping,
    )
    ref = quarter.reference_date
    parsers = [
        ("patient", values.bsn),
        ("agb", lambda v: values.code(v, 8, "an AGB code")),
        ("keten", _chain_parser(chains)),
        ("uzovi", lambda v: values.code(v, 4, "a UZOVI code")),
        ("included_from", values.date),
        ("included_to", lambda v: None if values.is_empty(v) else values.date(v)),
        ("hoofdbehandelaar", lambda v: values.choice(v, MAIN_TREATMENT, "main treatment")),
    ]
    columns = [
        (name, table.index.get(name), table.header(name) if name in table.index else name, parse)
        for name, parse in parsers
    ]
    counts: Counter = Counter()
    not_counted = dict.fromkeys(NOT_COUNTED, 0)
    counted_at: dict[tuple[str, str], int] = {}
    bad: list[Problem] = []
    rows = bad_lines = 0
    for line, cells in table.rows():
        rows += 1
        wide = too_wide(table, line, cells)
        if wide is not None:
            bad.append(wide)
            bad_lines += 1
            continue
        got, problems = [], []
        for _name, i, header, parse in columns:
            try:
                got.append(parse(None if i is None else cells[i]))
            except ValueError as exc:
                problems.append(Problem(table.path, line, header, str(exc)))
                got.append(None)
        bsn, agb, chain, uzovi, start, end, main = got
        if start is not None and end is not None and end < start:
            problems.append(Problem(table.path, line, columns[5][2], "ends before included_from"))
        if problems:
            bad.extend(problems)
            bad_lines += 1
            continue
        if start > ref:
            not_counted["included_after_reference_date"] += 1
        elif end is not None and end < ref:
            not_counted["ended_before_reference_date"] += 1
        elif main == "specialist":
            not_counted["main_treatment_specialist"] += 1
        elif main == "niet geregeld":
            not_counted["main_treatment_not_arranged"] += 1
        elif (bsn, chain) in counted_at:
            bad.append(
                Problem(
                    table.path,
                    line,
                    columns[0][2],
                    f"patient already counted for {chain} on {ref} "
                    f"(line {counted_at[(bsn, chain)]})",
                )
            )
            bad_lines += 1
        else:
            counted_at[(bsn, chain)] = line
            counts[(chain, uzovi, agb)] += 1
    counted_at.clear()
    table_tariffs = (
        load_tariffs(tariffs, quarter, chains=chains, mapping=mapping)
        if tariffs is not None
        else None
    )
    if modules is not None:
        from vsbengine.formats.viplive.tariff import build_tariffs

        built = {t.chain: t.tariff for t in build_tariffs(modules, chains=chains, mapping=mapping)}
        table_tariffs = dict(table_tariffs or {})
        for chain, uzovi, _agb in counts:
            if chain in built:
                table_tariffs.setdefault((chain, uzovi), built[chain])
    return _declaration(quarter, counts, table_tariffs, chains, not_counted, rows, bad_lines, bad)


def _declaration(quarter, counts, tariffs, chains, not_counted, rows, refused, bad) -> Declaration:
    lines, missing = [], set()
    for chain, uzovi, agb in sorted(counts, key=lambda k: (chains[k[0]], k[1], k[2])):
        n = counts[(chain, uzovi, agb)]
        tariff = None if tariffs is None else tariffs.get((chain, uzovi))
        if tariffs is not None and tariff is None:
            missing.add((chains[chain], chain, uzovi))
        lines.append(
            DeclarationLine(chain, uzovi, agb, n, tariff, None if tariff is None else n * tariff)
        )
    amount = sum(x.amount for x in lines) if tariffs is not None and not missing else None
    return Declaration(
        str(quarter),
        quarter.reference_date,
        lines,
        sum(x.patients for x in lines),
        amount,
        [f"{c}/{u}" for _, c, u in sorted(missing)],
        not_counted,
        rows,
        refused,
        bad,
    )
