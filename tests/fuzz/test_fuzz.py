"""A short fuzz run of every target (a few seconds in the suite): mutations of valid
inputs (bytes replaced, a cut, bytes inserted, a CSV field blown up past 128 KiB) and
random bytes. ``VSBENGINE_FUZZ_EXAMPLES=100000`` makes it a long run."""

from __future__ import annotations

import os
import sys

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, os.path.dirname(__file__))
import targets

EXAMPLES = int(os.environ.get("VSBENGINE_FUZZ_EXAMPLES", "25"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
# Bytes that break parsers most: digits and their look-alikes (Latin-1 superscripts),
# separators, quotes, line breaks, NUL, high bytes.
SPICY = st.sampled_from(list(b"0123456789 ;,\"'\r\n\t\x00=+-@\xb2\xb3\xb9\xff\xe9"))


def mutations(seed: bytes, size: int = 8):
    """``seed`` with a few bytes replaced, a cut, bytes inserted, or a field blown up."""
    n = len(seed)
    edit = st.tuples(st.integers(0, max(n - 1, 0)), st.one_of(SPICY, st.integers(0, 255)))
    return st.builds(
        _mutate,
        st.just(seed),
        st.lists(edit, max_size=size),
        st.integers(0, n),
        st.binary(max_size=40),
        st.integers(0, n),
        st.sampled_from([0, 0, 0, 140_000]),
    )


def _mutate(seed, edits, cut, insert, at, blow_up):
    data = bytearray(seed)
    for pos, byte in edits:
        if pos < len(data):
            data[pos] = byte
    data = data[:cut] if cut else data
    at = min(at, len(data))
    data[at:at] = insert + b"x" * blow_up
    return bytes(data)


@FUZZ
@given(st.one_of(mutations(targets.sending()), st.binary(max_size=3000)))
def test_validate(data):
    targets.validate(data)


@FUZZ
@given(mutations(targets.content_case()[0], size=16))
def test_validate_with_reference_data(data):
    targets.validate_content(data)


@FUZZ
@given(st.one_of(*(mutations(a) for a in targets.answers()), st.binary(max_size=2000)))
def test_answer_reader(data):
    targets.read_answer(data)


@FUZZ
@given(
    st.sampled_from(sorted(n for n in targets.reference_data() if n.endswith(".csv"))).flatmap(
        lambda name: st.tuples(st.just(name), mutations(targets.reference_data()[name]))
    )
)
def test_reference_data_csv(case):
    targets.reference_csv(*case)


@FUZZ
@given(mutations(targets.EXPORT.read_bytes()))
def test_viplive_export(data):
    targets.viplive_export(data)


@FUZZ
@given(st.one_of(mutations(targets.CONTROLS), mutations(targets.ACTIONS)))
def test_blockade_input(data):
    targets.blockade_input(data)
