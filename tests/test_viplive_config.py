import sqlite3

import pytest
from viplive_helpers import CONFIG

from vsbengine.errors import ConfigError, InputError
from vsbengine.formats.viplive import (
    DEFAULT_CHAINS,
    Ledger,
    Quarter,
    description,
    invoice_number,
    load_config,
    load_mapping,
)


def _config(tmp_path, text):
    path = tmp_path / "c.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_without_a_file():
    conf = load_config(None)
    assert conf.care_group is None and conf.chains == DEFAULT_CHAINS
    assert DEFAULT_CHAINS == {"DM": 1, "CVRM": 2, "COPD": 3, "ASTMA": 4}


def test_a_full_configuration(tmp_path):
    conf = load_config(
        _config(
            tmp_path,
            CONFIG.replace('"NL91ABNA0417164300"', '"nl91 abna 0417 1643 00"')
            + "[chains]\ndm = 7\nAstma = 8\n",
        )
    )
    assert (conf.care_group.name, conf.care_group.iban, conf.care_group.bic) == (
        "Zorggroep Noorderlicht",
        "NL91ABNA0417164300",
        "ABNANL2A",
    )
    assert conf.chains == {"DM": 7, "ASTMA": 8}


@pytest.mark.parametrize(
    "text, message",
    [
        (CONFIG + "colour = 1\n", "Object contains unknown field `colour` - at `$.care_group`"),
        (
            "[columns]\nx = 1\n" + CONFIG,
            "Object contains unknown field `columns` - at the top level (known: care_group, "
            "chains)",
        ),
        (
            CONFIG.replace('bic = "ABNANL2A"', "bic = 12"),
            ("Expected `str`, got `int` - at `$.care_group.bic`"),
        ),
        (CONFIG.replace("ABNANL2A", "ABNA"), "care_group.bic is not a valid BIC"),
        (
            CONFIG.replace("Zorggroep Noorderlicht", "—"),
            "care_group.name has no letters or digits a SEPA payment can carry",
        ),
        (
            "[chains]\nDM = 1\nCVRM = 1\n",
            ("two chains have the same number (invoice numbers would collide)"),
        ),
        ("[chains]\nDM = 0\n", "chain DM needs a number from 1 to 999"),
        (
            '[chains]\n"DIABETES2" = 5\n',
            ("chain code 'DIABETES2' must be letters and digits (at most 8)"),
        ),
        ("[chains]\n", "the [chains] table is empty"),
        ("[care_group\n", "Expected ']'"),
    ],
)
def test_configuration_refusals(tmp_path, text, message):
    path = _config(tmp_path, text)
    with pytest.raises(ConfigError) as exc:
        load_config(path)
    assert str(exc.value).startswith(f"{path}: {message}")


def test_mapping_file(tmp_path):
    path = _config(tmp_path, '[columns]\n"Zorg-straat" = "Keten"\n"Bedrag (EUR)" = "bedrag"\n')
    assert load_mapping(path) == {"zorg_straat": "keten", "bedrag_(eur)": "bedrag"}
    with pytest.raises(ConfigError, match=r"'Colour' maps to 'kleur', which is not a column"):
        load_mapping(_config(tmp_path, '[columns]\nColour = "kleur"\n'))
    with pytest.raises(ConfigError, match=r"the header 'ZORGSTRAAT' is mapped twice"):
        load_mapping(_config(tmp_path, '[columns]\nzorgstraat = "keten"\nZORGSTRAAT = "keten"\n'))
    with pytest.raises(ConfigError, match=r"cannot read the mapping file"):
        load_mapping(tmp_path / "nope.toml")


def test_invoice_numbers_and_descriptions():
    q = Quarter(2021, 2)
    assert invoice_number(q, 1, 1, 1) == "20211-1-1"
    assert description("DM", q, invoice_number(q, 1, 1, 1)) == "DBC/DM/Q2/21/20211-1-1"
    assert (
        description("ASTMA", Quarter(2030, 4), invoice_number(Quarter(2030, 4), 4, 12, 345))
        == "DBC/ASTMA/Q4/30/20304-12-345"
    )
    assert description("DM", Quarter(2009, 1), "20091-1-1") == "DBC/DM/Q1/09/20091-1-1"
    with pytest.raises(ValueError):
        invoice_number(q, 1, 0, 1)
    with pytest.raises(ConfigError, match=r"longer than 35 characters"):
        description("OUDEREN1", q, invoice_number(q, 999, 1234, 12345))


def test_a_ledger_of_a_newer_version_is_refused(tmp_path):
    path = tmp_path / "l.sqlite"
    Ledger.open(path).close()
    with sqlite3.connect(path) as con:
        con.execute("PRAGMA user_version = 7")
    with pytest.raises(InputError, match=r"l.sqlite: ledger of a newer version \(7\)$"):
        Ledger.open(path)


def test_a_missing_ledger_opens_empty_without_being_made(tmp_path):
    with Ledger.open(tmp_path / "l.sqlite", create=False) as book:
        assert book.settled() == {} and book.rounds() == {}
    assert not (tmp_path / "l.sqlite").exists()
