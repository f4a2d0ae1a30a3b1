"""B1020 (one row per action, adding up to B1010), R02062 for SAP hospitals, JSON Lines
inputs, spreadsheet-safe cells, size limits and crash recovery of the list folders."""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import re
import shutil
import signal
import stat
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from vsbengine.errors import InputError
from vsbengine.formats.blockade import build, reconcile
from vsbengine.formats.blockade import csvin as csvin_module

SCENARIO = Path(__file__).parent / "data" / "blockade" / "scenario"
DATE = dt.date(2024, 3, 21)
KILL = Path(__file__).with_name("killpoints.py")


def _inputs(folder: Path = SCENARIO) -> dict:
    return {
        "controls": folder / "controls.csv",
        "actions": folder / "actions.csv",
        "loids": folder / "loids.csv",
        "lines": folder / "invoice_lines.csv",
    }


def _rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8-sig") as handle:
        delimiter = ";" if ";" in handle.readline() else ","
        handle.seek(0)
        return list(csv.DictReader(handle, delimiter=delimiter))


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("lists") / "list"
    build(**_inputs(), date=DATE, out=out)
    return out


def test_b1020_says_where_every_action_left_the_chain(built):
    b1020 = {r["Actie"]: r for r in _rows(built / "B1020.csv")}
    assert len(b1020) == 17
    expected = {
        "A01": ("5.0", "Blokkerend", "3", "3"),  # its LOID unit and two related units
        "A03": ("5.0", "Genegeerd_default_uitsluiting", "3", "0"),
        "A04": ("5.0", "Genegeerd_klant_uitsluiting", "1", "0"),
        "A05": ("5.0", "Genegeerd_niet_blokkerend", "1", "0"),
        "A06": ("5.0", "Genegeerd_dbc_begindatum", "1", "0"),
        "A07": ("5.0", "Genegeerd_eigen_controle", "2", "0"),  # and one related unit
        "A08": ("5.0", "Uitgevallen_dbc_gesloten", "1", "0"),
        "A09": ("5.0", "Blokkerend", "1", "1"),  # closed on the date itself: still blocks
        "A10": ("1", "Uitgevallen_controle_niet_in_productie", "0", "0"),
        "A11": ("1", "Uitgevallen_geen_dbc", "0", "0"),
        "A12": ("2", "Uitgevallen_loid_onbekend", "0", "0"),
    }
    got = {
        a: (r["Stap"], r["Meting"], r["Eenheden_bereikt"], r["Eenheden_te_blokkeren"])
        for a, r in b1020.items()
        if a in expected
    }
    assert got == expected
    assert b1020["A01"]["Controle"] == "R00440D"


def test_b1020_adds_up_to_the_action_counts_of_b1010(built):
    b1010 = {(r["Stap"], r["Meting"]): int(r["Aantal"]) for r in _rows(built / "B1010.csv")}
    per_measure = Counter((r["Stap"], r["Meting"]) for r in _rows(built / "B1020.csv"))
    for key, n in per_measure.items():
        assert b1010[key] == n, key
    assert sum(per_measure.values()) == b1010[("1", "Acties_gelezen")]
    blocked = sum(int(r["Eenheden_te_blokkeren"]) for r in _rows(built / "B1020.csv"))
    assert blocked == b1010[("5.1", "Regels")]


def test_r02062_replaces_b0010_for_sap_hospitals(built, tmp_path):
    out = tmp_path / "sap"
    manifest = build(**_inputs(), date=DATE, out=out, net_list="r02062")
    names = sorted(p.name for p in out.iterdir())
    assert "R02062.csv" in names and "B0010.csv" not in names and "B0025.csv" in names
    sap, b0010 = _rows(out / "R02062.csv"), _rows(built / "B0010.csv")
    assert list(sap[0]) == [
        "Factuurnummer",
        "Factuurregel",
        "Declarabele_eenheid",
        "Soort",
        "Debet_credit",
        "Bedrag_centen",
        "Blokkadereden",
    ]
    assert [(r["Declarabele_eenheid"], r["Factuurregel"]) for r in sap] == [
        (r["Eenheid"], r["Factuurregel"]) for r in b0010
    ]
    counts = {(c.stap, c.meting): c.aantal for c in manifest.counts}
    assert counts[("6", "R02062_regels")] == len(sap) and ("6", "B0010_regels") not in counts
    assert (out / "B0025.csv").read_bytes() == (built / "B0025.csv").read_bytes()
    with pytest.raises(Exception, match="b0010 or r02062"):
        build(**_inputs(), date=DATE, out=tmp_path / "x", net_list="b0011")


def _to_json_lines(src: Path, dst: Path, numbers=("amount",)) -> Path:
    rows = _rows(src)
    with open(dst, "w", encoding="utf-8") as handle:
        for i, r in enumerate(rows):
            obj = {k: (int(v) if k in numbers and v else (v or None)) for k, v in r.items()}
            handle.write(json.dumps(obj) + "\n")
            if i == 1:
                handle.write("\n")  # a blank line is skipped
    return dst


def test_json_lines_inputs_give_the_same_lists(built, tmp_path):
    folder = tmp_path / "json"
    folder.mkdir()
    files = {
        key: _to_json_lines(path, folder / (path.stem + ".jsonl"))
        for key, path in _inputs().items()
    }
    out = tmp_path / "from-json"
    build(**files, date=DATE, out=out)
    for name in ("R03271.csv", "B0010.csv", "B0025.csv", "B1010.csv", "B1020.csv"):
        assert (out / name).read_bytes() == (built / name).read_bytes(), name


def test_json_lines_errors_name_line_and_column(tmp_path):
    files = dict(_inputs())
    bad = tmp_path / "actions.jsonl"
    _to_json_lines(files["actions"], bad)
    lines = bad.read_text().splitlines()
    obj = json.loads(lines[4])
    obj["action_date"] = "2024-02-30"
    lines[4] = json.dumps(obj)
    bad.write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError) as exc:
        build(**{**files, "actions": bad}, date=DATE, out=tmp_path / "o")
    assert str(exc.value) == (
        f"{bad}, line 5, column action_date: '2024-02-30' is not a date as YYYY-MM-DD"
    )
    bad.write_text(lines[0] + "\n[1, 2]\n")
    with pytest.raises(InputError) as exc:
        build(**{**files, "actions": bad}, date=DATE, out=tmp_path / "o")
    assert str(exc.value) == f"{bad}, line 2: not a JSON object (Expected `object`, got `array`)"
    bad.write_text('{"action_id": "A1"}\n')
    with pytest.raises(InputError, match=r"column control: missing column 'control'"):
        build(**{**files, "actions": bad}, date=DATE, out=tmp_path / "o")


def test_a_key_twice_in_a_json_object_is_refused(tmp_path):
    """A decoder keeps one of two values of a key without a word: a run line naming its
    unit twice (or in two cases) is refused, located, never read as one of them."""
    out = tmp_path / "list"
    build(**_inputs(), date=DATE, out=out)
    run = tmp_path / "run.jsonl"
    ok = '{"unit": "990000003", "invoice_number": "I2", "line_id": "L2", "note": "a\\": b"}'
    for line, message in (
        ('{"unit": "990000002", "unit": "1", "invoice_number": "I", "line_id": "L1"}',
         f"{run}, line 2: key 'unit' twice in one object"),
        ('{"UNIT": "990000002", "unit": "1", "invoice_number": "I", "line_id": "L1"}',
         f"{run}, line 2, column unit: keys 'UNIT' and 'unit' are both column unit"),
    ):  # fmt: skip
        run.write_text(ok + "\n" + line + "\n")
        with pytest.raises(InputError) as exc:
            reconcile(blockade=out, run=run, run_date=DATE + dt.timedelta(days=1), out=tmp_path)
        assert str(exc.value) == message
    run.write_text(ok + "\n")  # a '":' inside a value is no key
    result = reconcile(blockade=out, run=run, run_date=DATE + dt.timedelta(days=1), out=tmp_path)
    assert result.invoiced + result.not_invoiced == result.units_on_list


def test_formula_like_text_is_neutralised_and_read_back(tmp_path):
    folder = tmp_path / "in"
    shutil.copytree(SCENARIO, folder)
    controls = (folder / "controls.csv").read_text()
    (folder / "controls.csv").write_text(
        controls.replace("Verpleegdagen zonder opname", '=HYPERLINK("http://x")')
    )
    loids = (folder / "loids.csv").read_text()
    unit = _rows(folder / "loids.csv")[0]["unit"]
    lines = (folder / "invoice_lines.csv").read_text()
    (folder / "loids.csv").write_text(loids.replace(unit, "@SUM(1)").replace(";ZP", ";OZP", 1))
    (folder / "invoice_lines.csv").write_text(
        lines.replace(unit, "@SUM(1)").replace("F0001", "-F0001").replace("N0001", "+N0001")
    )
    out = tmp_path / "lists"
    build(**_inputs(folder), date=DATE, out=out)
    b0001 = {r["Controle"]: r for r in _rows(out / "B0001.csv")}
    assert b0001["R00440D"]["Omschrijving"] == '\'=HYPERLINK("http://x")'
    for name in ("B0010.csv", "B0025.csv", "R03271.csv", "B1020.csv"):
        text = (out / name).read_text()
        for row in csv.reader(text.splitlines(), delimiter=";"):
            texts = [cell for cell in row if not re.fullmatch(r"-?\d+", cell)]  # not numbers
            assert not any(cell.startswith(("=", "+", "-", "@", "\t")) for cell in texts), name
    b0025 = _rows(out / "B0025.csv")
    assert "'@SUM(1)" in {r["Eenheid"] for r in b0025}
    # Read back: the delta and reconcile see the unit itself, not the neutralised text.
    run = tmp_path / "run.csv"
    run.write_text("unit;invoice_number;line_id\n@SUM(1);X1;L1\n")
    result = reconcile(blockade=out, run=run, run_date=DATE + dt.timedelta(days=1), out=tmp_path)
    assert result.invoiced == 1
    nxt = build(**_inputs(folder), date=DATE + dt.timedelta(1), out=tmp_path / "n", previous=out)
    delta = _rows(tmp_path / "n" / "B0025_delta.csv")
    assert nxt.delta.added == 0 and all("SUM" not in r["Eenheid"] for r in delta)


def test_a_unit_code_with_the_text_mark_is_refused(tmp_path):
    folder = tmp_path / "in"
    shutil.copytree(SCENARIO, folder)
    loids = (folder / "loids.csv").read_text()
    unit = _rows(folder / "loids.csv")[0]["unit"]
    (folder / "loids.csv").write_text(loids.replace(unit, "'=X").replace(";ZP", ";OZP", 1))
    with pytest.raises(InputError, match=r"line 2, column unit: a unit code cannot start with"):
        build(**_inputs(folder), date=DATE, out=tmp_path / "o")


def test_a_run_or_invoice_line_with_the_text_mark_is_refused(tmp_path):
    """Every input that names units: a run's ``'990000002`` is not the unit it means, and
    would pass for not invoiced."""
    out = tmp_path / "list"
    build(**_inputs(), date=DATE, out=out)
    run = tmp_path / "run.csv"
    run.write_text("unit;invoice_number;line_id\n'990000002;INV-3;F003\n")
    with pytest.raises(InputError, match=r"run.csv, line 2, column unit: a unit code cannot"):
        reconcile(blockade=out, run=run, run_date=DATE + dt.timedelta(days=1), out=tmp_path)
    folder = tmp_path / "in"
    shutil.copytree(SCENARIO, folder)
    lines = folder / "invoice_lines.csv"
    rows = lines.read_text().splitlines()
    lines.write_text("\n".join([rows[0], "'" + rows[1], *rows[2:]]) + "\n")
    with pytest.raises(InputError, match=r"line 2, column unit: a unit code cannot start with"):
        build(**_inputs(folder), date=DATE, out=tmp_path / "o")


def test_an_input_past_the_limit_is_refused_before_it_is_read(tmp_path, monkeypatch):
    big = tmp_path / "actions.csv"
    with open(big, "wb") as handle:  # sparse: takes no disk
        handle.write(b"action_id;control\n")
        handle.truncate(csvin_module.MAX_INPUT_BYTES + 1)
    with pytest.raises(InputError) as exc:
        build(**{**_inputs(), "actions": big}, date=DATE, out=tmp_path / "o")
    assert str(exc.value) == (
        f"{big}: {csvin_module.MAX_INPUT_BYTES + 1:,} bytes, more than the "
        f"{csvin_module.MAX_INPUT_BYTES:,} an input may have (a build holds about 2.5 times "
        "its inputs in memory); split the input"
    )
    assert not (tmp_path / "o").exists()


def test_a_killed_replacement_is_finished_by_the_next_build(built, tmp_path):
    out = tmp_path / "list"
    shutil.copytree(built, out)
    dead = 2**22 + 12345  # no such process
    aside = tmp_path / f".list.old-{dead}-abcd"
    os.rename(out, aside)  # killed after moving the old list aside
    staged = tmp_path / f".list.tmp-{dead}-ef01"
    staged.mkdir()
    (staged / "B0010.csv").write_text("half")
    from vsbengine.formats.blockade.outdir import recover

    recover(out)
    assert out.is_dir() and not aside.exists() and not staged.exists()
    assert (out / "B0010.csv").read_bytes() == (built / "B0010.csv").read_bytes()


def test_a_dead_builds_ready_folder_is_removed_and_the_list_kept(built, tmp_path):
    out = tmp_path / "list"
    shutil.copytree(built, out)
    dead = 2**22 + 12345
    ready = tmp_path / f".list.new-{dead}-abcd"  # killed after publishing, before the swap
    shutil.copytree(built, ready)
    (ready / "B0025.csv").write_text("other")
    from vsbengine.formats.blockade.outdir import recover

    recover(out)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["list"]
    assert (out / "B0025.csv").read_bytes() == (built / "B0025.csv").read_bytes()


@pytest.mark.parametrize("pid", ["４１９４６６٣", "²²"])
def test_a_folder_named_with_other_digits_is_no_builds_and_is_left_alone(built, tmp_path, pid):
    """A build names its folders with its pid in ASCII digits; ``int`` would read these
    as a (dead) pid, and the folder of someone else would be removed."""
    out = tmp_path / "list"
    shutil.copytree(built, out)
    other = tmp_path / f".list.tmp-{pid}-abcd"
    other.mkdir()
    (other / "keep.txt").write_text("not a build's")
    from vsbengine.formats.blockade.outdir import recover

    recover(out)
    assert (other / "keep.txt").read_text() == "not a build's"


def test_every_file_is_fsynced_once_and_the_list_folder_once(built, tmp_path, monkeypatch):
    if not Path("/proc/self/fd").is_dir():
        pytest.skip("needs /proc to name what is synced")
    files: list[str] = []
    folders: list[str] = []
    real_fsync = os.fsync

    def fsync(fd):
        path = os.readlink(f"/proc/self/fd/{fd}")
        (folders if stat.S_ISDIR(os.fstat(fd).st_mode) else files).append(path)
        return real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    out = tmp_path / "list"
    shutil.copytree(built, out)  # an earlier list, replaced
    build(**_inputs(), date=DATE, out=out)
    names = sorted(p.name for p in out.iterdir())
    assert sorted(Path(p).name for p in files) == names  # each file once
    assert all(Path(p).parent.name.startswith(".list.tmp-") for p in files)
    staged = str(Path(files[0]).parent)
    # The list's folder once, before it is renamed; its parent once per rename (staging
    # to ready, ready to the list).
    assert sorted(folders) == sorted([staged, str(tmp_path), str(tmp_path)])


@pytest.mark.slow
def test_kill_minus_9_during_a_build_never_leaves_half_a_list(built, tmp_path):
    args = ["blockade", "build", *(f"--{k}={v}" for k, v in _inputs().items())]
    args += ["--date", "2024-03-22"]
    out = tmp_path / "list"
    shutil.copytree(built, out)  # the earlier list, replaced by the build
    old = (built / "B0025.csv").read_bytes()
    build(**_inputs(), date=DATE + dt.timedelta(days=1), out=tmp_path.parent / "new-list")
    new = (tmp_path.parent / "new-list" / "B0025.csv").read_bytes()
    step = 1
    while True:
        r = subprocess.run(
            [sys.executable, str(KILL), str(step), *args, "--out", str(out)],
            capture_output=True,
            text=True,
            timeout=60,
        )
        siblings = sorted(p.name for p in tmp_path.iterdir())
        if r.returncode != -signal.SIGKILL:
            assert r.returncode == 0, r.stderr
            break
        # Killed: the list is the old one, the new one, or moved aside (never half of one).
        if out.exists():
            manifest = json.loads((out / "manifest.json").read_text())
            assert manifest["date"] in ("2024-03-21", "2024-03-22")
        else:
            assert any(name.startswith(".list.old-") for name in siblings), siblings
        from vsbengine.formats.blockade.outdir import recover

        recover(out)  # what the next build does first
        assert out.is_dir() and (out / "B0025.csv").read_bytes() in (old, new)
        assert sorted(p.name for p in tmp_path.iterdir()) == ["list"]
        step += 3
    assert step > 10
