"""Building a chain DBC's integral tariff from its care products (seed 003).

Seed 003: a chain DBC has one tariff for the care of every provider in the
chain, set from each care product's *occurrence* (the share of patients who
need it), its *duration* and the *tariff of the provider* who does it. So per
product::

    amount = occurrence (%) / 100 x minutes x tariff per minute (euro)

and the DBC's tariff is the sum over its products. Our reading, where the seed
is silent: amounts are exact decimals until each product is rounded to whole
cents (half up), and the tariff is the sum of the rounded products, so the
breakdown always adds up to the tariff. One table row per care product:

``keten`` (chain), ``zorgproduct`` (its name), ``zorgverlener`` (the provider
who does it: huisarts, praktijkondersteuner, dietist, ...), ``voorkomen``
(``80``, ``80%`` or ``12,5%``: 0 to 100), ``minuten`` (``20`` or ``7,5``) and
``tarief_per_minuut`` (euro, ``1,85`` or ``1.85``, up to four decimals).
A chain's product may appear once.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import msgspec

from vsbengine.formats.viplive import values
from vsbengine.formats.viplive.columns import MODULES
from vsbengine.formats.viplive.config import DEFAULT_CHAINS
from vsbengine.formats.viplive.export import parse_row
from vsbengine.formats.viplive.money import MAX_CENTS, max_text
from vsbengine.formats.viplive.problems import TableError
from vsbengine.formats.viplive.tables import open_table

__all__ = ["ChainTariff", "ProductLine", "build_tariffs"]

_NUMBER = re.compile(r"[0-9]+(?:[.,][0-9]+)?")


class ProductLine(msgspec.Struct, frozen=True):
    """One care product's part of a chain's tariff."""

    product: str
    provider: str
    occurrence: str  # percent, as a decimal text ("80", "12.5")
    minutes: str
    tariff_per_minute: str  # euro, decimal text
    amount: int  # cents, rounded half up
    line: int


class ChainTariff(msgspec.Struct, frozen=True):
    chain: str
    tariff: int  # cents: the sum of the products' amounts
    products: list[ProductLine]


def _decimal(value: object, what: str, places: int) -> Decimal:
    if values.is_empty(value):
        raise ValueError(f"empty, expected {what}")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        text = repr(value)
    else:
        text = str(value).strip().removeprefix("€").strip()
    if not _NUMBER.fullmatch(text):
        raise ValueError(f"not {what}")
    number = Decimal(text.replace(",", "."))
    if -number.as_tuple().exponent > places:
        raise ValueError(f"more than {places} decimals")
    return number


def _occurrence(value: object) -> Decimal:
    if isinstance(value, str):
        value = value.strip().removesuffix("%")
    share = _decimal(value, "a percentage from 0 to 100", 4)
    if share > 100:
        raise ValueError("more than 100 %")
    return share


def build_tariffs(
    path: str | Path,
    *,
    chains: Mapping[str, int] | None = None,
    mapping: Mapping[str, str] | None = None,
) -> list[ChainTariff]:
    """The tariff of every chain in the care-product table ``path``, in chain-number order.

    Raises
    ------
    TableError
        Unreadable, a missing column, a bad cell (file, line and column), or a
        product listed twice for a chain. The table is reference data: the
        first bad row stops it.
    """
    chains = chains or DEFAULT_CHAINS
    lookup = {values.fold(c): c.upper() for c in chains}
    table = open_table(path, MODULES, mapping=mapping)
    parsers = (
        ("keten", lambda v: values.choice(v, lookup, "chain")),
        ("zorgproduct", values.text),
        ("zorgverlener", values.text),
        ("voorkomen", _occurrence),
        ("minuten", lambda v: _decimal(v, "a number of minutes", 2)),
        ("tarief_per_minuut", lambda v: _decimal(v, "an amount in euro per minute", 4)),
    )
    per_chain: dict[str, list[ProductLine]] = {}
    seen: dict[tuple[str, str], int] = {}
    for line, cells in table.rows():
        got = parse_row(table, line, cells, parsers)
        chain, product, provider, share, minutes, rate = got
        key = (chain, values.fold(product))
        if key in seen:
            raise TableError(
                f"{product} is listed for {chain} before (line {seen[key]})",
                path=table.path,
                line=line,
                zone=table.header("zorgproduct"),
            )
        seen[key] = line
        exact = share / 100 * minutes * rate * 100
        if exact > MAX_CENTS:
            raise TableError(
                f"minutes times the tariff per minute come to more than {max_text()}",
                path=table.path,
                line=line,
                zone=table.header("tarief_per_minuut"),
            )
        amount = exact.quantize(Decimal(1), ROUND_HALF_UP)
        per_chain.setdefault(chain, []).append(
            ProductLine(product, provider, str(share), str(minutes), str(rate), int(amount), line)
        )
    return [
        ChainTariff(c, sum(p.amount for p in products), products)
        for c, products in sorted(per_chain.items(), key=lambda kv: chains[kv[0]])
    ]
