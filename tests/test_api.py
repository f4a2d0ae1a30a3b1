"""The Python API: sources, the engine object, the result and its encodings, threads."""

from __future__ import annotations

import datetime as dt
import mmap
import threading

import msgspec
import pytest
from efact_edit import TODAY, clean

import vsbengine


@pytest.fixture(scope="module")
def data():
    return clean(500, seed=51, error_rate=0.02)


def test_every_kind_of_source(tmp_path, data):
    path = tmp_path / "s.920000"
    path.write_bytes(data)
    expected = vsbengine.validate(data, today=TODAY).report()
    with open(path, "rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mm:
        sources = [path, str(path), bytearray(data), memoryview(data), mm]
        for src in sources:
            got = vsbengine.validate(src, today=TODAY).report()
            assert msgspec.structs.replace(got, file=None) == msgspec.structs.replace(
                expected, file=None
            )


def test_wrong_source_type():
    with pytest.raises(TypeError, match="path or bytes-like"):
        vsbengine.validate(12)


def test_engine_is_reusable_and_takes_dates(data):
    engine = vsbengine.Engine(today=dt.date(2026, 11, 23))
    a, b = engine.validate(data), engine.validate(data)
    assert a.report() == b.report()
    assert vsbengine.validate(data, today=20261123).report() == a.report()


def test_today_in_every_written_form_is_the_same_day(data):
    expected = vsbengine.validate(data, today=dt.date(2026, 11, 23)).report()
    for today in (20261123, "20261123", "2026-11-23", dt.datetime(2026, 11, 23, 9, 30)):
        assert vsbengine.validate(data, today=today).report() == expected


@pytest.mark.parametrize(
    "today",
    [
        "２０２６１１２３",
        "٢٠٢٦١١٢٣",
        " 20261123",
        "20261323",
        "20260230",
        "2026/11/23",
        5,
        True,
        2.0,
    ],
)
def test_a_today_that_is_no_date_is_refused_by_the_engine(today):
    with pytest.raises(ValueError, match="today: .* is not a date"):
        vsbengine.Engine(today=today)


def test_result_fields_and_lazy_error_list(data):
    r = vsbengine.validate(data, today=TODAY)
    assert len(r.error_table) == len(r.errors) > 0
    assert isinstance(r.errors[0], vsbengine.ErrorEntry)
    assert r.errors is r.errors  # built once
    assert repr(r).startswith("<Result bytes: DF011/")


def test_json_and_msgpack_round_trip(data):
    r = vsbengine.validate(data, today=TODAY)
    for encoded, decode in (
        (r.to_json(), msgspec.json.decode),
        (r.to_msgpack(), msgspec.msgpack.decode),
    ):
        assert decode(encoded, type=vsbengine.Report) == r.report()


def test_input_error_is_a_value_error_with_location():
    with pytest.raises(vsbengine.InputError) as info:
        vsbengine.validate(b"PK\x03\x04 not a billing file")
    assert isinstance(info.value, ValueError) and info.value.offset == 0


def test_threads_get_the_results_of_one_after_the_other():
    inputs = [clean(3000 + 500 * i, seed=60 + i, error_rate=0.01 * i) for i in range(6)]
    serial = [vsbengine.validate(d, today=TODAY).report() for d in inputs]
    results: dict[int, object] = {}

    def work(i):
        for _ in range(3):
            results[i] = vsbengine.validate(inputs[i], today=TODAY).report()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(inputs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [results[i] for i in range(len(inputs))] == serial


def test_the_efact_format_binds_its_public_names():
    import vsbengine.formats.efact as efact
    from vsbengine.formats.efact.answers import Answers
    from vsbengine.formats.efact.reader import read_answer

    assert set(efact.__all__) == set(efact._PUBLIC)
    assert efact.Answers is Answers and efact.read_answer is read_answer
    assert all(getattr(efact, name) is not None for name in efact.__all__)
    assert set(efact.__all__) <= set(dir(efact))
    with pytest.raises(AttributeError, match="has no attribute 'nothing'"):
        efact.nothing  # noqa: B018


_FIRST_IMPORT = """
import importlib, pkgutil, sys
names = set()
for root in ("vsbengine", "vsbengine.formats", "vsbengine.cli"):
    pkg = importlib.import_module(root)
    names.add(root)
    names.update(m.name for m in pkgutil.walk_packages(pkg.__path__, root + "."))
failed = []
for name in sorted(names - {"vsbengine.__main__", "vsbengine.cli.__main__"}):
    for loaded in [m for m in sys.modules if m.startswith("vsbengine") and m != "vsbengine._core"]:
        del sys.modules[loaded]
    try:
        importlib.import_module(name)
    except ModuleNotFoundError as e:
        if (e.name or "").startswith("vsbengine"):
            failed.append(f"{name}: {e!r}")
    except Exception as e:
        failed.append(f"{name}: {e!r}")
print(len(names))
print("\\n".join(failed))
"""


def test_every_module_imports_first():
    """An embedder may import any module first: no import cycle breaks one (each
    module imported into a fresh set of the package's modules; a missing optional
    dependency is not a failure here)."""
    import subprocess
    import sys

    r = subprocess.run([sys.executable, "-c", _FIRST_IMPORT], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    count, *failed = r.stdout.splitlines()
    assert int(count) > 100
    assert [f for f in failed if f] == []
