"""The README's walkthrough on the sample files in tests/data/viplive, command by command."""

import json
from pathlib import Path

from typer.testing import CliRunner

from vsbengine.cli.main import app

DATA = Path(__file__).parent / "data" / "viplive"


def _run(*args):
    return CliRunner().invoke(app, ["viplive", *map(str, args)])


def _paid(data):
    return [(p["agb"], p["chain"], p["amount"], p["description"]) for p in data["payments"]]


def test_walkthrough(tmp_path):
    ledger, out = tmp_path / "ledger.sqlite", tmp_path / "out"
    common = ("--ledger", ledger, "--out", out, "--config", DATA / "config.toml", "--json")
    r = _run("pay", DATA / "export-2021-06-01.csv", "--round-date", "2021-06-01", *common)
    assert r.exit_code == 1  # one row refused, the rest paid
    first = json.loads(r.output)
    assert _paid(first) == [
        ("01000001", "DM", 556500, "DBC/DM/Q2/21/20211-1-1"),
        ("01000002", "DM", 609000, "DBC/DM/Q2/21/20211-1-2"),
        ("01000003", "DM", 262500, "DBC/DM/Q2/21/20211-1-3"),
        ("01000001", "CVRM", 126000, "DBC/CVRM/Q2/21/20212-1-1"),
    ]
    assert [(b["line"], b["column"]) for b in first["bad_rows"]] == [(9, "iban")]
    assert first["pending"][0]["reason"] == "the insurer has not decided yet"

    r = _run("pay", DATA / "export-2021-06-15.csv", "--round-date", "2021-06-15", *common)
    assert r.exit_code == 0
    second = json.loads(r.output)
    assert _paid(second) == [
        ("01000001", "DM", 21000, "DBC/DM/Q2/21/20211-2-1"),
        ("01000003", "CVRM", 71400, "DBC/CVRM/Q2/21/20212-2-1"),
        ("01000002", "COPD", 130500, "DBC/COPD/Q2/21/20213-2-1"),
    ]
    assert [(c["agb"], c["chain"], c["uzovi"], c["amount"]) for c in second["claims"]] == [
        ("01000001", "DM", "7029", 10500)
    ]

    r = _run("pay", DATA / "export-2021-06-15.csv", "--round-date", "2021-06-15", *common)
    assert json.loads(r.output)["payments"] == []  # the same round again pays nothing

    r = _run(
        "spec",
        "--ledger",
        ledger,
        "--quarter",
        "2021-Q2",
        "--out",
        tmp_path / "spec",
        "--per-practice",
    )
    assert r.exit_code == 0
    html = (tmp_path / "spec" / "2021-Q2" / "01000001.html").read_text("utf-8")
    assert "Huisartsenpraktijk Zoë de Vries" in html and "DBC/DM/Q2/21/20211-2-1" in html


def test_declaration_sample():
    r = _run(
        "declare",
        DATA / "inclusions.csv",
        "--quarter",
        "2021-Q2",
        "--tariffs",
        DATA / "tariffs.csv",
        "--json",
    )
    d = json.loads(r.output)
    assert [(x["chain"], x["uzovi"], x["agb"], x["patients"], x["amount"]) for x in d["lines"]] == [
        ("DM", "3311", "01000001", 2, 21000),
        ("DM", "3311", "01000002", 1, 10500),
        ("CVRM", "3311", "01000001", 1, 4200),
    ]
    assert d["amount"] == 35700 and d["refused"] == 1


def test_own_headers_with_the_mapping_sample():
    r = _run("check", DATA / "export-own-headers.csv", "--mapping", DATA / "mapping.toml")
    assert r.exit_code == 0
    assert "2 read, 2 good, 0 refused" in r.output
