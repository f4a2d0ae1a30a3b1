"""Bulk runs: one outcome per input, resume by content, dying workers, Dask."""

from __future__ import annotations

import json
import os

import pytest
from efact_edit import TODAY
from typer.testing import CliRunner

from vsbengine import bulk
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
