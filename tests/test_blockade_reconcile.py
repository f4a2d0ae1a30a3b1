"""Reconciliation: did an invoicing run send a unit of the list in force? (B1000, B1001)"""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from vsbengine.cli.main import app
from vsbengine.errors import InputError
from vsbengine.formats.blockade import build, reconcile

SCENARIO = Path(__file__).parent / "data" / "blockade" / "scenario"
INPUTS = {
    "controls": SCENARIO / "controls.csv",
    "actions": SCENARIO / "actions.csv",
    "loids": SCENARIO / "loids.csv",
    "lines": SCENARIO / "invoice_lines.csv",
}
BLOCKED = ["190004", "190013", "990000001", "990000002", "990000008", "990000010", "990000099"]


@pytest.fixture(scope="module")
def lists(tmp_path_factory) -> Path:
    """Lists of three days; on the 22nd, 990000008 (DBC closed on the 21st) is off the list."""
    root = tmp_path_factory.mktemp("lists")
    for day in (20, 21, 22):
        build(**INPUTS, date=dt.date(2024, 3, day), out=root / f"2024-03-{day}")
    return root


def rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle, delimiter=";"))


def cli(*args: str):
    return CliRunner().invoke(app, ["blockade", "reconcile", *args])


def test_a_blocked_unit_invoiced_exits_1(lists, tmp_path):
    result = cli(
        "--blockade", str(lists),
        "--run", str(SCENARIO / "run_invoiced.csv"),
        "--run-date", "2024-03-22",
        "--out", str(tmp_path),
    )  # fmt: skip
    assert result.exit_code == 1
    assert "7 units on the list, 1 invoiced, 6 not invoiced" in result.stdout
    assert "1 blocked unit(s) were invoiced" in result.stderr
    b1000 = rows(tmp_path / "B1000.csv")
    assert [r["Eenheid"] for r in b1000] == BLOCKED
    assert {r["Datum_blokkade_bestand"] for r in b1000} == {"2024-03-21"}
    assert {r["Facturatiedatum"] for r in b1000} == {"2024-03-22"}
    checks = {r["Eenheid"]: (r["facturatie_check"], r["Factuurnummers"]) for r in b1000}
    assert checks["990000002"] == ("Gefactureerd", "INV-3")
    assert checks["990000001"] == ("Niet gefactureerd", "")
    assert sum(r["facturatie_check"] == "Gefactureerd" for r in b1000) == 1


def test_b1001_totals_equal_b1000(lists, tmp_path):
    reconcile(
        blockade=lists,
        run=SCENARIO / "run_invoiced.csv",
        run_date=dt.date(2024, 3, 22),
        out=tmp_path,
    )
    b1000 = rows(tmp_path / "B1000.csv")
    (b1001,) = rows(tmp_path / "B1001.csv")
    assert b1001 == {
        "Facturatiedatum": "2024-03-22",
        "Datum_blokkade_bestand": "2024-03-21",
        "Eenheden_blokkadelijst": str(len(b1000)),
        "Gefactureerd": str(sum(r["facturatie_check"] == "Gefactureerd" for r in b1000)),
        "Niet_gefactureerd": str(sum(r["facturatie_check"] == "Niet gefactureerd" for r in b1000)),
        "Regels_run": "2",
        "Eenheden_run": "2",
    }


def test_a_run_that_held_exits_0(lists, tmp_path):
    result = cli(
        "--blockade", str(lists),
        "--run", str(SCENARIO / "run_held.csv"),
        "--run-date", "2024-03-22",
        "--out", str(tmp_path),
        "--json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["invoiced"] == 0
    assert summary["not_invoiced"] == summary["units_on_list"] == 7
    assert summary["blockade_date"] == "2024-03-21"
    assert {r["facturatie_check"] for r in rows(tmp_path / "B1000.csv")} == {"Niet gefactureerd"}


def test_the_most_recent_list_strictly_before_the_run_is_used(lists, tmp_path):
    result = reconcile(
        blockade=lists,
        run=SCENARIO / "run_held.csv",
        run_date=dt.date(2024, 3, 23),
        out=tmp_path,
    )
    assert result.blockade_date == dt.date(2024, 3, 22)
    assert [r["Eenheid"] for r in rows(tmp_path / "B1000.csv")] == [
        u for u in BLOCKED if u != "990000008"
    ]
    one = reconcile(
        blockade=lists / "2024-03-20",
        run=SCENARIO / "run_held.csv",
        run_date=dt.date(2024, 3, 23),
        out=tmp_path,
    )
    assert one.blockade_date == dt.date(2024, 3, 20)


def test_several_invoice_numbers_of_a_unit_are_named(lists, tmp_path):
    run = tmp_path / "run.csv"
    run.write_text(
        "unit,invoice_number,line_id\n"
        "990000002,INV-3,F003\n990000002,INV-2,F002\n990000001,INV-1,F001\n990000001,INV-1,F011\n"
    )
    result = reconcile(blockade=lists, run=run, run_date=dt.date(2024, 3, 22), out=tmp_path)
    assert (result.invoiced, result.run_lines, result.run_units) == (2, 4, 2)
    numbers = {r["Eenheid"]: r["Factuurnummers"] for r in rows(tmp_path / "B1000.csv")}
    assert numbers["990000002"] == "INV-2, INV-3"
    assert numbers["990000001"] == "INV-1"


def test_no_list_before_the_run(lists, tmp_path):
    with pytest.raises(InputError) as info:
        reconcile(
            blockade=lists,
            run=SCENARIO / "run_held.csv",
            run_date=dt.date(2024, 3, 20),
            out=tmp_path,
        )
    assert str(info.value) == (
        f"{lists}: no blockade list dated before 2024-03-20 "
        "(lists found: 2024-03-20, 2024-03-21, 2024-03-22)"
    )
    assert not (tmp_path / "B1000.csv").exists()


def test_bad_run_input_is_located_and_writes_nothing(lists, tmp_path):
    run = tmp_path / "run.csv"
    run.write_text("unit;invoice_number;line_id\n990000002;INV-3;F003\n990000001;INV-1;F003\n")
    result = cli(
        "--blockade", str(lists), "--run", str(run), "--run-date", "2024-03-22",
        "--out", str(tmp_path / "out"),
    )  # fmt: skip
    assert result.exit_code == 2
    assert result.stderr == (
        f"vsbengine: error: {run}, line 3, column line_id: duplicate line_id: already on line 2\n"
    )
    assert not (tmp_path / "out").exists()


def test_a_hand_edited_list_is_refused(lists, tmp_path):
    copy = tmp_path / "copy"
    build(**INPUTS, date=dt.date(2024, 3, 21), out=copy)
    (copy / "B0025.csv").write_text('"Eenheid";"Factuurregel";"Factuurnummer"\n')
    with pytest.raises(InputError, match="blockade lists are not edited by hand"):
        reconcile(
            blockade=copy,
            run=SCENARIO / "run_held.csv",
            run_date=dt.date(2024, 3, 22),
            out=tmp_path,
        )


# -- list folders and outputs as JSON Lines -----------------------------------------------------


def json_rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_bytes().split(b"\n")[:-1]]


@pytest.fixture(scope="module")
def json_lists(tmp_path_factory) -> Path:
    """The days of ``lists``, the 21st written as JSON Lines and the others as CSV."""
    root = tmp_path_factory.mktemp("json-lists")
    for day in (20, 21, 22):
        build(
            **INPUTS,
            date=dt.date(2024, 3, day),
            out=root / f"2024-03-{day}",
            output_format="jsonl" if day == 21 else "csv",
        )
    return root


def test_a_jsonl_list_reconciles_as_the_csv_list(lists, json_lists, tmp_path):
    args = {"run": SCENARIO / "run_invoiced.csv", "run_date": dt.date(2024, 3, 22)}
    from_csv = reconcile(blockade=lists, out=tmp_path / "csv", **args)
    from_json = reconcile(blockade=json_lists, out=tmp_path / "json", **args)
    assert from_json.blockade_list == str(json_lists / "2024-03-21")
    assert (from_json.invoiced, from_json.not_invoiced) == (from_csv.invoiced, 6)
    for name in ("B1000.csv", "B1001.csv"):
        assert (tmp_path / "json" / name).read_bytes() == (tmp_path / "csv" / name).read_bytes()


def test_reconcile_writes_jsonl(lists, tmp_path):
    result = reconcile(
        blockade=lists,
        run=SCENARIO / "run_invoiced.csv",
        run_date=dt.date(2024, 3, 22),
        out=tmp_path,
        output_format="jsonl",
    )
    assert sorted(result.files) == ["B1000.jsonl", "B1001.jsonl"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["B1000.jsonl", "B1001.jsonl"]
    b1000 = json_rows(tmp_path / "B1000.jsonl")
    assert [r["Eenheid"] for r in b1000] == BLOCKED
    assert b1000[BLOCKED.index("990000002")] == {
        "Eenheid": "990000002",
        "Soort": "ZP",
        "Datum_blokkade_bestand": "2024-03-21",
        "Facturatiedatum": "2024-03-22",
        "facturatie_check": "Gefactureerd",
        "Factuurnummers": "INV-3",
    }
    assert b1000[0]["Factuurnummers"] is None
    assert json_rows(tmp_path / "B1001.jsonl") == [
        {
            "Facturatiedatum": "2024-03-22",
            "Datum_blokkade_bestand": "2024-03-21",
            "Eenheden_blokkadelijst": 7,
            "Gefactureerd": 1,
            "Niet_gefactureerd": 6,
            "Regels_run": 2,
            "Eenheden_run": 2,
        }
    ]


def test_a_hand_edited_jsonl_list_is_refused(tmp_path):
    copy = tmp_path / "copy"
    build(**INPUTS, date=dt.date(2024, 3, 21), out=copy, output_format="jsonl")
    (copy / "B0025.jsonl").write_text('{"Eenheid": "990000002"}\n')
    with pytest.raises(InputError) as info:
        reconcile(
            blockade=copy,
            run=SCENARIO / "run_held.csv",
            run_date=dt.date(2024, 3, 22),
            out=tmp_path / "out",
        )
    assert str(info.value) == (
        f"{copy / 'B0025.jsonl'}: the file differs from the one the build wrote (its SHA-256 "
        "does not match manifest.json); blockade lists are not edited by hand"
    )
    assert not (tmp_path / "out").exists()


def test_cli_reconcile_format_jsonl(json_lists, tmp_path):
    result = cli(
        "--blockade", str(json_lists),
        "--run", str(SCENARIO / "run_invoiced.csv"),
        "--run-date", "2024-03-22",
        "--out", str(tmp_path),
        "--format", "jsonl",
    )  # fmt: skip
    assert result.exit_code == 1
    assert "7 units on the list, 1 invoiced, 6 not invoiced" in result.stdout
    assert result.stderr == "vsbengine: 1 blocked unit(s) were invoiced (see B1000.jsonl)\n"
    assert (tmp_path / "B1001.jsonl").is_file() and not (tmp_path / "B1000.csv").exists()
    bad = cli(
        "--blockade", str(json_lists), "--run", str(SCENARIO / "run_invoiced.csv"),
        "--run-date", "2024-03-22", "--out", str(tmp_path / "x"), "--format", "xml",
    )  # fmt: skip
    assert bad.exit_code == 2
    assert bad.stderr == "vsbengine: error: the output format is csv or jsonl, not 'xml'\n"
    assert not (tmp_path / "x").exists()
