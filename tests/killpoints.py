"""Run a ``vsbengine`` command and kill -9 it at its N-th step: ``python killpoints.py N ARGS``.

A *step* is a call that changes files or the ledger: ``os.fsync``, ``os.link``,
``os.replace``, ``os.rename``, ``os.unlink``, ``os.mkdir``, ``shutil.rmtree``
and the ledger's ``begin``, ``book``, ``own``, ``commit`` and ``published``.
Only the command's own process counts (a pool's workers run on). Just before step N
the process sends itself SIGKILL: no ``finally``, no
``atexit``, exactly as a power cut or the OOM killer would end it. With N past
the last step the command runs to its end (exit code as usual).
"""

from __future__ import annotations

import functools
import multiprocessing
import os
import shutil
import signal
import sys


def _arm(limit: int) -> None:
    count = [0]
    armed = os.getpid()  # the command's own steps: not those of its pool's workers

    def wrap(owner, name):
        original = getattr(owner, name)

        @functools.wraps(original)
        def step(*args, **kw):
            if os.getpid() != armed:
                return original(*args, **kw)
            count[0] += 1
            if count[0] == limit:
                os.kill(os.getpid(), signal.SIGKILL)
            return original(*args, **kw)

        setattr(owner, name, step)

    for name in ("fsync", "link", "replace", "rename", "unlink", "mkdir"):
        wrap(os, name)
    wrap(shutil, "rmtree")
    from vsbengine.formats.viplive.ledger import Ledger

    for name in ("begin", "book", "own", "commit", "published"):
        wrap(Ledger, name)


def killed_at(step: int, args: list[str], timeout: float = 90) -> int | None:
    """Exit code of the command line ``args`` run in a forked child that SIGKILLs itself
    before its ``step``-th step (-9 when it was killed; quieter and much faster to
    start than ``python killpoints.py``)."""
    child = multiprocessing.get_context("fork").Process(target=_run, args=(step, args))
    child.start()
    child.join(timeout)
    assert child.exitcode is not None, "the command hung"
    return child.exitcode


def _run(step: int, args: list[str]) -> None:
    _arm(step)
    from vsbengine.cli.main import app

    with open(os.devnull, "w") as quiet:
        os.dup2(quiet.fileno(), 1)
        os.dup2(quiet.fileno(), 2)
    app(args=args, prog_name="vsbengine")


if __name__ == "__main__":
    _arm(int(sys.argv[1]))
    from vsbengine.cli.main import app

    sys.argv = ["vsbengine", *sys.argv[2:]]
    app(prog_name="vsbengine")
