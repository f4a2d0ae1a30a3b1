"""The delta against the previous day's list: units added and removed."""

from __future__ import annotations

import csv
import datetime as dt
import json
import shutil
from pathlib import Path

import pytest

from vsbengine.errors import InputError
from vsbengine.formats.blockade import build

SCENARIO = Path(__file__).parent / "data" / "blockade" / "scenario"


def inputs(folder: Path) -> dict[str, Path]:
    return {
        "controls": folder / "controls.csv",
        "actions": folder / "actions.csv",
        "loids": folder / "loids.csv",
        "lines": folder / "invoice_lines.csv",
    }


@pytest.fixture
def day_one(tmp_path) -> Path:
    out = tmp_path / "lists" / "2024-03-21"
    build(**inputs(SCENARIO), date=dt.date(2024, 3, 21), out=out)
    return out


@pytest.fixture
def next_day_inputs(tmp_path) -> dict[str, Path]:
    """The next day: A17 is resolved (190004 leaves), A06's DBC start is corrected (990000006
    comes in), and A09's DBC, closed on 2024-03-21, no longer blocks (990000008 leaves)."""
    folder = tmp_path / "next"
    shutil.copytree(SCENARIO, folder)
    actions = folder / "actions.csv"
    text = actions.read_text()
    text = text.replace("A17;N2500;DBC017;LOID-K;2024-03-17;2024-01-10;;open;;\n", "")
    text = text.replace(";LOID-F;2024-03-06;2015-06-01;", ";LOID-F;2024-03-06;2016-06-01;")
    actions.write_text(text)
    return inputs(folder)


def delta_rows(folder: Path) -> list[tuple[str, str]]:
    with open(folder / "B0025_delta.csv", newline="") as handle:
        return [(r["Eenheid"], r["Mutatie"]) for r in csv.DictReader(handle, delimiter=";")]


def test_delta_lists_units_added_and_removed(tmp_path, day_one, next_day_inputs):
    out = tmp_path / "lists" / "2024-03-22"
    manifest = build(**next_day_inputs, date=dt.date(2024, 3, 22), out=out, previous=day_one)
    assert delta_rows(out) == [
        ("190004", "Verwijderd"),
        ("990000006", "Toegevoegd"),
        ("990000008", "Verwijderd"),
    ]
    assert (manifest.delta.added, manifest.delta.removed) == (1, 2)
    assert manifest.delta.previous_date == dt.date(2024, 3, 21)
    saved = json.loads((out / "manifest.json").read_text())
    assert saved["delta"] == {"previous_date": "2024-03-21", "added": 1, "removed": 2}
    assert saved["files"]["B0025_delta.csv"]["rows"] == 3


def test_a_dbc_closed_on_the_previous_day_leaves_the_list(tmp_path, day_one):
    out = tmp_path / "again"
    build(**inputs(SCENARIO), date=dt.date(2024, 3, 22), out=out, previous=day_one)
    # A09's DBC closed on 2024-03-21: it blocked that day, on the 22nd it no longer does.
    assert delta_rows(out) == [("990000008", "Verwijderd")]


def test_the_previous_list_must_be_older(tmp_path, day_one):
    with pytest.raises(InputError) as info:
        build(**inputs(SCENARIO), date=dt.date(2024, 3, 21), out=tmp_path / "x", previous=day_one)
    assert (
        str(info.value)
        == f"{day_one}: the previous list is dated 2024-03-21, not before 2024-03-21"
    )
    assert not (tmp_path / "x").exists()


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_a_hand_edited_previous_list_is_refused(tmp_path, fmt):
    previous = tmp_path / "one"
    build(**inputs(SCENARIO), date=dt.date(2024, 3, 21), out=previous, output_format=fmt)
    b0025 = previous / f"B0025.{fmt}"
    b0025.write_bytes(b0025.read_bytes().replace(b'"190004"', b'"190005"'))
    with pytest.raises(InputError) as info:
        build(**inputs(SCENARIO), date=dt.date(2024, 3, 22), out=tmp_path / "x", previous=previous)
    assert str(info.value) == (
        f"{b0025}: the file differs from the one the build wrote (its SHA-256 does not match "
        "manifest.json); blockade lists are not edited by hand"
    )
    assert not (tmp_path / "x").exists()


def test_a_previous_folder_without_manifest_is_refused(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError) as info:
        build(
            **inputs(SCENARIO),
            date=dt.date(2024, 3, 22),
            out=tmp_path / "x",
            previous=tmp_path / "empty",
        )
    assert str(info.value) == f"{tmp_path / 'empty'}: not a blockade list folder (no manifest.json)"


# -- list folders written as JSON Lines ---------------------------------------------------------


def json_delta_rows(folder: Path) -> list[tuple[str, str]]:
    lines = (folder / "B0025_delta.jsonl").read_bytes().split(b"\n")[:-1]
    return [(r["Eenheid"], r["Mutatie"]) for r in map(json.loads, lines)]


@pytest.mark.parametrize(
    ("before", "after"), [("jsonl", "jsonl"), ("jsonl", "csv"), ("csv", "jsonl")]
)
def test_delta_between_folders_of_either_format(tmp_path, next_day_inputs, before, after):
    previous = tmp_path / "lists" / "one"
    build(**inputs(SCENARIO), date=dt.date(2024, 3, 21), out=previous, output_format=before)
    out = tmp_path / "lists" / "two"
    manifest = build(
        **next_day_inputs,
        date=dt.date(2024, 3, 22),
        out=out,
        previous=previous,
        output_format=after,
    )
    found = delta_rows(out) if after == "csv" else json_delta_rows(out)
    assert found == [
        ("190004", "Verwijderd"),
        ("990000006", "Toegevoegd"),
        ("990000008", "Verwijderd"),
    ]
    assert (manifest.delta.added, manifest.delta.removed) == (1, 2)
    assert f"B0025_delta.{after}" in manifest.files


def test_an_empty_jsonl_list_is_a_previous_list_without_units(tmp_path):
    empty = tmp_path / "empty"
    shutil.copytree(SCENARIO, empty)
    for name in ("actions.csv", "loids.csv"):
        (empty / name).write_text((SCENARIO / name).read_text().splitlines()[0] + "\n")
    previous = tmp_path / "one"
    build(**inputs(empty), date=dt.date(2024, 3, 21), out=previous, output_format="jsonl")
    assert (previous / "B0025.jsonl").read_bytes() == b""
    manifest = build(
        **inputs(SCENARIO), date=dt.date(2024, 3, 22), out=tmp_path / "two", previous=previous
    )
    assert (manifest.delta.added, manifest.delta.removed) == (manifest.units_blocked, 0)


def test_a_list_folder_without_b0025_is_refused(tmp_path, day_one):
    manifest = json.loads((day_one / "manifest.json").read_text())
    del manifest["files"]["B0025.csv"]
    (day_one / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(InputError) as info:
        build(**inputs(SCENARIO), date=dt.date(2024, 3, 22), out=tmp_path / "x", previous=day_one)
    assert str(info.value) == (
        f"{day_one}: the blockade list has no B0025 (B0025.csv or B0025.jsonl in manifest.json)"
    )


@pytest.mark.parametrize("name, what", [("actions.csv", "actions"), ("loids.csv", "LOIDs")])
def test_an_emptied_export_does_not_release_every_unit(tmp_path, day_one, name, what):
    """A header-only actions or LOID file after a list that blocked units is refused (an
    export cut short); nothing is written unless a day without them is asked for."""
    folder = tmp_path / "cut"
    shutil.copytree(SCENARIO, folder)
    emptied = folder / name
    emptied.write_text(emptied.read_text().splitlines()[0] + "\n")
    out = tmp_path / "lists" / "2024-03-22"
    with pytest.raises(InputError, match=f"holds no {what}, while the list of 2024-03-21") as e:
        build(**inputs(folder), date=dt.date(2024, 3, 22), out=out, previous=day_one)
    assert str(e.value).startswith(str(emptied))
    assert not out.exists()
    manifest = build(
        **inputs(folder), date=dt.date(2024, 3, 22), out=out, previous=day_one, allow_empty=True
    )
    assert manifest.units_blocked == 0 and manifest.delta.added == 0 and manifest.delta.removed
