"""The atomic-write helper: whole or nothing, modes from the umask, no clobbering."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from vsbengine import fsio


def test_writes_bytes_text_and_callables(tmp_path):
    assert fsio.atomic_write(tmp_path / "a", b"one").read_bytes() == b"one"
    assert fsio.atomic_write(tmp_path / "b", "twee é").read_text("utf-8") == "twee é"
    assert fsio.atomic_write(tmp_path / "c", lambda fh: fh.write(b"3")).read_bytes() == b"3"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "b", "c"]


def test_replaces_whole(tmp_path):
    path = tmp_path / "f"
    fsio.atomic_write(path, b"old content")
    fsio.atomic_write(path, b"new")
    assert path.read_bytes() == b"new"


def test_failure_leaves_the_old_file_and_no_temporary(tmp_path):
    path = tmp_path / "f"
    fsio.atomic_write(path, b"old")

    def broken(fh):
        fh.write(b"half")
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError, match="No space"):
        fsio.atomic_write(path, broken)
    assert path.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["f"]


def test_no_replace_refuses_an_existing_file(tmp_path):
    path = tmp_path / "round.xml"
    fsio.atomic_write(path, b"first", replace=False)
    with pytest.raises(FileExistsError):
        fsio.atomic_write(path, b"second", replace=False)
    assert path.read_bytes() == b"first"
    assert os.listdir(tmp_path) == ["round.xml"]


@pytest.mark.parametrize("umask, mode", [(0o022, 0o644), (0o002, 0o664), (0o077, 0o600)])
def test_mode_follows_the_umask(tmp_path, umask, mode):
    old = os.umask(umask)
    try:
        path = fsio.atomic_write(tmp_path / "f", b"x")
    finally:
        os.umask(old)
    assert path.stat().st_mode & 0o777 == mode


def test_staged_folder_is_published_once(tmp_path):
    staged = tmp_path / ".stage"
    staged.mkdir()
    (staged / "DF011_931000.dat").write_bytes(b"x")
    final = fsio.publish_dir(staged, tmp_path / "sending")
    assert (final / "DF011_931000.dat").read_bytes() == b"x"
    other = tmp_path / ".stage2"
    other.mkdir()
    with pytest.raises(FileExistsError):
        fsio.publish_dir(other, final)


def test_leftovers_of_a_killed_writer_are_found_and_removed(tmp_path):
    # A writer killed with SIGKILL between its write and its rename.
    code = textwrap.dedent(f"""
        import os, signal
        from vsbengine import fsio
        with fsio.atomic_open({str(tmp_path / "DF017.json")!r}) as fh:
            fh.write(b"{{}}")
            fh.flush()
            os.kill(os.getpid(), signal.SIGKILL)
    """)
    proc = subprocess.run([sys.executable, "-c", code], check=False)
    assert proc.returncode == -signal.SIGKILL
    assert not (tmp_path / "DF017.json").exists()
    found = fsio.leftovers(tmp_path)
    assert len(found) == 1 and fsio.is_temporary(found[0].name)
    assert fsio.remove_leftovers(tmp_path) == found
    assert os.listdir(tmp_path) == []
    assert not fsio.is_temporary("DF017.json") and not fsio.is_temporary(".hidden")


def test_a_full_disk_names_the_file(tmp_path):
    """A write that fails names no file by itself: the error names the output."""

    def full(fh):
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError) as info:
        fsio.atomic_write(tmp_path / "report.json", full)
    assert info.value.errno == 28 and info.value.filename == str(tmp_path / "report.json")
    assert os.listdir(tmp_path) == []


def test_a_folder_in_the_way_is_named_not_the_temporary(tmp_path):
    (tmp_path / "out").mkdir()
    with pytest.raises(IsADirectoryError) as info:
        fsio.atomic_write(tmp_path / "out", b"x")
    assert info.value.filename == str(tmp_path / "out")
    assert os.listdir(tmp_path) == ["out"]


def test_path_text_writes_bytes_that_are_not_utf8_as_escapes():
    assert fsio.path_text("out/é b.dat") == "out/é b.dat"
    assert fsio.path_text(os.fsdecode(b"in/x\xe9.920000")) == "in/x\\xe9.920000"
    assert fsio.path_text(b"in/x\xe9\xff.dat") == "in/x\\xe9\\xff.dat"
    assert fsio.path_text(Path("a") / os.fsdecode(b"\xe9")) == "a/\\xe9"
    assert fsio.path_text("x\ud800y") == "x\\ud800y"  # no byte made it: escaped as it is
