"""The decision: letters, propagation, the exact 5 % rule."""

from __future__ import annotations

import pytest
from efact_edit import TODAY, Sending, clean
from hypothesis import given, settings
from hypothesis import strategies as st

import vsbengine
from vsbengine.decision import percent_x100


def sending_with_total_multiple_of(k: int) -> Sending:
    for seed in range(200):
        s = Sending(clean(100, seed=seed))
        total = sum(1 for r in s.records if r[:2] not in ("95", "96"))
        lone = [
            r
            for i, r in enumerate(s.records)
            if r[:2] == "50" and s.records[i + 1][:2] not in ("51", "52")
        ]
        if total % k == 0 and len(lone) >= total // k + 1:
            return s
    raise AssertionError("no such sending")


def reject_lone_prestations(s: Sending, n: int) -> None:
    """Flip the units sign of ``n`` records 50 that have no 51/52 (one rejected record each)."""
    done = 0
    for i, r in enumerate(s.records):
        if done == n:
            break
        if r[:2] == "50" and s.records[i + 1][:2] not in ("51", "52"):
            s.put_at(i, 108, "-")
            done += 1
    s.fix_checks()


@pytest.mark.parametrize("extra,decision", [(0, "DF014"), (1, "DF013")])
def test_five_percent_is_accepted_and_one_record_more_is_not(extra, decision):
    s = sending_with_total_multiple_of(20)
    total = sum(1 for r in s.records if r[:2] not in ("95", "96"))
    reject_lone_prestations(s, total // 20 + extra)
    r = vsbengine.validate(s.tobytes(), today=TODAY)
    assert r.records_rejected == total // 20 + extra
    assert r.decision == decision
    if decision == "DF014":
        assert r.error_ratio == 5.0 and r.rejection_type is None
        assert r.records_accepted + r.records_rejected == r.records_total
    else:
        assert r.rejection_type == "02" and r.error_ratio > 5.0 and r.records_accepted == 0


def test_invoice_error_counts_all_its_records():
    s = Sending(clean(100, seed=3))
    inv = max(s.invoices(), key=len)
    seq80 = s.seq_at(inv[-1])
    s.put(seq80, 128, "+" + str(int(s.get(seq80, 129, 9)) + 1).zfill(9))
    s.fix_checks()
    r = vsbengine.validate(s.tobytes(), today=TODAY)
    assert [e.code for e in r.errors] == ["802710"]
    assert r.records_rejected == len(inv) and r.invoices_rejected == 1


def test_blocking_error_rejects_the_sending_with_type_01():
    s = Sending(clean(100, seed=3))
    s.put(3, 349, f"{int(s.get(3, 349, 2)) % 97 + 1:02d}")
    r = vsbengine.validate(s.tobytes(), today=TODAY)
    assert (r.decision, r.rejection_type) == ("DF013", "01")
    assert r.messages == ["DF011", "DF013"]


@pytest.mark.parametrize(
    "part,total,x100",
    [
        (1, 6, 1667),
        (2, 3, 6667),
        (1, 20, 500),
        (1, 8, 1250),
        (0, 7, 0),
        (1, 3, 3333),
        (1, 20000, 1),  # 0.005 % rounds half up to 0.01 %
        (1, 20001, 0),
    ],
)
def test_percentage_rounds_half_up(part, total, x100):
    assert percent_x100(part, total) == x100


def test_samples_of_the_spec_give_their_percentages():
    # 10, 20, 50, 51, 80, 90: one rejected prestation (50+51) and a rejected invoice.
    assert percent_x100(1, 6) == 1667
    assert percent_x100(4, 6) == 6667


@pytest.mark.parametrize("where", [0, -1], ids=["record 20", "record 80"])
def test_a_blocking_error_on_an_invoices_own_record_counts_the_whole_invoice(where):
    s = Sending(clean(100, seed=3))
    inv = max(s.invoices(), key=len)
    seq = s.seq_at(inv[where])
    s.put(seq, 349, f"{int(s.get(seq, 349, 2)) % 97 + 1:02d}")  # its check digits wrong
    r = vsbengine.validate(s.tobytes(), today=TODAY)
    assert [e.code[2:] for e in r.errors] == ["9902"]
    assert (r.decision, r.rejection_type) == ("DF013", "01")
    assert r.records_rejected == len(inv) and r.invoices_rejected == 1


def test_a_blocking_error_on_a_prestation_rejects_that_record_only():
    s = Sending(clean(100, seed=3))
    inv = max(s.invoices(), key=len)
    seq = s.seq_at(inv[1])
    s.put(seq, 349, f"{int(s.get(seq, 349, 2)) % 97 + 1:02d}")
    r = vsbengine.validate(s.tobytes(), today=TODAY)
    assert (r.decision, r.records_rejected, r.invoices_rejected) == ("DF013", 1, 0)


def test_the_whole_sendings_frame_knows_each_invoices_own_records():
    from types import SimpleNamespace

    import numpy as np

    from vsbengine.formats.efact.summary import SendingFrame

    # Invoices as runs of units [2, 6) and [6, 9); units 9 and 10 close the sending.
    sm = SimpleNamespace(units=11, invoice_unit=np.array([2, 6]), invoice_stop=np.array([6, 9]))
    frame = SendingFrame(sm)
    units = np.arange(11)
    assert frame.invoice_own(units).tolist() == [u in (2, 5, 6, 8) for u in range(11)]
    assert frame.head20(units).tolist() == [-1, -1, 2, 2, 2, 2, 6, 6, 6, -1, -1]
    empty = SendingFrame(
        SimpleNamespace(units=3, invoice_unit=np.zeros(0, int), invoice_stop=np.zeros(0, int))
    )
    assert not empty.invoice_own(np.arange(3)).any()


def _drag_by_sorting(src, dst, seeds, rejected):
    """The first implementation of :func:`vsbengine.decision.drag` (the edges sorted by
    their source once, each round's edges found by binary search): the reference."""
    import numpy as np

    out = []
    fresh = np.unique(seeds)
    if len(fresh) == 0 or len(src) == 0:
        return np.zeros(0, np.int64)
    order = np.argsort(src, kind="stable")
    ordered = src[order]
    while len(fresh) and len(ordered):
        lo = np.searchsorted(ordered, fresh)
        hi = np.searchsorted(ordered, fresh, side="right")
        n = hi - lo
        if not n.any():
            break
        start = np.repeat(lo - np.r_[0, np.cumsum(n)[:-1]], n)
        idx = order[start + np.arange(n.sum())]
        idx = idx[~rejected[dst[idx]]]
        _, first = np.unique(dst[idx], return_index=True)
        idx = idx[np.sort(first)]
        rejected[dst[idx]] = True
        out.append(idx)
        fresh = dst[idx]
    return np.concatenate(out) if out else np.zeros(0, np.int64)


@given(
    n=st.integers(1, 40),
    edges=st.lists(st.tuples(st.integers(0, 39), st.integers(0, 39)), max_size=120),
    seeds=st.lists(st.integers(0, 39), max_size=10),
    already=st.lists(st.integers(0, 39), max_size=10),
)
@settings(max_examples=400, deadline=None)
def test_drag_follows_the_edges_as_the_sorting_reference_does(n, edges, seeds, already):
    import numpy as np

    from vsbengine.decision import drag

    pairs = np.array([(a % n, b % n) for a, b in edges], dtype=np.int64).reshape(-1, 2)
    src, dst = pairs[:, 0].copy(), pairs[:, 1].copy()
    base = np.zeros(n, dtype=bool)
    base[[a % n for a in already]] = True
    seeds_ = np.array([s % n for s in seeds], dtype=np.int64)
    base[seeds_] = True  # seeds are rejected records
    want_rejected, got_rejected = base.copy(), base.copy()
    want = _drag_by_sorting(src, dst, seeds_, want_rejected)
    got = drag(src, dst, seeds_, got_rejected)
    assert got.tolist() == want.tolist()
    assert (got_rejected == want_rejected).all()
