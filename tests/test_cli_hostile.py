"""Every viplive and blockade command with hostile arguments: exit 2, one line on stderr,
no traceback (huge dates, negative counts, oversized fields, folders for files)."""

from __future__ import annotations

import subprocess
import sys

import pytest
from typer.testing import CliRunner
from viplive_helpers import row, write_config, write_csv

from vsbengine.cli.main import app


@pytest.fixture(scope="module")
def place(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("hostile")
    write_config(tmp)
    write_csv(tmp / "export.csv", [row("DM", practice=1)])
    long_field = [row("DM", practice=2)]
    long_field[0][3] = "x" * (200 * 1024)
    write_csv(tmp / "long.csv", long_field)
    (tmp / "folder").mkdir()
    with open(tmp / "huge.csv", "wb") as handle:  # 5 GB, sparse
        handle.write(b"keten;kwartaal\n")
        handle.truncate(5 * 10**9)
    gen = tmp / "gen"
    subprocess.run(
        [sys.executable, "-m", "vsbengine.cli.main", "blockade", "generate", "--out", str(gen),
         "--actions", "30", "--lines", "30"],
        check=True, capture_output=True,
    )  # fmt: skip
    text = (gen / "actions.csv").read_text().splitlines()
    cells = text[1].split(";")
    cells[8] = "'" + "y" * (200 * 1024)  # a remark over 128 KiB, quoted oddly
    (gen / "long_actions.csv").write_text("\n".join([text[0], ";".join(cells), *text[2:]]) + '\n"')
    return tmp


V = "viplive"
B = "blockade"
CASES = [
    (V, "pay", "{t}/export.csv", "--round-date", "9999-12-31", "--ledger", "{t}/l.sqlite",
     "--out", "{t}/out", "--config", "{t}/config.toml"),
    (V, "pay", "{t}/export.csv", "--round-date", "2021-13-01", "--ledger", "{t}/l.sqlite",
     "--out", "{t}/out"),
    (V, "pay", "{t}/export.csv", "--round-date", "2021-06-01", "--ledger", "{t}/folder",
     "--out", "{t}/out", "--config", "{t}/config.toml"),
    (V, "pay", "{t}/export.csv", "--round-date", "2021-06-01", "--ledger", "{t}/l.sqlite",
     "--out", "{t}/export.csv", "--config", "{t}/config.toml"),
    (V, "pay", "{t}/folder", "--round-date", "2021-06-01", "--ledger", "{t}/l.sqlite",
     "--out", "{t}/out"),
    (V, "pay", "{t}/export.csv", "--ledger", "{t}/l.sqlite"),
    (V, "schedule", "9999-Q4"),
    (V, "schedule", "2021-Q2", "--follow-ups", "-1"),
    (V, "schedule", "2021-Q2", "--follow-ups", "100000000000"),
    (V, "schedule", "2021-Q2", "--follow-ups", "many"),
    (V, "check", "{t}/huge.csv"),
    (V, "check", "{t}/folder"),
    (V, "check", "{t}/long.csv"),
    (V, "check", "{t}/export.csv", "--config", "{t}/folder"),
    (V, "check", "{t}/export.csv", "--mapping", "{t}/export.csv"),
    (V, "spec", "--ledger", "{t}/folder", "--quarter", "2021-Q2", "--out", "{t}/o"),
    (V, "spec", "--ledger", "{t}/l.sqlite", "--quarter", "2021-Q9", "--out", "{t}/o"),
    (V, "declare", "{t}/folder", "--quarter", "2021-Q2"),
    (V, "declare", "{t}/export.csv", "--quarter", "0000-Q1"),
    (V, "run", "--ledger", "{t}/l.sqlite", "--exports", "{t}/export.csv",
     "--config", "{t}/config.toml"),
    (V, "run", "--ledger", "{t}/l.sqlite", "--exports", "{t}/folder",
     "--config", "{t}/config.toml"),
    (V, "run", "--ledger", "{t}/l.sqlite", "--exports", "{t}", "--config", "{t}/config.toml",
     "--today", "99999-01-01"),
    (V, "tariff", "{t}/folder"),
    (V, "tariff", "{t}/huge.csv"),
    (V, "payout", "--quarter", "9999-Q4"),
    (V, "payout", "--quarter", "2021-Q2", "--insurer-paid", "2021-02-30"),
    (B, "generate", "--out", "{t}/g", "--actions", "-1"),
    (B, "generate", "--out", "{t}/g", "--lines", "10000000000000000000000"),
    (B, "generate", "--out", "{t}/export.csv"),
    (B, "build", "--controls", "{t}/gen/controls.csv", "--actions", "{t}/gen/long_actions.csv",
     "--loids", "{t}/gen/loids.csv", "--lines", "{t}/gen/invoice_lines.csv",
     "--date", "2024-01-01", "--out", "{t}/b1"),
    (B, "build", "--controls", "{t}/folder", "--actions", "{t}/gen/actions.csv",
     "--loids", "{t}/gen/loids.csv", "--lines", "{t}/gen/invoice_lines.csv",
     "--date", "2024-01-01", "--out", "{t}/b2"),
    (B, "build", "--controls", "{t}/gen/controls.csv", "--actions", "{t}/huge.csv",
     "--loids", "{t}/gen/loids.csv", "--lines", "{t}/gen/invoice_lines.csv",
     "--date", "2024-01-01", "--out", "{t}/b3"),
    (B, "build", "--controls", "{t}/gen/controls.csv", "--actions", "{t}/gen/actions.csv",
     "--loids", "{t}/gen/loids.csv", "--lines", "{t}/gen/invoice_lines.csv",
     "--date", "9999-99-99", "--out", "{t}/b4"),
    (B, "build", "--controls", "{t}/gen/controls.csv", "--actions", "{t}/gen/actions.csv",
     "--loids", "{t}/gen/loids.csv", "--lines", "{t}/gen/invoice_lines.csv",
     "--date", "2024-01-01", "--out", "{t}/export.csv"),
    (B, "build", "--controls", "{t}/gen/controls.csv", "--actions", "{t}/gen/actions.csv",
     "--loids", "{t}/gen/loids.csv", "--lines", "{t}/gen/invoice_lines.csv",
     "--date", "2024-01-01", "--out", "{t}/b5", "--list", "b0011"),
    (B, "reconcile", "--blockade", "{t}/export.csv", "--run", "{t}/gen/run.csv",
     "--run-date", "2024-01-02"),
    (B, "reconcile", "--blockade", "{t}/folder", "--run", "{t}/folder",
     "--run-date", "2024-01-02"),
]  # fmt: skip


@pytest.mark.parametrize(
    "args", CASES, ids=[f"{i:02d} " + " ".join(c[:2]) for i, c in enumerate(CASES)]
)
def test_hostile_arguments_exit_2_with_one_line(place, args, monkeypatch):
    monkeypatch.chdir(place)
    r = CliRunner().invoke(app, [a.format(t=place) for a in args])
    assert r.exception is None or isinstance(r.exception, SystemExit), repr(r.exception)
    assert r.exit_code == 2, (r.exit_code, r.stdout, r.stderr)
    assert r.stderr.count("\n") == 1 and r.stderr.startswith("vsbengine: error: "), r.stderr
    assert "Traceback" not in r.stderr + r.stdout


def test_the_5_gb_export_on_the_real_command_line(place):
    r = subprocess.run(
        [sys.executable, "-m", "vsbengine.cli.main", "viplive", "check", str(place / "huge.csv")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 2 and r.stderr == (
        f"vsbengine: error: {place / 'huge.csv'}: 5,000,000,000 bytes, more than the "
        "268,435,456 a table may have; split the file (by quarter or chain)\n"
    )
