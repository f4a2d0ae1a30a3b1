"""The documented limits: counts that would start too many processes or threads."""

from __future__ import annotations

import os

import pytest

import vsbengine
from vsbengine import bulk, limits


def test_workers_within_the_limit_pass():
    top = limits.WORKERS_PER_CORE * (os.cpu_count() or 1)
    assert limits.max_workers() == top
    assert limits.check_workers(1) == 1 and limits.check_workers(top) == top
    assert limits.check_workers(0, least=0) == 0


@pytest.mark.parametrize("value", [-1, 0, 100_000, 10**30])
def test_workers_outside_are_refused_with_the_option_named(value):
    with pytest.raises(vsbengine.ConfigError, match="^--workers must be at "):
        limits.check_workers(value, "--workers")


def test_not_a_count_is_refused():
    with pytest.raises(vsbengine.ConfigError, match="^workers must be a whole number"):
        limits.check_workers(2.5)  # type: ignore[arg-type]
    with pytest.raises(vsbengine.ConfigError):
        limits.check_workers(True)  # type: ignore[arg-type]


def test_the_api_refuses_before_it_starts_anything(tmp_path):
    top = limits.max_workers()
    with pytest.raises(vsbengine.ConfigError, match=f"^threads must be at most {top} "):
        vsbengine.Engine(threads=top + 1)
    with pytest.raises(vsbengine.ConfigError, match=f"^workers must be at most {top} "):
        bulk.run_local([str(tmp_path)], str(tmp_path / "out"), workers=top + 1)
    assert not (tmp_path / "out").exists()  # no run folder, no lock
    from vsbengine.receive import receive

    with pytest.raises(vsbengine.ConfigError, match="^workers must be at least 0, not -1$"):
        receive(str(tmp_path / "r.sqlite"), [str(tmp_path)], workers=-1)
    assert not (tmp_path / "r.sqlite").exists()


def test_generate_refuses_more_records_than_it_can_hold():
    from vsbengine.formats.efact.generate import generate

    with pytest.raises(ValueError, match=r"^at most 10,000,000 records .*not 10,000,000,000$"):
        generate(10_000_000_000)
