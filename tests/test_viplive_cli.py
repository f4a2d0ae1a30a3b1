import json
import sqlite3

import pytest
from typer.testing import CliRunner
from viplive_helpers import INCLUSION_HEADER, agb_for, bsn_for, row, write_config, write_csv

from vsbengine.cli.main import app


@pytest.fixture
def cli():
    runner = CliRunner()

    def invoke(*args):
        return runner.invoke(app, ["viplive", *map(str, args)])

    return invoke


@pytest.fixture
def files(tmp_path):
    export = write_csv(
        tmp_path / "export.csv",
        [
            row("DM", practice=1, amount="1.234,56"),
            row("CVRM", practice=1, amount="100"),
            row("DM", practice=2, amount="12,5"),
            row("DM", practice=3, uzovi="33a1"),
        ],
    )
    return tmp_path, export, write_config(tmp_path)


def test_pay_prints_the_json_summary_and_exits_1_for_refused_rows(cli, files):
    tmp, export, config = files
    r = cli(
        "pay",
        export,
        "--round-date",
        "2021-06-01",
        "--ledger",
        tmp / "l.sqlite",
        "--out",
        tmp / "out",
        "--config",
        config,
        "--json",
    )
    assert r.exit_code == 1, r.output
    data = json.loads(r.output)
    assert data["round"] == "2021-06-01"
    assert [
        {k: p[k] for k in ("agb", "chain", "amount", "description")} for p in data["payments"]
    ] == [
        {
            "agb": agb_for(1),
            "chain": "DM",
            "amount": 123456,
            "description": "DBC/DM/Q2/21/20211-1-1",
        },
        {"agb": agb_for(2), "chain": "DM", "amount": 1250, "description": "DBC/DM/Q2/21/20211-1-2"},
        {
            "agb": agb_for(1),
            "chain": "CVRM",
            "amount": 10000,
            "description": "DBC/CVRM/Q2/21/20212-1-1",
        },
    ]
    assert data["bad_rows"] == [
        {
            "path": str(export),
            "line": 5,
            "column": "uzovi",
            "message": "not a UZOVI code (4 digits)",
        }
    ]
    assert (tmp / "out" / "round-2021-06-01.xml").exists()
    assert json.loads((tmp / "out" / "round-2021-06-01.json").read_text()) == data


def test_pay_text_and_the_second_run(cli, files):
    tmp, export, config = files
    args = (
        "pay",
        export,
        "--round-date",
        "2021-06-01",
        "--ledger",
        tmp / "l.sqlite",
        "--out",
        tmp / "out",
        "--config",
        config,
    )
    r = cli(*args)
    assert "round 2021-06-01: 2021-Q2 round 1 (booked now)" in r.output
    assert "  payments: 3, total 1.347,06 EUR" in r.output
    assert f"  bad row:  {export}, line 5, column uzovi: not a UZOVI code (4 digits)" in r.output
    r = cli(*args)
    assert "round 2021-06-01: 2021-Q2 round 1 (booked before)" in r.output
    assert "  payments: 0, total 0,00 EUR" in r.output
    assert "3 already paid" in r.output


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--round-date", "1-6-2021"], "--round-date must be a date YYYY-MM-DD, not '1-6-2021'"),
        (
            ["--round-date", "2021-06-02"],
            (
                "2021-06-02 is not a payment round of any quarter in the "
                "exports (2021-Q2: next round 2021-06-15)"
            ),
        ),
    ],
)
def test_pay_refusals_are_one_line_and_exit_2(cli, files, extra, message):
    tmp, export, config = files
    r = cli(
        "pay",
        export,
        "--ledger",
        tmp / "l.sqlite",
        "--out",
        tmp / "out",
        "--config",
        config,
        *extra,
    )
    assert r.exit_code == 2
    assert r.output == f"vsbengine: error: {message}\n"


def test_pay_with_out_naming_a_file(cli, files):
    tmp, export, _ = files
    (tmp / "afile").write_text("x")
    r = cli("pay", export, "--round-date", "2021-06-01", "--ledger", tmp / "l.sqlite",
            "--out", tmp / "afile")  # fmt: skip
    assert (r.exit_code, r.output) == (
        2,
        f"vsbengine: error: {tmp / 'afile'}: not a folder (--out names the folder of the "
        "round's files)\n",
    )
    assert not (tmp / "l.sqlite").exists()


def test_pay_without_config_or_out(cli, files):
    tmp, export, _ = files
    r = cli("pay", export, "--round-date", "2021-06-01", "--ledger", tmp / "l.sqlite")
    assert (r.exit_code, r.output) == (2, "vsbengine: error: --out is needed (or --dry-run)\n")
    r = cli(
        "pay",
        export,
        "--round-date",
        "2021-06-01",
        "--ledger",
        tmp / "l.sqlite",
        "--out",
        tmp / "out",
    )
    assert r.exit_code == 2 and "paying needs --config" in r.output
    r = cli(
        "pay",
        export,
        "--round-date",
        "2021-06-01",
        "--ledger",
        tmp / "dry.sqlite",
        "--dry-run",
        "--json",
    )
    assert r.exit_code == 1 and json.loads(r.output)["dry_run"] is True
    assert not (tmp / "dry.sqlite").exists()


def test_unusable_inputs_exit_2_without_a_traceback(cli, files):
    tmp, export, config = files
    bad_config = tmp / "bad.toml"
    bad_config.write_text('[care_group]\nname = "X"\niban = "NL00"\nbic = "ABNANL2A"\n')
    r = cli(
        "pay",
        export,
        "--round-date",
        "2021-06-01",
        "--ledger",
        tmp / "l.sqlite",
        "--out",
        tmp / "out",
        "--config",
        bad_config,
    )
    assert (r.exit_code, r.output) == (
        2,
        f"vsbengine: error: {bad_config}: care_group.iban is not a valid IBAN\n",
    )
    r = cli(
        "pay",
        tmp / "missing.csv",
        "--round-date",
        "2021-06-01",
        "--ledger",
        tmp / "l.sqlite",
        "--out",
        tmp / "out",
        "--config",
        config,
    )
    assert r.exit_code == 2 and "Traceback" not in r.output
    assert r.output.startswith(f"vsbengine: error: {tmp / 'missing.csv'}: cannot read the file")


def test_check(cli, files):
    tmp, export, _ = files
    r = cli("check", export)
    assert r.exit_code == 1
    assert r.output.splitlines()[:2] == [
        f"{export}: 4 rows (csv, utf-8, delimiter ';')",
        "  rows:     4 read, 3 good, 1 refused",
    ]
    good = write_csv(tmp / "good.csv", [row()])
    r = cli("check", good, "--json")
    assert r.exit_code == 0 and json.loads(r.output)["good"] == 1


def test_check_prints_a_name_with_a_line_break_on_its_line(cli, files):
    tmp, export, _ = files
    odd = tmp / "ex\nport.csv"
    export.rename(odd)
    r = cli("check", odd)
    assert r.exit_code == 1
    lines = r.output.splitlines()
    assert lines[0] == f"{tmp}/ex?port.csv: 4 rows (csv, utf-8, delimiter ';')"
    assert (
        f"  bad row:  {tmp}/ex?port.csv, line 5, column uzovi: not a UZOVI code (4 digits)" in lines
    )


def test_an_export_named_in_bytes_that_are_not_utf8_is_paid_once(cli, files):
    """An export named in Latin-1 on another system (the byte 0xE9): the round's JSON
    and the ledger name it with that byte as "\\xe9"; the round is paid, once."""
    import os

    tmp, export, config = files
    odd = os.fsdecode(os.fsencode(tmp) + b"/export-\xe9.csv")
    os.rename(export, odd)
    args = ["pay", odd, "--round-date", "2021-06-01", "--ledger", tmp / "l.sqlite",
            "--out", tmp / "out", "--config", config, "--json"]  # fmt: skip
    r = cli(*args)
    assert r.exit_code == 1, r.output  # one refused row
    data = json.loads(r.output)
    assert len(data["payments"]) == 3
    assert {row["path"] for row in data["bad_rows"]} == {f"{tmp}/export-\\xe9.csv"}
    again = json.loads(cli(*args).output)
    assert again["payments"] == []


def test_an_out_folder_named_in_bytes_that_are_not_utf8_gets_the_round_once(cli, files):
    """An --out folder whose name is Latin-1 (the byte 0xE9): the ledger keeps it as the
    bytes it is, the round's files are published in it, and a second run pays nothing."""
    import os

    tmp, export, config = files
    out = os.fsdecode(os.fsencode(tmp) + b"/out-\xe9")
    args = ["pay", export, "--round-date", "2021-06-01", "--ledger", tmp / "l.sqlite",
            "--out", out, "--config", config, "--json"]  # fmt: skip
    r = cli(*args)
    assert r.exit_code == 1, r.output  # one refused row
    assert len(json.loads(r.output)["payments"]) == 3
    published = sorted(os.listdir(out))
    assert published and all(name.startswith("round-2021-06-01") for name in published)
    again = cli(*args)
    assert json.loads(again.output)["payments"] == []
    assert sorted(os.listdir(out)) == published
    printed = cli("pay", export, "--round-date", "2021-06-01", "--ledger", tmp / "l2.sqlite",
                  "--out", out + "2", "--config", config).output  # fmt: skip
    assert f"  pain.001: {tmp}/out-\\xe92/round-2021-06-01.xml" in printed.splitlines()


def test_a_payment_above_what_a_transfer_carries_books_nothing(cli, tmp_path):
    """Each row is within the limit, but one practice's payment for the chain (the sum of
    its insurers' rows) is not: one located line, exit 2, nothing booked or written."""
    export = write_csv(
        tmp_path / "export.csv",
        [
            row("DM", practice=1, uzovi="3311", amount="600.000.000,00"),
            row("DM", practice=1, uzovi="7029", amount="600.000.000,00"),
        ],
    )
    r = cli("pay", export, "--round-date", "2021-06-01", "--ledger", tmp_path / "l.sqlite",
            "--out", tmp_path / "out", "--config", write_config(tmp_path))  # fmt: skip
    assert r.exit_code == 2
    assert "is more than one SEPA credit transfer carries (999999999.99 EUR)" in r.output
    assert "internal error" not in r.output
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir())
    with sqlite3.connect(tmp_path / "l.sqlite") as con:
        assert con.execute("SELECT COUNT(*) FROM rounds").fetchone() == (0,)


def test_spec_writes_files(cli, files):
    tmp, export, config = files
    cli(
        "pay",
        export,
        "--round-date",
        "2021-06-01",
        "--ledger",
        tmp / "l.sqlite",
        "--out",
        tmp / "out",
        "--config",
        config,
    )
    r = cli(
        "spec",
        "--ledger",
        tmp / "l.sqlite",
        "--quarter",
        "2021-Q2",
        "--out",
        tmp / "spec",
        "--per-practice",
    )
    assert r.exit_code == 0, r.output
    assert r.output == f"2021-Q2: 2 practices, 4 files in {tmp / 'spec' / '2021-Q2'}\n"
    r = cli(
        "spec",
        "--ledger",
        tmp / "l.sqlite",
        "--quarter",
        "2021-Q2",
        "--out",
        tmp / "s2",
        "--agb",
        agb_for(1),
        "--json",
    )
    (s,) = json.loads(r.output)
    assert [c["chain"] for c in s["chains"]] == ["DM", "CVRM"]
    assert sorted(p.name for p in (tmp / "s2" / "2021-Q2").iterdir()) == [
        f"{agb_for(1)}-CVRM.csv",
        f"{agb_for(1)}-CVRM.html",
        f"{agb_for(1)}-DM.csv",
        f"{agb_for(1)}-DM.html",
    ]
    r = cli("spec", "--ledger", tmp / "none.sqlite", "--quarter", "2021-Q2", "--out", tmp)
    assert r.output == f"vsbengine: error: {tmp / 'none.sqlite'}: no such ledger\n"
    r = cli(
        "spec", "--ledger", tmp / "l.sqlite", "--quarter", "2021-Q2", "--out", tmp, "--agb", "1234"
    )
    assert (r.exit_code, r.output) == (
        2,
        "vsbengine: error: --agb must be an AGB code of 8 digits, not '1234'\n",
    )


def test_declare(cli, tmp_path):
    bsn = [bsn_for(n) for n in range(3)]
    inclusions = write_csv(
        tmp_path / "i.csv",
        [
            [bsn[0], agb_for(1), "DM", "3311", "2021-03-01", "", "huisarts"],
            [bsn[1], agb_for(1), "DM", "3311", "2021-04-02", "", "huisarts"],
            [bsn[2][:-1] + "x", agb_for(1), "DM", "3311", "2021-03-01", "", "huisarts"],
        ],
        header=INCLUSION_HEADER,
    )
    tariffs = write_csv(
        tmp_path / "t.csv",
        [["DM", "3311", "2021-Q2", "2500"]],
        header=["keten", "uzovi", "quarter", "tariff"],
    )
    r = cli("declare", inclusions, "--quarter", "2021-Q2", "--tariffs", tariffs)
    assert r.exit_code == 1
    assert r.output.splitlines()[2:5] == [
        f"  DM     3311  {agb_for(1)}        1        25,00          25,00",
        "  total: 1 patients, 25,00 EUR",
        (
            "  rows: 3 read, 1 counted, 1 included after reference date, 0 ended before reference "
            "date, 0 main treatment specialist, 0 main treatment not arranged, 1 refused"
        ),
    ]
    assert f"{inclusions}, line 4, column patient: not a valid BSN" in r.output
    assert not any(b in r.output for b in bsn)
    data = json.loads(cli("declare", inclusions, "--quarter", "2021-Q3", "--json").output)
    assert (data["reference_date"], data["patients"]) == ("2021-07-01", 2)
    assert data["lines"] == [
        {
            "chain": "DM",
            "uzovi": "3311",
            "agb": agb_for(1),
            "patients": 2,
            "tariff": None,
            "amount": None,
        }
    ]


def test_a_ledger_that_is_a_folder_is_one_line(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    data = Path(__file__).parent / "data" / "viplive"
    cmd = [sys.executable, "-m", "vsbengine", "viplive", "pay", str(data / "export-2021-06-01.csv")]
    cmd += ["--round-date", "2021-06-01", "--ledger", str(tmp_path), "--dry-run"]
    r = subprocess.run(cmd, capture_output=True, text=True)
    assert r.returncode == 2
    assert r.stderr == f"vsbengine: error: {tmp_path}: is a folder, not a ledger file\n"


def test_dry_run_prints_the_payments_it_would_make(cli, tmp_path):
    export = write_csv(
        tmp_path / "export.csv",
        [
            row(
                "DM",
                practice=1,
                amount="1.234,56",
                name="Praktijk\xa0\x1b[31mRood\x1b[0m & Zn\u202e",
            ),
            row("CVRM", practice=1, amount="100"),
            row("DM", practice=2, amount="12,5", name="Een praktijk met een heel erg lange naam"),
        ],
    )
    r = cli("pay", export, "--round-date", "2021-06-01", "--ledger", tmp_path / "l.sqlite",
            "--dry-run", "--config", write_config(tmp_path))  # fmt: skip
    assert r.exit_code == 0, r.output
    table = r.stdout.split("  would pay (dry run: nothing written, nothing booked):\n", 1)[1]
    lines = table.splitlines()
    assert lines[0].split() == [
        "agb", "practice", "chain", "quarter", "round", "description", "iban", "amount", "EUR",
    ]  # fmt: skip
    body = lines[2:-1]
    assert [x.split()[0] for x in body] == [agb_for(1), agb_for(2), agb_for(1)]
    assert [x.split()[-1] for x in body] == ["1.234,56", "12,50", "100,00"]
    assert "Praktijk\xa0?[31mRood?[0m & Zn?" in body[0] and "\x1b" not in r.stdout
    assert "Een praktijk met een heel erg…  DM" in body[1]
    assert "DBC/CVRM/Q2/21/20212-1-1" in body[2]
    assert lines[-1].split() == ["total", "3", "payments", "1.347,06"]
    assert not (tmp_path / "l.sqlite").exists()
    printed = cli("pay", export, "--round-date", "2021-06-01", "--ledger", tmp_path / "l.sqlite",
                  "--dry-run", "--config", write_config(tmp_path), "--json")  # fmt: skip
    paid = json.loads(printed.stdout)["payments"]
    assert [p["amount"] for p in paid] == [123456, 1250, 10000]


def test_spec_pages_name_the_care_group(cli, files):
    tmp, export, config = files
    cli("pay", export, "--round-date", "2021-06-01", "--ledger", tmp / "l.sqlite", "--out",
        tmp / "o", "--config", config)  # fmt: skip
    r = cli("spec", "--ledger", tmp / "l.sqlite", "--quarter", "2021-Q2", "--out", tmp / "s",
            "--config", config)  # fmt: skip
    assert r.exit_code == 0, r.output
    html = (tmp / "s" / "2021-Q2" / f"{agb_for(1)}-DM.html").read_text("utf-8")
    assert '<p class="issuer">Zorggroep Noorderlicht</p>' in html
    assert '<p class="made">Opgemaakt op ' in html
