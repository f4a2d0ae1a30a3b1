"""The night's report of a run: HTML, CSV and Parquet, one row per input file."""

from __future__ import annotations

import csv
import io
import json

import pytest
from efact_edit import TODAY, Sending

from vsbengine import bulk, night, receive
from vsbengine.errors import InputError
from vsbengine.formats.efact.generate import generate

HOSTILE_FACILITY = "=HYPERLINK(1) <script>x</script> & Zn"


@pytest.fixture
def inputs(tmp_path):
    """Three sendings of one facility (one accepted, one rejected), an unreadable file,
    and a copy of the first (skipped); the facility's name is hostile."""
    folder = tmp_path / "in"
    folder.mkdir()
    g = generate(400, seed=31, month=202610, references=True)
    g.write(folder / "a.920000")
    g.write_refs(tmp_path / "refs")
    bad = Sending(generate(400, seed=31, month=202610, references=True, error_rate=0.3).tobytes())
    bad.put_header(76, "777")  # another sending number (segment 300 zone 301, record 10 zone 7)
    bad.put(1, 33, "777")
    bad.resum()
    (folder / "b.920000").write_bytes(bad.tobytes())
    (folder / "c.920000").write_bytes(b"not a sending\n")
    (folder / "d.920000").write_bytes((folder / "a.920000").read_bytes())
    path = tmp_path / "refs" / "facilities.csv"
    head, row = path.read_text().splitlines()
    cells = row.split(",")
    cells[1] = f'"{HOSTILE_FACILITY}"'
    path.write_text(head + "\n" + ",".join(cells) + "\n")
    return tmp_path


def read_csv(path) -> list[dict]:
    text = path.read_bytes().decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text), delimiter=";"))


def test_a_folder_run_writes_its_report(inputs):
    out = inputs / "out"
    s = bulk.run_local(
        [str(inputs / "in")], str(out), workers=0, today=TODAY, refs=str(inputs / "refs")
    )
    (stem,) = {p.stem for p in (out / "runs").iterdir()}
    names = {p.name for p in (out / "runs").iterdir()}
    assert names == {f"{stem}.{x}" for x in ("json", "html", "csv", "parquet")}
    rows = read_csv(out / "runs" / f"{stem}.csv")
    assert list(rows[0]) == list(night.COLUMNS)
    assert rows[0]["outcome"] == "unreadable"  # first
    assert rows[0]["file"].endswith("c.920000") and rows[0]["reason"]
    by_file = {r["file"].rsplit("/", 1)[1]: r for r in rows}
    assert set(by_file) == {"a.920000", "b.920000", "c.920000", "d.920000"}
    outcomes = {o.path.rsplit("/", 1)[1]: o for o in s.files}
    for name, r in by_file.items():
        o = outcomes[name]
        assert r["outcome"] == o.outcome
        assert r["amount_requested"] == (
            "" if o.amount_requested is None else str(o.amount_requested)
        )
        assert r["amount_accepted"] == ("" if o.amount_accepted is None else str(o.amount_accepted))
    a = by_file["a.920000"]
    assert a["facility_name"] == "'" + HOSTILE_FACILITY  # a formula made harmless
    assert a["proposed"] == "DF014" and a["sending_number"] == str(
        outcomes["a.920000"].sending_number
    )
    assert (
        by_file["d.920000"]["outcome"] == "skipped"
        and by_file["d.920000"]["amount_requested"] == ""
    )
    assert float(by_file["b.920000"]["error_ratio"]) > 5
    # The skipped copy names its sending, in this run and in the next one.
    named = ("facility", "sending_number", "invoiced_month")
    assert all(by_file["d.920000"][k] == a[k] != "" for k in named)
    again = bulk.run_local(
        [str(inputs / "in")], str(out), workers=0, today=TODAY, refs=str(inputs / "refs")
    )
    redone = {o.path.rsplit("/", 1)[1]: o for o in again.files}
    assert redone["a.920000"].outcome == "skipped"
    assert redone["a.920000"].sending_number == outcomes["a.920000"].sending_number
    assert redone["a.920000"].facility == outcomes["a.920000"].facility
    page = (out / "runs" / f"{stem}.html").read_text("utf-8")
    assert "<script" not in page and "&lt;script&gt;x&lt;/script&gt; &amp; Zn" in page
    assert page.index("c.920000") < page.index("a.920000")  # the unreadable file first


def test_the_parquet_summary_holds_the_same_rows(inputs):
    pq = pytest.importorskip("pyarrow.parquet")
    out = inputs / "out"
    bulk.run_local(
        [str(inputs / "in")], str(out), workers=0, today=TODAY, refs=str(inputs / "refs")
    )
    (csv_path,) = (out / "runs").glob("*.csv")
    table = pq.read_table(csv_path.with_suffix(".parquet"))
    assert table.column_names == list(night.COLUMNS)
    rows = read_csv(csv_path)
    assert table.column("file").to_pylist() == [r["file"] for r in rows]
    assert table.column("amount_requested").to_pylist() == [
        int(r["amount_requested"]) if r["amount_requested"] else None for r in rows
    ]
    assert str(table.schema.field("amount_accepted").type) == "int64"
    # The Parquet file keeps the name as it is (no spreadsheet runs it).
    assert HOSTILE_FACILITY in table.column("facility_name").to_pylist()


def test_without_pyarrow_there_is_no_parquet(inputs, monkeypatch):
    import builtins

    real = builtins.__import__

    def no_arrow(name, *args, **kw):
        if name.startswith("pyarrow"):
            raise ImportError(name)
        return real(name, *args, **kw)

    out = inputs / "out"
    s = bulk.run_local([str(inputs / "in")], str(out), workers=0, today=TODAY)
    monkeypatch.setattr(builtins, "__import__", no_arrow)
    written = night.write(s, inputs / "again" / "night")
    assert [p.name for p in written] == ["night.html", "night.csv"]


def test_a_register_run_writes_its_report_and_it_can_be_made_again(inputs):
    reg = inputs / "r.register"
    s = receive.receive(str(reg), [str(inputs / "in")], refs=str(inputs / "refs"), today=TODAY)
    folder = inputs / "r.register.sendings" / "runs"
    assert {p.name for p in folder.iterdir()} == {
        f"{s.run:06d}.{x}" for x in ("json", "html", "csv", "parquet")
    }
    recorded = json.loads((folder / f"{s.run:06d}.json").read_text())
    assert recorded["run"] == s.run and len(recorded["files"]) == 4
    first = read_csv(folder / f"{s.run:06d}.csv")
    assert first[0]["outcome"] == "unreadable"
    a = next(r for r in first if r["file"].endswith("a.920000"))
    assert a["register_sending"] == "1" and a["facility_name"] == "'" + HOSTILE_FACILITY
    # The copy names its sending; its money and records are counted once, with a.
    d = next(r for r in first if r["file"].endswith("d.920000"))
    assert d["outcome"] == "skipped" and d["facility"] == a["facility"] and d["sending_number"]
    assert d["amount_requested"] == d["records_total"] == "" != a["amount_requested"]
    # Made again later from the run's summary, then from the register alone.
    again = night.write_for(reg, str(s.run), out=inputs / "later")
    assert [p.name for p in again][:2] == [f"{s.run:06d}.html", f"{s.run:06d}.csv"]
    assert read_csv(inputs / "later" / f"{s.run:06d}.csv") == first
    (folder / f"{s.run:06d}.json").unlink()
    night.write_for(reg, None, out=inputs / "rebuilt")
    rebuilt = read_csv(inputs / "rebuilt" / f"{s.run:06d}.csv")
    keep = [c for c in night.COLUMNS if c != "seconds"]  # not recorded in the register
    assert [{k: r[k] for k in keep} for r in rebuilt] == [{k: r[k] for k in keep} for r in first]


def test_which_run(inputs):
    out = inputs / "out"
    bulk.run_local([str(inputs / "in" / "a.920000")], str(out), workers=0, today=TODAY)
    (first,) = {p.stem for p in (out / "runs").glob("*.json")}
    bulk.run_local([str(inputs / "in" / "b.920000")], str(out), workers=0, today=TODAY)
    (second,) = {p.stem for p in (out / "runs").glob("*.json")} - {first}
    stems = [first, second]  # both may have started in the same second
    run_id = stems[0].rsplit("-", 1)[1]
    written = night.write_for(out, run_id, out=inputs / "first")
    assert written[0].name == f"{stems[0]}.html"
    assert "a.920000" in written[0].read_text() and "b.920000" not in written[0].read_text()
    latest = night.write_for(out, None, out=inputs / "latest")
    assert latest[0].name == f"{stems[1]}.html"
    with pytest.raises(InputError, match="no run 'nope' here"):
        night.write_for(out, "nope")
    with pytest.raises(InputError, match="no runs here"):
        night.write_for(inputs / "in")
    reg = inputs / "r.register"
    receive.receive(str(reg), [str(inputs / "in" / "a.920000")], today=TODAY)
    with pytest.raises(InputError, match="no run 9 in this register"):
        night.write_for(reg, "9")
    with pytest.raises(InputError, match="--run must be a run's number"):
        night.write_for(reg, "x")
    assert night.write_for(reg, "1", out=inputs / "reg")[0].is_file()
    for other in ("١", "１", "¹"):  # int() reads the first two as run 1
        with pytest.raises(InputError) as info:
            night.write_for(reg, other)
        assert str(info.value) == f"--run must be a run's number, not {other!r}"


def test_a_report_the_disk_refuses_is_a_warning_not_a_failed_run(inputs, monkeypatch, caplog):
    import logging

    def full(*args, **kwargs):
        raise OSError(28, "No space left on device", "/out/runs/x.html")

    monkeypatch.setattr(night, "write", full)
    out = inputs / "out"
    with caplog.at_level(logging.WARNING, logger="vsbengine"):
        s = bulk.run_local([str(inputs / "in" / "a.920000")], str(out), workers=0, today=TODAY)
    assert s.counts["accepted"] == 1 and (out / "summary.json").is_file()
    assert [r.getMessage() for r in caplog.records] == [
        "the night report was not written (vsbengine report makes it again): "
        "/out/runs/x.html: No space left on device"
    ]
    monkeypatch.undo()
    assert night.write_for(out)[0].suffix == ".html"  # made again afterwards
