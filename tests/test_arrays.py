"""The blocks kept for numpy's arrays while validating (``_core.keep_arrays``): what
they give, that they are reused, and that no result depends on new memory being zero."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from efact_edit import TODAY

import vsbengine
from vsbengine import _core
from vsbengine.formats.efact.generate import generate

try:
    from numpy._core.multiarray import get_handler_name
except ImportError:  # numpy 1.26
    from numpy.core.multiarray import get_handler_name

MB = 1 << 20


@pytest.fixture
def kept():
    """Keep arrays in this test's context; everything kept is given back after it."""
    _core.release_buffers()
    handler = _core.keep_arrays()
    try:
        yield
    finally:
        _core.restore_arrays(handler)
        _core.release_buffers()


def test_arrays_made_while_kept_use_the_handler_and_only_then():
    assert get_handler_name(np.zeros(4)) == "default_allocator"
    handler = _core.keep_arrays()
    try:
        a = np.zeros(4)
        assert get_handler_name(a) == _core.ARRAYS_HANDLER
    finally:
        _core.restore_arrays(handler)
    assert get_handler_name(np.zeros(4)) == "default_allocator"
    assert get_handler_name(a) == _core.ARRAYS_HANDLER  # an array keeps its handler


def test_a_freed_large_block_is_taken_again_and_zeros_are_zero(kept):
    a = np.empty(MB, dtype=np.uint8)
    a[:] = 0xA5
    del a
    before = _core.kept_arrays()
    assert before["blocks"] == 1 and before["bytes"] == _core.size_class(MB + 16)
    b = np.zeros(MB, dtype=np.uint8)  # the same size class: the kept block, cleared
    after = _core.kept_arrays()
    assert after["hits"] == before["hits"] + 1 and after["blocks"] == 0
    assert not b.any()
    c = np.zeros(MB // 2, dtype=np.uint8)  # another class: a new block
    assert _core.kept_arrays()["misses"] == after["misses"] + 1 and not c.any()


def test_small_and_huge_blocks_are_not_kept(kept):
    del_small = np.ones(1000)
    del del_small
    huge = np.ones(80 * MB, dtype=np.uint8)
    del huge
    assert _core.kept_arrays()["blocks"] == 0


def test_size_classes_are_at_most_an_eighth_larger():
    for n in (256 << 10, 300_000, MB, MB + 1, 8_000_016, 33 * MB, 64 * MB):
        c = _core.size_class(n)
        assert n <= c <= n + n // 8
    assert _core.size_class(1000) == 1000  # not kept: as asked


def test_resizing_keeps_the_values_across_classes(kept):
    a = np.arange(1000, dtype=np.int64)
    for n in (100_000, 1_000_000, 3_000_000, 40_000, 500):  # small -> kept -> small
        old = a.copy()
        a.resize(n, refcheck=False)
        m = min(len(old), n)
        assert (a[:m] == old[:m]).all()
        if n > len(old):
            assert not a[len(old) :].any()  # numpy zeroes what resize adds
        a[:] = np.arange(n)


def test_the_limit_bounds_what_is_kept(kept):
    old, _ = _core.set_kept_limit(3 * MB)
    try:
        arrays = [np.ones(MB, dtype=np.uint8) for _ in range(6)]
        del arrays
        info = _core.kept_arrays()
        assert info["bytes"] <= 3 * MB and info["blocks"] == 2
        _core.set_kept_limit(0)  # lowered below what is kept: given back
        assert _core.kept_arrays()["bytes"] == 0
        del_after = np.ones(MB, dtype=np.uint8)
        del del_after
        assert _core.kept_arrays()["blocks"] == 0
    finally:
        _core.set_kept_limit(old)


def test_the_engine_keeps_arrays_only_without_a_memory_limit():
    assert vsbengine.Engine().keep_arrays is True
    assert vsbengine.Engine(memory_limit=256 * MB).keep_arrays is False
    assert vsbengine.Engine(memory_limit=256 * MB, keep_arrays=True).keep_arrays is True
    assert vsbengine.Engine(keep_arrays=False).keep_arrays is False


@pytest.fixture(scope="module")
def sending(tmp_path_factory):
    """Enough records for columns above the smallest kept block, errors of every kind
    (content ones too), with reference data."""
    folder = tmp_path_factory.mktemp("refs")
    g = generate(60_000, seed=41, month=202610, error_rate=0.03, references=True)
    g.write_refs(folder)
    return g.tobytes(), folder


def test_no_result_depends_on_new_memory_being_zero(sending):
    data, folder = sending
    fresh = vsbengine.Engine(folder, today=TODAY, keep_arrays=False).validate(data)
    assert fresh.errors  # the injected errors are found
    engine = vsbengine.Engine(folder, today=TODAY)
    _core.release_buffers()
    # Every array from 1 KB on kept (in the 128 places), poisoned before each run.
    old = _core.set_kept_limit(1 << 40, smallest=1024)
    try:
        first = engine.validate(data)
        hits = _core.kept_arrays()["hits"]
        for byte in (0xFF, 0x01, 0xA5):
            _core.poison_kept(byte)
            again = engine.validate(data)
            assert again.to_json() == fresh.to_json()
        assert first.to_json() == fresh.to_json()
        assert _core.kept_arrays()["hits"] > hits + 100  # they took kept blocks
    finally:
        _core.set_kept_limit(*old)
        _core.release_buffers()


def test_threads_validating_at_once_get_the_same_results(sending):
    data, folder = sending
    engine = vsbengine.Engine(folder, today=TODAY)
    want = engine.validate(data).to_json()
    got: list[bytes] = []

    def run():
        for _ in range(3):
            got.append(engine.validate(data).to_json())

    workers = [threading.Thread(target=run) for _ in range(3)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    _core.release_buffers()
    assert got == [want] * 9
