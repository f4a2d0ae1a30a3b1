"""``vsbengine bulk`` under faults: a full disk, kill -9 of the run at every step, and
its pool's workers when the run is killed. (Beside test_bulk.py: these run real
processes and file systems, and are kept apart so that the two stay readable.)"""

from __future__ import annotations

import contextlib
import functools
import json
import multiprocessing
import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import killpoints
import pytest

from vsbengine import bulk
from vsbengine.formats.efact.generate import generate
from vsbengine.fsio import is_temporary

TODAY = 20261123
PAYMENT = ("DF017_payment_order.json", "DF017_payment_order.xml")


@pytest.fixture(scope="module")
def sendings(tmp_path_factory):
    """Three sendings of one facility (the same reference data), and that data."""
    tmp = tmp_path_factory.mktemp("bulkfaults")
    (tmp / "in").mkdir()
    for n in (1, 2, 3):
        g = generate(200, seed=122, month=202610, references=True, sending_number=n)
        g.write(tmp / "in" / f"s{n}.920000")
    g.write_refs(tmp / "refs")
    return tmp


def _cli(*args, **kw):
    cmd = [sys.executable, "-m", "vsbengine.cli.main", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, **kw)


def _leftovers(out: Path) -> list[str]:
    """Temporary files, staged folders and .part files anywhere under ``out``."""
    found = []
    for folder, dirs, files in os.walk(out):
        found += [f"{folder}/{d}" for d in dirs if d.startswith(".decision-")]
        found += [f"{folder}/{f}" for f in files if is_temporary(f) or f.endswith(".part")]
        if folder == str(out / ".staging"):
            found += [f"{folder}/{d}" for d in dirs]
    return found


# -- a full disk ----------------------------------------------------------------------------


def _file_size_limit(limit: int):
    def limit_writes() -> None:
        # Writes past the limit fail with EFBIG ("File too large") instead of a signal:
        # the kernel refuses them as a full disk would.
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return limit_writes


def test_answers_that_cannot_be_written_are_named_and_the_run_goes_on(sendings, tmp_path):
    """One sending's answers are bigger than the files may grow: its outcome names the
    answer that failed, the other files are done, the summary is saved, nothing is
    left half written."""
    big = generate(3000, seed=5, month=202610, error_rate=0.01)
    big.write(sendings / "in-big.920000")
    out = tmp_path / "out"
    args = ["bulk", str(sendings / "in"), str(sendings / "in-big.920000"), "--out", str(out)]
    r = _cli(*args, "--workers", "1", "--today", "2026-11-23", "--json",
             preexec_fn=_file_size_limit(30_000))  # fmt: skip
    assert r.returncode == 1, r.stderr  # a file not done: exit 1, not a crash
    summary = json.loads(r.stdout)
    by_name = {Path(o["path"]).name: o for o in summary["files"]}
    failed = by_name["in-big.920000"]
    assert failed["outcome"] == "unreadable"
    assert failed["reason"].endswith(
        ("/DF014_920098.dat: File too large", "/DF015_920900.dat: File too large")
    ), failed["reason"]
    assert [by_name[f"s{n}.920000"]["outcome"] for n in (1, 2, 3)] == ["accepted"] * 3
    assert json.loads((out / "summary.json").read_text()) == summary
    assert _leftovers(out) == []


@pytest.fixture
def small_disk(tmp_path):
    """A 200 KB tmpfs (needs root, as in the CI container; skipped elsewhere)."""
    mount = tmp_path / "disk"
    mount.mkdir()
    made = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=200k", "tmpfs", str(mount)], capture_output=True
    )
    if made.returncode != 0:
        pytest.skip("cannot mount a small tmpfs here (not root)")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


def test_a_full_disk_keeps_the_runs_summary(sendings, small_disk):
    """The disk fills up part way: the files that fit are done, the others name the
    answer that failed; then with the disk full to the last byte, the summary is
    printed although it cannot be saved. Nothing half written is left either time."""
    more = sendings / "more"
    more.mkdir(exist_ok=True)
    for n in range(4, 12):
        generate(600, seed=n, month=202610, error_rate=0.02).write(more / f"m{n}.920000")
    out = small_disk / "out"
    args = ("bulk", str(more), "--out", str(out), "--workers", "1", "--today", "2026-11-23")
    r = _cli(*args)
    assert r.returncode in (1, 2), r.stderr  # 2: the summary did not fit either
    full = [line for line in r.stdout.splitlines() if line.startswith("unreadable: ")]
    assert full and all(line.endswith(": No space left on device") for line in full)
    assert all("/DF01" in line or "/report.json" in line for line in full), full
    assert _leftovers(out) == []
    for folder in out.iterdir():  # what was published is whole
        if folder.is_dir() and not folder.name.startswith(".") and folder.name != "runs":
            json.loads((folder / "report.json").read_text())
    # The last free byte taken.
    with contextlib.suppress(OSError), open(small_disk / "filler", "wb", buffering=0) as fh:
        while True:
            fh.write(b"x" * 512)
    r = _cli(*args, "--force")
    assert r.returncode == 2
    assert r.stderr == (
        f"vsbengine: error: {out}/summary.json: No space left on device (the run's summary "
        "could not be saved)\n"
    )
    assert "8 files, " in r.stdout and f"summary: not saved: {out}/summary.json" in r.stdout
    assert _leftovers(out) == []


# -- kill -9 ---------------------------------------------------------------------------------


def _killed_at(step: int, args: list[str]) -> int | None:
    return killpoints.killed_at(step, args, timeout=90)


def _orders(out: Path) -> dict[str, str]:
    """Per published folder: when its payment order was signed; and the invariant that a
    payment order is never in place without its decision (nor the reverse)."""
    signed = {}
    for folder in out.iterdir():
        if not folder.is_dir() or folder.name.startswith(".") or folder.name == "runs":
            continue
        names = set(os.listdir(folder))
        has_order, has_decision = set(PAYMENT) <= names, "decision.json" in names
        assert has_order == has_decision, (folder.name, sorted(names))
        assert not names & set(PAYMENT) or has_order, "half a payment order"
        if has_order:
            order = json.loads((folder / PAYMENT[0]).read_text())
            decision = json.loads((folder / "decision.json").read_text())
            assert order["signed_at"] == decision["at"] and "publishing" not in decision
            signed[folder.name] = decision["at"]
    return signed


def test_kill_9_of_a_signing_run_at_every_step(sendings, tmp_path):
    """A nightly run that signs at once is killed at every sixth of its steps (each
    step: VSBENGINE_KILL_STRIDE=1), then run again: every sending is paid exactly once,
    the orders a killed run had published stay."""
    crashed = 0
    stride = int(os.environ.get("VSBENGINE_KILL_STRIDE", "6"))
    for step in range(1, 400, stride):
        out = tmp_path / f"o{step}"
        args = ["bulk", str(sendings / "in"), "--out", str(out), "--refs",
                str(sendings / "refs"), "--sign-as", "nightly", "--workers", "1",
                "--today", "2026-11-23"]  # fmt: skip
        code = _killed_at(step, args)
        if code != -signal.SIGKILL:
            assert code == 0
            assert len(_orders(out)) == 3
            break
        crashed += 1
        before = _orders(out) if out.exists() else {}
        s = bulk.run_local(
            [str(sendings / "in")],
            str(out),
            workers=0,
            today=TODAY,
            refs=str(sendings / "refs"),
            sign_as="nightly",
        )
        assert sorted(o.outcome for o in s.files) in (["accepted"] * 3, ["accepted", "skipped", "skipped"], ["accepted", "accepted", "skipped"], ["skipped"] * 3)  # fmt: skip
        after = _orders(out)
        assert len(after) == 3  # one folder, one order, per sending
        assert {k: after[k] for k in before} == before  # never a second order
        assert _leftovers(out) == []
    else:
        pytest.fail("the run never reached its end")
    assert crashed >= 5


def _children(pid: int) -> set[int]:
    found = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    fields = fh.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid and fields[0] != "Z":
                found.add(int(entry))
    return found


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_the_pools_workers_die_with_a_killed_run(sendings, tmp_path):
    many = tmp_path / "many"
    many.mkdir()
    for n in range(40):
        generate(2000, seed=300 + n, month=202610).write(many / f"s{n}.920000")
    cmd = [sys.executable, "-m", "vsbengine.cli.main", "bulk", str(many), "--out",
           str(tmp_path / "out"), "--workers", "2", "--today", "2026-11-23"]  # fmt: skip
    run = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while len(workers := _children(run.pid)) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(workers) >= 2, "the pool did not start"
        run.kill()
        run.wait()
        deadline = time.monotonic() + 2  # the kernel's signal; the watcher's within 0.5 s
        while any(_alive(p) for p in workers) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert not [p for p in workers if _alive(p)], "a worker outlived its run"
    finally:
        for p in _children(run.pid):
            os.kill(p, signal.SIGKILL)
        run.kill()


def test_die_with_parent_is_set_in_a_worker():
    """The worker asks the kernel for SIGKILL at its parent's death (Linux)."""
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(1, initializer=bulk.init_worker, initargs=(os.getpid(),)) as pool:
        assert pool.apply(_pdeathsig) == (signal.SIGKILL if sys.platform == "linux" else 0)


def _pdeathsig() -> int:
    import ctypes

    if sys.platform != "linux":
        return 0
    value = ctypes.c_int(0)
    ctypes.CDLL(None).prctl(2, ctypes.byref(value), 0, 0, 0)  # PR_GET_PDEATHSIG
    return value.value


def test_force_never_replaces_a_signed_payment_order(sendings, tmp_path):
    """--force processes the files again, but a folder signed before keeps its decision
    and its payment order: a sending is paid once."""
    run = functools.partial(
        bulk.run_local,
        [str(sendings / "in")],
        str(tmp_path / "out"),
        workers=0,
        today=TODAY,
        refs=str(sendings / "refs"),
        sign_as="nightly",
    )
    run()
    first = _orders(tmp_path / "out")
    time.sleep(1.1)  # a second signature would carry another time
    again = run(force=True)
    assert _orders(tmp_path / "out") == first and len(first) == 3
    assert {o.reason for o in again.files} == {
        "decided before: that decision and its messages stand"
    }
    # Reported as decided, not as waiting for the signature it has.
    assert {(o.outcome, o.waiting_for) for o in again.files} == {("accepted", None)}
    assert all(o.messages[:3] == ["DF011", "DF014", "DF015"] for o in again.files)
    # A decision.json damaged since: the folder is left as it is, said so (no traceback).
    folder = next(p for p in (tmp_path / "out").iterdir() if (p / "decision.json").exists())
    order = (folder / "DF017_payment_order.json").read_bytes()
    (folder / "decision.json").write_text("{not json")
    third = {o.output: o for o in run(force=True).files}[str(folder)]
    assert third.outcome == "unreadable"
    assert third.reason.startswith(f"{folder / 'decision.json'}: not a decision of vsbengine")
    assert (folder / "DF017_payment_order.json").read_bytes() == order


def test_force_over_a_folder_signed_by_a_person_reports_its_decision(sendings, tmp_path):
    from vsbengine import signoff

    run = functools.partial(
        bulk.run_local,
        [str(sendings / "in")],
        str(tmp_path / "out"),
        workers=0,
        today=TODAY,
        refs=str(sendings / "refs"),
    )
    first = run()
    assert {o.outcome for o in first.files} == {"waiting"}
    signed = first.files[0].output
    signoff.sign(signed, "An Peeters")
    again = {o.output: o for o in run(force=True).files}
    assert (again[signed].outcome, again[signed].waiting_for) == ("accepted", None)
    assert "DF017" in again[signed].messages
    assert {o.outcome for k, o in again.items() if k != signed} == {"waiting"}
