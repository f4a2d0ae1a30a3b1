import pytest

from vsbengine.spreadsheet import safe_cell


@pytest.mark.parametrize(
    "text, safe",
    [
        ('=HYPERLINK("x")', '\'=HYPERLINK("x")'),
        ("+31 6", "'+31 6"),
        ("-1", "'-1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("Praktijk de Linde", "Praktijk de Linde"),
        ("", ""),
        ("a=b", "a=b"),
    ],
)
def test_formula_starts_are_neutralised(text, safe):
    assert safe_cell(text) == safe


# Writers of CSV that is no output: the catalogue's own data file (a developer tool that
# regenerates engine data), and reference data read from SQLite, turned into CSV text in
# memory for the same reader as the CSV files.
_NOT_OUTPUT = {"formats/efact/catalogue.py", "formats/efact/refs.py"}


def test_every_csv_writer_of_the_package_neutralises_its_cells():
    """A module that writes CSV (csv.writer, pyarrow's write_csv) passes its cells through
    safe_cell (or safe_table, built on the same first characters)."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    writers = re.compile(r"csv\.writer\(|csv\.DictWriter\(|write_csv\(|\.to_csv\(")
    found = []
    for folder in ("engine", "formats", "cli"):
        for path in sorted((root / folder).rglob("*.py")):
            text = path.read_text(encoding="utf-8")
            if writers.search(text):
                found.append(str(path.relative_to(root)))
                if found[-1] not in _NOT_OUTPUT:
                    assert "safe_cell" in text or "safe_table(" in text, found[-1]
    assert {"formats/blockade/outdir.py", "formats/viplive/statement_files.py"} <= set(found)
