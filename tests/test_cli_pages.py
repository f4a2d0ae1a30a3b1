"""The command line of the pages: ``vsbengine review`` and ``vsbengine report``."""

from __future__ import annotations

import pytest
from efact_edit import TODAY
from typer.testing import CliRunner

from vsbengine import receive, review
from vsbengine.cli.main import app
from vsbengine.formats.efact.generate import generate

runner = CliRunner()


@pytest.fixture
def proposal(tmp_path):
    g = generate(300, seed=5, month=202610, references=True, error_rate=0.02)
    g.write_refs(tmp_path / "refs")
    g.write(tmp_path / "s.920000")
    out = tmp_path / "out"
    r = runner.invoke(
        app,
        ["validate", str(tmp_path / "s.920000"), "--refs", str(tmp_path / "refs"),
         "--out", str(out), "--today", "2026-11-23"],
    )  # fmt: skip
    assert r.exit_code in (0, 1), r.output
    return out


def test_review_rewrites_the_page_beside_the_proposal(proposal):
    (proposal / review.FILE).unlink()
    r = runner.invoke(app, ["review", str(proposal)])
    assert r.exit_code == 0, r.output
    assert r.stdout.strip() == str(proposal / review.FILE)
    assert (proposal / review.FILE).read_text("utf-8").startswith("<!DOCTYPE html>")


def test_review_in_english_elsewhere(proposal, tmp_path):
    page = tmp_path / "page.html"
    r = runner.invoke(app, ["review", str(proposal), "--out", str(page), "--lang", "en"])
    assert r.exit_code == 0, r.output
    assert "Proposed decision" in page.read_text("utf-8")


@pytest.mark.parametrize(
    "args, message",
    [
        (["--show-insz"], "--show-insz/--show-names: say where the page with personal data goes"),
        (["--lang", "fr"], "--lang (or VSBENGINE_LANG) must be one of nl, en, not 'fr'"),
    ],
)
def test_review_usage_errors(proposal, args, message):
    r = runner.invoke(app, ["review", str(proposal), *args])
    assert r.exit_code == 2
    (line,) = r.stderr.strip().splitlines()
    assert message in line and "Traceback" not in r.output


def test_review_of_a_folder_without_a_proposal(tmp_path):
    r = runner.invoke(app, ["review", str(tmp_path)])
    assert r.exit_code == 2 and "no proposal here" in r.stderr


def test_review_of_a_registered_sending(proposal, tmp_path):
    reg = tmp_path / "r.register"
    receive.receive(
        str(reg), [str(tmp_path / "s.920000")], refs=str(tmp_path / "refs"), today=TODAY
    )
    r = runner.invoke(app, ["review", str(reg), "1"])
    assert r.exit_code == 2 and "--out FILE: the register's folders are its own" in r.stderr
    page = tmp_path / "one.html"
    r = runner.invoke(app, ["review", str(reg), "1", "--out", str(page), "--show-insz"])
    assert r.exit_code == 0, r.output
    assert "••.••.••" in (proposal / review.FILE).read_text("utf-8")  # masked by default
    assert "••.••.••" not in page.read_text("utf-8")
    r = runner.invoke(app, ["review", str(reg), "--out", str(page)])
    assert (
        r.exit_code == 2 and "is a file: give the folder of a proposal, or a register" in r.stderr
    )
    r = runner.invoke(app, ["review", str(reg), "7", "--out", str(page)])
    assert r.exit_code == 2 and "7" in r.stderr and "Traceback" not in r.output
    r = runner.invoke(app, ["review", str(tmp_path / "none.register"), "1", "--out", str(page)])
    assert r.exit_code == 2 and "Traceback" not in r.output


def test_report_of_a_bulk_folder_and_a_register(proposal, tmp_path):
    out = tmp_path / "bulk"
    r = runner.invoke(app, ["bulk", str(tmp_path / "s.920000"), "--out", str(out),
                            "--workers", "1", "--no-progress", "--today", "2026-11-23"])  # fmt: skip
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["report", str(out), "--out", str(tmp_path / "again")])
    assert r.exit_code == 0, r.output
    written = r.stdout.split()
    assert [p.rsplit(".", 1)[1] for p in written] == ["html", "csv", "parquet"]
    reg = tmp_path / "r.register"
    receive.receive(
        str(reg), [str(tmp_path / "s.920000")], refs=str(tmp_path / "refs"), today=TODAY
    )
    r = runner.invoke(app, ["report", str(reg), "--run", "1", "--lang", "en"])
    assert r.exit_code == 0, r.output
    assert "Night report" in (tmp_path / "r.register.sendings" / "runs" / "000001.html").read_text()
    r = runner.invoke(app, ["report", str(tmp_path / "nothing")])
    assert r.exit_code == 2 and "no such folder or register" in r.stderr


def test_review_out_never_overwrites_what_is_not_a_page(proposal, tmp_path):
    reg = tmp_path / "r.register"
    receive.receive(
        str(reg), [str(tmp_path / "s.920000")], refs=str(tmp_path / "refs"), today=TODAY
    )
    before = {p: p.read_bytes() for p in (reg, proposal / "proposal.json")}
    cases = [
        ([str(reg), "1", "--out", str(reg)], f"{reg}: --out must name an .html file"),
        (
            [str(proposal), "--out", str(proposal / "proposal.json")],
            "--out must name an .html file",
        ),
        (
            [str(reg), "1", "--out", str(tmp_path / "r.register.sendings" / "x.html")],
            "a register's folders are its own",
        ),
        ([str(proposal), "--out", ""], "--out must name an .html file"),
        ([str(proposal), "--out", str(tmp_path / "no" / "x.html")], "no such folder"),
        ([str(proposal), "--out", str(tmp_path)], "--out must name an .html file"),
    ]
    stranger = tmp_path / "notes.html"
    stranger.write_text("<html>my own notes</html>")
    cases.append(([str(proposal), "--out", str(stranger)], "is not a page of vsbengine"))
    for args, message in cases:
        r = runner.invoke(app, ["review", *args])
        assert r.exit_code == 2, args
        (line,) = r.stderr.strip().splitlines()
        assert message in line, (args, line)
    assert {p: p.read_bytes() for p in before} == before
    assert stranger.read_text() == "<html>my own notes</html>"
    # A page it wrote is written again.
    page = tmp_path / "page.html"
    for _ in range(2):
        assert runner.invoke(app, ["review", str(proposal), "--out", str(page)]).exit_code == 0
