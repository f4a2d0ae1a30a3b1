"""The generator: valid sendings of any size, deterministic, errors of known codes."""

from __future__ import annotations

import pytest
from efact_edit import MONTH, TODAY

import vsbengine
from vsbengine.formats.efact.generate import CONTENT_KINDS, DEFAULT_KINDS, KINDS, generate


@pytest.mark.parametrize("records,seed", [(5, 0), (37, 1), (1000, 2), (20_000, 3)])
def test_generated_sendings_validate_clean(records, seed):
    g = generate(records, seed=seed, month=MONTH)
    assert records <= g.records <= records + 60
    r = vsbengine.validate(g.tobytes(), today=TODAY)
    assert r.messages == ["DF011", "DF014", "DF015"]
    assert r.errors == [] and r.records_total == g.records and r.invoices_total == g.invoices


def test_same_arguments_same_bytes():
    a = generate(500, seed=9, month=MONTH, error_rate=0.05).tobytes()
    assert a == generate(500, seed=9, month=MONTH, error_rate=0.05).tobytes()
    assert a != generate(500, seed=10, month=MONTH, error_rate=0.05).tobytes()


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("rate", [0.01, 0.05, 0.3])
def test_injected_errors_are_found_exactly(seed, rate):
    g = generate(3000, seed=seed, month=MONTH, error_rate=rate)
    assert g.injected
    r = vsbengine.validate(g.tobytes(), today=TODAY)
    assert sorted((e.record, e.code) for e in r.errors) == g.expected


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_each_kind_alone(kind, tmp_path):
    content = kind in CONTENT_KINDS
    g = generate(2000, seed=5, month=MONTH, error_rate=0.01, kinds=(kind,), references=content)
    assert {c for _, c in g.injected} == {kind}
    if content:
        g.write_refs(tmp_path)
        r = vsbengine.Engine(tmp_path, today=TODAY).validate(g.tobytes())
    else:
        r = vsbengine.validate(g.tobytes(), today=TODAY)
    assert sorted((e.record, e.code) for e in r.errors) == g.expected


@pytest.mark.parametrize("seed", range(3))
def test_generated_references_match_the_sending(seed, tmp_path):
    g = generate(4000, seed=seed, month=MONTH, references=True)
    g.write_refs(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "admissions.csv",
        "codes.csv",
        "facilities.csv",
        "members.csv",
        "tariffs.csv",
        "zorgkas.toml",
    ]
    r = vsbengine.Engine(tmp_path, today=TODAY).validate(g.tobytes())
    assert r.messages == ["DF011", "DF014", "DF015"] and r.errors == []


def test_all_kinds_together_with_references(tmp_path):
    g = generate(20_000, seed=8, month=MONTH, references=True, error_rate=0.02)
    assert {c for _, c in g.injected} == set(DEFAULT_KINDS) | set(CONTENT_KINDS)
    g.write_refs(tmp_path)
    r = vsbengine.Engine(tmp_path, today=TODAY).validate(g.tobytes())
    assert sorted((e.record, e.code) for e in r.errors) == g.expected


def test_bad_arguments():
    with pytest.raises(ValueError, match="at least 5 records"):
        generate(4)
    with pytest.raises(ValueError, match="between 0 and 1"):
        generate(100, error_rate=2)
    with pytest.raises(ValueError, match="cannot inject 123456"):
        generate(100, kinds=("123456",))


def test_an_injected_code_is_on_the_record_that_carries_it():
    g = generate(3000, seed=11, error_rate=0.05, kinds=("510412",))
    assert g.injected and all(c == "510412" for _, c in g.injected)
    assert set(g.injected) <= set(g.expected)  # the record 51, not its record 50
    found = {(e.record, e.code) for e in vsbengine.validate(g.tobytes()).errors}
    assert set(g.injected) <= found


def test_a_share_past_one_error_per_invoice_is_said(tmp_path):
    from typer.testing import CliRunner

    from vsbengine.cli.main import app

    g = generate(200, seed=3, error_rate=1.0, kinds=("502212",))
    assert 0 < len(g.injected) <= g.invoices < g.asked
    args = ["generate", str(tmp_path / "s.920000"), "-n", "200", "--seed", "3"]
    r = CliRunner().invoke(app, [*args, "--error-rate", "1", "--kinds", "502212"])
    assert r.exit_code == 0
    assert r.stderr == (
        f"warning: {len(g.injected)} errors injected where --error-rate asked for "
        f"{g.asked}: at most one per invoice (more records give more invoices)\n"
    )
    quiet = CliRunner().invoke(app, [*args, "--error-rate", "0.01", "--force"])
    assert quiet.exit_code == 0 and quiet.stderr == ""


def test_generate_replaces_no_file_unasked(tmp_path):
    """A register, a real member file, the sending named as its own manifest: refused
    (exit 2, nothing written) unless --force."""
    from typer.testing import CliRunner

    from vsbengine.cli.main import app

    run = CliRunner().invoke
    live = tmp_path / "night.register"
    live.write_bytes(b"SQLite format 3\0 a live register")
    r = run(app, ["generate", str(live), "-n", "10"])
    assert (r.exit_code, r.stderr) == (
        2,
        f"vsbengine: error: {live} exists: give another name, or --force to replace\n",
    )
    assert live.read_bytes().startswith(b"SQLite format 3")
    refs = tmp_path / "refs"
    refs.mkdir()
    (refs / "members.csv").write_text("insz,mutuality\n")
    r = run(app, ["generate", str(tmp_path / "g.920000"), "-n", "10", "--refs", str(refs)])
    assert r.exit_code == 2 and "members.csv exists" in r.stderr
    assert (refs / "members.csv").read_text() == "insz,mutuality\n"
    assert not (tmp_path / "g.920000").exists()
    g = tmp_path / "g.920000"
    r = run(app, ["generate", str(g), "-n", "10", "--manifest", str(g)])
    assert r.exit_code == 2 and "--manifest names the billing file itself" in r.stderr
    r = run(app, ["generate", str(live), "-n", "10", "--force"])
    assert r.exit_code == 0 and live.read_bytes()[:6] == b"920000"
