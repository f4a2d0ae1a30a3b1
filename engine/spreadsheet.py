"""Cells safe to open: text a spreadsheet would run as a formula is neutralised.

A CSV cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return is read by Excel and LibreOffice as a formula (``=HYPERLINK(...)``,
``@SUM(...)``), so a hostile name in an input could run in the reader's
spreadsheet. Every CSV the package writes passes its text cells through
:func:`safe_cell`, which puts a ``'`` in front of such text (the spreadsheets'
own "this is text" mark). Numbers the package formats itself are not text and
are left alone.
"""

from __future__ import annotations

__all__ = ["FORMULA_STARTS", "safe_cell"]

#: First characters that make a spreadsheet treat a cell as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(text: str) -> str:
    """``text``, with a leading ``'`` when a spreadsheet would run it as a formula."""
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text
