"""Option values shared by the commands: dates and sizes, with clear errors."""

from __future__ import annotations

import datetime as _dt

from vsbengine.errors import ConfigError

_UNITS = {"k": 1 << 10, "m": 1 << 20, "g": 1 << 30}


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
    t = text.strip().lower().rstrip("b")
    try:
        return int(float(t[:-1]) * _UNITS[t[-1]]) if t and t[-1] in _UNITS else int(t)
    except (ValueError, IndexError):
        raise ConfigError(f"{option} must be a size such as 512M or 2G, not {text!r}") from None


def memory_limit(text: str | None, option: str = "--memory-limit") -> int | None:
    """A ``--memory-limit`` value: a :func:`size` of at least 64 MB."""
    from vsbengine import limits

    return limits.check_memory_limit(size(text, option), option)
