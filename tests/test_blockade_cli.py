"""The ``vsbengine blockade`` commands: thin over the package, one line and exit 2 on bad input."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from typer.testing import CliRunner

from vsbengine.cli.main import app

SCENARIO = Path(__file__).parent / "data" / "blockade" / "scenario"


def invoke(*args: str):
    return CliRunner().invoke(app, ["blockade", *args])


def build_args(out: Path, folder: Path = SCENARIO) -> list[str]:
    return [
        "build",
        "--controls", str(folder / "controls.csv"),
        "--actions", str(folder / "actions.csv"),
        "--loids", str(folder / "loids.csv"),
        "--lines", str(folder / "invoice_lines.csv"),
        "--date", "2024-03-21",
        "--out", str(out),
    ]  # fmt: skip


def test_build_prints_a_summary(tmp_path):
    result = invoke(*build_args(tmp_path / "list"))
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        f"blockade list 2024-03-21 written to {tmp_path / 'list'}",
        "  R03271: 14 units, 7 ignored, 7 to block",
        "  B0010/B0025: 8 rows, 7 units (R03271 = B0010 = B0025: ok)",
    ]


def test_build_json_is_the_manifest(tmp_path):
    result = invoke(*build_args(tmp_path / "list"), "--json")
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    assert printed == json.loads((tmp_path / "list" / "manifest.json").read_text())
    assert printed["units_blocked"] == 7


def test_build_with_previous_reports_the_delta(tmp_path):
    assert invoke(*build_args(tmp_path / "day1")).exit_code == 0
    args = build_args(tmp_path / "day2")
    args[args.index("--date") + 1] = "2024-03-22"
    result = invoke(*args, "--previous", str(tmp_path / "day1"), "--exclude-before", "2015-01-01")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-1] == "  delta against 2024-03-21: 1 added, 1 removed"


def test_an_emptied_loid_export_is_refused_unless_allowed(tmp_path):
    assert invoke(*build_args(tmp_path / "day1")).exit_code == 0
    folder = tmp_path / "in"
    shutil.copytree(SCENARIO, folder)
    loids = folder / "loids.csv"
    loids.write_text(loids.read_text().splitlines()[0] + "\n")
    args = build_args(tmp_path / "day2", folder)
    args[args.index("--date") + 1] = "2024-03-22"
    args += ["--previous", str(tmp_path / "day1")]
    result = invoke(*args)
    assert result.exit_code == 2 and not (tmp_path / "day2").exists()
    assert f"{loids}: holds no LOIDs, while the list of 2024-03-21 blocked 7 units" in result.stderr
    for flag in ("--allow-empty", "--allow-empty-actions"):
        out = tmp_path / flag
        result = invoke(*[out.as_posix() if a == str(tmp_path / "day2") else a for a in args], flag)
        assert result.exit_code == 0, result.output
        assert result.stdout.splitlines()[-1] == "  delta against 2024-03-21: 0 added, 7 removed"


def test_bad_input_is_one_line_and_exit_2(tmp_path):
    folder = tmp_path / "in"
    shutil.copytree(SCENARIO, folder)
    actions = folder / "actions.csv"
    actions.write_text(actions.read_text().replace("A05;R00300;", "A05;R00301;"))
    result = invoke(*build_args(tmp_path / "list", folder))
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == (
        f"vsbengine: error: {actions}, line 6, column control: unknown control 'R00301'\n"
    )
    assert "Traceback" not in result.output
    assert not (tmp_path / "list").exists()


def test_a_missing_input_file_is_one_line(tmp_path):
    args = build_args(tmp_path / "list")
    args[args.index("--loids") + 1] = str(tmp_path / "nope.csv")
    result = invoke(*args)
    assert result.exit_code == 2
    assert result.stderr.startswith("vsbengine: error:")
    assert len(result.stderr.splitlines()) == 1


def test_generate_replaces_no_input_and_writes_into_no_list(tmp_path):
    gen = tmp_path / "gen"
    assert invoke("generate", "--out", str(gen), "--actions", "5", "--lines", "4").exit_code == 0
    again = invoke("generate", "--out", str(gen), "--actions", "9", "--lines", "4")
    assert (again.exit_code, again.stderr) == (
        2,
        f"vsbengine: error: {gen / 'controls.csv'} exists: give another --out, or --force "
        "to replace\n",
    )
    listed = tmp_path / "list"
    listed.mkdir()
    (listed / "manifest.json").write_text("{}")
    r = invoke("generate", "--out", str(listed), "--actions", "5", "--lines", "4")
    assert r.exit_code == 2 and "manifest.json exists" in r.stderr
    assert sorted(p.name for p in listed.iterdir()) == ["manifest.json"]
    forced = invoke("generate", "--out", str(gen), "--actions", "9", "--lines", "4", "--force")
    assert forced.exit_code == 0 and f"{gen / 'actions.csv'}: 9 rows" in forced.stdout


def test_generate_then_build(tmp_path):
    result = invoke(
        "generate", "--out", str(tmp_path / "gen"), "--actions", "500", "--lines", "400"
    )
    assert result.exit_code == 0, result.output
    assert f"{tmp_path / 'gen' / 'actions.csv'}: 500 rows" in result.stdout
    assert f"{tmp_path / 'gen' / 'invoice_lines.csv'}: 400 rows" in result.stdout
    gen = tmp_path / "gen"
    args = build_args(tmp_path / "list", gen)
    args[args.index("--lines") + 1] = str(gen / "invoice_lines.csv")
    result = invoke(*args, "--json")
    assert result.exit_code == 0, result.output
    run = invoke(
        "reconcile", "--blockade", str(tmp_path / "list"), "--run", str(gen / "run.csv"),
        "--run-date", "2024-03-22", "--out", str(tmp_path / "rec"), "--json",
    )  # fmt: skip
    summary = json.loads(run.stdout)
    assert run.exit_code == (1 if summary["invoiced"] else 0)
    assert summary["units_on_list"] == json.loads(result.stdout)["units_blocked"]


def test_inputs_named_in_bytes_that_are_not_utf8_are_read(tmp_path):
    """pyarrow opens only UTF-8 paths: an input named in Latin-1 on another system
    ("acties-\xe9.csv", the byte 0xE9) is opened by the package and read the same."""
    import os

    folder = tmp_path / "in"
    shutil.copytree(SCENARIO, folder)
    odd = os.fsdecode(os.fsencode(folder) + b"/acties-\xe9.csv")
    os.rename(folder / "actions.csv", odd)
    args = build_args(tmp_path / "odd", folder)
    args[args.index("--actions") + 1] = odd
    result = invoke(*args)
    assert result.exit_code == 0, result.output
    plain = invoke(*build_args(tmp_path / "plain"))
    assert result.stdout.splitlines()[1:] == plain.stdout.splitlines()[1:]
    for name in ("B0010.csv", "B0025.csv"):
        assert (tmp_path / "odd" / name).read_bytes() == (tmp_path / "plain" / name).read_bytes()


def test_build_format_jsonl_writes_json_lines(tmp_path):
    plain = invoke(*build_args(tmp_path / "csv"))
    result = invoke(*build_args(tmp_path / "list"), "--format", "jsonl", "--json")
    assert result.exit_code == 0, result.output
    manifest = json.loads(result.stdout)
    names = sorted(p.name for p in (tmp_path / "list").iterdir())
    assert names == sorted([*manifest["files"], "manifest.json"])
    assert all(name.endswith(".jsonl") for name in manifest["files"])
    summary = invoke(*build_args(tmp_path / "again"), "--format", "jsonl")
    assert summary.stdout.splitlines()[1:] == plain.stdout.splitlines()[1:]


def test_build_refuses_an_unknown_format_in_one_line(tmp_path):
    result = invoke(*build_args(tmp_path / "list"), "--format", "json")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == "vsbengine: error: the output format is csv or jsonl, not 'json'\n"
    assert not (tmp_path / "list").exists()


def test_help_names_the_formats():
    for command in ("build", "reconcile"):
        result = invoke(command, "--help")
        assert result.exit_code == 0
        text = " ".join(result.stdout.replace("│", " ").split())
        assert "--format" in text, command
        assert "csv (';', quoted text) or jsonl (JSON Lines: one object per row" in text, command
        assert "[default: csv]" in text, command
