"""The package's documented limits on what one command may ask of the machine.

A count given by a caller (worker processes, threads) starts that many processes or
threads at once: ``--workers 100000`` would take the machine down before any file is
read. The limits here are refused with a clear :class:`~vsbengine.ConfigError`
(``vsbengine``: one line, exit 2), never clamped silently.
"""

from __future__ import annotations

import os
import unicodedata

from vsbengine.errors import ConfigError

__all__ = [
    "MAX_GENERATED_RECORDS",
    "MAX_NAME",
    "MIN_MEMORY_LIMIT",
    "WORKERS_PER_CORE",
    "check_memory_limit",
    "check_name",
    "check_workers",
    "max_workers",
]

#: Worker processes (or threads) per core at most: beyond a few per core they only
#: queue for the cores, and each process loads the engine and the reference data.
WORKERS_PER_CORE = 4

#: The smallest memory limit of a validation: the process itself needs some.
MIN_MEMORY_LIMIT = 64 << 20

#: Characters of a person's name (who signs, ``--by``, ``--sign-as``) at most: it goes
#: into every decision and payment order.
MAX_NAME = 200

#: Records 10-90 ``generate`` builds at most: it holds the sending in memory (about
#: 850 bytes per record), so ten million need some 9 GB.
MAX_GENERATED_RECORDS = 10_000_000


def max_workers() -> int:
    """The most worker processes or threads one run may start on this machine."""
    return WORKERS_PER_CORE * (os.cpu_count() or 1)


def check_workers(value: int, option: str = "workers", *, least: int = 1) -> int:
    """``value`` when it lies within ``least`` and :func:`max_workers`; else a
    :class:`~vsbengine.ConfigError` naming ``option``."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(f"{option} must be a whole number, not {value!r}")
    top = max_workers()
    if value < least:
        raise ConfigError(f"{option} must be at least {least}, not {value}")
    if value > top:
        raise ConfigError(
            f"{option} must be at most {top} ({WORKERS_PER_CORE} per core on this "
            f"machine), not {value}"
        )
    return value


def check_memory_limit(value: int | None, option: str = "memory_limit") -> int | None:
    """``value`` (bytes, or None: no limit) when it is at least :data:`MIN_MEMORY_LIMIT`."""
    if value is not None and value < MIN_MEMORY_LIMIT:
        raise ConfigError(f"{option} must be at least 64 MB (the process itself needs some)")
    return value


def check_name(value: str, option: str = "--by") -> str:
    """A person's name as given (stripped): not empty, at most :data:`MAX_NAME`
    characters, no control characters (it is written into JSON and XML, one line)."""
    name = (value or "").strip()
    if not name:
        raise ConfigError(f"say who decides ({option} NAME)")
    if len(name) > MAX_NAME:
        raise ConfigError(f"{option}: a name of at most {MAX_NAME} characters, not {len(name):,}")
    if any(ord(c) < 32 or 127 <= ord(c) < 160 for c in name):
        raise ConfigError(f"{option}: a name without control characters (line breaks, tabs)")
    if any(unicodedata.category(c) in ("Cf", "Zl", "Zp", "Cs", "Co", "Cn") for c in name):
        # A right-to-left override shows a name other than the one recorded.
        raise ConfigError(f"{option}: a name without invisible or direction-changing characters")
    return name
