"""Fuzz targets: each takes bytes and may only return or raise the package's own error.

A target that raises anything else (a ``ValueError`` of int(), an ``IndexError``, a
``csv.Error``, a ``BufferError`` of the core), or crashes the interpreter, has found a
bug. The same targets serve the short hypothesis runs of the test suite
(``tests/fuzz/test_fuzz.py``) and long runs (``python tests/fuzz/run.py``, optionally
on a sanitizer build of the core: see the README's testing section).
"""

from __future__ import annotations

import contextlib
import functools
import os
import tempfile
from pathlib import Path

import vsbengine
from vsbengine.errors import VsbEngineError

TODAY = 20261123


@functools.cache
def sending() -> bytes:
    """A small valid sending with a few errors: the seed the mutations start from."""
    from vsbengine.formats.efact.generate import generate

    return generate(40, seed=71, month=202610, error_rate=0.05).tobytes()


@functools.cache
def answers() -> tuple[bytes, ...]:
    """The answers of that sending (931000, 920098, 920900; and a 920999)."""
    from vsbengine.formats.efact.answers import Answers

    result = vsbengine.validate(sending(), today=TODAY)
    out = [Answers(result).bytes(df) for df in result.messages]
    broken = vsbengine.validate(sending()[:-350], today=TODAY)  # no record 96: DF012
    return (*out, *(Answers(broken).bytes(df) for df in broken.messages))


@functools.cache
def reference_data() -> dict[str, bytes]:
    """The reference data matching the sending, file name -> content."""
    from vsbengine.formats.efact.generate import generate

    g = generate(40, seed=71, month=202610, references=True)
    return {name: text.encode("utf-8") for name, text in g.refs.items()}


@functools.cache
def content_case() -> tuple[bytes, vsbengine.Engine]:
    """A small sending with a few errors and an engine with its reference data: the
    seed of the content checks' target (the joins and the checks between prestations
    in the core)."""
    from vsbengine.formats.efact.generate import generate

    g = generate(60, seed=72, month=202610, error_rate=0.05, references=True)
    with tempfile.TemporaryDirectory(prefix="vsbengine-fuzz-refs-") as folder:
        g.write_refs(folder)
        return g.tobytes(), vsbengine.Engine(folder, today=TODAY)  # loaded: folder goes


def _file(folder: str, name: str, data: bytes) -> str:
    path = os.path.join(folder, name)
    with open(path, "wb") as fh:
        fh.write(data)
    return path


def validate(data: bytes) -> None:
    """A sending as bytes, as a memoryview, and read in chunks: the same problems."""
    try:
        one = vsbengine.validate(data, today=TODAY)
    except vsbengine.InputError:
        return
    assert 0 <= one.records_rejected <= one.records_total
    for p in one.problems:
        assert p.offset is None or 0 <= p.offset <= len(data)
    strided = memoryview(bytes(b for b in data for _ in (0, 1)))[::2]
    assert vsbengine.validate(strided, today=TODAY).problems == one.problems
    _answers_read_back(one)


def _answers_read_back(result) -> None:
    """Every answer of a result is text (a control byte copied from the sending is
    written as a blank) and reads back as the message it is."""
    from vsbengine.formats.efact.answers import Answers
    from vsbengine.formats.efact.reader import read_answer as read

    answers = Answers(result)
    for df in result.messages:
        out = answers.bytes(df)
        assert not any(c < 0x20 or c == 0x7F for c in out), df
        assert read(out).kind == df


def validate_content(data: bytes) -> None:
    """A sending checked against reference data: the content checks take any records
    the scan read (the same result twice)."""
    engine = content_case()[1]
    try:
        one = engine.validate(data)
    except vsbengine.InputError:
        return
    assert 0 <= one.records_rejected <= one.records_total
    again = engine.validate(bytes(data))
    assert again.error_table.code.tolist() == one.error_table.code.tolist()
    assert again.error_table.unit.tolist() == one.error_table.unit.tolist()


def read_answer(data: bytes) -> None:
    from vsbengine.formats.efact.reader import read_answer as read

    with contextlib.suppress(vsbengine.InputError):
        read(data)


def reference_csv(name: str, data: bytes) -> None:
    """The reference data with one of its CSV files (``name``) replaced by ``data``."""
    from vsbengine.formats.efact import refs

    with tempfile.TemporaryDirectory() as folder:
        for other, content in reference_data().items():
            _file(folder, other, data if other == name else content)
        with contextlib.suppress(vsbengine.ReferenceDataError):
            refs.load(folder)


def viplive_export(data: bytes) -> None:
    from vsbengine.formats.viplive.export import read_exports

    with tempfile.TemporaryDirectory() as folder, contextlib.suppress(VsbEngineError):
        read_exports([_file(folder, "export.csv", data)])


def blockade_input(data: bytes) -> None:
    """A blockade controls list (the first input every build reads), and actions
    checked against the generated controls."""
    from vsbengine.formats.blockade.inputs import read_actions, read_controls

    with tempfile.TemporaryDirectory() as folder:
        with contextlib.suppress(VsbEngineError):
            read_controls(_file(folder, "controls.csv", data))
        controls = read_controls(_file(folder, "good.csv", CONTROLS))
        with contextlib.suppress(VsbEngineError):
            read_actions(_file(folder, "actions.csv", data), controls)


CONTROLS = b"control;description;blocking;default_excluded;client_excluded\nR00001;x;JA;NEE;NEE\n"
ACTIONS = (
    b"action_id;control;dbc;loid;action_date;dbc_start;dbc_closed;status;remark;related\n"
    b"A0000000001;R00001;D0000000119;L000000008;2024-01-19;2019-04-28;;open;;\n"
)
EXPORT = Path(__file__).resolve().parent.parent / "data" / "viplive" / "export-2021-06-01.csv"
