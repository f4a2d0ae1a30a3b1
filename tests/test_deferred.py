"""Places found when asked (findings.Deferred) are the places found eagerly."""

from __future__ import annotations

import numpy as np
import pytest
from efact_edit import TODAY

from vsbengine.formats.efact import chunks as _chunks
from vsbengine.formats.efact.checks import chosen, content
from vsbengine.formats.efact.findings import Context, Deferred, Place, concat_places
from vsbengine.formats.efact.generate import generate
from vsbengine.formats.efact.refs import load
from vsbengine.pipeline import check_chunk
from vsbengine.source import open_source


@pytest.fixture(scope="module")
def scanned(tmp_path_factory):
    folder = tmp_path_factory.mktemp("refs")
    g = generate(3000, seed=17, month=202610, references=True, error_rate=0.02)
    g.write_refs(folder)
    ctx = Context(TODAY, content.Lookups(load(folder)))
    data = g.tobytes()
    with open_source(data, None) as (reader, _):
        plan = _chunks.plan(reader, 64 << 10)  # several chunks
        sendings = [_chunks.scan_chunk(reader, plan, c, today=TODAY) for c in plan.chunks]
    assert len(sendings) > 1
    return sendings, ctx


def same(a: Place, b: Place) -> None:
    for name in ("seq", "rtype", "offset"):
        x, y = getattr(a, name), getattr(b, name)
        assert x.dtype == y.dtype and np.array_equal(x, y), name


def test_deferred_places_are_the_eager_ones(scanned):
    sendings, ctx = scanned
    checks = chosen(True)[0]
    rng = np.random.default_rng(5)
    for s in sendings:
        eager = check_chunk(s, ctx, checks)
        lazy = check_chunk(s, ctx, checks, defer=True)
        assert isinstance(lazy.edges.place, Deferred) and isinstance(eager.edges.place, Place)
        assert isinstance(lazy.prestations.place, Deferred)
        for e, d in ((eager.edges.place, lazy.edges.place),
                     (eager.prestations.place, lazy.prestations.place)):  # fmt: skip
            n = len(e.seq)
            assert len(d) == n
            same(d.resolve(), e)
            idx = rng.integers(0, max(n, 1), size=min(n, 50)) if n else np.zeros(0, np.int64)
            same(d.select(idx), e.select(idx))
            same(d.select(np.zeros(0, np.int64)), e.select(np.zeros(0, np.int64)))
            mask = rng.random(n) < 0.3
            same(d.select(mask), e.select(mask))


def test_concat_of_deferred_and_eager_places(scanned):
    sendings, ctx = scanned
    checks = chosen(True)[0]
    eager = [check_chunk(s, ctx, checks).prestations.place for s in sendings]
    lazy = [check_chunk(s, ctx, checks, defer=True).prestations.place for s in sendings]
    whole = Place.concat(eager)
    mixed = concat_places([p if i % 2 else q for i, (p, q) in enumerate(zip(eager, lazy))])
    assert isinstance(mixed, Deferred)
    n = len(whole.seq)
    same(mixed.resolve(), whole)
    idx = np.random.default_rng(1).permutation(n)[: n // 3]
    same(mixed.select(idx), whole.select(idx))
    same(concat_places(eager), whole)
    with pytest.raises(IndexError):
        mixed.select(np.array([n]))
