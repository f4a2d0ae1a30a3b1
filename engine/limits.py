"""The package's documented limits on what one command may ask of the machine.

A count given by a caller (worker processes, threads) starts that many processes or
threads at once: ``--workers 100000`` would take the machine down before any file is
read. The limits here are refused with a clear :class:`~vsbengine.ConfigError`
(``vsbengine``: one line, exit 2), never clamped silently.
"""

from __future__ import annotations

import os

from vsbengine.errors import ConfigError

__all__ = ["MAX_GENERATED_RECORDS", "WORKERS_PER_CORE", "check_workers", "max_workers"]

#: Worker processes (or threads) per core at most: beyond a few per core they only
#: queue for the cores, and each process loads the engine and the reference data.
WORKERS_PER_CORE = 4

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
