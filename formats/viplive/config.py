"""The care group's configuration (``--config``, TOML)::

    [care_group]              # the debtor of the SEPA files
    name = "Zorggroep De Linde"
    iban = "NL91ABNA0417164300"
    bic = "ABNANL2A"

    [chains]                  # chain numbers in invoice numbers (these are the defaults)
    DM = 1
    CVRM = 2
    COPD = 3
    ASTMA = 4

The chains table also says which chains exist: a row with another chain code
is refused. Without a ``[chains]`` table the defaults above apply.
"""

from __future__ import annotations

import re
from pathlib import Path

import msgspec
from stdnum import bic as _bic
from stdnum import iban as _iban

from vsbengine.errors import ConfigError
from vsbengine.formats.sepa.credit_transfer import carries_text
from vsbengine.formats.viplive.files import read_toml

__all__ = ["DEFAULT_CHAINS", "CareGroup", "Config", "load_config"]

DEFAULT_CHAINS = {"DM": 1, "CVRM": 2, "COPD": 3, "ASTMA": 4}
_CHAIN_CODE = re.compile(r"[A-Z][A-Z0-9]{0,7}")


class CareGroup(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """The care group that pays: the debtor of the SEPA credit transfers."""

    name: str
    iban: str
    bic: str


class Config(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    care_group: CareGroup | None = None
    chains: dict[str, int] = msgspec.field(default_factory=lambda: dict(DEFAULT_CHAINS))


def _checked(conf: Config, where: str) -> Config:
    chains = {}
    for code, number in conf.chains.items():
        if not _CHAIN_CODE.fullmatch(code.upper()):
            raise ConfigError(
                f"{where}: chain code {code!r} must be letters and digits (at most 8)"
            )
        if number < 1 or number > 999:
            raise ConfigError(f"{where}: chain {code} needs a number from 1 to 999")
        chains[code.upper()] = number
    if len(set(chains.values())) != len(chains):
        raise ConfigError(
            f"{where}: two chains have the same number (invoice numbers would collide)"
        )
    if not chains:
        raise ConfigError(f"{where}: the [chains] table is empty")
    group = conf.care_group
    if group is not None:
        if not carries_text(group.name):
            raise ConfigError(
                f"{where}: care_group.name has no letters or digits a SEPA payment can carry"
            )
        if not _iban.is_valid(group.iban):
            raise ConfigError(f"{where}: care_group.iban is not a valid IBAN")
        if not _bic.is_valid(group.bic):
            raise ConfigError(f"{where}: care_group.bic is not a valid BIC")
        group = CareGroup(group.name.strip(), _iban.compact(group.iban), _bic.compact(group.bic))
    return Config(group, chains)


def load_config(path: str | Path | None) -> Config:
    """The configuration at ``path`` (defaults when ``None``).

    Raises
    ------
    vsbengine.ConfigError
        Unreadable, not TOML of that form (with the location msgspec gives),
        an invalid IBAN or BIC, or chain numbers that collide.
    """
    if path is None:
        return Config()
    return _checked(read_toml(path, Config, "configuration"), str(path))
