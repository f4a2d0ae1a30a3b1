import datetime as dt

import pytest
from viplive_helpers import HEADER, agb_for, iban_for, row, write_csv, write_xlsx

from vsbengine.formats.viplive import TableError, load_mapping, read_exports


def _only(read):
    assert not read.bad_rows, [str(p) for p in read.bad_rows]
    (g,) = read.grants
    return g


@pytest.mark.parametrize("delimiter", [";", ","])
@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252"])
@pytest.mark.parametrize("name", ["Praktijk Zuiderbrug & Zoën", "PRAKTIJK RENÉ’S & ZOË"])
def test_csv_delimiters_and_encodings_are_detected(tmp_path, delimiter, encoding, name):
    """(In Windows-1252 "É’" is C9 92, a valid UTF-8 pair: not taken for mixed text.)"""
    path = write_csv(
        tmp_path / "e.csv",
        [row(name=name, amount="1.234,56")],
        delimiter=delimiter,
        encoding=encoding,
    )
    read = read_exports([path])
    g = _only(read)
    assert g.practice == name
    assert g.amount == 123456
    (f,) = read.files
    assert (f.kind, f.delimiter, f.rows) == ("csv", delimiter, 1)
    assert f.encoding == {"utf-8": "utf-8", "utf-8-sig": "utf-8-sig", "cp1252": "cp1252"}[encoding]


def test_every_column_is_read(tmp_path):
    path = write_csv(
        tmp_path / "e.csv",
        [
            row(
                chain="copd",
                quarter="2021-q3",
                practice=7,
                uzovi="3343",
                patients=42,
                amount="1234.5",
                status="In behandeling",
                day="2021-08-26",
            )
        ],
    )
    g = _only(read_exports([path]))
    assert (
        g.chain,
        g.quarter,
        g.agb,
        g.practice,
        g.iban,
        g.uzovi,
        g.patients,
        g.amount,
        g.status,
        g.downloaded,
        g.path,
        g.line,
    ) == (
        "COPD",
        "2021-Q3",
        "01000007",
        "Huisartsenpraktijk 7",
        iban_for(7),
        "3343",
        42,
        123450,
        "in behandeling",
        dt.date(2021, 8, 26),
        str(path),
        2,
    )


def test_xlsx_with_typed_cells(tmp_path):
    rows = [
        [
            "DM",
            "2021-Q2",
            1000001,
            "Praktijk Een",
            iban_for(1),
            3311,
            12,
            1234.56,
            "toegekend",
            dt.datetime(2021, 5, 27),
        ],
        [
            "CVRM",
            "2021-Q2",
            "01000002",
            "Praktijk Twee",
            iban_for(2),
            "3311",
            "8",
            "1.000,00",
            "afgewezen",
            "2021-05-27",
        ],
        [
            "ASTMA",
            "2021-Q2",
            "01000003",
            "Praktijk Drie",
            "NL00INVALID",
            3311,
            1,
            10,
            "toegekend",
            "2021-05-27",
        ],
    ]
    path = write_xlsx(tmp_path / "e.xlsx", rows)
    read = read_exports([path])
    assert [
        (g.chain, g.agb, g.uzovi, g.patients, g.amount, g.status, g.downloaded, g.line)
        for g in read.grants
    ] == [
        ("DM", "01000001", "3311", 12, 123456, "toegekend", dt.date(2021, 5, 27), 2),
        ("CVRM", "01000002", "3311", 8, 100000, "afgewezen", dt.date(2021, 5, 27), 3),
    ]
    assert [str(p) for p in read.bad_rows] == [
        f"{path}, line 4, column iban: not a valid IBAN (format or checksum)"
    ]
    assert read.files[0].kind == "xlsx" and read.files[0].encoding is None


def test_xlsx_line_numbers_count_blank_rows(tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append([])  # the header is the first non-empty row
    ws.append(HEADER)
    ws.append(row(practice=1))
    ws.append([])
    ws.append(row(practice=2, amount="x"))
    wb.save(tmp_path / "gaps.xlsx")
    read = read_exports([tmp_path / "gaps.xlsx"])
    assert [g.line for g in read.grants] == [3]
    assert [str(p) for p in read.bad_rows] == [
        (
            f"{tmp_path / 'gaps.xlsx'}, line 5, column bedrag: "
            "not an amount such as 1.234,56 or 1234.56"
        )
    ]
    assert read.rows == 2


def test_bad_rows_are_reported_by_file_line_and_column_and_good_rows_still_go(tmp_path):
    rows = [
        row(practice=1),
        row(practice=2, chain="HVZ"),
        [
            "DM",
            "2021-Q7",
            "0100003",
            "Praktijk",
            "NL91ABNA0417164301",
            "33",
            "-1",
            "1,234",
            "betaald",
            "27-05-2021",
        ],
        row(practice=4, name=""),
        row(practice=5),
        row(practice=6, name="診療所"),
        row(practice=7, name="*** <> ***"),
    ]
    path = write_csv(tmp_path / "export.csv", rows)
    read = read_exports([path])
    # A name in another script is transliterated (text-unidecode), so that row is good.
    assert [g.agb for g in read.grants] == [agb_for(1), agb_for(5), agb_for(6)]
    assert (
        read.grants[2].practice == "診療所"
    )  # kept as exported; only the SEPA file transliterates
    p = str(path)
    assert [str(x) for x in read.bad_rows] == [
        f"{p}, line 3, column keten: unknown chain 'HVZ' (known: ASTMA, COPD, CVRM, DM)",
        f"{p}, line 4, column kwartaal: not a quarter such as 2021-Q2",
        f"{p}, line 4, column agb: not an AGB code (8 digits)",
        f"{p}, line 4, column iban: not a valid IBAN (format or checksum)",
        f"{p}, line 4, column uzovi: not a UZOVI code (4 digits)",
        f"{p}, line 4, column patienten: not a whole number",
        (
            f"{p}, line 4, column bedrag: ambiguous amount (thousands separator or three "
            "decimals?): write 1234,00 or 1.234,00"
        ),
        (
            f"{p}, line 4, column status: unknown status 'betaald' (known: afgewezen, "
            "in behandeling, toegekend)"
        ),
        f"{p}, line 4, column download_datum: not a date YYYY-MM-DD",
        f"{p}, line 5, column praktijk: empty",
        f"{p}, line 8, column praktijk: no letters or digits a SEPA payment can carry",
    ]
    assert (read.rows, read.bad_lines) == (7, 4)
    assert (read.bad_rows[0].path, read.bad_rows[0].line, read.bad_rows[0].column) == (
        p,
        3,
        "keten",
    )


def test_numbers_in_other_digits_are_bad_cells_where_they_are(tmp_path):
    """Fullwidth and Arabic-Indic digits, which int(), Decimal() and a regex's \\d read as
    ASCII ones, and Latin-1 superscripts, which str.isdigit takes."""
    rows = [
        row(practice=1),
        row(practice=2, quarter="２０２１-Q2"),
        row(practice=3, amount="١٬٠٠٠,٠٠"),
        row(practice=4, amount="１０００,00"),
        row(practice=5, day="٢٠٢١-05-27"),
        row(practice=6, uzovi="３３１１"),
        row(practice=7, patients="1²"),
    ]
    rows[6][2] = "0100000²"
    path = write_csv(tmp_path / "export.csv", rows)
    read = read_exports([path])
    assert [g.agb for g in read.grants] == [agb_for(1)]
    p = str(path)
    assert [str(x) for x in read.bad_rows] == [
        f"{p}, line 3, column kwartaal: not a quarter such as 2021-Q2",
        f"{p}, line 4, column bedrag: not an amount such as 1.234,56 or 1234.56",
        f"{p}, line 5, column bedrag: not an amount such as 1.234,56 or 1234.56",
        f"{p}, line 6, column download_datum: not a date YYYY-MM-DD",
        f"{p}, line 7, column uzovi: not a UZOVI code (4 digits)",
        f"{p}, line 8, column agb: not an AGB code (8 digits)",
        f"{p}, line 8, column patienten: not a whole number",
    ]


def test_headers_any_case_with_spaces_and_a_mapping_file(tmp_path):
    header = [
        "Zorgstraat",
        "KWARTAAL",
        "AGB praktijk",
        "Praktijk",
        "IBAN",
        "UZOVI",
        "Patiënten",
        "Toegekend bedrag",
        "Status",
        "Download datum",
        "Opmerking",
    ]
    mapping = tmp_path / "mapping.toml"
    mapping.write_text(
        '[columns]\n"Zorgstraat" = "keten"\n"AGB praktijk" = "agb"\n'
        '"Toegekend bedrag" = "bedrag"\n',
        encoding="utf-8",
    )
    path = write_csv(
        tmp_path / "own.csv",
        [row() + ["vrije tekst"], row(practice=2, amount="12,345")],
        header=header,
    )
    read = read_exports([path], mapping=load_mapping(mapping))
    assert read.grants[0].amount == 100000
    assert [str(p) for p in read.bad_rows] == [
        (
            f"{path}, line 3, column Toegekend bedrag: ambiguous amount (thousands separator or "
            "three decimals?): write 1234,00 or 1.234,00"
        )
    ]
    assert read.files[0].headers["bedrag"] == "Toegekend bedrag"


def test_missing_columns_stop_the_file(tmp_path):
    path = write_csv(tmp_path / "e.csv", [row()[:8]], header=HEADER[:8])
    with pytest.raises(TableError) as exc:
        read_exports([path])
    assert str(exc.value) == f"{path}, line 1: missing columns status, download_datum"


def test_two_headers_for_one_column(tmp_path):
    mapping = tmp_path / "m.toml"
    mapping.write_text('[columns]\n"Zorgstraat" = "keten"\n', encoding="utf-8")
    path = write_csv(tmp_path / "e.csv", [row() + ["DM"]], header=HEADER + ["Zorgstraat"])
    with pytest.raises(
        TableError,
        match=r"line 1: two headers for column keten: 'keten' and "
        r"'Zorgstraat'$",
    ):
        read_exports([path], mapping=load_mapping(mapping))


def test_quoted_fields_spanning_lines_keep_line_numbers(tmp_path):
    path = tmp_path / "e.csv"
    r1 = ";".join(str(x) for x in row(practice=1))
    r2 = ";".join(str(x) for x in row(practice=2, name='"Praktijk\nTwee"'))
    r3 = ";".join(str(x) for x in row(practice=3, uzovi="x"))
    path.write_text(";".join(HEADER) + "\n\n" + r1 + "\n" + r2 + "\n" + r3 + "\n", encoding="utf-8")
    read = read_exports([path])
    assert [g.line for g in read.grants] == [3, 4]
    assert read.grants[1].practice == "Praktijk\nTwee"
    assert [str(p) for p in read.bad_rows] == [
        f"{path}, line 6, column uzovi: not a UZOVI code (4 digits)"
    ]


def test_a_row_with_more_fields_than_the_header(tmp_path):
    path = write_csv(tmp_path / "e.csv", [row() + ["", ""], row(practice=2) + ["extra"]])
    read = read_exports([path])
    assert len(read.grants) == 1  # trailing empty fields are fine
    assert [str(p) for p in read.bad_rows] == [f"{path}, line 3: 11 fields, the header has 10"]


@pytest.mark.parametrize(
    "content, message",
    [
        (b"", "empty: no header line"),
        (b"\n\n", "empty: no header line"),
        (
            b"\xff\xfek\x00e\x00",
            "UTF-16 text is not read: save the file as UTF-8 or Windows-1252 CSV",
        ),
        (b"keten;agb\n\x81\x8d\n", "neither UTF-8 nor Windows-1252 (byte 10)"),
        # One row saved as UTF-8, one as Windows-1252: read as the latter, the first
        # would become "ZoÃ«" without a word.
        (
            b"keten;naam\nDM;Zo\xc3\xab\nDM;Zo\xeb\n",
            "mixes encodings: line 2 is UTF-8 (byte 16), line 3 is not (byte 24); save the "
            "file in one encoding",
        ),
        (b"\xd0\xcf\x11\xe0rest", "XLS (Excel 97-2003) is not read: save the sheet as XLSX or CSV"),
        (b"PK\x03\x04broken", "not a readable XLSX workbook (BadZipFile)"),
    ],
)
def test_unreadable_files_raise_one_located_error(tmp_path, content, message):
    path = tmp_path / "e.csv"
    path.write_bytes(content)
    with pytest.raises(TableError) as exc:
        read_exports([path])
    assert str(exc.value) == f"{path}: {message}"


def test_an_unclosed_quote_refuses_the_file_rather_than_swallowing_rows(tmp_path):
    path = tmp_path / "e.csv"
    lines = [";".join(HEADER), ";".join(str(x) for x in row(name='"Open quote'))]
    lines += [";".join(str(x) for x in row(practice=n)) for n in range(2, 5)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(TableError, match=r"not readable as CSV"):
        read_exports([path])


def test_missing_file(tmp_path):
    with pytest.raises(TableError, match=r"nope.csv: cannot read the file \(No such file"):
        read_exports([tmp_path / "nope.csv"])
