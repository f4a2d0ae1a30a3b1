"""Whole-column helpers: formula-like cells found from their first byte, as safe_cell would."""

from __future__ import annotations

import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from vsbengine.formats.blockade.columns import neutralised, unneutralised
from vsbengine.spreadsheet import FORMULA_STARTS, safe_cell

# Text that starts with every kind of first character: formula starts, the mark,
# letters, digits, non-ASCII (a multi-byte first character), empty.
_TEXT = st.text(
    alphabet=st.sampled_from([*FORMULA_STARTS, "'", "a", "7", "é", "€", "Ω", " ", ";", '"']),
    max_size=4,
)


def _expected(values: list[str | None]) -> list[str | None]:
    return [None if v is None else safe_cell(v) for v in values]


@given(st.lists(st.one_of(st.none(), _TEXT), max_size=30), st.data())
def test_neutralised_equals_safe_cell_on_every_value(values, data):
    array = pa.array(values, pa.string())
    assert neutralised(array).to_pylist() == _expected(values)
    assert neutralised(array.cast(pa.large_string())).to_pylist() == _expected(values)
    # A slice reads its own window of the offsets and data buffers.
    start = data.draw(st.integers(0, len(values)))
    length = data.draw(st.integers(0, len(values) - start))
    window = array.slice(start, length)
    assert neutralised(window).to_pylist() == _expected(values[start : start + length])


@given(st.lists(_TEXT, max_size=20))
def test_dictionary_and_chunked_columns_are_neutralised(values):
    chunked = pa.chunked_array(
        [pa.array(values[:3], pa.string()), pa.array(values[3:], pa.string())]
    )
    assert neutralised(chunked).to_pylist() == _expected(values)
    encoded = pa.array(values, pa.string()).dictionary_encode()
    result = neutralised(encoded)
    assert pa.types.is_dictionary(result.type)
    assert result.to_pylist() == _expected(values)


@pytest.mark.parametrize(
    "array",
    [
        pa.array([], pa.string()),
        pa.array([None, None], pa.string()),
        pa.array(["", ""], pa.string()),
        pa.array([1, -2]),  # not text: left alone
    ],
)
def test_columns_without_formula_text_come_back_unchanged(array):
    assert neutralised(array).equals(array)


@given(st.lists(_TEXT.filter(lambda v: not v.startswith("'")), max_size=20))
def test_unneutralised_gives_back_what_was_written(values):
    array = pa.array(values, pa.string())
    assert unneutralised(neutralised(array)).to_pylist() == values
