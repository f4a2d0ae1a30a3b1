"""Every viplive and blockade command with hostile arguments: exit 2, one line on stderr,
no traceback (huge dates, negative counts, oversized fields, folders for files)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

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
    # Digits that are no ASCII digits: superscript (Latin-1 B2), fullwidth, Arabic-Indic.
    (V, "spec", "--ledger", "{t}/l.sqlite", "--quarter", "2021-Q2", "--out", "{t}/o",
     "--agb", "１２３４５６７８"),
    (V, "spec", "--ledger", "{t}/l.sqlite", "--quarter", "2021-Q2", "--out", "{t}/o",
     "--agb", "0100000²"),
    (V, "spec", "--ledger", "{t}/l.sqlite", "--quarter", "٢٠٢١-Q2", "--out", "{t}/o"),
    (V, "schedule", "2021-Q2", "--follow-ups", "٣"),
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
    (B, "generate", "--out", "{t}/g", "--actions", "３٠"),
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


# -- the billing-file and register commands ---------------------------------------------------


@pytest.fixture(scope="module")
def efact(tmp_path_factory):
    """A sending with its reference data, a proposal folder, a register with the sending,
    answers gone wrong, reference data with a field over 128 KiB, 5 GB sparse files."""
    import vsbengine
    from vsbengine import signoff
    from vsbengine.formats.efact.answers import Answers
    from vsbengine.formats.efact.generate import generate
    from vsbengine.receive import receive

    tmp = tmp_path_factory.mktemp("hostile-efact")
    g = generate(200, seed=7, month=202610, references=True)
    g.write(tmp / "s.920000")
    g.write_refs(tmp / "refs")
    (tmp / "folder").mkdir()
    engine = vsbengine.Engine(tmp / "refs", today=20261123)
    result = engine.validate(tmp / "s.920000")
    signoff.propose(result, tmp / "proposal", engine.refs)
    receive(str(tmp / "r.sqlite"), [str(tmp / "s.920000")], refs=str(tmp / "refs"),
            today=__import__("datetime").date(2026, 11, 23))  # fmt: skip
    answer = Answers(vsbengine.validate(tmp / "s.920000", today=20261123)).bytes("DF014")
    (tmp / "nuls.dat").write_bytes(answer + b"\0" * 1000)
    (tmp / "empty.sqlite").write_bytes(b"")
    # zone 310 (the error percentage) of segment 300: the insurer's, not the facility's
    (tmp / "super.dat").write_bytes(answer[:208] + "²".encode("latin-1") + answer[209:])
    for name, head in (("huge.920000", g.tobytes()), ("huge-answer.dat", answer)):
        with open(tmp / name, "wb") as fh:
            fh.write(head)
            fh.truncate(5 * 10**9)
    long_refs = tmp / "refs-long"
    long_refs.mkdir()
    for p in (tmp / "refs").iterdir():
        (long_refs / p.name).write_bytes(p.read_bytes())
    lines = (long_refs / "facilities.csv").read_text().splitlines()
    cells = lines[1].split(",")
    cells[1] = "x" * (200 * 1024)
    lines[1] = ",".join(cells)
    (long_refs / "facilities.csv").write_text("\n".join(lines) + "\n")
    return tmp


BIG = "9" * 100_000
E = [
    ("validate", "{t}/folder"),
    ("validate", "{t}/none.920000"),
    ("validate", "{t}/s.920000", "--today", "99999-12-31"),
    ("validate", "{t}/s.920000", "--reference", "-1"),
    ("validate", "{t}/s.920000", "--reference", "100000000000000000000"),
    ("validate", "{t}/s.920000", "--memory-limit", "1"),
    ("validate", "{t}/s.920000", "--memory-limit", "lots"),
    ("validate", "{t}/s.920000", "--memory-limit", "１G"),
    ("validate", "{t}/s.920000", "--memory-limit", "٦٤M"),
    ("validate", "{t}/s.920000", "--memory-limit", "infG"),
    ("validate", "{t}/s.920000", "--memory-limit", "9" * 400 + "G"),
    ("validate", "{t}/s.920000", "--reference", "١٢٣"),
    ("validate", "{t}/s.920000", "--today", "２٠٢٦-11-23"),
    ("validate", "{t}/huge.920000", "--memory-limit", "64M"),
    ("validate", "{t}/s.920000", "--threads", "0"),
    ("validate", "{t}/s.920000", "--threads", "100000"),
    ("validate", "{t}/s.920000", "--refs", "{t}/refs-long"),
    ("validate", "{t}/s.920000", "--refs", "{t}/s.920000"),
    ("validate", "{t}/s.920000", "--out", "{t}/s.920000"),
    ("validate", "{t}/s.920000", "--echo", "bogus"),
    ("validate", "{t}/s.920000", "--refs", "{t}/refs", "--out", "{t}/o1", "--sign-as", "a\nb"),
    ("validate", "{t}/s.920000", "--refs", "{t}/refs", "--out", "{t}/o2", "--sign-as", BIG),
    ("validate", BIG),
    ("read", "{t}/folder"),
    ("read", "{t}/s.920000"),
    ("read", "{t}/huge-answer.dat"),
    ("read", "{t}/super.dat"),
    ("read", "{t}/nuls.dat"),
    ("read", "{t}/nuls.dat", "--codes", "{t}/folder"),
    ("generate", "{t}/g.920000", "--records", "10000000000"),
    ("generate", "{t}/g.920000", "--records", "-1"),
    ("generate", "{t}/g.920000", "--month", "9999-12"),
    ("generate", "{t}/g.920000", "--seed", "-1"),
    ("generate", "{t}/g.920000", "--error-rate", "2"),
    ("generate", "{t}/folder", "--records", "10"),
    ("generate", "{t}/g.920000", "--records", "10", "--manifest", "{t}/folder"),
    ("explain", BIG),
    ("explain", "٠٣٠١٤٠"),
    ("explain", "０３０１４０"),
    ("schema", BIG),
    ("bulk", "{t}/s.920000", "--out", "{t}/b", "--workers", "0"),
    ("bulk", "{t}/s.920000", "--out", "{t}/b", "--workers", "-1"),
    ("bulk", "{t}/s.920000", "--out", "{t}/b", "--workers", "100000"),
    ("bulk", "{t}/s.920000", "--out", "{t}/b", "--dask-local", "100000"),
    ("bulk", "{t}/s.920000", "--out", "{t}/b", "--memory-limit", "1"),
    ("bulk", "{t}/s.920000", "--out", "{t}/b", "--today", "99999-01-01"),
    ("bulk", "{t}/s.920000", "--out", "{t}/s.920000"),
    ("bulk", "{t}/s.920000", "--register", "{t}/folder"),
    ("bulk", "{t}/s.920000", "--out", "{t}/b", "--refs", "{t}/refs", "--sign-as", "a\tb"),
    ("receive", "{t}/s.920000", "--register", "{t}/r2.sqlite", "--workers", "-1"),
    ("receive", "{t}/s.920000", "--register", "{t}/r2.sqlite", "--workers", "100000"),
    ("receive", "{t}/s.920000", "--register", "{t}/folder"),
    ("receive", "{t}/s.920000", "--register", "{t}/r2.sqlite", "--memory-limit", "1"),
    ("receive", "{t}/s.920000", "--register", "{t}/r2.sqlite", "--reference", BIG),
    ("receive", "{t}/s.920000", "--register", "{t}/r2.sqlite", "--today", "9999-99-99"),
    ("inbox", "{t}/folder"),
    ("inbox", "{t}/s.920000"),
    ("inbox", "{t}/r.sqlite", "--due", "9999-99-99"),
    ("sign", "{t}/folder", "--by", "x"),
    ("sign", "{t}/s.920000", "--by", "x"),
    ("sign", "{t}/proposal", "--by", ""),
    ("sign", "{t}/proposal", "--by", BIG),
    ("sign", "{t}/r.sqlite", "99999999999999999999", "--by", "x"),
    ("sign", "{t}/r.sqlite", "-1", "--by", "x"),
    ("sign", "{t}/r.sqlite", "١", "--by", "x"),
    ("confirm", "{t}/r.sqlite", "¹", "--by", "x"),
    ("confirm", "{t}/proposal", "--by", "x"),
    ("confirm", "{t}/r.sqlite", "1", "--by", "a\nb"),
    ("confirm", "{t}/r.sqlite", "1", "--by", "Ann\u202eX"),  # a right-to-left override
    ("review", "{t}/folder"),
    ("review", "{t}/s.920000"),
    ("review", "{t}/r.sqlite", "99999999999999999999"),
    ("review", "{t}/r.sqlite", "١"),
    ("review", "{t}/proposal", "--out", "{t}/folder"),
    ("review", "{t}/proposal", "--lang", BIG),
    ("report", "{t}/folder"),
    ("report", "{t}/s.920000"),
    ("report", "{t}/r.sqlite", "--run", BIG),
    ("report", "{t}/r.sqlite", "--run", "-1"),
    ("report", "{t}/r.sqlite", "--run", "١"),
    ("report", "{t}/r.sqlite", "--out", "{t}/s.920000"),
    ("bulk", "{t}/s.920000", "--out", "{t}/o", "--scheduler", "bogus"),
    ("bulk", "{t}/s.920000", "--out", "{t}/o", "--dask-local", "1", "--workers", "2"),
    ("bulk", "{t}/s.920000", "--out", "{t}/o", "--scheduler", "tcp://[::1"),
    ("inbox", "{t}/empty.sqlite"),
]  # fmt: skip


def _short(args) -> str:
    return " ".join(a if len(a) < 30 else a[:12] + "..." for a in args)


@pytest.mark.parametrize("args", E, ids=[f"{i:02d} {_short(c)}" for i, c in enumerate(E)])
def test_billing_commands_with_hostile_arguments_exit_2(efact, args, monkeypatch):
    monkeypatch.chdir(efact)
    r = CliRunner().invoke(app, [a.format(t=efact) for a in args])
    assert r.exception is None or isinstance(r.exception, SystemExit), repr(r.exception)
    assert r.exit_code == 2, (r.exit_code, r.stdout[:500], r.stderr[:500])
    assert r.stderr.count("\n") == 1 and r.stderr.startswith("vsbengine: error: "), r.stderr
    assert len(r.stderr) < 600, "an argument echoed whole"
    assert ".tmp" not in r.stderr, "a temporary name instead of the file"
    assert "Traceback" not in r.stderr + r.stdout


def test_every_command_is_walked():
    """A command added later gets hostile arguments here too."""
    from typer.main import get_command

    group = get_command(app)
    walked = {c[0] for c in E} | {f"{c[0]} {c[1]}" for c in CASES}
    for name, command in group.commands.items():
        subs = getattr(command, "commands", None)
        if subs:
            assert {f"{name} {s}" for s in subs} <= walked, name
        else:
            assert name in walked, name


@pytest.mark.parametrize(
    "args, message",
    [
        (("validate", "{t}/s.920000", "--memory-limit", "１G"),
         "--memory-limit must be a size such as 512M or 2G, not '１G'"),
        (("validate", "{t}/s.920000", "--memory-limit", "infG"),
         "--memory-limit must be a size such as 512M or 2G, not 'infG'"),
        (("report", "{t}/r.sqlite", "--run", "١"), "--run must be a run's number, not '١'"),
        (("explain", "٠٣٠١٤٠"),
         "unknown code '٠٣٠١٤٠': neither vsbengine nor the insurers' list has it"),
    ],
)  # fmt: skip
def test_numbers_in_other_digits_are_refused_with_the_usual_line(efact, args, message):
    r = CliRunner().invoke(app, [a.format(t=efact) for a in args])
    assert (r.exit_code, r.stderr) == (2, f"vsbengine: error: {message}\n")


@pytest.mark.parametrize("agb", ["１２３４５６７８", "0100000²", "٠١٠٠٠٠٠٣"])
def test_an_agb_code_in_other_digits_is_refused(place, agb):
    r = CliRunner().invoke(
        app,
        [V, "spec", "--ledger", str(place / "l.sqlite"), "--quarter", "2021-Q2",
         "--out", str(place / "o"), "--agb", agb],
    )  # fmt: skip
    assert (r.exit_code, r.stderr) == (
        2,
        f"vsbengine: error: --agb must be an AGB code of 8 digits, not {agb!r}\n",
    )


@pytest.mark.parametrize(
    "command",
    [
        "vsbengine validate /dev/zero --memory-limit 64M",
        "vsbengine validate - --memory-limit 64M < /dev/zero",
        "vsbengine validate - <&-",
    ],
)
def test_a_stream_without_end_or_no_stream_is_one_line_exit_2(command):
    """A device or a producer that never stops is read up to the memory limit, then
    refused; a closed standard input is said so (not a MemoryError or an internal
    error)."""
    bin_dir = Path(sys.executable).parent
    r = subprocess.run(["sh", "-c", command.replace("vsbengine", str(bin_dir / "vsbengine"))],
                       capture_output=True, text=True, timeout=120)  # fmt: skip
    assert r.returncode == 2, r.stderr
    lines = r.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("vsbengine: error: ")
    assert "stream goes on past 67,108,864 bytes" in lines[0] or "is closed" in lines[0]


def test_read_of_a_stream_is_bounded_like_a_file(monkeypatch):
    from vsbengine.formats.efact import reader

    monkeypatch.setattr(reader, "MAX_ANSWER_BYTES", 1 << 20)
    r = CliRunner().invoke(app, ["read", "/dev/zero"])
    assert r.exit_code == 2
    assert r.stderr.startswith("vsbengine: error: /dev/zero: the stream goes on past 1,048,576")


@pytest.mark.parametrize(
    "redirect, said",
    [
        ("> /dev/full", "standard output: No space left on device"),  # a full disk
        (">&-", "standard output is closed: give >/dev/null to discard it"),  # no silent 0
    ],
)
def test_standard_output_that_takes_nothing_is_one_line_exit_2(redirect, said):
    vsb = Path(sys.executable).parent / "vsbengine"
    r = subprocess.run(["sh", "-c", f"{vsb} explain 030511 {redirect}"], capture_output=True,
                       text=True, timeout=60)  # fmt: skip
    assert (r.returncode, r.stderr) == (2, f"vsbengine: error: {said}\n")
