"""The input contract in one place: the columns each table has, and the mapping
file that renames a customer's own headers to them.

Headers are matched case-insensitively, without accents, with spaces, ``-``
and ``_`` alike (``Download datum`` is ``download_datum``). A mapping file
(TOML) renames what is left::

    [columns]
    "Zorgstraat" = "keten"
    "AGB praktijk" = "agb"
    "Toegekend bedrag" = "bedrag"
"""

from __future__ import annotations

from pathlib import Path

import msgspec

from vsbengine.errors import ConfigError
from vsbengine.formats.viplive.files import read_toml
from vsbengine.formats.viplive.values import fold

__all__ = ["EXPORT", "INCLUSIONS", "MODULES", "TARIFFS", "load_mapping"]

#: A VIPLive export: one row per practice, chain, quarter and insurer.
EXPORT = (
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
)
#: Inclusions for the quarterly declaration: one row per patient and chain.
INCLUSIONS = (
    "patient",
    "agb",
    "keten",
    "uzovi",
    "included_from",
    "included_to",
    "hoofdbehandelaar",
)
#: Integral tariffs per chain, insurer and quarter, in cents.
TARIFFS = ("keten", "uzovi", "quarter", "tariff")
#: Care products of a chain DBC, from which its tariff is built (seed 003).
MODULES = (
    "keten",
    "zorgproduct",
    "zorgverlener",
    "voorkomen",
    "minuten",
    "tarief_per_minuut",
)

_ALL = frozenset(EXPORT + INCLUSIONS + TARIFFS + MODULES)


class _MappingFile(msgspec.Struct, forbid_unknown_fields=True):
    columns: dict[str, str] = {}


def load_mapping(path: str | Path) -> dict[str, str]:
    """The mapping file at ``path`` as ``{folded customer header: our column}``.

    Raises
    ------
    vsbengine.ConfigError
        The file cannot be read, is not TOML of that form, or maps to a column
        that does not exist or maps two headers to the same column.
    """
    raw = read_toml(path, _MappingFile, "mapping file")
    mapping: dict[str, str] = {}
    for theirs, ours in raw.columns.items():
        target = fold(ours)
        if target not in _ALL:
            raise ConfigError(
                f"{path}: {theirs!r} maps to {ours!r}, which is not a column "
                f"(known: {', '.join(sorted(_ALL))})"
            )
        if fold(theirs) in mapping:
            raise ConfigError(f"{path}: the header {theirs!r} is mapped twice")
        mapping[fold(theirs)] = target
    return mapping
