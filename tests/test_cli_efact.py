"""The command line contract: validate, generate, explain (through typer's CliRunner)."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest
from efact_edit import CORPUS, Sending, clean
from typer.testing import CliRunner

from vsbengine.cli.main import app

runner = CliRunner()
TODAY = ["--today", "2026-11-23"]


@pytest.fixture
def good(tmp_path):
    path = tmp_path / "good.920000"
    path.write_bytes(clean(200, seed=41))
    return path


def test_validate_accepted_exits_0_with_a_summary(good):
    r = runner.invoke(app, ["validate", str(good), *TODAY])
    assert r.exit_code == 0, r.output
    assert "sending:  accepted (DF014, settlement DF015)" in r.output


def test_validate_names_the_record_95_of_an_error_by_its_byte(tmp_path):
    s = Sending(clean(200, seed=41))
    i = next(i for i, r in enumerate(s.records) if r[:2] == "95")
    s.put_at(i, 66, "99999999")  # zone 409: the number of records of the mutuality
    path = tmp_path / "s.920000"
    path.write_bytes(s.tobytes())
    out = json.loads(runner.invoke(app, ["validate", str(path), "--json", *TODAY]).output)
    e = next(e for e in out["errors"] if e["code"] == "950920")
    assert e["record"] is None and e["offset"] == 227 + 350 * i + 65
    text = runner.invoke(app, ["validate", str(path), *TODAY]).output
    assert re.search(rf"byte {e['offset']} +type 95 +zone 409 +950920", text), text


def test_validate_json_contract(tmp_path):
    path = tmp_path / "bad.920000"
    path.write_bytes(clean(400, seed=42, error_rate=0.2))
    r = runner.invoke(app, ["validate", str(path), "--json", *TODAY])
    assert r.exit_code == 1
    out = json.loads(r.stdout)
    for key in (
        "technical",
        "decision",
        "rejection_type",
        "records_total",
        "records_rejected",
        "error_ratio",
        "invoices_total",
        "invoices_rejected",
        "errors",
    ):
        assert key in out
    assert (out["technical"], out["decision"], out["rejection_type"]) == ("DF011", "DF013", "02")
    assert out["error_ratio"] > 5
    e = out["errors"][0]
    assert set(e) >= {"code", "letter", "record", "record_type", "zone"}
    assert len(e["code"]) == 6 and e["letter"] in "BFR"


def test_validate_writes_answers_with_documented_names(good, tmp_path):
    out = tmp_path / "answers"
    r = runner.invoke(app, ["validate", str(good), "--out", str(out), *TODAY])
    assert r.exit_code == 0
    assert sorted(p.name for p in out.iterdir()) == [
        "DF011_931000.dat",
        "DF014_920098.dat",
        "DF015_920900.dat",
        "report.json",
        "sending.json",
    ]
    assert json.loads((out / "report.json").read_text())["decision"] == "DF014"


def test_validate_echo_option(good, tmp_path):
    for echo, size in (("errors", 2277), ("all", None)):
        out = tmp_path / echo
        r = runner.invoke(app, ["validate", str(good), "--out", str(out), "--echo", echo, *TODAY])
        assert r.exit_code == 0, r.output
        got = (out / "DF014_920098.dat").stat().st_size
        assert (
            got == size
            if size
            else got == 677 + 800 * json.loads((out / "report.json").read_text())["records_total"]
        )
    r = runner.invoke(app, ["validate", str(good), "--echo", "some", *TODAY])
    assert r.exit_code == 2 and "--echo must be errors or all" in r.stderr


def test_technical_rejection_exits_1(tmp_path):
    s = Sending(clean(60, seed=43))
    s.records[-1] = s.records[-1][:65] + "00000001" + s.records[-1][73:]
    path = tmp_path / "counts.920000"
    path.write_bytes(s.tobytes())
    r = runner.invoke(app, ["validate", str(path), "--json", *TODAY])
    assert r.exit_code == 1
    out = json.loads(r.stdout)
    assert out["technical"] == "DF012" and out["decision"] is None


@pytest.mark.parametrize(
    "content,message",
    [
        (None, "no such file"),
        (b"", "empty file: not a billing file"),
        (b"\x00\x01garbage" * 50, "not a billing file"),
        (b"931000" + b"0" * 221, "this is an answer message (931000)"),
    ],
)
def test_unusable_input_exits_2_with_one_line(tmp_path, content, message):
    path = tmp_path / "input.dat"
    if content is not None:
        path.write_bytes(content)
    r = runner.invoke(app, ["validate", str(path)])
    assert r.exit_code == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0] and "Traceback" not in r.output


def test_a_name_with_a_line_break_or_an_escape_stays_on_its_line(tmp_path):
    """A file's name is printed with its control characters as "?": the summary's
    first line, and the one line of an error."""
    path = tmp_path / "a\nb\x1b[31m.920000"
    path.write_bytes(clean(60, seed=42))
    r = runner.invoke(app, ["validate", str(path), *TODAY])
    assert r.exit_code == 0, r.output
    assert r.output.splitlines()[0].startswith(f"{tmp_path}/a?b?[31m.920000: ")
    missing = runner.invoke(app, ["validate", str(tmp_path / "no\nsuch.920000")])
    assert missing.exit_code == 2
    assert missing.stderr.splitlines() == [
        f"vsbengine: error: {tmp_path}/no?such.920000: no such file"
    ]


def test_a_name_whose_bytes_are_not_utf8_goes_everywhere(tmp_path):
    """A file named in Latin-1 on another system ("factuur-\xe9.920000", the byte 0xE9
    is no UTF-8): the JSON result, the answers' folder, a proposal signed later, a
    register and a bulk run name it with that byte as "\\xe9", and the sign-off still
    finds the file by its real name."""
    import os
    import shutil
    from pathlib import Path

    sample = Path(__file__).parents[1] / "engine" / "data" / "sample"
    raw = os.fsencode(tmp_path) + b"/in/factuur-\xe9.920000"
    os.makedirs(os.fsencode(tmp_path) + b"/in")
    shutil.copy(sample / "sending.920000", raw)
    name = os.fsdecode(raw)
    shown = f"{tmp_path}/in/factuur-\\xe9.920000"
    r = runner.invoke(app, ["validate", name, "--json"])
    assert r.exit_code == 0 and json.loads(r.stdout)["file"] == shown
    out = tmp_path / "out"
    r = runner.invoke(app, ["validate", name, "--refs", str(sample / "refs"), "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert json.loads((out / "report.json").read_text())["file"] == shown
    assert json.loads((out / "sending.json").read_text())["file"] == shown
    assert json.loads((out / "proposal.json").read_text())["file"] == name  # read back whole
    r = runner.invoke(app, ["sign", str(out), "--by", "An Peeters"])
    assert r.exit_code == 0 and "signed by An Peeters" in r.stdout, r.output
    reg = tmp_path / "r.sqlite"
    r = runner.invoke(app, ["receive", name, "--register", str(reg)])
    assert r.exit_code == 0 and r.stdout.startswith(f"{shown}: sending 1: "), r.output
    r = runner.invoke(app, ["bulk", str(tmp_path / "in"), "--out", str(tmp_path / "bulk")])
    assert r.exit_code == 0, r.output
    files = json.loads((tmp_path / "bulk" / "summary.json").read_text())["files"]
    assert [f["path"] for f in files] == [shown]
    answer = os.fsdecode(os.fsencode(tmp_path) + b"/antwoord-\xe9.dat")
    shutil.copy(out / "DF014_920098.dat", answer)
    r = runner.invoke(app, ["read", answer])
    assert r.exit_code == 0 and r.stdout.startswith(f"{tmp_path}/antwoord-\\xe9.dat: DF014 ")


def test_bad_option_values_exit_2(good):
    r = runner.invoke(app, ["validate", str(good), "--today", "tomorrow"])
    assert r.exit_code == 2 and "--today must be a date" in r.stderr


def test_generate_then_validate(tmp_path):
    path, manifest = tmp_path / "g.920000", tmp_path / "g.json"
    r = runner.invoke(
        app,
        [
            "generate",
            str(path),
            "--records",
            "3000",
            "--seed",
            "4",
            "--error-rate",
            "0.01",
            "--month",
            "2026-10",
            "--manifest",
            str(manifest),
        ],
    )
    assert r.exit_code == 0, r.output
    expected = json.loads(manifest.read_text())["expected"]
    r = runner.invoke(app, ["validate", str(path), "--json", *TODAY])
    got = [{"record": e["record"], "code": e["code"]} for e in json.loads(r.stdout)["errors"]]
    assert sorted(got, key=lambda x: (x["record"], x["code"])) == expected


def test_generate_refuses_bad_kinds(tmp_path):
    r = runner.invoke(
        app, ["generate", str(tmp_path / "x"), "--kinds", "999999", "--error-rate", "0.1"]
    )
    assert r.exit_code == 2 and "cannot inject 999999" in r.stderr


def test_explain():
    r = runner.invoke(app, ["explain", "509902"])
    assert r.exit_code == 0
    assert "letter B" in r.output and "Record check digits wrong" in r.output
    assert "Controlecijfer van het record fout" in r.output
    r = runner.invoke(app, ["explain", "960920", "--json"])
    assert json.loads(r.stdout)["letter"] is None
    r = runner.invoke(app, ["explain", "123"])
    assert r.exit_code == 2 and "unknown code" in r.stderr


@pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus not beside the repository")
def test_validate_a_corpus_file():
    r = runner.invoke(app, ["validate", str(CORPUS / "TFAC1SC09.509E"), "--today", "2026-01-01"])
    assert r.exit_code == 1
    assert "rejection type 01: blocking errors" in r.output and "509902" in r.output


def test_validate_in_chunks_gives_the_same_json(tmp_path, monkeypatch):
    # In the test process the command's limit would count pytest's memory too.
    monkeypatch.setattr("vsbengine.pipeline.resident", lambda: 0)
    path = tmp_path / "big.920000"
    path.write_bytes(clean(6000, seed=44, error_rate=0.01))
    whole = runner.invoke(app, ["validate", str(path), "--json", *TODAY])
    chunked = runner.invoke(
        app, ["validate", str(path), "--json", "--memory-limit", "64M", "--threads", "2", *TODAY]
    )
    assert whole.exit_code == chunked.exit_code
    assert json.loads(whole.stdout) == json.loads(chunked.stdout)
    bad = runner.invoke(app, ["validate", str(path), "--memory-limit", "lots"])
    assert bad.exit_code == 2 and "--memory-limit must be a size" in bad.stderr
    small = runner.invoke(app, ["validate", str(path), "--memory-limit", "1M"])
    assert small.exit_code == 2 and "at least 64 MB" in small.stderr


def test_validate_out_refuses_another_sendings_folder(good, tmp_path):
    out = tmp_path / "answers"
    assert runner.invoke(app, ["validate", str(good), "--out", str(out), *TODAY]).exit_code == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    other = tmp_path / "other.920000"
    s = Sending(clean(60, seed=43))
    s.records[-1] = s.records[-1][:65] + "00000001" + s.records[-1][73:]  # a DF012
    other.write_bytes(s.tobytes())
    r = runner.invoke(app, ["validate", str(other), "--out", str(out), *TODAY])
    assert r.exit_code == 2
    assert r.stderr == (
        f"vsbengine: error: {out}: holds the answers of another sending ({good}): "
        "use an empty folder\n"
    )
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before  # nothing mixed in
    # A folder with answers of unknown origin is refused too.
    stray = tmp_path / "stray"
    stray.mkdir()
    (stray / "DF014_920098.dat").write_text("old")
    r = runner.invoke(app, ["validate", str(good), "--out", str(stray), *TODAY])
    assert r.exit_code == 2 and "holds the answers of another sending: use" in r.stderr
    # The output folder of bulk runs (its sendings' folders under it).
    night = tmp_path / "night"
    night.mkdir()
    (night / "processed.jsonl").write_text("")
    r = runner.invoke(app, ["validate", str(good), "--out", str(night), *TODAY])
    assert r.exit_code == 2 and r.stderr == (
        f"vsbengine: error: {night}: is the output folder of bulk runs (processed.jsonl): "
        "validate into a folder of its own\n"
    )
    assert sorted(p.name for p in night.iterdir()) == ["processed.jsonl"]


def test_validate_out_again_for_the_same_sending_replaces_its_answers(good, tmp_path):
    out = tmp_path / "answers"
    assert runner.invoke(app, ["validate", str(good), "--out", str(out), *TODAY]).exit_code == 0
    (out / "DF013_920099.dat").write_text("a stale answer of an earlier run")
    r = runner.invoke(app, ["validate", str(good), "--out", str(out), *TODAY])
    assert r.exit_code == 0
    assert "DF013_920099.dat" not in {p.name for p in out.iterdir()}
    owner = json.loads((out / "sending.json").read_text())
    assert owner["file"] == str(good) and len(owner["blake2b"]) == 32


def test_validate_reference_is_written_and_checked(good, tmp_path):
    out = tmp_path / "answers"
    r = runner.invoke(
        app, ["validate", str(good), "--out", str(out), "--reference", "4242", *TODAY]
    )
    assert r.exit_code == 0
    assert (out / "DF011_931000.dat").read_bytes()[36:50] == b"00000000004242"
    r = runner.invoke(app, ["validate", str(good), "--reference", str(10**14), *TODAY])
    assert r.exit_code == 2 and "--reference must have at most 14 digits" in r.stderr


def test_validate_reads_a_sending_from_stdin(good, tmp_path):
    data = good.read_bytes()
    out = tmp_path / "answers"
    r = runner.invoke(app, ["validate", "-", "--out", str(out), *TODAY], input=data)
    assert r.exit_code == 0, r.output
    assert r.stdout.startswith("stdin: ")
    assert (out / "DF015_920900.dat").exists()
    again = runner.invoke(app, ["validate", str(good), "--out", str(tmp_path / "b"), *TODAY])
    assert again.exit_code == 0
    assert (out / "DF015_920900.dat").read_bytes() == (
        tmp_path / "b" / "DF015_920900.dat"
    ).read_bytes()


def test_a_proposal_from_stdin_is_refused_before_anything_is_written(good, tmp_path):
    refs = tmp_path / "refs"
    refs.mkdir()
    out = tmp_path / "answers"
    r = runner.invoke(
        app,
        ["validate", "-", "--refs", str(refs), "--out", str(out), *TODAY],
        input=good.read_bytes(),
    )
    assert r.exit_code == 2
    assert r.stderr == (
        "vsbengine: error: a proposal needs the sending as a file (its path is "
        "recorded): give its path instead of -\n"
    )
    assert not out.exists()


def test_validate_empty_stdin_is_unusable():
    r = runner.invoke(app, ["validate", "-", *TODAY], input=b"")
    assert r.exit_code == 2
    assert r.stderr == "vsbengine: error: byte 0: empty file: not a billing file\n"


def test_validate_a_pipe_is_not_an_empty_file(good):
    import subprocess
    import sys

    cmd = [sys.executable, "-m", "vsbengine", "validate", "/dev/stdin", *TODAY]
    r = subprocess.run(cmd, input=good.read_bytes(), capture_output=True)
    assert r.returncode == 0, r.stderr
    assert r.stdout.decode().startswith("/dev/stdin: ")


def test_validate_summary_in_dutch(tmp_path):
    path = tmp_path / "bad.920000"
    path.write_bytes(clean(400, seed=42, error_rate=0.2))
    r = runner.invoke(app, ["validate", str(path), "--lang", "nl", *TODAY])
    assert r.exit_code == 1
    lines = r.stdout.splitlines()
    assert lines[1] == "  bestand:  aanvaard (DF011)"
    assert lines[2] == "  zending:  verworpen (DF013, type verwerping 02: meer dan 5 % verworpen)"
    assert "  fouten:   " in r.stdout and "alle fouten per code:" in r.stdout
    from vsbengine.formats.efact.catalogue import catalogue

    first = json.loads(runner.invoke(app, ["validate", str(path), "--json", *TODAY]).stdout)
    assert catalogue()[first["errors"][0]["code"]].nl in r.stdout
    bad = runner.invoke(app, ["validate", str(path), "--lang", "fr", *TODAY])
    assert (bad.exit_code, bad.stderr) == (
        2,
        "vsbengine: error: --lang (or VSBENGINE_LANG) must be one of en, nl, not 'fr'\n",
    )


def test_summary_caps_framing_problems_and_counts_them(tmp_path):
    data = bytearray(clean(400, seed=43))
    data[5000:5001] = b"\n"  # one bad character shifts every record after it
    path = tmp_path / "shifted.920000"
    path.write_bytes(bytes(data))
    r = runner.invoke(app, ["validate", str(path), *TODAY])
    assert r.exit_code == 1
    shown = [x for x in r.stdout.splitlines() if x.startswith("  problem:")]
    assert len(shown) == 10
    total = len(
        json.loads(runner.invoke(app, ["validate", str(path), "--json", *TODAY]).stdout)["problems"]
    )
    assert total > 100
    assert f"{total - 10} more framing problems, by kind:" in r.stdout
    counted = [x for x in r.stdout.splitlines() if " x " in x and "problem" not in x]
    assert sum(int(x.split(" x ")[0]) for x in counted) == total - 10
    assert any("record type '…' is not a record of message 920000" in x for x in counted)
    assert len(r.stdout.splitlines()) < 40


def test_summary_counts_every_error_by_code(tmp_path):
    path = tmp_path / "bad.920000"
    path.write_bytes(clean(400, seed=42, error_rate=0.2))
    r = runner.invoke(app, ["validate", str(path), *TODAY])
    errors = json.loads(runner.invoke(app, ["validate", str(path), "--json", *TODAY]).stdout)[
        "errors"
    ]
    assert len(errors) > 20
    tail = r.stdout.split("every error by code:\n", 1)[1].splitlines()
    counts = {x.split()[2]: int(x.split()[0]) for x in tail}
    from collections import Counter

    assert counts == Counter(e["code"] for e in errors)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/statm")
def test_the_commands_memory_limit_counts_the_whole_process(tmp_path):
    """--memory-limit is the command's: a file the engine alone would fit in 64 MB is
    refused when the interpreter and its libraries leave too little of it."""
    path = tmp_path / "big.920000"
    with open(path, "wb") as fh:  # sparse: 100 MB that take no disk
        fh.write(clean(60, seed=3))
        fh.truncate(100 << 20)
    done = subprocess.run(
        [sys.executable, "-m", "vsbengine", "validate", str(path), "--memory-limit", "64M"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    m = re.search(r"give a limit of (\d+) MB or more", done.stderr)
    assert m and int(m[1]) > 64 and done.stderr.count("\n") == 1, done.stderr
    from vsbengine.pipeline import PROCESS_BASE, fits

    fits(100 << 20, 64 << 20, str(path), PROCESS_BASE)  # the API's default lets it in
