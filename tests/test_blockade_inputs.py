"""Bad input: one message naming file, line and column, and nothing written."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from vsbengine.errors import InputError
from vsbengine.formats.blockade import build, csvin

SCENARIO = Path(__file__).parent / "data" / "blockade" / "scenario"
NAMES = {
    "controls": "controls.csv",
    "actions": "actions.csv",
    "loids": "loids.csv",
    "lines": "invoice_lines.csv",
}


def copy_scenario(tmp_path: Path) -> dict[str, Path]:
    files = {}
    for key, name in NAMES.items():
        files[key] = tmp_path / name
        shutil.copy(SCENARIO / name, files[key])
    return files


def edit(path: Path, old: str, new: str) -> None:
    data = path.read_bytes()
    assert data.count(old.encode()) == 1, f"{old!r} must occur once in {path.name}"
    path.write_bytes(data.replace(old.encode(), new.encode()))


def build_error(tmp_path: Path, files: dict[str, Path]) -> str:
    out = tmp_path / "out"
    with pytest.raises(InputError) as info:
        build(**files, date=dt.date(2024, 3, 21), out=out)
    assert not out.exists(), "nothing may be written for bad input"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
    return str(info.value)


@pytest.fixture
def files(tmp_path) -> dict[str, Path]:
    return copy_scenario(tmp_path)


def test_the_scenario_itself_builds(tmp_path, files):
    build(**files, date=dt.date(2024, 3, 21), out=tmp_path / "out")
    assert (tmp_path / "out" / "manifest.json").is_file()


def test_missing_column(tmp_path, files):
    text = files["actions"].read_text().replace(";dbc_start;", ";start;", 1)
    files["actions"].write_text(text)
    assert build_error(tmp_path, files) == (
        f"{files['actions']}, line 1, column dbc_start: missing column 'dbc_start'; the header has "
        "action_id, control, dbc, loid, action_date, dbc_closed, status, remark, related "
        "and 1 other (not shown)"
    )


def test_a_data_line_taken_for_a_header_is_not_quoted(tmp_path, files):
    """A file without its header: the first line is data (a BSN, a name). The message,
    and the log, name the missing column and show none of it."""
    files["actions"].write_text("85073100145;Jansen Jan;x;y\n" + "7" * 100_000 + "\n")
    message = build_error(tmp_path, files)
    assert message.endswith(
        "missing column 'action_id'; the header has none known and 4 others (not shown)"
    )
    assert "85073100145" not in message and "Jansen" not in message


@pytest.mark.parametrize(
    ("key", "old", "new", "message"),
    [
        (
            "actions",
            "A05;R00300;",
            "A05;R00301;",
            "line 6, column control: unknown control 'R00301'",
        ),
        (
            "loids",
            "LOID-J;2016-01-01;2023-06-30;",
            "LOID-J;2016-01-01;2023-06-31;",
            "line 11, column valid_to: '2023-06-31' is not a date as YYYY-MM-DD",
        ),
        (
            "lines",
            "190004,F009,",
            "190004,F003,",
            "line 10, column line_id: duplicate line_id: already on line 3",
        ),
        (
            "actions",
            "A16;R01000;",
            "A02;R01000;",
            "line 17, column action_id: duplicate action_id: already on line 3",
        ),
        (
            "controls",
            "R09999;",
            "R00300;",
            "line 7, column control: duplicate control: already on line 6",
        ),
    ],
)
def test_one_bad_value_is_located(tmp_path, files, key, old, new, message):
    edit(files[key], old, new)
    assert build_error(tmp_path, files) == f"{files[key]}, {message}"


# The last three: a date in fullwidth, Arabic-Indic or Latin-1 superscript digits.
@pytest.mark.parametrize(
    "bad",
    [
        "2024-02-30",
        "15-01-2024",
        "2024-1-15",
        "gisteren",
        "２０２３-06-30",
        "٢٠٢٣-06-30",
        "2023-06-3²",
    ],
)
def test_malformed_date(tmp_path, files, bad):
    edit(
        files["actions"],
        "A14;R00440D;DBC014;LOID-J;2024-03-14;2023-06-30;",
        f"A14;R00440D;DBC014;LOID-J;2024-03-14;{bad};",
    )
    assert build_error(tmp_path, files) == (
        f"{files['actions']}, line 15, column dbc_start: '{bad}' is not a date as YYYY-MM-DD"
    )


def test_a_line_after_a_quoted_line_break_keeps_its_line_number(tmp_path, files):
    edit(files["actions"], '"dubbel; al gecorrigeerd"', '"dubbel;\nal gecorrigeerd"')
    edit(files["actions"], "A15;R02560;", "A15;R0256X;")
    assert build_error(tmp_path, files) == (
        f"{files['actions']}, line 17, column control: unknown control 'R0256X'"
    )


@pytest.mark.parametrize("block", [256, 8 << 20])
def test_a_quoted_line_break_stays_in_its_value(tmp_path, files, monkeypatch, block):
    # Small blocks: some block of pyarrow's reader ends inside the quoted value.
    monkeypatch.setattr(csvin, "_BLOCK_BYTES", block)
    edit(files["actions"], '"dubbel; al gecorrigeerd"', '"dubbel;\r\nal gecorrigeerd"')
    build(**files, date=dt.date(2024, 3, 21), out=tmp_path / "out")
    assert b'"A07: dubbel;\r\nal gecorrigeerd"' in (tmp_path / "out" / "R03271.csv").read_bytes()


def test_files_without_quotes_read_as_the_same_files_quoted(tmp_path, files):
    """A file without any quote is split by pyarrow's faster reader (every line break
    ends a row); the lists must be exactly those of the same data fully quoted."""
    edit(files["actions"], '"dubbel; al gecorrigeerd"', "dubbel, al gecorrigeerd")
    plain = tmp_path / "plain"
    build(**files, date=dt.date(2024, 3, 21), out=plain)
    for path in files.values():
        text = path.read_text(encoding="utf-8")
        assert '"' not in text
        sep = ";" if ";" in text.splitlines()[0] else ","
        quoted_rows = (
            sep.join(f'"{cell}"' if cell else "" for cell in row.split(sep))
            for row in text.splitlines()
        )
        path.write_text("".join(row + "\n" for row in quoted_rows), encoding="utf-8")
    quoted = tmp_path / "quoted"
    build(**files, date=dt.date(2024, 3, 21), out=quoted)
    for name in sorted(p.name for p in plain.iterdir()):
        assert (plain / name).read_bytes() == (quoted / name).read_bytes(), name


def test_empty_lines_are_skipped_and_counted(tmp_path, files):
    edit(files["actions"], "\nA03;", "\n\n\nA03;")
    edit(
        files["actions"],
        "A04;R01000;DBC004;LOID-D;2024-03-04;",
        "A04;R01000;DBC004;LOID-D;2024-13-04;",
    )
    assert build_error(tmp_path, files) == (
        f"{files['actions']}, line 7, column action_date: '2024-13-04' is not a date as YYYY-MM-DD"
    )


@pytest.mark.parametrize(
    ("old", "new", "line", "column", "reason"),
    [
        ("A02;N2500;", ";N2500;", 3, "action_id", "a value is required"),
        (
            "A11;R00440D;;LOID-A;2024-03-11;;",
            "A11;R00440D;DBC011;LOID-A;2024-03-11;;",
            12,
            "dbc_start",
            "a value is required for an action on a DBC",
        ),
        (";ignored;", ";closed;", 8, "status", "'closed' is not one of open, ignored"),
        (
            "190013@039133|",
            "190013-039133|",
            2,
            "related",
            "'190013-039133' is not UNIT@ACTIVITY (items separated by '|')",
        ),
        ("|190004@011112", "|", 4, "related", "'' is not UNIT@ACTIVITY (items separated by '|')"),
    ],
)
def test_bad_action_values(tmp_path, files, old, new, line, column, reason):
    edit(files["actions"], old, new)
    assert (
        build_error(tmp_path, files)
        == f"{files['actions']}, line {line}, column {column}: {reason}"
    )


def test_unit_kind_must_fit_the_unit(tmp_path, files):
    edit(files["loids"], "190003;OZP", "190003;ZP")
    assert build_error(tmp_path, files) == (
        f"{files['loids']}, line 6, column unit_kind: unit_kind ZP does not fit unit '190003' "
        "(a ZP has a 9-digit code, an OZP any other code)"
    )


@pytest.mark.parametrize("bad", ["３000", "٣٠٠٠", "300²"])
def test_an_amount_in_other_digits_is_no_number(tmp_path, files, bad):
    edit(files["lines"], "F004,INV-4,debit,3000", f"F004,INV-4,debit,{bad}")
    assert build_error(tmp_path, files) == (
        f"{files['lines']}, line 5, column amount: '{bad}' is not a whole number"
    )


def test_valid_to_before_valid_from(tmp_path, files):
    edit(files["loids"], "LOID-J;2016-01-01;2023-06-30;", "LOID-J;2016-01-01;2015-06-30;")
    assert build_error(tmp_path, files) == (
        f"{files['loids']}, line 11, column valid_to: valid_to lies before valid_from"
    )


def test_bad_amount_and_kind_in_invoice_lines(tmp_path, files):
    edit(files["lines"], "F004,INV-4,debit,3000", "F004,INV-4,debit,30.00")
    assert build_error(tmp_path, files) == (
        f"{files['lines']}, line 5, column amount: '30.00' is not a whole number"
    )
    edit(files["lines"], "F004,INV-4,debit,30.00", "F004,INV-4,debet,3000")
    assert build_error(tmp_path, files) == (
        f"{files['lines']}, line 5, column kind: 'debet' is not one of debit, credit"
    )


def test_a_line_with_too_few_fields(tmp_path, files):
    edit(files["lines"], "990000008,F006,INV-6,debit,41000", "990000008,F006,INV-6,41000")
    assert build_error(tmp_path, files) == (
        f"{files['lines']}, line 7: expected 5 fields as in the header, found 4"
    )


def test_text_that_is_not_utf8(tmp_path, files):
    data = files["controls"].read_bytes().replace(b"Alleen signalerend", b"Alleen signal\xe9rend")
    files["controls"].write_bytes(data)
    assert build_error(tmp_path, files) == (
        f"{files['controls']}, line 6, column description: the value is not UTF-8 text"
    )


def test_an_empty_file(tmp_path, files):
    files["loids"].write_bytes(b"")
    assert build_error(tmp_path, files) == (
        f"{files['loids']}, line 1: the loids file is empty; it needs a header line"
    )


def test_a_missing_file_is_an_os_error(tmp_path, files):
    files["loids"].unlink()
    with pytest.raises(FileNotFoundError):
        build(**files, date=dt.date(2024, 3, 21), out=tmp_path / "out")
    assert not (tmp_path / "out").exists()


def _builds_as_the_originals(tmp_path, files):
    build(**files, date=dt.date(2024, 3, 21), out=tmp_path / "out")
    reference = tmp_path / "reference"
    originals = {key: SCENARIO / name for key, name in NAMES.items()}
    build(**originals, date=dt.date(2024, 3, 21), out=reference)
    for name in ("R03271.csv", "B0001.csv", "B0025.csv"):
        assert (tmp_path / "out" / name).read_bytes() == (reference / name).read_bytes()


def test_bom_comma_delimiter_and_header_case_are_accepted(tmp_path, files):
    text = files["controls"].read_text()
    header, rest = text.split("\n", 1)
    files["controls"].write_bytes(
        "\ufeff".encode()
        + (header.upper().replace(";", ",") + "\n" + rest.replace(";", ",")).encode()
    )
    _builds_as_the_originals(tmp_path, files)


def test_header_names_with_tabs_and_blanks_around_them_are_accepted(tmp_path, files):
    """Found by the sanitized fuzz run: a tab before the first name was a pyarrow
    KeyError (the name matched once stripped, pyarrow looked for it unstripped)."""
    text = files["controls"].read_text()
    header, rest = text.split("\n", 1)
    files["controls"].write_text("\t" + header.replace(";", " ;\t") + " \n" + rest)
    _builds_as_the_originals(tmp_path, files)


def test_without_in_production_every_control_is_in_production(tmp_path, files):
    lines = files["controls"].read_text().splitlines()
    files["controls"].write_text("\n".join(line.rsplit(";", 1)[0] for line in lines) + "\n")
    out = tmp_path / "out"
    build(**files, date=dt.date(2024, 3, 21), out=out)
    b0001 = (out / "B0001.csv").read_text()
    assert '"R09999"' in b0001
    assert '"1";"Uitgevallen_controle_niet_in_productie";0;' in (out / "B1010.csv").read_text()


def test_a_header_with_a_lone_carriage_return_is_a_located_error(tmp_path):
    """Found by the fuzz harness: csv.Error escaped from the header line."""
    from vsbengine.formats.blockade.inputs import read_controls

    path = tmp_path / "controls.csv"
    path.write_bytes(b"\rontrol;description;blocking;default_excluded;client_excluded\n")
    with pytest.raises(InputError) as info:
        read_controls(path)
    assert str(info.value) == (
        f"{path}, line 1: the header line cannot be read as CSV (a stray quote or carriage return)"
    )


# -- blanks around values ----------------------------------------------------------------------

#: Per input, the text columns whose values are padded with blanks below.
PADDED = {
    "controls": ("control", "description"),
    "actions": ("action_id", "control", "dbc", "loid", "remark"),
    "loids": ("loid", "unit"),
    "lines": ("unit", "line_id", "invoice_number"),
}
#: Dates and numbers, padded with what pyarrow's CSV reader skips.
PADDED_NUMBERS = {
    "actions": ("action_date", "dbc_start"),
    "loids": ("valid_from",),
    "lines": ("amount",),
}


def _table(path: Path) -> tuple[str, list[dict[str, str]]]:
    import csv

    with open(path, newline="", encoding="utf-8") as handle:
        delimiter = ";" if ";" in handle.readline() else ","
        handle.seek(0)
        return delimiter, list(csv.DictReader(handle, delimiter=delimiter))


def _pad(files: dict[str, Path], as_json: bool = False) -> None:
    """Every identifier (and free text) with blanks, tabs or a no-break space around
    it, related items with blanks around ``|`` and ``@``; dates and numbers with blanks."""
    import csv
    import json

    for key, path in files.items():
        delimiter, rows = _table(path)
        for row in rows:
            for name in PADDED.get(key, ()):
                if row[name]:
                    row[name] = f" \t{row[name]}\u00a0 "
            for name in PADDED_NUMBERS.get(key, ()):
                if row[name]:
                    row[name] = f" {row[name]}\t"
            if key == "actions" and row["related"]:
                items = (item.replace("@", " @ ") for item in row["related"].split("|"))
                row["related"] = " | ".join(f" {item} " for item in items)
        if as_json:
            target = path.with_suffix(".jsonl")
            target.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
            files[key] = target
            continue
        with open(path, "w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(
                handle, fieldnames=list(rows[0]), delimiter=delimiter, lineterminator="\n"
            )
            writer.writeheader()
            writer.writerows(rows)


@pytest.mark.parametrize("as_json", [False, True], ids=["csv", "jsonl"])
def test_blanks_around_values_are_not_part_of_them(tmp_path, files, as_json):
    """Found by an audit: an invoice line of unit "111111111 " was left off B0010/B0025,
    a related unit " 777" and a control " R1 " were taken as written. Identifiers are
    compared without the blanks around them, free text is written without them."""
    _pad(files, as_json)
    out = tmp_path / "out"
    build(**files, date=dt.date(2024, 3, 21), out=out)
    reference = tmp_path / "reference"
    originals = {key: SCENARIO / name for key, name in NAMES.items()}
    build(**originals, date=dt.date(2024, 3, 21), out=reference)
    for name in sorted(p.name for p in reference.iterdir()):
        assert (out / name).read_bytes() == (reference / name).read_bytes(), name


def test_an_invoice_line_of_a_unit_with_a_trailing_blank_is_blocked(tmp_path, files):
    edit(files["lines"], "990000001,F001,", "990000001 ,F001,")
    build(**files, date=dt.date(2024, 3, 21), out=tmp_path / "out")
    b0025 = (tmp_path / "out" / "B0025.csv").read_text()
    assert '"990000001";"F001";"INV-1"\n' in b0025
    assert '"990000001 "' not in b0025


def test_a_run_line_of_a_unit_with_blanks_is_invoiced(tmp_path, files):
    from vsbengine.formats.blockade import reconcile

    build(**files, date=dt.date(2024, 3, 21), out=tmp_path / "list")
    run = tmp_path / "run.csv"
    run.write_text("unit;invoice_number;line_id\n 990000001 ;INV-1 ; F001\n")
    result = reconcile(
        blockade=tmp_path / "list", run=run, run_date=dt.date(2024, 3, 22), out=tmp_path
    )
    assert result.invoiced == 1
    assert (
        '"990000001";"ZP";2024-03-21;2024-03-22;"Gefactureerd";"INV-1"\n'
        in (tmp_path / "B1000.csv").read_text()
    )


def test_related_items_with_blanks_around_the_separators(tmp_path, files):
    edit(files["actions"], "190013@039133|990000099@039134", "190013 @ 039133 | 990000099@039134 ")
    build(**files, date=dt.date(2024, 3, 21), out=tmp_path / "out")
    r03271 = (tmp_path / "out" / "R03271.csv").read_text()
    assert '"990000099";"ZP"' in r03271 and '" 990000099"' not in r03271
    assert "zorgactiviteit 039133 (actie A01)" in r03271


def test_a_control_id_with_blanks_is_the_control(tmp_path, files):
    edit(files["actions"], "A05;R00300;", "A05; R00300 ;")
    edit(files["controls"], "R00300;", "R00300 ;")
    build(**files, date=dt.date(2024, 3, 21), out=tmp_path / "out")
    assert (
        '"R00300:A05 (genegeerd: controle niet blokkerend)"'
        in (tmp_path / "out" / "R03271.csv").read_text()
    )


@pytest.mark.parametrize(
    ("key", "old", "new", "where"),
    [
        ("lines", "990000001,F001,", " \t ,F001,", "line 2, column unit"),
        (
            "lines",
            "990000001,F001,INV-1,",
            "990000001,F001,\u00a0,",
            "line 2, column invoice_number",
        ),
        ("actions", "A05;R00300;", "A05;  ;", "line 6, column control"),
        ("actions", "A02;N2500;", " ;N2500;", "line 3, column action_id"),
        ("loids", "LOID-E;2016-01-01;;190003;", "LOID-E;2016-01-01;;  ;", "line 6, column unit"),
    ],
)
def test_a_value_of_blanks_is_empty(tmp_path, files, key, old, new, where):
    edit(files[key], old, new)
    assert build_error(tmp_path, files) == f"{files[key]}, {where}: a value is required"


def test_a_value_of_blanks_is_empty_in_json_lines(tmp_path, files):
    import json

    delimiter, rows = _table(files["lines"])
    rows[1]["unit"] = "   "
    target = tmp_path / "invoice_lines.jsonl"
    target.write_text("".join(json.dumps(r) + "\n" for r in rows))
    files["lines"] = target
    assert build_error(tmp_path, files) == f"{target}, line 2, column unit: a value is required"


@pytest.mark.parametrize("item", [" @039133", "190013@ ", "\t@ "])
def test_a_related_item_with_a_blank_unit_or_activity(tmp_path, files, item):
    edit(files["actions"], "190013@039133|", f"190013@039133|{item}|")
    assert build_error(tmp_path, files) == (
        f"{files['actions']}, line 2, column related: "
        f"{item!r} is not UNIT@ACTIVITY (items separated by '|')"
    )


def test_a_date_with_a_no_break_space_is_a_located_error(tmp_path, files):
    """pyarrow's CSV reader skips blanks and tabs around a date, not other white space:
    the value is refused with its line and column (it was an error without either)."""
    edit(files["actions"], ";2024-03-01;2024-01-15;", ";2024-03-01\u00a0;2024-01-15;")
    assert build_error(tmp_path, files) == (
        f"{files['actions']}, line 2, column action_date: "
        "'2024-03-01\\xa0' is not a date as YYYY-MM-DD"
    )
