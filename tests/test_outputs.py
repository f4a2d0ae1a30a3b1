"""vsbengine.outputs: one scan per command, the same bytes as the answers, all or nothing."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest
from efact_edit import TODAY
from typer.testing import CliRunner

import vsbengine
from vsbengine import _core, bulk, fsio, outputs, signoff
from vsbengine.cli.main import app
from vsbengine.formats.efact.answers import FILE_NAMES, Answers
from vsbengine.formats.efact.generate import generate

runner = CliRunner()
DATE = "2026-11-23"


@pytest.fixture(scope="module")
def sendings(tmp_path_factory):
    """An accepted and a rejected sending with their reference data."""
    folder = tmp_path_factory.mktemp("sendings")
    paths = {}
    for name, rate in (("accepted", 0.01), ("rejected", 0.2)):
        g = generate(3000, seed=171, month=202610, references=True, error_rate=rate)
        paths[name] = folder / f"{name}.920000"
        g.write(paths[name])
        g.write_refs(folder / f"refs-{name}")
    return folder, paths


def scans_of(fn) -> tuple[int, int]:
    """Full scans and framing-only scans the core ran while ``fn`` ran."""
    before = _core.scan_counts()
    fn()
    after = _core.scan_counts()
    return after.scans - before.scans, after.framings - before.framings


def cli(*args: str):
    r = runner.invoke(app, [str(a) for a in args])
    assert r.exit_code in (0, 1), r.output
    return r


def test_each_command_scans_the_sending_once(sendings, tmp_path):
    folder, paths = sendings
    acc, rej = paths["accepted"], paths["rejected"]
    refs = folder / "refs-accepted"
    assert scans_of(lambda: cli("validate", acc, "--today", DATE))[0] == 1
    assert scans_of(lambda: cli("validate", acc, "--today", DATE, "--out", tmp_path / "a"))[0] == 1
    signed = tmp_path / "signed"
    run = lambda: cli(
        "validate", acc, "--today", DATE, "--refs", refs, "--out", signed, "--sign-as", "robot"
    )
    assert scans_of(run)[0] == 1
    assert {"DF014_920098.dat", "DF015_920900.dat", "DF017_payment_order.xml"} <= set(
        os.listdir(signed)
    )
    # A sign-off in a command of its own scans the sending once (and hashes it once).
    proposed = tmp_path / "proposed"
    cli("validate", acc, "--today", DATE, "--refs", refs, "--out", proposed)
    assert scans_of(lambda: cli("sign", proposed, "--by", "An"))[0] == 1
    rejected = tmp_path / "rejected"
    cli("validate", rej, "--today", DATE, "--refs", folder / "refs-rejected", "--out", rejected)
    assert scans_of(lambda: cli("confirm", rejected, "--by", "An"))[0] == 1
    # What a bulk worker runs per file.
    outcome = []
    assert (
        scans_of(lambda: outcome.append(bulk.validate_file(str(acc), str(tmp_path / "b"))))[0] == 1
    )
    assert outcome[0].outcome == "accepted"


def test_under_a_memory_limit_each_chunk_is_scanned_twice_at_most(sendings, tmp_path):
    _, paths = sendings
    path = paths["accepted"]
    size = path.stat().st_size
    engine = vsbengine.Engine(today=TODAY, memory_limit=64 << 20)
    box = []
    full, framing = scans_of(lambda: box.append(engine.validate(path)))
    result = box[0]
    plan = result.scans.plan
    assert result.scans.kept is None and len(plan.chunks) > 1  # chunks of about 1 MB
    assert full == len(plan.chunks) and framing >= 1
    # The writers' one streaming pass: every byte once more (and the few copies put
    # before each chunk).
    before = _core.scan_counts().bytes
    outputs.write(result, tmp_path / "out", result.messages)
    scanned = _core.scan_counts().bytes - before
    assert size <= scanned <= size * 1.01
    one = vsbengine.validate(path, today=TODAY)
    for df in one.messages:
        assert (tmp_path / "out" / FILE_NAMES[df]).read_bytes() == Answers(one).bytes(df)


def test_files_are_the_answers_bytes(sendings, tmp_path):
    folder, paths = sendings
    engine = vsbengine.Engine(folder / "refs-accepted", today=TODAY)
    result = engine.validate(paths["accepted"])
    assert result.messages == ["DF011", "DF014", "DF015"]
    written = outputs.write(result, tmp_path, result.messages + ["DF016"])
    names = [p.name for p in written]
    assert names[:3] == [FILE_NAMES[df] for df in result.messages]
    assert all(n.startswith("DF016_") for n in names[3:]) and len(names) > 3
    for df in result.messages:
        assert (tmp_path / FILE_NAMES[df]).read_bytes() == Answers(result).bytes(df), df
    assert (tmp_path / outputs.REPORT).read_bytes() == result.to_json() + b"\n"
    assert not fsio.leftovers(tmp_path)


def test_a_failure_publishes_nothing(sendings, tmp_path, monkeypatch):
    _, paths = sendings
    result = vsbengine.validate(paths["accepted"], today=TODAY)
    from vsbengine.formats.efact import answers

    def broken(self, fh):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(answers.Interleaved, "write_to", broken)
    with pytest.raises(OSError, match="No space left"):
        outputs.write(result, tmp_path / "out", result.messages)
    assert os.listdir(tmp_path / "out") == []


def test_a_disk_full_as_the_files_close_publishes_nothing(sendings, tmp_path, monkeypatch):
    """The disk fills when the buffered end of the first answer goes to disk: that is
    before any file is placed, so none is (before, the later files were placed, then
    the first failed: DF014 and DF015 without DF011)."""
    _, paths = sendings
    result = vsbengine.validate(paths["accepted"], today=TODAY)
    real = os.fsync
    first = {}

    def full(fd):
        name = os.readlink(f"/proc/self/fd/{fd}")
        if "DF011" in os.path.basename(name):  # its temporary file
            first.setdefault("hit", name)
            raise OSError(28, "No space left on device")
        return real(fd)

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(OSError, match="No space left"):
        outputs.write(result, tmp_path / "out", result.messages)
    assert first and os.listdir(tmp_path / "out") == []


def test_killed_while_writing_leaves_no_half_answer(sendings, tmp_path):
    """kill -9 in the middle of the echo: no final file appears; only temporaries stay."""
    _, paths = sendings
    out = tmp_path / "out"
    script = textwrap.dedent(f"""
        import os, signal
        import vsbengine
        from vsbengine import outputs
        from vsbengine.formats.efact import answers

        calls = []
        write_to = answers.Interleaved.write_to

        def dying(self, fh):
            write_to(self, fh)
            calls.append(1)
            if len(calls) == 2:
                os.kill(os.getpid(), signal.SIGKILL)

        answers.Interleaved.write_to = dying
        answers.BLOCK = 500  # several pieces per message
        r = vsbengine.validate({str(paths["accepted"])!r}, today={TODAY})
        outputs.write(r, {str(out)!r}, r.messages)
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, check=False)
    assert done.returncode == -9, done.stderr
    left = os.listdir(out)
    assert left and all(fsio.is_temporary(name) for name in left)
    # A second run writes everything; the leftovers can be removed.
    result = vsbengine.validate(paths["accepted"], today=TODAY)
    outputs.write(result, out, result.messages)
    assert (out / "DF015_920900.dat").read_bytes() == Answers(result).bytes("DF015")
    assert fsio.remove_leftovers(out) and not fsio.leftovers(out)


def test_an_unattended_sign_off_decides_on_the_validated_scans(sendings, tmp_path):
    folder, paths = sendings
    engine = vsbengine.Engine(folder / "refs-accepted", today=TODAY)
    result = engine.validate(paths["accepted"], digest=True)
    assert result.digest == bulk.content_hash(str(paths["accepted"]))
    signoff.propose(result, tmp_path, engine.refs)
    full, _ = scans_of(lambda: signoff.settle(tmp_path, "robot", result=result))
    assert full == 0  # the validation's scans, kept
    assert (tmp_path / "decision.json").exists()


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/status")
def test_writing_the_answers_stays_within_the_memory_limit(tmp_path):
    """Peak memory (VmHWM) of validating a 150 MB sending under a 96 MB limit and writing
    its answers echoing every record (DF015 alone is then 340 MB)."""
    path = tmp_path / "big.920000"
    generate(430_000, seed=172, month=202610, error_rate=0.002).write(path)
    assert path.stat().st_size > 150e6
    script = textwrap.dedent(f"""
        import vsbengine
        from vsbengine import outputs
        r = vsbengine.validate({str(path)!r}, today={TODAY}, memory_limit=96 << 20)
        assert r.messages == ["DF011", "DF014", "DF015"], r.messages
        outputs.write(r, {str(tmp_path / "out")!r}, r.messages, echo="all")
        with open("/proc/self/status") as fh:
            print(next(line.split()[1] for line in fh if line.startswith("VmHWM")))
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    peak_kb = int(out.stdout.split()[-1])
    assert peak_kb * 1024 <= 96 << 20, f"peak {peak_kb // 1024} MB"
    assert (tmp_path / "out" / "DF015_920900.dat").stat().st_size > 340e6
