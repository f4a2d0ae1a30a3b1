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
