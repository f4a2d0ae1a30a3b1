"""Layouts are data: tables parsed, checked and compiled into the core's arrays."""

from __future__ import annotations

import numpy as np
import pytest
from efact_edit import clean

from vsbengine import _core
from vsbengine.formats.efact import layouts
from vsbengine.formats.efact.compiled import LAYOUTS, REPLY_LAYOUTS, Compiled, parse_table
from vsbengine.formats.efact.rules import rule_table
from vsbengine.formats.efact.sending import core_tables


def test_every_layout_adds_up_without_gaps():
    for lay in list(LAYOUTS.layouts) + list(REPLY_LAYOUTS.values()):
        pos = 0
        for z in lay.zones:
            assert z.start == pos, (lay.name, z.zone)
            pos = z.end
        assert pos == lay.length


@pytest.mark.parametrize(
    "layout,zone,start,length",
    [
        ("10", "25,26", 120, 8),
        ("20", "8a,8b", 36, 13),
        ("20", "24,25", 115, 12),
        ("20", "47", 262, 8),
        ("50", "4", 10, 7),
        ("50", "19", 88, 12),
        ("50", "22", 108, 5),
        ("50", "27", 128, 10),
        ("80", "98", 347, 2),
        ("90", "36", 179, 34),
        ("95", "409", 66, 8),
        ("96", "510", 76, 2),
        ("300", "308", 133, 2),
        ("200", "204", 21, 14),
    ],
)
def test_positions_of_the_spec(layout, zone, start, length):
    z = LAYOUTS.layout(layout).zone(zone)
    assert (z.start + 1, z.length) == (start, length)


def test_a_wrong_table_is_refused_with_its_place():
    with pytest.raises(ValueError, match="layout X, zone 2: starts at 4, expected 3"):
        parse_table("X", 10, "1 1 2 N - - - a\n2 4 7 N - - - b\n")
    with pytest.raises(ValueError, match="zones add up to 9, expected 10"):
        parse_table("X", 10, "1 1 2 N - - - a\n2 3 7 N - - - b\n")
    with pytest.raises(ValueError, match="line 1: cannot parse"):
        parse_table("X", 10, "1 1 2 Q - - - a\n")


def test_adding_a_zone_is_a_one_line_table_edit():
    """Split a reserved zone of record 20 into two, one of them extracted: the core
    reads the new column without any other change."""
    old = "59       341   6 N z   -                    -               Reserved\n"
    new = (
        "59       341   3 N -   z59                  -               Reserved, first part\n"
        "59b      344   3 N -   -                    -               Reserved, second part\n"
    )
    assert old in layouts.RECORD_20
    tables = dict(layouts.SENDING)
    tables["20"] = (350, layouts.RECORD_20.replace(old, new))
    compiled = Compiled(tables)
    data = bytearray(clean(30, seed=81))
    r20 = 227 + 350  # the first record 20
    data[r20 + 340 : r20 + 343] = b"123"
    scan = _core.scan(bytes(data), _core.CoreTables(compiled, rule_table(compiled)))
    col = scan.slots[compiled.slot("20", "z59")]
    r20 = scan.units[compiled.index["20"]]
    assert r20[0] == 3 and col[0] == 123 and (col[1:] == 0).all()


def test_core_check_digits_match_the_rule():
    rows = (
        np.frombuffer(clean(30, seed=82)[227 : 227 + 350 * 5], dtype=np.uint8)
        .reshape(5, 350)
        .copy()
    )
    expected = rows[:, 348:350].copy()
    rows[:, 348:350] = ord("0")
    _core.fill_check_digits(rows)
    assert (rows[:, 348:350] == expected).all()
    total = _core.char_values(bytes(rows[0, :348]))
    assert int(bytes(rows[0, 348:350])) == (total % 97 or 97)


def test_scan_of_nothing():
    scan = _core.scan(b"", core_tables())
    assert list(scan.framing_kind) == [_core.FRAMING["SHORT_FILE"]] * 2
