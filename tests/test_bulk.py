"""Bulk runs: one outcome per input, resume by content, dying workers, Dask."""

from __future__ import annotations

import json
import os

import pytest
from efact_edit import TODAY, clean
from typer.testing import CliRunner

from vsbengine import bulk, signoff
from vsbengine.cli.main import app
from vsbengine.errors import ConfigError
from vsbengine.formats.efact.generate import generate


@pytest.fixture(scope="module")
def inbox(tmp_path_factory):
    folder = tmp_path_factory.mktemp("inbox")
    for i in range(6):
        generate(800, seed=100 + i, month=202610, error_rate=(0.0, 0.2, 0.01)[i % 3]).write(
            folder / f"s{i}.920000"
        )
    sub = folder / "more"
    sub.mkdir()
    generate(300, seed=110, month=202610).write(sub / "t.920000")
    (folder / "notes.txt").write_text("not a billing file")
    (folder / ".hidden").write_text("skipped: hidden")
    return folder


def by_path(summary):
    return {os.path.basename(o.path): o for o in summary.files}


def test_every_file_gets_one_outcome(inbox, tmp_path):
    s = bulk.run_local(
        [str(inbox), str(tmp_path / "missing.920000")],
        str(tmp_path / "out"),
        workers=2,
        today=TODAY,
    )
    got = by_path(s)
    assert set(got) == {
        "s0.920000",
        "s1.920000",
        "s2.920000",
        "s3.920000",
        "s4.920000",
        "s5.920000",
        "t.920000",
        "notes.txt",
        "missing.920000",
    }
    assert [got[f"s{i}.920000"].outcome for i in range(6)] == [
        "accepted",
        "rejected_sending",
        "accepted",
    ] * 2
    assert got["notes.txt"].outcome == got["missing.920000"].outcome == "unreadable"
    assert "not a billing file" in got["notes.txt"].reason
    assert sum(s.counts.values()) == len(s.files) == 9
    # The answers and the report of each file are in its folder.
    folder = got["s0.920000"].output
    assert sorted(os.listdir(folder)) == [
        "DF011_931000.dat",
        "DF014_920098.dat",
        "DF015_920900.dat",
        "report.json",
    ]
    summary = json.loads((tmp_path / "out" / bulk.SUMMARY).read_text())
    assert summary["counts"] == s.counts and len(summary["files"]) == 9


def test_rerun_skips_what_was_processed_unless_forced(inbox, tmp_path):
    out = str(tmp_path / "out")
    first = bulk.run_local([str(inbox)], out, workers=2, today=TODAY)
    again = bulk.run_local([str(inbox)], out, workers=2, today=TODAY)
    assert again.counts["skipped"] == first.counts["accepted"] + first.counts["rejected_sending"]
    assert again.counts["unreadable"] == first.counts["unreadable"]
    skipped = by_path(again)["s1.920000"]
    assert skipped.outcome == "skipped" and skipped.output == by_path(first)["s1.920000"].output
    forced = bulk.run_local([str(inbox)], out, workers=2, today=TODAY, force=True)
    assert forced.counts == first.counts


def test_an_interrupted_log_line_is_ignored(inbox, tmp_path):
    out = tmp_path / "out"
    bulk.run_local([str(inbox / "s0.920000")], str(out), workers=1, today=TODAY)
    with open(out / bulk.LOG, "a") as fh:
        fh.write('{"hash": "abc", "outc')
    again = bulk.run_local([str(inbox / "s0.920000")], str(out), workers=1, today=TODAY)
    assert again.counts["skipped"] == 1


def dies_on_s3(path, *args):
    if path.endswith("s3.920000"):
        os._exit(70)
    return bulk.validate_file(path, *args)


def test_a_dying_worker_takes_only_its_own_file(inbox, tmp_path):
    s = bulk.run_local([str(inbox)], str(tmp_path / "out"), workers=2, today=TODAY, task=dies_on_s3)
    got = by_path(s)
    assert got["s3.920000"].outcome == "unreadable"
    assert got["s3.920000"].reason == "its worker died"
    assert all(
        o.outcome != "unreadable"
        for name, o in got.items()
        if name not in ("s3.920000", "notes.txt")
    )
    assert len(s.files) == 8


def test_globs(inbox, tmp_path):
    assert [os.path.basename(p) for p in bulk.collect([str(inbox / "s[12].*")])] == [
        "s1.920000",
        "s2.920000",
    ]
    assert len(bulk.collect([str(inbox / "**" / "*.920000")])) == 7
    with pytest.raises(ConfigError, match="no file matches"):
        bulk.collect([str(inbox / "*.nothing")])


def test_streamed_files_give_the_same_outcomes(inbox, tmp_path):
    a = by_path(bulk.run_local([str(inbox)], str(tmp_path / "a"), workers=2, today=TODAY))
    b = by_path(
        bulk.run_local(
            [str(inbox)], str(tmp_path / "b"), workers=2, today=TODAY, memory_limit=64 << 20
        )
    )
    assert {k: (o.outcome, o.messages, o.errors, o.records_rejected) for k, o in a.items()} == {
        k: (o.outcome, o.messages, o.errors, o.records_rejected) for k, o in b.items()
    }


def test_dask_local_cluster_gives_the_same_outcomes_and_answers(inbox, tmp_path):
    pytest.importorskip("dask.distributed")
    local = by_path(bulk.run_local([str(inbox)], str(tmp_path / "local"), workers=2, today=TODAY))
    dask = by_path(
        bulk.run_dask([str(inbox)], str(tmp_path / "dask"), local_workers=2, today=TODAY)
    )
    assert set(local) == set(dask)
    for name, o in local.items():
        d = dask[name]
        assert (o.outcome, o.hash, o.messages, o.errors, o.records_total) == (
            d.outcome,
            d.hash,
            d.messages,
            d.errors,
            d.records_total,
        )
        if o.output:
            for f in os.listdir(o.output):
                with (
                    open(os.path.join(o.output, f), "rb") as x,
                    open(os.path.join(d.output, f), "rb") as y,
                ):
                    assert x.read() == y.read(), (name, f)


def test_cli(inbox, tmp_path):
    runner = CliRunner()
    r = runner.invoke(
        app,
        [
            "bulk",
            str(inbox),
            "--out",
            str(tmp_path / "o"),
            "--workers",
            "2",
            "--today",
            "2026-11-23",
            "--json",
        ],
    )
    assert r.exit_code == 1  # notes.txt is unreadable
    summary = json.loads(r.stdout)
    assert summary["counts"]["unreadable"] == 1 and len(summary["files"]) == 8
    r = runner.invoke(
        app,
        [
            "bulk",
            str(inbox / "s*.920000"),
            "--out",
            str(tmp_path / "o2"),
            "--workers",
            "2",
            "--today",
            "2026-11-23",
        ],
    )
    assert r.exit_code == 0 and "rejected as a sending (DF013)" in r.stdout
    r = runner.invoke(app, ["bulk", str(inbox / "*.zip"), "--out", str(tmp_path / "o3")])
    assert r.exit_code == 2 and "no file matches" in r.stderr


def test_workers_tune_the_allocator_where_glibc_lets_them():
    import platform

    assert bulk.tune_malloc() is (platform.libc_ver()[0] == "glibc")


# -- today's failures of the folder runs (issue 10) ------------------------------------------


@pytest.fixture
def twice(tmp_path):
    """A folder with one sending under two names, and another sending (21.51 % rejected)."""
    folder = tmp_path / "twice"
    folder.mkdir()
    data = generate(400, seed=120, month=202610).tobytes()
    (folder / "a.920000").write_bytes(data)
    (folder / "b.920000").write_bytes(data)
    generate(400, seed=121, month=202610, error_rate=0.2).write(folder / "c.920000")
    return folder


def test_the_same_sending_under_two_names_is_processed_once(twice, tmp_path):
    s = by_path(bulk.run_local([str(twice)], str(tmp_path / "out"), workers=2, today=TODAY))
    assert (s["a.920000"].outcome, s["b.920000"].outcome) == ("accepted", "skipped")
    assert s["b.920000"].reason.startswith("same content as ")
    assert s["b.920000"].previous.outcome == "accepted"
    folders = [p for p in os.listdir(tmp_path / "out") if p.endswith(tuple("0123456789abcdef"))]
    assert sorted(f.split(".")[0] for f in folders) == ["a", "c"]  # one DF014/DF015 each


def test_a_rerun_keeps_what_the_skipped_files_had(twice, tmp_path):
    out = tmp_path / "out"
    first = by_path(bulk.run_local([str(twice)], str(out), workers=2, today=TODAY))
    ratio = first["c.920000"].error_ratio
    assert first["c.920000"].outcome == "rejected_sending" and ratio > 5
    again = bulk.run_local([str(twice)], str(out), workers=2, today=TODAY)
    summary = json.loads((out / bulk.SUMMARY).read_text())
    c = next(f for f in summary["files"] if f["path"].endswith("c.920000"))
    assert c["outcome"] == "skipped" and "error_ratio" not in c  # nothing made up
    assert c["previous"]["outcome"] == "rejected_sending"
    assert c["previous"]["error_ratio"] == ratio  # the ratio it had
    assert again.counts["skipped"] == 3
    # Every run's summary is kept.
    runs = sorted(os.listdir(out / "runs"))
    assert len([n for n in runs if n.endswith(".json")]) == 2  # and each its night report
    assert {n.rsplit(".", 1)[1] for n in runs} == {"json", "html", "csv", "parquet"}


def test_two_runs_into_one_folder_are_refused_not_mixed(twice, tmp_path):
    out = tmp_path / "out"
    os.makedirs(out)
    from vsbengine.staging import RunLock

    with RunLock(out / ".lock"):  # another bulk run holds the folder
        r = CliRunner().invoke(app, ["bulk", str(twice), "--out", str(out)])
    assert r.exit_code == 2
    assert r.stderr == (
        f"vsbengine: error: {out} is in use by another bulk run: wait for it to end, "
        "or use --register for runs at the same time\n"
    )
    assert not (out / bulk.LOG).exists()


def test_with_reference_data_nothing_leaves_before_a_sign_off(tmp_path):
    g = generate(300, seed=122, month=202610, references=True)
    (tmp_path / "in").mkdir()
    g.write(tmp_path / "in" / "s.920000")
    g.write_refs(tmp_path / "refs")
    refs = str(tmp_path / "refs")
    s = bulk.run_local(
        [str(tmp_path / "in")], str(tmp_path / "o"), workers=1, today=TODAY, refs=refs
    )
    o = s.files[0]
    assert (o.outcome, o.proposed, o.waiting_for, o.messages) == (
        "waiting",
        "DF014",
        "signature",
        ["DF011"],
    )
    assert not [
        n
        for n in os.listdir(o.output)
        if n.startswith(("DF013", "DF014", "DF015", "DF016", "DF017"))
    ]
    signed = bulk.run_local(
        [str(tmp_path / "in")],
        str(tmp_path / "o2"),
        workers=1,
        today=TODAY,
        refs=refs,
        sign_as="nightly",
    ).files[0]
    assert signed.outcome == "accepted"
    # What the sign-off wrote, not only what the result names (DF016 and DF017 too).
    assert signed.messages == ["DF011", "DF014", "DF015", "DF016", "DF017"]
    assert {
        "DF014_920098.dat",
        "DF015_920900.dat",
        "DF017_payment_order.xml",
        "decision.json",
    } <= set(os.listdir(signed.output))
    r = CliRunner().invoke(
        app, ["bulk", str(tmp_path / "in"), "--out", str(tmp_path / "o3"), "--sign-as", "x"]
    )
    assert r.exit_code == 2 and "--sign-as needs --refs" in r.stderr
    r = CliRunner().invoke(
        app, ["bulk", str(tmp_path / "in"), "--register", str(tmp_path / "R"), "--sign-as", "x"]
    )
    assert r.exit_code == 2 and "--sign-as needs --refs" in r.stderr
    assert not (tmp_path / "R").exists()


def test_an_interrupted_run_leaves_no_half_folder(tmp_path):
    import signal
    import subprocess
    import sys
    import time

    folder = tmp_path / "in"
    folder.mkdir()
    files = 30  # enough that a loaded machine cannot finish them before the signal
    for i in range(files):
        generate(3000, seed=130 + i, month=202610).write(folder / f"s{i:02d}.920000")
    out = tmp_path / "out"
    cmd = [
        sys.executable,
        "-m",
        "vsbengine.cli.main",
        "bulk",
        str(folder),
        "--out",
        str(out),
        "--workers",
        "2",
        "--today",
        "2026-11-23",
        "--json",
    ]
    p = subprocess.Popen(
        cmd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
        # A suite started in the background by a shell inherits SIGINT ignored, and so
        # would the run (Python keeps an ignored SIGINT): Ctrl-C as at a terminal.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    while not (out / bulk.LOG).exists() or not (out / bulk.LOG).read_text():
        time.sleep(0.01)
    os.killpg(p.pid, signal.SIGINT)  # Ctrl-C reaches the run and its workers
    p.communicate(timeout=60)
    assert p.returncode == 130
    summary = json.loads((out / bulk.SUMMARY).read_text())
    assert summary["interrupted"] and summary["counts"]["interrupted"] > 0
    for name in os.listdir(out):
        if os.path.isdir(out / name) and not name.startswith(".") and name != "runs":
            assert sorted(os.listdir(out / name)) == [
                "DF011_931000.dat",
                "DF014_920098.dat",
                "DF015_920900.dat",
                "report.json",
            ], name
    assert not (out / ".staging").exists() or not os.listdir(out / ".staging")
    # The same command again goes on: every file has its folder once.
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0
    again = json.loads(done.stdout)
    assert again["counts"]["accepted"] + again["counts"]["skipped"] == files
    assert len([n for n in os.listdir(out) if ".920000." in n]) == files


def test_file_names_with_a_line_break_are_billing_files_too(tmp_path):
    """A name holding a line break is a file like any other (not refused as text), and
    the lines the command prints stay one per file (the name's break shown as "?")."""
    inbox = tmp_path / "in"
    inbox.mkdir()
    generate(300, seed=120, month=202610).write(inbox / "a\nb.920000")
    (inbox / "c\nd.txt").write_text("not a billing file")
    s = bulk.run_local([str(inbox)], str(tmp_path / "out"), workers=1, today=TODAY)
    assert {os.path.basename(o.path): o.outcome for o in s.files} == {
        "a\nb.920000": "accepted",
        "c\nd.txt": "unreadable",
    }
    r = CliRunner().invoke(app, ["bulk", str(inbox), "--out", str(tmp_path / "cli")])
    assert r.exit_code == 1, r.output
    lines = r.output.splitlines()
    unreadable = [line for line in lines if line.startswith("unreadable: ")]
    assert len(unreadable) == 1 and unreadable[0].startswith(f"unreadable: {inbox}/c?d.txt: ")


def test_a_named_pipe_in_the_folder_is_unreadable_not_waited_on(tmp_path):
    """Opening a pipe would wait for a writer for ever (a night run that never ends):
    it is not opened, its outcome says what it is."""
    folder = tmp_path / "in"
    folder.mkdir()
    generate(200, seed=7, month=202610).write(folder / "a.920000")
    os.mkfifo(folder / "f.920000")
    s = bulk.run_local([str(folder)], str(tmp_path / "out"), workers=0, today=TODAY)
    got = by_path(s)
    assert got["a.920000"].outcome == "accepted"
    assert got["f.920000"].outcome == "unreadable"
    assert got["f.920000"].reason == "not a regular file but a named pipe: not read"


def test_linked_and_unreadable_folders_are_accounted_for(tmp_path, monkeypatch):
    """A linked folder is walked (once: a link back up is not walked again); a folder
    that cannot be listed is an input of its own, unreadable and saying why, so that
    no file under it is lost without a word."""
    folder, other = tmp_path / "in", tmp_path / "other"
    (folder / "locked").mkdir(parents=True)
    other.mkdir()
    generate(200, seed=7, month=202610).write(other / "b.920000")
    generate(200, seed=8, month=202610).write(folder / "locked" / "c.920000")
    (folder / "link").symlink_to(other)
    (folder / "loop").symlink_to(folder)
    real = os.scandir

    def scandir(path="."):
        if not isinstance(path, int) and os.fspath(path).endswith("locked"):
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real(path)

    monkeypatch.setattr(os, "scandir", scandir)
    s = bulk.run_local([str(folder)], str(tmp_path / "out"), workers=0, today=TODAY)
    got = {os.path.relpath(o.path, folder): o for o in s.files}
    assert set(got) == {"link/b.920000", "locked"}
    assert got["link/b.920000"].outcome == "accepted"
    assert got["locked"].outcome == "unreadable"
    assert got["locked"].reason == (
        "a folder that cannot be read (Permission denied): its files are not read"
    )


def test_a_sending_signed_unattended_is_paid_once_whatever_its_bytes(tmp_path):
    """``--sign-as`` into one output folder: the same sending again with other line
    breaks (same run), or renamed with --force (a later run), is not signed a second
    time: it waits for a person, saying where the sending was decided; one payment
    order in all. An index entry whose folder was never decided (a kill between the
    two) blocks nothing."""
    g = generate(300, seed=3, month=202610, references=True)
    g.write_refs(tmp_path / "refs")
    one, two = tmp_path / "in", tmp_path / "in2"
    one.mkdir()
    two.mkdir()
    data = g.tobytes()
    (one / "s.920000").write_bytes(data)
    parts = [data[:67], data[67:227]] + [data[i : i + 350] for i in range(227, len(data), 350)]
    (one / "s_lf.920000").write_bytes(b"\r\n".join(parts))
    (two / "again.920000").write_bytes(data)
    out = tmp_path / "out"
    kw = dict(workers=2, today=TODAY, refs=str(tmp_path / "refs"), sign_as="An Peeters")
    first = by_path(bulk.run_local([str(one)], str(out), **kw))
    # Two workers: either copy may be signed first; the other one waits.
    signed, waits = sorted(first.values(), key=lambda o: o.outcome != "accepted")
    assert (signed.outcome, waits.outcome) == ("accepted", "waiting")
    paid = signed.output
    assert f"was decided in {paid}: not signed again" in waits.reason
    later = by_path(bulk.run_local([str(two)], str(out), force=True, **kw))
    assert later["again.920000"].outcome == "waiting"
    assert list(out.rglob("DF017_payment_order.json")) == [
        out / os.path.basename(paid) / "DF017_payment_order.json"
    ]
    # A stale intent (the same sending, its folder never decided) lets it be signed.
    from vsbengine import identity

    key = identity.read_head(str(two / "again.920000")).key
    fresh = tmp_path / "out2"
    fresh.mkdir()
    stale = {"key": key, "folder": "never.decided", "staged": str(tmp_path / "no")}
    (fresh / signoff.DECIDED_INDEX).write_text(json.dumps(stale) + "\n")
    assert by_path(bulk.run_local([str(two)], str(fresh), **kw))["again.920000"].outcome == (
        "accepted"
    )


def test_force_never_replaces_a_folder_a_sign_off_is_deciding(tmp_path):
    """`bulk --force` over a per-file folder that `vsbengine sign` is deciding right now
    (it holds the folder's decision lock): the folder is left to the sign-off, whose
    decision stands; once nobody decides it, --force replaces it as before."""
    from vsbengine import decided, staging

    g = generate(300, seed=4, month=202610, references=True)
    g.write_refs(tmp_path / "refs")
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "s.920000").write_bytes(g.tobytes())
    out = tmp_path / "out"
    kw = dict(workers=0, today=TODAY, refs=str(tmp_path / "refs"))
    first = by_path(bulk.run_local([str(folder)], str(out), **kw))["s.920000"]
    assert first.outcome == "waiting"
    proposal = os.path.join(first.output, "proposal.json")
    before = os.stat(proposal).st_ino
    lock = staging.RunLock(os.path.join(first.output, decided.LOCK))  # a sign-off
    try:
        again = by_path(bulk.run_local([str(folder)], str(out), force=True, **kw))["s.920000"]
    finally:
        lock.release()
    assert again.reason == "being decided by a sign-off now: that decision stands"
    assert os.stat(proposal).st_ino == before  # the folder was not replaced
    replaced = by_path(bulk.run_local([str(folder)], str(out), force=True, **kw))["s.920000"]
    assert replaced.outcome == "waiting" and replaced.reason is None
    assert os.stat(proposal).st_ino != before


def test_a_person_signs_a_sending_of_a_bulk_output_once_too(tmp_path):
    """Without --sign-as both copies of one sending (other line breaks) wait; a person
    signs one, and signing the other is refused, naming the folder that decided it."""
    g = generate(300, seed=3, month=202610, references=True)
    g.write_refs(tmp_path / "refs")
    inbox = tmp_path / "in"
    inbox.mkdir()
    data = g.tobytes()
    (inbox / "s.920000").write_bytes(data)
    (inbox / "s_lf.920000").write_bytes(data[:227] + b"\n" + data[227:])
    out = tmp_path / "out"
    s = by_path(bulk.run_local([str(inbox)], str(out), workers=0, today=TODAY,
                               refs=str(tmp_path / "refs")))  # fmt: skip
    assert [o.outcome for o in s.values()] == ["waiting", "waiting"]
    first, second = s["s.920000"].output, s["s_lf.920000"].output
    r = CliRunner().invoke(app, ["sign", first, "--by", "An Peeters"])
    assert r.exit_code == 0, r.output
    r = CliRunner().invoke(app, ["sign", second, "--by", "An Peeters"])
    assert r.exit_code == 2
    assert r.stderr == (
        f"vsbengine: error: {second}: the same sending ("
        + json.loads((out / signoff.DECIDED_INDEX).read_text().splitlines()[0])["key"]
        + f") was decided in {first}: a sending is decided and paid once\n"
    )
    assert len(list(out.rglob("DF017_payment_order.json"))) == 1


def test_an_output_or_register_inside_an_input_folder_is_no_input(tmp_path):
    """bulk --out IN/out (or the register beside the inputs) run twice: the second run
    does not take the answers, summaries or database it wrote for inputs."""
    for mode in ("--out", "--register"):
        inbox = tmp_path / mode.strip("-")
        inbox.mkdir()
        (inbox / "a.920000").write_bytes(clean(60, seed=5))
        args = [mode, str(inbox / ("out" if mode == "--out" else "night.reg"))]
        for _ in range(2):
            r = CliRunner().invoke(app, ["bulk", str(inbox), *args, "--workers", "1", "--json"])
            assert r.exit_code == 0, r.output
            files = json.loads(r.stdout)["files"]
            assert [os.path.basename(f["path"]) for f in files] == ["a.920000"]
    r = CliRunner().invoke(app, ["receive", str(inbox), "--register", str(inbox / "night.reg")])
    assert r.exit_code == 0 and "unreadable" not in r.stdout, r.stdout
