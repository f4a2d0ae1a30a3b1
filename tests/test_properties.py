"""Property tests: any bytes give a result or the package's own error, never a crash;
results keep their invariants; every result's answers are written and read back."""

from __future__ import annotations

from efact_edit import TODAY, clean
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import vsbengine
from vsbengine.formats.efact.answers import Answers
from vsbengine.formats.efact.catalogue import catalogue
from vsbengine.formats.efact.reader import read_answer

BASE = clean(40, seed=71)
CAT = catalogue()


def check(data: bytes) -> None:
    try:
        r = vsbengine.validate(data, today=TODAY)
    except vsbengine.InputError:
        return
    assert r.technical in ("DF011", "DF012")
    assert (r.decision is None) == (r.technical == "DF012")
    assert 0 <= r.records_rejected <= r.records_total
    if r.accepted:
        assert r.records_accepted + r.records_rejected == r.records_total
    for e in r.errors:
        assert e.code in CAT, e.code
        assert e.offset is None or 0 <= e.offset < len(data)
    for p in r.problems:
        assert p.offset is None or 0 <= p.offset <= len(data)
    answers = Answers(r)
    for df in answers.names:
        out = answers.bytes(df)
        assert not any(c < 0x20 or c == 0x7F for c in out)  # text: it frames as written
        assert read_answer(out).kind == df


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=4000))
def test_random_bytes(data):
    check(data)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(min_size=1, max_size=2000).map(lambda b: b"920000" + b))
def test_random_bytes_after_a_message_name(data):
    check(data)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, len(BASE) - 1), st.integers(0, 255)), max_size=8),
    st.integers(0, len(BASE)),
    st.binary(max_size=20),
    st.booleans(),
)
@example(flips=[], cut=66, insert=b"\x00\r", lines=False)  # a "\r" echoed in a DF012
def test_mutated_sendings(flips, cut, insert, lines):
    d = bytearray(BASE)
    for pos, byte in flips:
        d[pos] = byte
    d = d[:cut] + insert + d[cut:] if insert else d[: max(cut, 6)]
    if lines:
        d = d.replace(b"", b"")  # keep single-line most of the time
        d = bytes(d[:67]) + b"\r\n" + bytes(d[67:])
    check(bytes(d))


WITH_ERRORS = clean(40, seed=72, error_rate=0.2)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from([b"", b"", b"\n", b"\r\n"]), min_size=60, max_size=60))
def test_line_breaks_after_any_parts_read_like_the_single_line_file(breaks):
    """Records have a fixed length: a break (LF or CR LF) after any segment or record,
    or none, leaves the reading as it is (the same records, errors and messages)."""
    d = WITH_ERRORS
    parts = [d[:67], d[67:227]] + [d[i : i + 350] for i in range(227, len(d), 350)]
    assert len(parts) <= len(breaks)
    one = vsbengine.validate(d, today=TODAY)
    assert one.errors
    r = vsbengine.validate(b"".join(p + b for p, b in zip(parts, breaks)), today=TODAY)
    assert r.problems == [] and r.messages == one.messages
    assert (r.records_total, r.records_rejected) == (one.records_total, one.records_rejected)
    assert [(e.record, e.zone, e.code) for e in r.errors] == [
        (e.record, e.zone, e.code) for e in one.errors
    ]
