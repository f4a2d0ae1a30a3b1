"""The check that the lists connect fails loudly on tables that do not."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from vsbengine.formats.blockade.columns import NotSorted, distinct_sorted, join_per_group
from vsbengine.formats.blockade.lists import CheckError, check_units


def r03271(units, ignored):
    return pa.table({"Eenheid": units, "Genegeerd": ["JA" if i else "NEE" for i in ignored]})


def lines(units):
    return pa.table({"Eenheid": units})


def test_connected_lists_pass_and_report_distinct_units():
    r = r03271(["190001", "190002", "990000001"], [False, True, False])
    b = lines(["190001", "990000001", "990000001"])
    assert check_units(r, b, b) == {"R03271": 2, "B0010": 2, "B0025": 2}


def test_a_unit_missing_from_b0010_fails():
    r = r03271(["190001", "990000001"], [False, False])
    with pytest.raises(CheckError) as info:
        check_units(r, lines(["190001"]), lines(["190001", "990000001"]))
    assert str(info.value) == (
        "the blockade lists do not connect: distinct units R03271 2, B0010 1, B0025 2 "
        "(R03271 not ignored); B0010 differs from R03271"
    )


def test_a_different_unit_in_b0025_fails():
    r = r03271(["190001", "990000001"], [False, False])
    with pytest.raises(CheckError, match="B0025 differs from R03271"):
        check_units(r, lines(["190001", "990000001"]), lines(["190001", "990000002"]))


def test_an_ignored_unit_on_b0010_fails():
    r = r03271(["190001", "990000001"], [False, True])
    b = lines(["190001", "990000001"])
    with pytest.raises(CheckError, match="B0010 differs"):
        check_units(r, b, b)


def test_unsorted_or_repeated_units_fail():
    r = r03271(["190001", "990000001"], [False, False])
    with pytest.raises(CheckError, match="B0010 is not sorted by unit"):
        check_units(r, lines(["990000001", "190001"]), lines(["190001", "990000001"]))
    with pytest.raises(CheckError, match="R03271 lists a unit more than once"):
        check_units(r03271(["190001", "190001"], [False, False]), lines([]), lines([]))


def test_distinct_sorted_and_join_per_group():
    assert distinct_sorted(pa.array(["a", "a", "b", "c", "c"])).to_pylist() == ["a", "b", "c"]
    with pytest.raises(NotSorted):
        distinct_sorted(pa.array(["b", "a"]))
    joined = join_per_group(
        np.array([1, 1, 4]), pa.array(["x", "y", "z"]), np.array([0, 1, 4, 7]), ", "
    )
    assert joined.to_pylist() == [None, "x, y", "z", None]
    empty = join_per_group(np.array([], np.int64), pa.array([], pa.string()), np.array([3]), ",")
    assert empty.to_pylist() == [None]
