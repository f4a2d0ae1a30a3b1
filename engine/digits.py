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

__all__ = ["ascii_digits", "ascii_int"]


def ascii_digits(text: str) -> bool:
    """Whether ``text`` is one or more ASCII digits ``0``-``9`` and nothing else.

    Examples
    --------
    >>> ascii_digits("0123"), ascii_digits(""), ascii_digits("²3"), ascii_digits("１２")
    (True, False, False, False)
    """
    return text.isascii() and text.isdigit()


def ascii_int(text: str, most: int = 18) -> int | None:
    """``text`` as a whole number when it is 1 to ``most`` ASCII digits, else ``None``.

    The bound keeps the number in an int64 (a SQLite integer, a numpy column) and
    :func:`int` below its limit of 4,300 digits, where it raises :class:`ValueError`.
    """
    return int(text) if len(text) <= most and ascii_digits(text) else None
