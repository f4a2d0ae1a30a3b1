"""How values read on a page, per language: amounts, dates, national numbers."""

from __future__ import annotations

import datetime as _dt

from vsbengine.digits import ascii_digits

__all__ = ["MONTHS", "amount", "day", "insz"]

MONTHS = {
    "nl": (
        "januari",
        "februari",
        "maart",
        "april",
        "mei",
        "juni",
        "juli",
        "augustus",
        "september",
        "oktober",
        "november",
        "december",
    ),
    "en": (
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ),
}
_SEPARATORS = {"nl": (".", ","), "en": (",", ".")}  # thousands, decimals


def amount(cents: int, lang: str = "nl", currency: bool = True) -> str:
    """Integer cents as euro text: ``€ 1.234,56`` (nl) or ``€ 1,234.56`` (en); a
    no-break space keeps the sign with the number."""
    thousands, decimals = _SEPARATORS[lang]
    sign = "−" if cents < 0 else ""
    whole = f"{abs(cents) // 100:,}".replace(",", thousands)
    text = f"{sign}{whole}{decimals}{abs(cents) % 100:02d}"
    return f"€\u00a0{text}" if currency else text


def day(value: _dt.date | str | None, lang: str = "nl", long: bool = False) -> str:
    """A date as ``2021-06-15`` (sortable, the default) or ``15 juni 2021`` (``long``)."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        value = _dt.date.fromisoformat(value[:10])
    if not long:
        return value.isoformat()
    month = MONTHS[lang][value.month - 1]
    return (
        f"{value.day} {month} {value.year}"
        if lang == "nl"
        else f"{month} {value.day}, {value.year}"
    )


def insz(number: int | str | None, show: bool = False) -> str:
    """A Belgian national number (INSZ) as ``YY.MM.DD-CCC.KK``; masked by default to
    ``••.••.••-•••.KK`` (only the check digits), since it is personal data. A page
    shows it in full only where the zorgkas allows (``show=True``)."""
    if number is None or number == "" or number == 0:
        return ""
    digits = f"{int(number):011d}" if not isinstance(number, str) else number.strip()
    if len(digits) != 11 or not ascii_digits(digits):
        return "•" * 11 if not show else digits
    if not show:
        return f"••.••.••-•••.{digits[9:]}"
    return f"{digits[:2]}.{digits[2:4]}.{digits[4:6]}-{digits[6:9]}.{digits[9:]}"
