"""The root of the command line: version, logging, completion, one-line errors, exit codes."""

from __future__ import annotations

import csv
import importlib.metadata
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

import vsbengine
from vsbengine.cli.main import app

runner = CliRunner()
SAMPLE = Path(__file__).parents[1] / "engine" / "data" / "sample"


def _run(*args, **kw):
    return subprocess.run(
        [sys.executable, "-m", "vsbengine", *args], capture_output=True, text=True, **kw
    )


def test_version_is_the_package_version():
    r = runner.invoke(app, ["--version"])
    assert r.exit_code == 0
    assert r.stdout == f"vsbengine {importlib.metadata.version('vsbengine')}\n"
    assert vsbengine.__version__ == importlib.metadata.version("vsbengine")


def test_python_dash_m_runs_the_same_command_line():
    r = _run("explain", "509902", "--json")
    assert r.returncode == 0 and '"code": "509902"' in r.stdout
    assert _run("--version").stdout == f"vsbengine {vsbengine.__version__}\n"


@pytest.mark.parametrize(
    "args, message",
    [
        (
            ["validate"],
            "vsbengine: error: Missing argument 'file'. (see 'vsbengine validate --help')",
        ),
        (["nosuch"], "vsbengine: error: No such command 'nosuch'. (see 'vsbengine --help')"),
        (
            ["bulk", "x", "--out", "o", "--workers", "-1"],
            "vsbengine: error: Invalid value for '--workers': Input should be greater than or "
            "equal to 1 (see 'vsbengine bulk --help')",
        ),
    ],
)
def test_usage_errors_are_one_line_and_exit_2(args, message):
    r = _run(*args)
    assert r.returncode == 2
    assert r.stderr.splitlines() == [message]
    assert r.stdout == ""


def test_no_arguments_print_the_help():
    r = _run()
    assert "Usage: vsbengine" in r.stdout + r.stderr and r.returncode == 2


def test_an_unexpected_exception_is_one_line_without_its_message(monkeypatch, tmp_path):
    # The module (the package's name "catalogue" is its function, once looked up).
    import importlib

    catalogue = importlib.import_module("vsbengine.formats.efact.catalogue")

    def broken(code):
        raise ValueError("insz 85073112345 of Jan Peeters")  # what a bug might quote

    monkeypatch.setattr(catalogue, "explain", broken)
    log = tmp_path / "run.log"
    r = runner.invoke(app, ["--log-file", str(log), "explain", "509902"])
    assert r.exit_code == 2  # never 1: that means "rejected" to a scheduler
    line = broken.__code__.co_firstlineno + 1
    assert r.stderr.splitlines() == [
        f"vsbengine: internal error: ValueError at tests/test_cli_main.py:{line} (broken) "
        "(a bug in vsbengine; please report it with the command you ran)"
    ]
    assert "85073112345" not in r.output and "Peeters" not in r.output
    text = log.read_text()
    assert f"ERROR vsbengine.cli: unexpected ValueError at tests/test_cli_main.py:{line}" in text
    assert "85073112345" not in text and "Peeters" not in text


def _insz() -> set[str]:
    """The national numbers of the sample's member file."""
    with open(SAMPLE / "refs" / "members.csv", encoding="utf-8") as fh:
        return {row["insz"] for row in csv.DictReader(fh)}


def test_log_file_records_the_run_without_personal_data(tmp_path):
    log = tmp_path / "run.log"
    r = runner.invoke(
        app,
        [
            "-vv",
            "--log-file",
            str(log),
            "validate",
            str(SAMPLE / "sending.920000"),
            "--refs",
            str(SAMPLE / "refs"),
            "--out",
            str(tmp_path / "out"),
            "--sign-as",
            "An Peeters",
            "--today",
            "2026-11-23",
        ],
    )
    assert r.exit_code == 0, r.output
    text = log.read_text()
    assert " INFO vsbengine.cli: validated " in text and "400 records" in text
    insz = _insz()
    assert len(insz) > 10 and not any(n in text for n in insz)
    assert "Peeters" not in text  # the signer's name


VIPLIVE = Path(__file__).parent / "data" / "viplive"
BLOCKADE = Path(__file__).parent / "data" / "blockade" / "scenario"


def test_log_file_records_viplive_and_blockade_runs(tmp_path):
    """The payment rounds and the blockade lists leave their files, counts and outcomes
    in the log too (no BSN, no practice names), and a command stopped by bad input its
    error line (once on stderr)."""
    log = tmp_path / "run.log"
    pay = [
        "--log-file", str(log), "viplive", "pay", str(VIPLIVE / "export-2021-06-01.csv"),
        "--round-date", "2021-06-01", "--ledger", str(tmp_path / "ledger.sqlite"),
        "--out", str(tmp_path / "pay"), "--config", str(VIPLIVE / "config.toml"),
    ]  # fmt: skip
    assert runner.invoke(app, pay).exit_code in (0, 1)
    build = [
        "--log-file", str(log), "blockade", "build",
        "--controls", str(BLOCKADE / "controls.csv"), "--actions", str(BLOCKADE / "actions.csv"),
        "--loids", str(BLOCKADE / "loids.csv"), "--lines", str(BLOCKADE / "invoice_lines.csv"),
        "--date", "2024-03-21", "--out", str(tmp_path / "list"),
    ]  # fmt: skip
    assert runner.invoke(app, build).exit_code == 0
    bad = ["--log-file", str(log), "viplive", "check", str(tmp_path / "missing.csv")]
    r = runner.invoke(app, bad)
    assert r.exit_code == 2 and len(r.stderr.splitlines()) == 1
    text = log.read_text()
    assert " INFO vsbengine.cli: round 2021-06-01 (ledger " in text
    assert f"INFO vsbengine.cli: blockade list 2024-03-21 written to {tmp_path / 'list'}" in text
    assert f"ERROR vsbengine.cli: {tmp_path / 'missing.csv'}" in text
    assert "Huisartsenpraktijk" not in text


def test_verbosity_sets_the_level_on_stderr(tmp_path):
    args = ["validate", str(SAMPLE / "sending.920000"), "--today", "2026-11-23"]
    assert "INFO: validated" not in runner.invoke(app, args).stderr
    assert "vsbengine: INFO: validated" in runner.invoke(app, ["-v", *args]).stderr
    assert runner.invoke(app, ["-q", *args]).stderr == ""


def test_shell_completion_is_typers():
    env = dict(
        os.environ, _VSBENGINE_COMPLETE="complete_bash", COMP_WORDS="vsbengine expl", COMP_CWORD="1"
    )
    r = subprocess.run([sys.executable, "-m", "vsbengine"], capture_output=True, text=True, env=env)
    assert r.returncode == 0 and "explain" in r.stdout
    assert "--install-completion" in runner.invoke(app, ["--help"]).stdout


def test_log_file_records_bulk_receive_and_sign_offs_without_names(tmp_path):
    log = tmp_path / "run.log"
    inbox = tmp_path / "in"
    inbox.mkdir()
    (inbox / "s.920000").write_bytes((SAMPLE / "sending.920000").read_bytes())
    common = ["--log-file", str(log)]
    today = ["--today", "2026-11-23"]
    r = runner.invoke(app, [*common, "bulk", str(inbox), "--out", str(tmp_path / "o"), *today])
    assert r.exit_code == 0, r.output
    reg = tmp_path / "reg"
    r = runner.invoke(
        app, [*common, "receive", str(inbox), "--register", str(reg), "--refs",
              str(SAMPLE / "refs"), *today],
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, [*common, "sign", str(reg), "1", "--by", "An Peeters"])
    assert r.exit_code == 0, r.output
    text = log.read_text()
    assert " INFO vsbengine.cli: bulk run: 1 files: 1 accepted; " in text
    assert f" INFO vsbengine.cli: receive run 1 into {reg}: 1 files: 1 waiting" in text
    assert f" INFO vsbengine.cli: sending 1 of {reg} payment due: " in text
    assert "Peeters" not in text and not any(n in text for n in _insz())
