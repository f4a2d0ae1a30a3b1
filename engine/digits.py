"""Digits of text from outside: ASCII ``0``-``9`` only.

Every number the package reads (billing and answer files, reference CSVs, VIPLive
exports, blockade inputs, CLI arguments, config files, the names of folders and
files) is written in ASCII digits. Python's own tests are wider: ``str.isdigit``
takes ``²``, ``³`` and ``¹`` (the Latin-1 bytes ``B2``, ``B3``, ``B9``, decoded) and
many more, on which :func:`int` then raises; ``str.isdecimal``, ``int`` itself and a
regex's ``\\d`` (without :data:`re.ASCII`) take Arabic-Indic, fullwidth and other
decimal digits and read them as if they were ASCII. A test of text from outside goes
through :func:`ascii_digits`; a pattern spells its digits ``[0-9]``.
"""

from __future__ import annotations

__all__ = ["ascii_digits"]


def ascii_digits(text: str) -> bool:
    """Whether ``text`` is one or more ASCII digits ``0``-``9`` and nothing else.

    Examples
    --------
    >>> ascii_digits("0123"), ascii_digits(""), ascii_digits("²3"), ascii_digits("１２")
    (True, False, False, False)
    """
    return text.isascii() and text.isdigit()
