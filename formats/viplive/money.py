"""Amounts: euro text (``1.234,56`` or ``1234.56``) to integer cents, and back.

Cents are integers end to end. Text is parsed exactly (no float on the way);
a number cell of a spreadsheet arrives as a float and is read through its
shortest decimal form, which is the text the sheet stored.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from vsbengine.formats.sepa.credit_transfer import AMOUNT_MAX

__all__ = ["MAX_CENTS", "cents", "euros", "euros_nl", "max_text"]

_PLAIN = re.compile(r"([0-9]+)(?:[.,]([0-9]{1,2}))?")
_DUTCH = re.compile(r"([0-9]{1,3}(?:\.[0-9]{3})+)(?:,([0-9]{1,2}))?")  # 1.234.567 / 1.234,56
_ENGLISH = re.compile(r"([0-9]{1,3}(?:,[0-9]{3})+)(?:\.([0-9]{1,2}))?")  # 1,234,567 / 1,234.56
_AMBIGUOUS = re.compile(r"[0-9]{1,3}[.,][0-9]{3}")  # 1.234 / 1,234
_CENT = Decimal("0.01")

#: The largest amount read, in cents: 999.999.999,99 EUR, the most one SEPA credit
#: transfer carries. Anything larger is a refused cell, not a payment.
MAX_CENTS = AMOUNT_MAX


def _from_parts(whole: str, frac: str | None) -> int:
    return int(whole) * 100 + (int(frac.ljust(2, "0")) if frac else 0)


def cents(value: object) -> int:
    """Integer cents of an amount in euro; ``ValueError`` with a reason otherwise.

    Accepted: ``1234``, ``1234,5``, ``1234.56``, ``1.234,56``, ``1,234.56``,
    ``1.234.567``, with an optional ``€`` and spaces; integers and floats from
    spreadsheet cells. Refused: negative amounts, more than two decimals,
    ``1.234`` / ``1,234`` (a thousands separator or three decimals?) and amounts
    above :data:`MAX_CENTS`.
    """
    amount = _cents(value)
    if amount > MAX_CENTS:
        raise ValueError(f"more than {max_text()}, the most one SEPA credit transfer carries")
    return amount


def _cents(value: object) -> int:
    if isinstance(value, bool):
        raise ValueError("not an amount")
    if isinstance(value, int):
        if value < 0:
            raise ValueError("negative amount")
        return value * 100
    if isinstance(value, float):
        return _cents_of_number(value)
    if not isinstance(value, str):
        raise ValueError("not an amount")
    text = value.replace("\u00a0", "").replace(" ", "").removeprefix("€").removeprefix("EUR")
    if text.startswith("-"):
        raise ValueError("negative amount")
    if _AMBIGUOUS.fullmatch(text):
        raise ValueError(
            "ambiguous amount (thousands separator or three decimals?): write 1234,00 or 1.234,00"
        )
    for pattern in (_PLAIN, _DUTCH, _ENGLISH):
        m = pattern.fullmatch(text)
        if m is not None:
            return _from_parts(re.sub(r"[.,]", "", m.group(1)), m.group(2))
    if re.fullmatch(r"[0-9]+[.,][0-9]{3,}", text):
        raise ValueError("more than two decimals")
    raise ValueError("not an amount such as 1.234,56 or 1234.56")


def _cents_of_number(value: float) -> int:
    try:
        d = Decimal(repr(value))
    except InvalidOperation:  # pragma: no cover - repr of a float is always decimal
        raise ValueError("not an amount") from None
    if not d.is_finite():
        raise ValueError("not an amount")
    if d < 0:
        raise ValueError("negative amount")
    if d > MAX_CENTS:  # (in euro: far above; quantize would run out of digits)
        return int(d) * 100
    q = d.quantize(_CENT)
    # A computed cell may carry binary noise (0.30000000000000004); real extra decimals do not.
    if abs(d - q) > Decimal("1e-9"):
        raise ValueError("more than two decimals")
    return int(q * 100)


def euros(amount: int) -> str:
    """``123456`` cents as ``1234.56``."""
    sign = "-" if amount < 0 else ""
    return f"{sign}{abs(amount) // 100}.{abs(amount) % 100:02d}"


def euros_nl(amount: int, grouped: bool = True) -> str:
    """``123456`` cents as ``1.234,56`` (or ``1234,56`` without grouping)."""
    sign = "-" if amount < 0 else ""
    whole = f"{abs(amount) // 100:,}".replace(",", ".") if grouped else str(abs(amount) // 100)
    return f"{sign}{whole},{abs(amount) % 100:02d}"


def max_text() -> str:
    """:data:`MAX_CENTS` as the messages write it: ``999.999.999,99 EUR``."""
    return f"{euros_nl(MAX_CENTS)} EUR"
