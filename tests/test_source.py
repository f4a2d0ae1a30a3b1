"""Opening a billing file: paths, pipes and /dev/stdin, and a str that is no path."""

from __future__ import annotations

import os
import subprocess
import sys
import threading

import pytest
from efact_edit import TODAY, clean

import vsbengine
from vsbengine.source import as_path, read_stream


@pytest.fixture(scope="module")
def data():
    return clean(300, seed=77, error_rate=0.02)


@pytest.mark.parametrize("shape", ["text", "bytes path", "long line"])
def test_a_str_with_the_content_is_refused_without_quoting_it(data, shape):
    text = data.decode("latin-1")
    source = {"text": text, "bytes path": text.encode(), "long line": text.replace("\n", "")}[shape]
    with pytest.raises(vsbengine.InputError) as info:
        vsbengine.validate(source if shape != "bytes path" else os.fsdecode(source))
    message = str(info.value)
    assert message == (
        f"a str is taken as the path of a file, and this one ({len(text if shape != 'long line' else source)} "
        "characters) cannot be a path: pass the content of a billing file as bytes"
    )
    assert info.value.path is None and text[:40] not in message


def test_a_short_missing_path_is_still_named():
    with pytest.raises(vsbengine.InputError, match="^nothing/here.920000: no such file$"):
        vsbengine.validate("nothing/here.920000")
    assert as_path("a/b.dat") == "a/b.dat"


def test_a_pipe_is_read_whole_and_kept_for_the_answers(data, tmp_path):
    fifo = tmp_path / "in.fifo"
    os.mkfifo(fifo)

    def feed():
        with open(fifo, "wb") as fh:
            fh.write(data)

    t = threading.Thread(target=feed)
    t.start()
    result = vsbengine.validate(str(fifo), today=TODAY)
    t.join()
    expected = vsbengine.validate(data, today=TODAY)
    assert result.file == str(fifo)
    assert result.report().records_total == expected.report().records_total == 306
    assert result.error_table.code.tolist() == expected.error_table.code.tolist()
    assert result.source == data  # the answers read these bytes, not the spent pipe


def test_regular_files_and_bytes_are_left_as_they_are(data, tmp_path):
    path = tmp_path / "s.920000"
    path.write_bytes(data)
    assert read_stream(path) == (path, None)
    assert read_stream(data) == (data, None)


def test_dev_stdin_in_a_pipe(data):
    code = (
        "import sys, vsbengine; r = vsbengine.validate('/dev/stdin', today=20261123); "
        "print(r.file, r.records_total, r.technical)"
    )
    r = subprocess.run([sys.executable, "-c", code], input=data, capture_output=True)
    assert r.stdout.decode().split() == ["/dev/stdin", "306", "DF011"], r.stderr


def test_a_short_str_of_content_is_not_quoted_either(data):
    """Content as short as a path (the first 200 characters) is still not echoed."""
    head = data[:200].decode("latin-1").replace("\n", "")
    with pytest.raises(vsbengine.InputError) as info:
        vsbengine.validate(head)
    assert head[:20] not in str(info.value) and info.value.path is None


def _views(data: bytes):
    import numpy as np

    a = np.frombuffer(data, dtype=np.uint8)
    wide = np.repeat(a, 2)
    return {
        "strided": memoryview(wide)[::2],
        "two dimensions": memoryview(data).cast("B", (1, len(data))),
        "cast to I": memoryview(data + b" " * (-len(data) % 4)).cast("I"),
        "numpy 2-d": a.reshape(1, -1),
        "Fortran column": np.asfortranarray(wide.reshape(-1, 2))[:, 0],
    }


@pytest.mark.parametrize("shape", list(_views(b"1234")))
def test_any_buffer_shape_validates_as_its_bytes(data, shape):
    """Strided and cast buffers are read as the bytes they hold, never a BufferError or
    a ValueError of the core."""
    view = _views(data)[shape]
    got = vsbengine.validate(view, today=TODAY)
    padded = data + (b" " * (-len(data) % 4) if shape == "cast to I" else b"")
    want = vsbengine.validate(padded, today=TODAY)
    assert got.error_table.code.tolist() == want.error_table.code.tolist()
    assert got.records_total == want.records_total == 306


def test_not_a_buffer_is_a_type_error():
    with pytest.raises(TypeError, match="^source must be a path or bytes-like, not int$"):
        vsbengine.validate(5)


def test_a_file_whose_name_holds_a_line_break_is_a_path(data, tmp_path):
    """File names may hold line breaks: a str with one is content only when it names
    no file; a path-like is a path whatever it holds."""
    import pathlib

    path = tmp_path / "a\nb.920000"
    path.write_bytes(data)
    expected = vsbengine.validate(data, today=TODAY).error_table.code.tolist()
    for source in (str(path), path):
        assert vsbengine.validate(source, today=TODAY).error_table.code.tolist() == expected
    with pytest.raises(vsbengine.InputError, match="^a str is taken as the path of a file"):
        vsbengine.validate(str(tmp_path / "no\nsuch.920000"))
    with pytest.raises(vsbengine.InputError, match="no\nsuch.920000: no such file$"):
        vsbengine.validate(pathlib.Path(tmp_path / "no\nsuch.920000"))
