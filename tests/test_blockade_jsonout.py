"""JSON Lines out: every line is msgspec's encoding of its row, whatever the text holds."""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

import msgspec
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vsbengine.formats.blockade import build, jsonout
from vsbengine.formats.blockade.outdir import write_table
from vsbengine.fsio import sha256_file

SCENARIO = Path(__file__).parent / "data" / "blockade" / "scenario"
DATE = dt.date(2024, 3, 21)
INPUTS = {
    "controls": SCENARIO / "controls.csv",
    "actions": SCENARIO / "actions.csv",
    "loids": SCENARIO / "loids.csv",
    "lines": SCENARIO / "invoice_lines.csv",
}
LISTS = ("B0001", "B0010", "B0025", "B1010", "B1020", "R03271")


def encoded(table: pa.Table) -> bytes:
    return b"".join(bytes(chunk) for chunk in jsonout.json_lines(table))


def expected(table: pa.Table) -> bytes:
    """The reference: msgspec on each row as a dict (empty text is no value)."""
    out = []
    for row in table.to_pylist():
        row = {k: (None if v == "" else v) for k, v in row.items()}
        out.append(msgspec.json.encode(row) + b"\n")
    return b"".join(out)


_text = st.one_of(st.none(), st.text(), st.sampled_from(['"', "\\", "\x00", "\n", "\u2028", "é"]))
_rows = st.lists(
    st.tuples(
        _text,
        st.one_of(st.none(), st.integers(-(2**63), 2**63 - 1)),
        st.one_of(st.none(), st.dates()),
        st.sampled_from(["JA", "NEE", "", "R00440D:A01"]),
    ),
    max_size=40,
)


@settings(max_examples=150, deadline=None)
@given(rows=_rows, batch=st.sampled_from([1, 3, 1 << 16]))
def test_each_line_is_msgspecs_encoding_of_the_row(rows, batch):
    table = pa.table(
        {
            "Tekst": pa.array([r[0] for r in rows], pa.string()),
            "Getal": pa.array([r[1] for r in rows], pa.int64()),
            "Datum": pa.array([r[2] for r in rows], pa.date32()),
            "Woord": pa.array([r[3] for r in rows], pa.string()).dictionary_encode(),
            "Groot": pa.array([r[0] for r in rows], pa.large_string()),
        }
    )
    saved, jsonout._BATCH = jsonout._BATCH, batch
    try:
        data = encoded(table)
    finally:
        jsonout._BATCH = saved
    assert data == expected(table)
    # Lines end at "\n" only (str.splitlines would also split at U+2028 inside a value).
    back = [json.loads(line) for line in data.split(b"\n")[:-1]]
    assert [r["Datum"] for r in back] == [r[2] and r[2].isoformat() for r in rows]


def test_a_list_without_rows_is_an_empty_file(tmp_path):
    table = pa.table({"Eenheid": pa.array([], pa.string())})
    written = write_table(table, tmp_path / "B0025.jsonl")
    assert (tmp_path / "B0025.jsonl").read_bytes() == b""
    assert (written.rows, written.sha256) == (0, sha256_file(tmp_path / "B0025.jsonl"))


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    root = tmp_path_factory.mktemp("formats")
    build(**INPUTS, date=DATE, out=root / "csv")
    build(**INPUTS, date=DATE, out=root / "jsonl", output_format="jsonl")
    return root / "csv", root / "jsonl"


def _csv_rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle, delimiter=";"))


def _json_rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_bytes().split(b"\n")[:-1]]


def test_a_jsonl_list_holds_the_rows_of_the_csv_list(folders):
    as_csv, as_json = folders
    assert sorted(p.name for p in as_json.iterdir()) == sorted(
        [f"{name}.jsonl" for name in LISTS] + ["manifest.json"]
    )
    for name in LISTS:
        rows = _json_rows(as_json / f"{name}.jsonl")
        text = [{k: "" if v is None else str(v) for k, v in r.items()} for r in rows]
        assert text == _csv_rows(as_csv / f"{name}.csv"), name
        assert all(list(r) == list(rows[0]) for r in rows), "every object has every column"


def test_jsonl_values_are_typed(folders):
    _, as_json = folders
    b0010 = _json_rows(as_json / "B0010.jsonl")
    bare = next(r for r in b0010 if r["Eenheid"] == "190013")  # a unit without invoice lines
    assert bare["Factuurregel"] is None and bare["Bedrag_centen"] is None
    assert {type(r["Bedrag_centen"]) for r in b0010 if r["Factuurregel"]} == {int}
    b1010 = _json_rows(as_json / "B1010.jsonl")
    assert b1010[0] == {
        "Stap": "1",
        "Meting": "Acties_gelezen",
        "Aantal": 17,
        "Omschrijving": "acties in het actiebestand",
    }


def test_the_manifest_records_the_jsonl_files(folders):
    as_csv, as_json = folders
    saved = json.loads((as_json / "manifest.json").read_text())
    assert sorted(saved["files"]) == [f"{name}.jsonl" for name in LISTS]
    for name, entry in saved["files"].items():
        assert entry["sha256"] == sha256_file(as_json / name)
        assert entry["rows"] == len((as_json / name).read_text().splitlines())
    plain = json.loads((as_csv / "manifest.json").read_text())
    assert {k: v for k, v in saved.items() if k != "files"} == {
        k: v for k, v in plain.items() if k != "files"
    }


def test_a_jsonl_rerun_is_byte_identical(folders, tmp_path):
    _, as_json = folders
    build(**INPUTS, date=DATE, out=tmp_path / "again", output_format="jsonl")
    for path in as_json.iterdir():
        assert (tmp_path / "again" / path.name).read_bytes() == path.read_bytes(), path.name


def test_jsonl_text_is_written_as_it_is(tmp_path):
    """No spreadsheet mark in JSON: a formula-like description stays itself."""
    folder = tmp_path / "in"
    folder.mkdir()
    for path in INPUTS.values():
        (folder / path.name).write_bytes(path.read_bytes())
    controls = folder / "controls.csv"
    controls.write_text(
        controls.read_text().replace("Verpleegdagen zonder opname", '=HYPERLINK("x")\tend')
    )
    out = tmp_path / "out"
    build(
        **{k: folder / p.name for k, p in INPUTS.items()}, date=DATE, out=out, output_format="jsonl"
    )
    line = next(
        line for line in (out / "B0001.jsonl").read_text().splitlines() if "R00440D" in line
    )
    assert '"Omschrijving":"=HYPERLINK(\\"x\\")\\tend"' in line


def test_an_unknown_output_format_is_refused_before_any_work(tmp_path):
    from vsbengine.errors import ConfigError

    with pytest.raises(ConfigError) as info:
        build(**INPUTS, date=DATE, out=tmp_path / "x", output_format="json")
    assert str(info.value) == "the output format is csv or jsonl, not 'json'"
    assert not (tmp_path / "x").exists()
