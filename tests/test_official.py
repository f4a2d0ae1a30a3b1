"""The insurers' official list read from an operator's copy: .xls, .xlsx and CSV.

The sheets here are small synthetic ones written by the tests (their texts are made up
for the tests, not the insurers'); only their shape is that of the published list.
"""

from __future__ import annotations

import builtins
import csv

import pytest

from vsbengine.errors import InputError, MissingDependencyError
from vsbengine.formats.efact.official import read_official_list

#: (code, letter, Dutch, French): texts made up for the tests.
ROWS = [
    ("509902", "B", "Testtekst: controlecijfer van het record is niet juist", "Texte de test : le chiffre de contrôle de l'enregistrement est erroné"),
    ("501920", "R", "Testtekst: bedrag niet in overeenstemming met de verbintenis", "Texte de test : montant non conforme à l'engagement"),
    ("5014A5", "R", "Testtekst: plaats van verstrekking niet in overeenstemming", "Texte de test : lieu de prestation non conforme"),
    ("100721", "B", "Testtekst: dubbel nummer van de zending", "Texte de test : numéro d'envoi en double"),
]  # fmt: skip
HEADER = ["Code", "Type", "Libellé FR", "Omschrijving NL"]


def _table(header=True):
    rows = [[c, t, fr, nl] for c, t, nl, fr in ROWS]
    return ([HEADER] if header else []) + rows


def _check(official):
    assert len(official) == len(ROWS)
    for code, letter, nl, fr in ROWS:
        text = official.get(code)
        assert (text.letter, text.nl, text.fr) == (letter, nl, fr)
    assert official.get(" 5014a5 ").text("fr").startswith("Texte de test : lieu")
    assert official.get("509902").text("nl").startswith("Testtekst")


def test_xlsx(tmp_path):
    import openpyxl

    book = openpyxl.Workbook()
    notes = book.active
    notes.title = "Uitleg"
    notes.append(["Lijst van de foutcodes (test)"])
    sheet = book.create_sheet("Codes")
    sheet.append(["Lijst van de foutcodes", None, None, None])  # a title row above
    for row in _table():
        sheet.append(row)
    sheet.append([None, None, None, None])  # a blank row at the end
    path = tmp_path / "lijst.xlsx"
    book.save(path)
    _check(read_official_list(path))


def test_xls(tmp_path):
    xlwt = pytest.importorskip("xlwt")
    pytest.importorskip("xlrd")
    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("liste")
    for r, row in enumerate(_table()):
        for c, value in enumerate(row):
            # Spreadsheets keep numeric codes as numbers: 509902.0.
            sheet.write(r, c, float(value) if r and c == 0 and value.isdigit() else value)
    path = tmp_path / "liste_codes_erreur_lijst.xls"
    book.save(str(path))
    _check(read_official_list(path))


def test_xls_without_xlrd_says_which_extra(tmp_path, monkeypatch):
    path = tmp_path / "lijst.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0")
    real_import = builtins.__import__

    def no_xlrd(name, *args, **kwargs):
        if name == "xlrd":
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_xlrd)
    with pytest.raises(MissingDependencyError, match=r"pip install 'vsbengine\[codes\]'"):
        read_official_list(path)


@pytest.mark.parametrize(
    "delimiter,encoding", [(";", "utf-8-sig"), (",", "cp1252"), ("\t", "utf-8")]
)
def test_csv_exports(tmp_path, delimiter, encoding):
    path = tmp_path / "lijst.csv"
    with path.open("w", encoding=encoding, newline="") as fh:
        csv.writer(fh, delimiter=delimiter).writerows(_table())
    _check(read_official_list(path))


def test_columns_found_by_their_content_without_headers(tmp_path):
    path = tmp_path / "lijst.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, delimiter=";").writerows(_table(header=False))
    _check(read_official_list(path))


@pytest.mark.parametrize(
    "content,message",
    [
        (None, "No such file"),
        ("tekst;meer tekst\nniets;hier\n", "no column of error codes found"),
        ("Code;NL\ngeen code;tekst\n", "no error codes in the official list"),
        # Digits int() reads and str.isdigit takes (so zfill made 00１２３ of them).
        (
            "Code;NL\n１２３;tekst\n٥٠١٩٢٠;tekst\n²01920;tekst\n",
            "no error codes in the official list",
        ),
    ],
)
def test_unusable_lists_are_refused(tmp_path, content, message):
    path = tmp_path / "lijst.csv"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError, match=message):
        read_official_list(path)


def test_a_broken_sheet_is_refused(tmp_path):
    path = tmp_path / "lijst.xlsx"
    path.write_bytes(b"not a zip file")
    with pytest.raises(InputError, match="not a readable .xlsx sheet"):
        read_official_list(path)
