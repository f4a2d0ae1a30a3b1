"""The command line's log: standard :mod:`logging` under the ``vsbengine`` logger.

Messages of the package name files, counts, codes and outcomes, never personal
data (national numbers, names): the log may be kept for years by a scheduler.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

__all__ = ["ECHOED", "FORMAT", "configure"]

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
_MARK = "_vsbengine_cli"  # handlers this module added (replaced on each run)
#: ``extra=`` of a record whose line the command line printed on stderr already:
#: it goes to the log file, not to stderr a second time.
ECHOED = {"vsbengine_echoed": True}


def _not_echoed(record: logging.LogRecord) -> bool:
    return not getattr(record, "vsbengine_echoed", False)


def _level(verbose: int, quiet: bool) -> int:
    if quiet:
        return logging.ERROR
    return {0: logging.WARNING, 1: logging.INFO}.get(verbose, logging.DEBUG)


def configure(verbose: int = 0, quiet: bool = False, log_file: Path | None = None) -> None:
    """Log to stderr (warnings and up; ``-v`` info, ``-vv`` debug, ``-q`` errors only) and,
    with ``log_file``, append info and up (debug with ``-vv``) to that file."""
    logger = logging.getLogger("vsbengine")
    for h in [h for h in logger.handlers if getattr(h, _MARK, False)]:
        logger.removeHandler(h)
        h.close()
    console_level = _level(verbose, quiet)
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    handlers[0].setLevel(console_level)
    handlers[0].addFilter(_not_echoed)
    handlers[0].setFormatter(logging.Formatter("vsbengine: %(levelname)s: %(message)s"))
    file_level = min(console_level, logging.INFO)
    if log_file is not None:
        fh = logging.FileHandler(log_file, encoding="utf-8", delay=False)
        fh.setLevel(file_level)
        fh.setFormatter(logging.Formatter(FORMAT))
        handlers.append(fh)
    for h in handlers:
        setattr(h, _MARK, True)
        logger.addHandler(h)
    logger.setLevel(min(h.level for h in handlers))
    logger.propagate = False
