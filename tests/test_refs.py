"""Reference data: the contract, refusals located by file, line and column, SQLite."""

from __future__ import annotations

import sqlite3

import numpy as np
import pytest

from vsbengine.errors import ReferenceDataError
from vsbengine.formats.efact import refs
from vsbengine.formats.efact.generate import generate


@pytest.fixture
def folder(tmp_path):
    g = generate(600, seed=121, month=202610, references=True)
    g.write_refs(tmp_path)
    return tmp_path


def test_loads_the_generated_set(folder):
    r = refs.load(folder)
    m = r.members
    assert len(m) > 50 and (np.diff(m.key) >= 0).all()
    assert r.zorgkas.name == "Zorgkas Voorbeeld" and r.zorgkas.payment_days == 42
    assert len(r.facilities) == 1
    # 14 bytes a member: the (insz, insured_from) key, mutuality, end of cover, death.
    assert sum(a.itemsize for a in (m.key, m.mutuality, m.reach, m.deceased)) == 14


def test_days_are_counted_like_the_reader(folder):
    (folder / "members.csv").write_text(
        "insz,mutuality,insured_from,insured_to,deceased_on\n"
        "85073112345,131,2001-01-01,2024-02-29,\n"
    )
    r = refs.load(folder)
    assert int(r.members.insured_from[0]) == int(refs.days([20010101])[0]) == 36890
    assert int(r.members.reach[0]) == int(refs.days([20240229])[0])
    assert int(refs.days([19000101])[0]) == 0


@pytest.mark.parametrize(
    "table,text,message",
    [
        (
            "members.csv",
            "insz,mutuality,insured_from,insured_to\n",
            "members.csv, line 1, zone deceased_on: missing column deceased_on",
        ),
        (
            "members.csv",
            "insz;mutuality;insured_from;insured_to;deceased_on\n85073112345;131;2001-13-01;;\n",
            "members.csv, line 2, zone insured_from: not a date YYYY-MM-DD (1900-2078)",
        ),
        (
            "members.csv",
            "insz,mutuality,insured_from,insured_to,deceased_on\n\n85O73112345,131,,,\n",
            "members.csv, line 3, zone insz: not a number",
        ),
        (
            "members.csv",
            "insz,mutuality,insured_from,insured_to,deceased_on\n85073112345,131,2020-01-01,2019-01-01,\n",
            "members.csv, line 2, zone insured_to: insured_to before insured_from",
        ),
        (
            "members.csv",
            "insz,mutuality,insured_from,insured_to,deceased_on\n,131,,,\n",
            "members.csv, line 2, zone insz: empty",
        ),
        (
            "admissions.csv",
            "institution,admission_number,insz,kind,admitted_on,discharged_on,approval_date\n"
            "1,2,85073112345,hotel,2020-01-01,,\n",
            "admissions.csv, line 2, zone kind: value not allowed",
        ),
        (
            "tariffs.csv",
            "code,valid_from,valid_to,unit_amount,unit_personal_share,institution\n"
            "0771012,2020-01-01,2022-12-31,100,0,\n0771012,2022-06-01,,120,0,\n",
            "tariffs.csv, line 3, zone valid_from: tariff period overlaps the one on line 2 for the same code",
        ),
        (
            "members.csv",
            "insz,mutuality,insured_from,insured_to,deceased_on\n8507311234512,131,,,\n",
            "members.csv, line 2, zone insz: more than 11 digits",
        ),
        (
            "members.csv",
            "insz,mutuality,insured_from,insured_to,deceased_on\n85073112345,65638,,,\n",
            "members.csv, line 2, zone mutuality: more than 3 digits",
        ),
        (
            "admissions.csv",
            "institution,admission_number,insz,kind,admitted_on,discharged_on,approval_date\n"
            "1,1234567890123,85073112345,residential,2020-01-01,,\n",
            "admissions.csv, line 2, zone admission_number: more than 12 digits",
        ),
        (
            "admissions.csv",
            "institution,admission_number,insz,kind,admitted_on,discharged_on,approval_date\n"
            "1,2,85073112345,residential,,,\n",
            "admissions.csv, line 2, zone admitted_on: empty",
        ),
        (
            "admissions.csv",
            "institution,admission_number,insz,kind,admitted_on,discharged_on,approval_date\n"
            "1,2,85073112345,residential,2020-01-01,,\n7,2,85073112345,residential,2020-01-01,,\n"
            "1,2,85073112346,residential,2021-01-01,,\n",
            "admissions.csv, line 4, zone admission_number: the institution and admission number "
            "of line 2 again",
        ),
        (
            "codes.csv",
            "code,category,related_code,valid_from,valid_to\n17710123,prestation,,,\n",
            "codes.csv, line 2, zone code: more than 7 digits",
        ),
        (
            "codes.csv",
            'code,category,related_code,valid_from,valid_to\n"0771012,prestation,,,\n',
            "codes.csv, line 2, zone code: quote not closed",
        ),
        (
            "facilities.csv",
            "institution,name,iban,bic\n123,X,BE00123,GKCCBEBB\n",
            "facilities.csv, line 2, zone iban: not a valid IBAN",
        ),
        (
            "facilities.csv",
            "institution,name,iban,bic\n123,X,,\n7,Y,,\n000000000123,Z,,\n",
            "facilities.csv, line 4, zone institution: the institution of line 2 again",
        ),
        (
            "facilities.csv",
            "institution,name,iban,bic\n1234567890123,X,,\n",
            "facilities.csv, line 2, zone institution: more than 12 digits",
        ),
        (
            "tariffs.csv",
            "code,valid_from,valid_to,unit_amount,unit_personal_share,institution\n"
            "0771012,2020-01-01,,100,0,123456789012\n",
            "tariffs.csv, line 2, zone institution: more than 11 digits",
        ),
    ],
)
def test_bad_data_is_refused_where_it_is(folder, table, text, message):
    (folder / table).write_text(text)
    with pytest.raises(ReferenceDataError) as info:
        refs.load(folder)
    assert str(info.value).endswith(message)
    assert "85073112345" not in str(info.value)


@pytest.mark.parametrize(
    "text, message",
    [
        ('[zorgkas\nname = "X"\n', "zorgkas.toml: not valid TOML"),
        (
            '[zorgkas]\nname = "X"\niban = "BE71096123456769"\n',
            "zorgkas.toml, zone bic: missing bic",
        ),
        (
            '[zorgkas]\nname = "X"\niban = "BE00096123456769"\nbic = "GKCCBEBB"\n',
            "zorgkas.toml, zone iban: not a valid IBAN",
        ),
        (  # TOML's true is no number of days (Python's bool is an int)
            '[zorgkas]\nname = "X"\niban = "BE71096123456769"\nbic = "GKCCBEBB"\n'
            "payment_days = true\n",
            "zorgkas.toml, zone payment_days: payment_days must be a number of days",
        ),
    ],
)
def test_bad_zorgkas_settings_are_refused(folder, text, message):
    (folder / "zorgkas.toml").write_text(text)
    with pytest.raises(ReferenceDataError) as info:
        refs.load(folder)
    assert message in str(info.value)


_ZORGKAS = '[zorgkas]\nname = "X"\niban = "BE71096123456769"\nbic = "GKCCBEBB"\n'


def test_answer_and_code_settings(folder):
    r = refs.load(folder)
    assert r.zorgkas.echo == "errors" and r.zorgkas.official_list is None
    (folder / "zorgkas.toml").write_text(
        _ZORGKAS + '[answers]\necho = "all"\n[codes]\nofficial_list = "lijst.xls"\n'
    )
    r = refs.load(folder)
    assert r.zorgkas.echo == "all"
    assert r.zorgkas.official_list == str(folder.resolve() / "lijst.xls")


@pytest.mark.parametrize(
    "extra, message",
    [
        ('[answers]\necho = "some"\n', 'zone answers.echo: answers.echo must be "errors" or "all"'),
        ("[codes]\nofficial_list = 3\n", "zone codes.official_list: codes.official_list must"),
    ],
)
def test_bad_answer_and_code_settings_are_refused(folder, extra, message):
    (folder / "zorgkas.toml").write_text(_ZORGKAS + extra)
    with pytest.raises(ReferenceDataError) as info:
        refs.load(folder)
    assert message in str(info.value)


def test_missing_table_and_folder(folder, tmp_path):
    (folder / "codes.csv").unlink()
    with pytest.raises(ReferenceDataError, match="codes.csv: missing table"):
        refs.load(folder)
    with pytest.raises(ReferenceDataError, match="no such folder or database"):
        refs.load(tmp_path / "nowhere")


def test_quoted_fields_and_crlf(folder):
    (folder / "members.csv").write_bytes(
        b'\xef\xbb\xbf"insz";"mutuality";"insured_from";"insured_to";"deceased_on"\r\n'
        b'"85073112345";"131";"2001-01-01";"";""\r\n'
    )
    r = refs.load(folder)
    assert r.members.insz.tolist() == [85073112345]


def test_sqlite_gives_the_same_data(folder, tmp_path):
    db = tmp_path / "refs.sqlite"
    con = sqlite3.connect(db)
    for name in ("members", "admissions", "codes", "tariffs", "facilities"):
        lines = (folder / f"{name}.csv").read_text().strip().splitlines()
        cols = lines[0].split(",")
        con.execute(f"create table {name} ({', '.join(cols)})")
        con.executemany(
            f"insert into {name} values ({', '.join('?' * len(cols))})",
            [[None if v == "" else v for v in line.split(",")] for line in lines[1:]],
        )
    con.commit()
    con.close()
    a, b = refs.load(folder), refs.load(db)
    for col in ("key", "mutuality", "reach", "deceased"):
        assert (getattr(a.members, col) == getattr(b.members, col)).all(), col
    for name in ("admissions", "codes", "tariffs"):
        for col, v in getattr(a, name).columns.items():
            assert (getattr(b, name).columns[col] == v).all(), (name, col)
    assert a.facilities == b.facilities


def test_sqlite_errors_name_the_table(tmp_path):
    db = tmp_path / "refs.sqlite"
    con = sqlite3.connect(db)
    con.execute("create table members (insz, mutuality, insured_from, insured_to, deceased_on)")
    con.execute("insert into members values ('85073112345', 131, '2001-02-30', null, null)")
    con.commit()
    con.close()
    with pytest.raises(ReferenceDataError, match=r"refs.sqlite:members, line 2, zone insured_from"):
        refs.load(db)
    (tmp_path / "not.db").write_text("hello")
    with pytest.raises(ReferenceDataError, match="not a SQLite database"):
        refs.load(tmp_path / "not.db")


def test_missing_zorgkas_toml_is_refused_at_load(folder):
    (folder / "zorgkas.toml").unlink()
    with pytest.raises(ReferenceDataError) as info:
        refs.load(folder)
    assert str(info.value) == (
        f"{folder / 'zorgkas.toml'}: missing: the zorgkas's name, iban and bic "
        "(the payer of the payment order DF017)"
    )


def test_windows_1252_facilities_are_read(folder):
    text = (folder / "facilities.csv").read_text("utf-8")
    head, first, *rest = text.splitlines()
    fields = first.split(",")
    fields[1] = "Kliniek Sint-Jozef – Hôpital"
    (folder / "facilities.csv").write_bytes(
        "\n".join([head, ",".join(fields), *rest, ""]).encode("cp1252")
    )
    r = refs.load(folder)
    assert r.facility(int(fields[0]))[0] == "Kliniek Sint-Jozef – Hôpital"
    # The same names in UTF-8 with a byte-order mark read the same.
    (folder / "facilities.csv").write_bytes(
        b"\xef\xbb\xbf" + "\n".join([head, ",".join(fields), *rest, ""]).encode("utf-8")
    )
    assert refs.load(folder).facility(int(fields[0]))[0] == "Kliniek Sint-Jozef – Hôpital"


def test_facilities_in_no_known_encoding_are_located(folder):
    (folder / "facilities.csv").write_bytes(
        b"institution;name;iban;bic\n080123483001;Kliniek \xc3\xa9;;\n080123483002;X \x81;;\n"
    )
    with pytest.raises(ReferenceDataError) as info:
        refs.load(folder)
    assert str(info.value) == (
        f"{folder / 'facilities.csv'}, line 3, zone name: neither UTF-8 nor Windows-1252 text"
    )


@pytest.mark.parametrize("table", ["members", "admissions", "codes", "tariffs", "facilities"])
def test_an_empty_table_is_valid_data(folder, table):
    path = folder / f"{table}.csv"
    path.write_text(path.read_text().splitlines()[0] + "\n")
    r = refs.load(folder)
    assert len(getattr(r, table)) == 0


@pytest.mark.parametrize("where", ["header", "row"])
def test_a_field_over_128_kib_is_a_located_error(tmp_path, where):
    """csv.Error of a field past csv's limit (found by the fuzz harness in the header)."""
    generate(40, seed=71, month=202610, references=True).write_refs(tmp_path)
    lines = (tmp_path / "facilities.csv").read_text().splitlines()
    line = 0 if where == "header" else 1
    lines[line] += "," + "x" * 140_000  # past the last column
    (tmp_path / "facilities.csv").write_text("\n".join(lines) + "\n")
    with pytest.raises(ReferenceDataError) as info:
        refs.load(tmp_path)
    assert str(info.value).startswith(
        f"{tmp_path / 'facilities.csv'}, line {line + 1}: a field longer than 131,072 characters"
    )


@pytest.mark.parametrize(
    "institution, encoding",
    [
        ("²91023315001", "cp1252"),  # byte B2: the fuzzer's case, int() raised ValueError
        ("９１０２３３１５００１", "utf-8"),  # fullwidth: int() read them as ASCII
        ("٩١٠٢٣٣١٥٠٠١", "utf-8"),  # Arabic-Indic
    ],
)
def test_a_facility_number_in_other_digits_is_refused_where_it_is(folder, institution, encoding):
    (folder / "facilities.csv").write_bytes(
        f"institution,name,iban,bic\n{institution},X,,\n".encode(encoding)
    )
    with pytest.raises(ReferenceDataError) as info:
        refs.load(folder)
    assert str(info.value) == f"{folder / 'facilities.csv'}, line 2, zone institution: not a number"


# Read by the core as bytes: a digit of two or three UTF-8 bytes is no digit (a long
# number of them is "number too long", said first).
@pytest.mark.parametrize("insz", ["8507311234５", "٨٥٠٧٣", "850731²"])
def test_members_in_other_digits_are_not_numbers(folder, insz):
    (folder / "members.csv").write_text(
        f"insz,mutuality,insured_from,insured_to,deceased_on\n{insz},131,,,\n", encoding="utf-8"
    )
    with pytest.raises(ReferenceDataError) as info:
        refs.load(folder)
    assert str(info.value).endswith("members.csv, line 2, zone insz: not a number")


def test_a_tariff_of_a_code_from_8388608_on_is_found(folder):
    """Seven-digit codes fill 24 bits: a tariff's key (code and institution) fits an
    int64 still, and is found for the general and the contracted tariff alike."""
    from vsbengine.formats.efact.checks.content import Lookups

    (folder / "tariffs.csv").write_text(
        "code,valid_from,valid_to,unit_amount,unit_personal_share,institution\n"
        "0771012,2020-01-01,,100,0,\n9999999,2020-01-01,,250,10,\n"
        "9999999,2020-01-01,,300,10,80123483001\n"
    )
    look = Lookups(refs.load(folder))
    code = np.array([9999999, 9999999, 8388608, 771012])
    inst = np.array([1, 80123483001, 1, 10**12 - 1])
    found, row = look.tariff(code, inst, refs.days(np.full(4, 20260101)))
    assert found.tolist() == [True, True, False, True]
    assert look.t_amount[row[:2]].tolist() == [250, 300]
