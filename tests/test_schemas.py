"""Every JSON output validates against its shipped JSON Schema; the shipped files are
what the output types generate."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from vsbengine import schemas
from vsbengine.cli.main import app

jsonschema = pytest.importorskip("jsonschema")

HERE = Path(__file__).parent
SAMPLE = HERE.parent / "engine" / "data" / "sample"
VIPLIVE = HERE / "data" / "viplive"
BLOCKADE = HERE / "data" / "blockade" / "scenario"
TODAY = ("--today", "2026-11-23")
runner = CliRunner()


def _cli(*args, code=(0,)) -> str:
    r = runner.invoke(app, [str(a) for a in args])
    assert r.exit_code in code, r.output
    return r.stdout


def check(name: str, value) -> None:
    """``value`` (JSON text or a parsed object) is valid for output ``name``."""
    doc = json.loads(value) if isinstance(value, (str, bytes)) else value
    validator = jsonschema.Draft202012Validator(
        schemas.load(name), format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    validator.validate(doc)


@pytest.mark.parametrize("name", sorted(schemas.OUTPUTS))
def test_shipped_schema_is_generated_from_the_type(name):
    assert schemas.load(name) == json.loads(schemas.render(name)), (
        "regenerate: python -m vsbengine.schemas --write"
    )
    jsonschema.Draft202012Validator.check_schema(schemas.load(name))


def test_the_efact_outputs(tmp_path):
    sending = SAMPLE / "sending.920000"
    check("validate", _cli("validate", sending, "--json", *TODAY))
    check("explain", _cli("explain", "509902", "--json"))
    stateless = tmp_path / "stateless"
    _cli("validate", sending, "--out", stateless, *TODAY)
    check("validate", (stateless / "report.json").read_text())
    for answer in sorted(stateless.glob("DF*.dat")):
        check("read", _cli("read", answer, "--json"))
    _cli("generate", tmp_path / "g.920000", "-n", "300", "--error-rate", "0.1",
         "--manifest", tmp_path / "m.json")  # fmt: skip
    check("generate-manifest", (tmp_path / "m.json").read_text())

    signed = tmp_path / "signed"
    _cli("validate", sending, "--refs", SAMPLE / "refs", "--out", signed, *TODAY)
    check("proposal", (signed / "proposal.json").read_text())
    check("decision", _cli("sign", signed, "--by", "A. Signer", "--json"))
    check("decision", (signed / "decision.json").read_text())
    check("proposal", (signed / "proposal.json").read_text())  # with "decided"
    lines = [x for f in signed.glob("DF016_*.jsonl") for x in f.read_text().splitlines()]
    assert lines
    for line in lines:
        check("df016", line)
    check("df017", (signed / "DF017_payment_order.json").read_text())


def test_a_confirmed_rejection(tmp_path):
    bad = tmp_path / "bad.920000"
    refs = tmp_path / "refs"
    _cli(
        "generate",
        bad,
        "-n",
        "400",
        "--error-rate",
        "0.3",
        "--kinds",
        "500612",
        "--month",
        "2026-10",
        "--refs",
        refs,
    )
    out = tmp_path / "out"
    _cli("validate", bad, "--refs", refs, "--out", out, *TODAY, code=(1,))
    check("proposal", (out / "proposal.json").read_text())
    check("decision", _cli("confirm", out, "--by", "A. Signer", "--json"))


def test_the_bulk_outputs(tmp_path):
    out = tmp_path / "out"
    check("bulk", _cli("bulk", SAMPLE / "sending.920000", "--out", out, "--workers", "1",
                       "--json", "--no-progress", *TODAY))  # fmt: skip
    check("bulk", (out / "summary.json").read_text())
    for run in (out / "runs").glob("*.json"):
        check("bulk", run.read_text())
    for line in (out / "processed.jsonl").read_text().splitlines():
        check("bulk-processed", line)


def test_the_register_outputs(tmp_path):
    register = tmp_path / "r.register"
    stateless = tmp_path / "stateless"
    _cli("validate", SAMPLE / "sending.920000", "--out", stateless, *TODAY)
    check("sending", (stateless / "sending.json").read_text())
    check("bulk", _cli("receive", SAMPLE / "sending.920000", "--register", register,
                       "--refs", SAMPLE / "refs", "--json", *TODAY))  # fmt: skip
    check("inbox", _cli("inbox", register, "--json"))
    check("register-entry", _cli("sign", register, "1", "--by", "A. Signer", "--json"))
    check("inbox", _cli("inbox", register, "--all", "--json"))
    check("bulk", _cli("bulk", SAMPLE / "sending.920000", "--register", register,
                       "--workers", "1", "--json", "--no-progress", *TODAY))  # fmt: skip


def test_the_viplive_outputs(tmp_path):
    conf = ("--config", VIPLIVE / "config.toml")
    check("viplive-schedule", _cli("viplive", "schedule", "2021-Q2", "--json"))
    check("viplive-check", _cli("viplive", "check", VIPLIVE / "export-2021-06-01.csv", *conf,
                                "--json", code=(0, 1)))  # fmt: skip
    ledger, out = tmp_path / "ledger.sqlite", tmp_path / "out"
    for day in ("2021-06-01", "2021-06-15"):
        printed = _cli("viplive", "pay", VIPLIVE / f"export-{day}.csv", "--round-date", day,
                       "--ledger", ledger, "--out", out, *conf, "--json", code=(0, 1))  # fmt: skip
        check("viplive-pay", printed)
        check("viplive-pay", (out / f"round-{day}.json").read_text())
    check("viplive-pay", _cli("viplive", "pay", VIPLIVE / "export-2021-06-15.csv", "--round-date",
                              "2021-06-29", "--ledger", ledger, "--dry-run", *conf, "--json"))  # fmt: skip
    check("viplive-spec", _cli("viplive", "spec", "--ledger", ledger, "--quarter", "2021-Q2",
                               "--out", tmp_path / "spec", "--json"))  # fmt: skip
    check("viplive-declare", _cli("viplive", "declare", VIPLIVE / "inclusions.csv", "--quarter",
                                  "2021-Q2", "--tariffs", VIPLIVE / "tariffs.csv", "--json",
                                  code=(0, 1)))  # fmt: skip
    exports = tmp_path / "exports"
    exports.mkdir()
    (exports / "export.csv").write_bytes((VIPLIVE / "export-2021-06-01.csv").read_bytes())
    for day in ("2021-05-31", "2021-06-01"):
        check("viplive-run", _cli("viplive", "run", "--ledger", tmp_path / "run.sqlite",
                                  "--exports", exports, *conf, "--today", day, "--json",
                                  code=(0, 1)))  # fmt: skip
    check("viplive-tariff", _cli("viplive", "tariff", VIPLIVE / "modules.csv", "--json"))
    for paid in ((), ("--insurer-paid", "2021-08-20")):
        check("viplive-payout", _cli("viplive", "payout", "--quarter", "2021-Q2", *paid, "--json"))


def test_the_blockade_outputs(tmp_path):
    pytest.importorskip("pyarrow")
    out = tmp_path / "list"
    printed = _cli("blockade", "build", "--controls", BLOCKADE / "controls.csv",
                   "--actions", BLOCKADE / "actions.csv", "--loids", BLOCKADE / "loids.csv",
                   "--lines", BLOCKADE / "invoice_lines.csv", "--date", "2024-03-21",
                   "--out", out, "--json")  # fmt: skip
    check("blockade-build", printed)
    check("blockade-build", (out / "manifest.json").read_text())
    check("blockade-reconcile", _cli("blockade", "reconcile", "--blockade", out, "--run",
                                     BLOCKADE / "run_held.csv", "--run-date", "2024-03-22",
                                     "--out", tmp_path / "rec", "--json", code=(0, 1)))  # fmt: skip


def test_every_output_is_checked_here():
    """Each named output is validated by a test of this module."""
    import re

    named = set(re.findall(r'check\("([a-z0-9-]+)"', Path(__file__).read_text()))
    assert named == set(schemas.OUTPUTS)
