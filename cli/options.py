"""Option values shared by the commands: dates and sizes, with clear errors."""

from __future__ import annotations

import datetime as _dt
import re

from vsbengine.errors import ConfigError, quoted

_UNITS = {"k": 1 << 10, "m": 1 << 20, "g": 1 << 30}
#: ``512``, ``1.5G`` (``b`` stripped first): ASCII digits only (``float`` and ``int``
#: would take ``inf``, ``1e3``, ``1_0`` and fullwidth or Arabic-Indic digits too).
_SIZE = re.compile(r"([0-9]{1,18})(?:(\.[0-9]{1,9})?([kmg]))?")


#: What an unattended run leaves to a person (the end of every ``--sign-as`` help).
SIGN_AS_WAITS = (
    "a sending with every prestation rejected, or whose record-10 account is not the "
    "registered one, still waits."
)


def language(lang: str, allowed) -> str:
    """A ``--lang`` value (or ``VSBENGINE_LANG``'s, which sets it): one of ``allowed``."""
    if lang not in allowed:
        raise ConfigError(
            f"--lang (or VSBENGINE_LANG) must be one of {', '.join(allowed)}, not {quoted(lang)}"
        )
    return lang


def date(text: str | None, option: str = "--today") -> _dt.date | None:
    """A ``YYYY-MM-DD`` option value (``None`` stays ``None``)."""
    if text is None:
        return None
    try:
        return _dt.date.fromisoformat(text)
    except ValueError:
        raise ConfigError(f"{option} must be a date YYYY-MM-DD, not {text!r}") from None


def size(text: str | None, option: str = "--memory-limit") -> int | None:
    """A size such as ``512M`` or ``2G`` (bytes when there is no unit)."""
    if text is None:
        return None
    m = _SIZE.fullmatch(text.strip().lower().rstrip("b"))
    if m is None:
        raise ConfigError(f"{option} must be a size such as 512M or 2G, not {quoted(text)}")
    whole, fraction, unit = m.groups()
    return int(float(whole + (fraction or "")) * _UNITS[unit]) if unit else int(whole)


def memory_limit(text: str | None, option: str = "--memory-limit") -> int | None:
    """A ``--memory-limit`` value: a :func:`size` of at least 64 MB."""
    from vsbengine import limits

    return limits.check_memory_limit(size(text, option), option)
