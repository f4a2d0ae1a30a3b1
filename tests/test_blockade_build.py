"""Building a blockade list from the hand-made scenario in tests/data/blockade/scenario.

The expected outcome below is worked out by hand from the scenario's files
(processing date 2024-03-21, automatic exclusion of DBCs started before 2016).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

import pytest

from vsbengine.errors import ConfigError
from vsbengine.formats.blockade import build

SCENARIO = Path(__file__).parent / "data" / "blockade" / "scenario"
DATE = dt.date(2024, 3, 21)

DEFAULT = "Default uitsluiting: de controle is voor alle klanten uitgesloten van blokkade"
CLIENT = "Uitsluiting klant: de klant heeft de controle uitgesloten van blokkade"
NOT_BLOCKING = "Controle staat niet op blokkade (B0001 Blokkade NEE)"
DBC_START = "Automatisch uitsluiten - DBC begindatum voor 2016-01-01"
OWN = "Automatisch genegeerd, geen openstaande acties"


def run_build(out: Path, **changes) -> Path:
    args = {
        "controls": SCENARIO / "controls.csv",
        "actions": SCENARIO / "actions.csv",
        "loids": SCENARIO / "loids.csv",
        "lines": SCENARIO / "invoice_lines.csv",
        "date": DATE,
        "out": out,
    }
    args.update(changes)
    build(**args)
    return out


def rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle, delimiter=";"))


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    return run_build(tmp_path_factory.mktemp("lists") / "2024-03-21")


@pytest.fixture(scope="module")
def r03271(built) -> dict[str, dict[str, str]]:
    return {row["Eenheid"]: row for row in rows(built / "R03271.csv")}


def test_the_folder_holds_the_lists_and_a_manifest(built):
    assert sorted(p.name for p in built.iterdir()) == [
        "B0001.csv",
        "B0010.csv",
        "B0025.csv",
        "B1010.csv",
        "B1020.csv",
        "R03271.csv",
        "manifest.json",
    ]
    manifest = json.loads((built / "manifest.json").read_text())
    assert manifest["date"] == "2024-03-21"
    assert manifest["exclude_before"] == "2016-01-01"
    assert manifest["units_blocked"] == 7
    assert manifest["files"]["B0010.csv"]["rows"] == 8


def test_r03271_has_one_row_per_unit_sorted(built, r03271):
    units = [row["Eenheid"] for row in rows(built / "R03271.csv")]
    assert units == sorted(units) == sorted(set(units))
    assert units == [
        "190001",
        "190002",
        "190003",
        "190004",
        "190013",
        "190050",
        "190070",
        "990000001",
        "990000002",
        "990000006",
        "990000007",
        "990000008",
        "990000010",
        "990000099",
    ]
    assert r03271["190001"]["Soort"] == "OZP"
    assert r03271["990000001"]["Soort"] == "ZP"


@pytest.mark.parametrize(
    ("unit", "remark", "explanation"),
    [
        ("190002", CLIENT, "R01000:A04 (genegeerd: uitsluiting klant)"),
        ("190003", NOT_BLOCKING, "R00300:A05 (genegeerd: controle niet blokkerend)"),
        ("990000006", DBC_START, "R00440D:A06 (genegeerd: DBC begindatum)"),
        ("990000007", OWN, "N2500:A07 (genegeerd: op eigen controle)"),
    ],
)
def test_each_ignore_reason_lands_in_the_remark_column(r03271, unit, remark, explanation):
    row = r03271[unit]
    assert row["Genegeerd"] == "JA"
    assert row["Opmerking_VC"] == remark
    assert row["Toelichting"] == explanation


def test_a_unit_ignored_for_two_reasons_names_both(r03271):
    row = r03271["190001"]
    assert row["Genegeerd"] == "JA"
    assert row["Opmerking_VC"] == f"{DEFAULT} | {CLIENT}"
    assert row["Toelichting"] == (
        "R01000:A16 (genegeerd: uitsluiting klant), R02560:A03 (genegeerd: default uitsluiting)"
    )
    assert row["Aantal_acties"] == "2"


def test_the_action_remark_is_kept(r03271):
    assert r03271["990000007"]["Opmerking_actie"] == "A07: dubbel; al gecorrigeerd"
    assert r03271["990000001"]["Opmerking_actie"] == ""


def test_every_action_on_a_unit_is_listed_blocking_or_not(r03271):
    row = r03271["990000002"]
    assert row["Genegeerd"] == "NEE"
    assert row["Opmerking_VC"] == ""
    assert row["Toelichting"] == "N2500:A02, R02560:A15 (genegeerd: default uitsluiting)"


def test_related_units_get_rows_of_their_own_with_control_and_activity(r03271):
    for unit, activity in (("190013", "039133"), ("990000099", "039134")):
        row = r03271[unit]
        assert row["Genegeerd"] == "NEE"
        assert row["Toelichting"] == "R00440D:A01"
        assert row["Toelichting_extra_blokkade"] == f"R00440D zorgactiviteit {activity} (actie A01)"
    assert r03271["990000001"]["Toelichting_extra_blokkade"] == ""


def test_related_units_are_ignored_with_their_initial_unit(r03271):
    # A03 is excluded by default: its unit 190001 and its related unit 190050 are ignored.
    assert r03271["190050"]["Genegeerd"] == "JA"
    assert r03271["190050"]["Opmerking_VC"] == DEFAULT
    assert r03271["190050"]["Toelichting_extra_blokkade"] == (
        "R02560 zorgactiviteit 011111 (actie A03)"
    )
    # A07 was ignored on its own control: so is its related unit 190070.
    assert r03271["190070"]["Genegeerd"] == "JA"
    assert r03271["190070"]["Opmerking_VC"] == OWN


def test_a_related_unit_blocked_by_its_own_action_stays_blocked(r03271):
    row = r03271["190004"]
    assert row["Genegeerd"] == "NEE"
    assert row["Toelichting"] == "N2500:A17, R02560:A03 (genegeerd: default uitsluiting)"
    assert row["Toelichting_extra_blokkade"] == "R02560 zorgactiviteit 011112 (actie A03)"


def test_dbc_closed_before_the_date_does_not_block_closed_on_the_date_does(r03271):
    # A08 (closed 2024-02-29) is dropped; A09 (closed on 2024-03-21) blocks the same unit.
    assert r03271["990000008"]["Toelichting"] == "R00440D:A09"
    assert r03271["990000008"]["Genegeerd"] == "NEE"


def test_loid_translation_uses_the_period_holding_the_dbc_start(r03271):
    # LOID-J: 990000010 until 2023-06-30 (inclusive), 990000011 after; the DBC started 2023-06-30.
    assert r03271["990000010"]["Toelichting"] == "R00440D:A14"
    assert "990000011" not in r03271
    # LOID-I starts in 2020; A13's DBC started in 2019: no unit.
    assert "990000009" not in r03271


def test_b0010_has_one_row_per_invoice_line_credit_and_debit(built):
    b0010 = rows(built / "B0010.csv")
    assert [(r["Eenheid"], r["Factuurregel"]) for r in b0010] == [
        ("190004", "F009"),
        ("190013", ""),
        ("990000001", "F001"),
        ("990000002", "F002"),
        ("990000002", "F003"),
        ("990000008", "F006"),
        ("990000010", "F007"),
        ("990000099", "F004"),
    ]
    two = [r for r in b0010 if r["Eenheid"] == "990000002"]
    assert [(r["Debet_credit"], r["Bedrag_centen"], r["Factuurnummer"]) for r in two] == [
        ("credit", "-5000", "INV-2"),
        ("debit", "5200", "INV-3"),
    ]
    assert {r["Controles"] for r in two} == {"N2500"}
    assert {r["Toelichting"] for r in two} == {"N2500:A02"}
    bare = next(r for r in b0010 if r["Eenheid"] == "190013")
    assert bare["Soort"] == "OZP"
    assert (bare["Factuurnummer"], bare["Debet_credit"], bare["Bedrag_centen"]) == ("", "", "")


def test_b0025_has_the_zis_columns_and_the_same_rows(built):
    b0010 = rows(built / "B0010.csv")
    b0025 = rows(built / "B0025.csv")
    assert list(b0025[0]) == ["Eenheid", "Factuurregel", "Factuurnummer"]
    assert [(r["Eenheid"], r["Factuurregel"], r["Factuurnummer"]) for r in b0010] == [
        (r["Eenheid"], r["Factuurregel"], r["Factuurnummer"]) for r in b0025
    ]


def test_b0001_lists_controls_in_production_with_blokkade(built):
    b0001 = {r["Controle"]: r for r in rows(built / "B0001.csv")}
    assert sorted(b0001) == ["N2500", "R00300", "R00440D", "R01000", "R02560"]
    assert {c: r["Blokkade"] for c, r in b0001.items()} == {
        "N2500": "JA",
        "R00300": "NEE",
        "R00440D": "JA",
        "R01000": "NEE",
        "R02560": "NEE",
    }
    assert b0001["R02560"]["Ingesteld_blokkerend"] == "JA"
    assert b0001["R02560"]["Default_uitsluiting"] == "JA"
    assert (b0001["R00440D"]["Acties"], b0001["R00440D"]["Blokkerende_acties"]) == ("8", "3")
    assert (b0001["N2500"]["Acties"], b0001["N2500"]["Blokkerende_acties"]) == ("3", "2")


def b1010(folder: Path) -> dict[tuple[str, str], int]:
    return {(r["Stap"], r["Meting"]): int(r["Aantal"]) for r in rows(folder / "B1010.csv")}


def test_b1010_counts_every_step(built):
    counts = b1010(built)
    assert counts == {
        ("1", "Acties_gelezen"): 17,
        ("1", "Uitgevallen_controle_niet_in_productie"): 1,
        ("1", "Uitgevallen_geen_dbc"): 1,
        ("1", "Acties"): 15,
        ("2", "Acties_in"): 15,
        ("2", "Uitgevallen_loid_onbekend"): 1,
        ("2", "Uitgevallen_loid_niet_geldig"): 1,
        ("2", "Acties"): 13,
        ("3-4", "Acties_in"): 13,
        ("3-4", "Regels_loid"): 13,
        ("3-4", "Regels_verwant"): 5,
        ("3-4", "Eenheden"): 14,
        ("3-4", "ZP"): 7,
        ("3-4", "OZP"): 7,
        ("5.0", "Acties_in"): 13,
        ("5.0", "Uitgevallen_dbc_gesloten"): 1,
        ("5.0", "Genegeerd_default_uitsluiting"): 2,
        ("5.0", "Genegeerd_klant_uitsluiting"): 2,
        ("5.0", "Genegeerd_niet_blokkerend"): 1,
        ("5.0", "Genegeerd_dbc_begindatum"): 1,
        ("5.0", "Genegeerd_eigen_controle"): 1,
        ("5.0", "Blokkerend"): 5,
        ("5.1", "Acties"): 5,
        ("5.1", "Regels"): 7,
        ("5.1", "Totaal_zp_ozp"): 7,
        ("5.1", "ZP"): 5,
        ("5.1", "OZP"): 2,
        ("6", "R03271_eenheden"): 14,
        ("6", "R03271_genegeerd"): 7,
        ("6", "R03271_niet_genegeerd"): 7,
        ("6", "Factuurregels"): 7,
        ("6", "Eenheden_zonder_factuurregel"): 1,
        ("6", "B0010_regels"): 8,
        ("6", "B0010_eenheden"): 7,
        ("6", "B0025_regels"): 8,
        ("6", "B0025_eenheden"): 7,
        ("6", "Aansluiting"): 1,
    }


def check_identities(folder: Path) -> None:
    """The identities B1010 proves, checked against the lists themselves."""
    c = b1010(folder)
    dropped_1 = c["1", "Uitgevallen_controle_niet_in_productie"] + c["1", "Uitgevallen_geen_dbc"]
    assert c["1", "Acties_gelezen"] == c["1", "Acties"] + dropped_1
    assert c["2", "Acties_in"] == c["1", "Acties"]
    dropped_2 = c["2", "Uitgevallen_loid_onbekend"] + c["2", "Uitgevallen_loid_niet_geldig"]
    assert c["2", "Acties_in"] == c["2", "Acties"] + dropped_2
    assert c["3-4", "Acties_in"] == c["2", "Acties"] == c["5.0", "Acties_in"]
    assert c["3-4", "Eenheden"] == c["3-4", "ZP"] + c["3-4", "OZP"]
    outcomes = [m for (stap, m) in c if stap == "5.0" and m != "Acties_in"]
    assert len(outcomes) == 7
    assert c["5.0", "Acties_in"] == sum(c["5.0", m] for m in outcomes)
    assert c["5.1", "Acties"] == c["5.0", "Blokkerend"]
    assert c["5.1", "Totaal_zp_ozp"] == c["5.1", "ZP"] + c["5.1", "OZP"]

    r03271 = rows(folder / "R03271.csv")
    blocked = {r["Eenheid"] for r in r03271 if r["Genegeerd"] == "NEE"}
    b0010 = rows(folder / "B0010.csv")
    b0025 = rows(folder / "B0025.csv")
    assert c["6", "R03271_eenheden"] == len(r03271)
    assert c["6", "R03271_niet_genegeerd"] == len(blocked) == c["5.1", "Totaal_zp_ozp"]
    assert c["6", "R03271_eenheden"] == c["6", "R03271_genegeerd"] + len(blocked)
    assert {r["Eenheid"] for r in b0010} == {r["Eenheid"] for r in b0025} == blocked
    assert c["6", "B0010_eenheden"] == c["6", "B0025_eenheden"] == len(blocked)
    assert c["6", "B0010_regels"] == len(b0010) == c["6", "B0025_regels"] == len(b0025)
    bare = sum(1 for r in b0010 if r["Factuurregel"] == "")
    assert c["6", "Eenheden_zonder_factuurregel"] == bare
    assert c["6", "B0010_regels"] == c["6", "Factuurregels"] + bare


def test_b1010_identities_hold_against_the_lists(built):
    check_identities(built)


def test_a_rerun_is_byte_identical(built, tmp_path):
    again = run_build(tmp_path / "again")
    for path in built.iterdir():
        assert (again / path.name).read_bytes() == path.read_bytes(), path.name


def test_exclude_before_moves_the_automatic_exclusion(tmp_path):
    out = run_build(tmp_path / "list", exclude_before=dt.date(2015, 1, 1))
    by_unit = {r["Eenheid"]: r for r in rows(out / "R03271.csv")}
    assert by_unit["990000006"]["Genegeerd"] == "NEE"
    assert b1010(out)["5.0", "Genegeerd_dbc_begindatum"] == 0


def test_an_earlier_list_in_the_out_folder_is_replaced_whole(built, tmp_path):
    out = run_build(tmp_path / "list")
    (out / "stray.txt").write_text("left from before")
    run_build(out)
    assert not (out / "stray.txt").exists()
    assert (out / "B0025.csv").read_bytes() == (built / "B0025.csv").read_bytes()
    assert [p.name for p in tmp_path.iterdir()] == ["list"]


def test_a_folder_that_is_not_a_list_is_not_replaced(tmp_path):
    out = tmp_path / "precious"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    with pytest.raises(ConfigError, match="not a blockade list folder"):
        run_build(out)
    assert [p.name for p in out.iterdir()] == ["keep.txt"]


def test_header_only_inputs_give_empty_connected_lists(tmp_path):
    empty = {}
    for key, name in (("actions", "actions.csv"), ("loids", "loids.csv")):
        empty[key] = tmp_path / name
        empty[key].write_text((SCENARIO / name).read_text().splitlines()[0] + "\n")
    out = run_build(tmp_path / "list", **empty)
    assert rows(out / "R03271.csv") == []
    assert rows(out / "B0025.csv") == []
    counts = b1010(out)
    assert counts["1", "Acties_gelezen"] == 0
    assert counts["6", "Aansluiting"] == 1
