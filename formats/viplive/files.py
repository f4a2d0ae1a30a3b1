"""Files: settings read from TOML with located errors, output written complete or
not at all (temporary name, then rename)."""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

import msgspec

from vsbengine.errors import ConfigError
from vsbengine.fsio import atomic_write

__all__ = ["read_toml", "write_atomic"]

T = TypeVar("T")


def read_toml(path: str | Path, type: type[T], what: str) -> T:
    """``path`` decoded as ``type``; :class:`~vsbengine.ConfigError` naming the file (and
    msgspec's location, ``at $.care_group.bic``) when it cannot be read or used."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the {what} ({exc.strerror})") from None
    try:
        return msgspec.toml.decode(data, type=type)
    except msgspec.DecodeError as exc:
        text = str(exc)
        fields = getattr(type, "__struct_fields__", None)
        if isinstance(exc, msgspec.ValidationError) and " - at `" not in text and fields:
            # msgspec names no location at the top level: say so, and what may be there.
            text += f" - at the top level (known: {', '.join(fields)})"
        raise ConfigError(f"{path}: {text}") from None


def write_atomic(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` whole or not at all (:func:`vsbengine.fsio.atomic_write`)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    return atomic_write(path, data)
