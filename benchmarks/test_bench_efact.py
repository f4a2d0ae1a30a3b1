"""Quick local speed comparison with pytest-benchmark (not part of the test run).

pip install -e '.[bench]'
python -m pytest benchmarks/test_bench_efact.py --benchmark-only
python -m pytest benchmarks/test_bench_efact.py --benchmark-only --benchmark-autosave  # then
python -m pytest benchmarks/test_bench_efact.py --benchmark-only --benchmark-compare  # after
"""

from __future__ import annotations

import numpy as np
import pytest

import vsbengine
from vsbengine.formats.efact.answers import Answers
from vsbengine.formats.efact.generate import generate

TODAY = 20261123


@pytest.fixture(scope="module", params=[10_000, 200_000], ids=lambda n: f"{n}rec")
def sending(request):
    return generate(request.param, seed=3, month=202610, error_rate=0.005).tobytes()


def test_numpy_pass_baseline(benchmark, sending):
    arr = np.frombuffer(sending, dtype=np.uint8)
    benchmark(arr.sum, dtype=np.uint64)


def test_validate(benchmark, sending):
    engine = vsbengine.Engine(today=TODAY)
    result = benchmark(engine.validate, sending)
    assert result.technical == "DF011"


def test_settlement(benchmark, sending):
    # Every record echoed: the heavy case of the writers.
    answers = Answers(vsbengine.validate(sending, today=TODAY), echo="all")
    benchmark(lambda: sum(len(c) for c in answers.chunks(answers.names[-1])))


def test_generate(benchmark):
    benchmark(generate, 50_000, seed=1, month=202610)
