"""The ``vsbengine`` entry point: a fast path for ``explain``, typer for the rest.

``vsbengine explain CODE [--json]`` is what people and scripts run most often
to read a code; importing typer (and its dependencies) costs more than the
lookup itself, so that exact form is answered here without it. Any other
argument (``--help``, a global option, another command) goes to the typer app
in :mod:`vsbengine.cli.main`, whose ``explain`` prints the same text through
the same function (:func:`vsbengine.cli.codes.explain_text`).
"""

from __future__ import annotations

import contextlib
import os
import sys

EXIT_UNUSABLE = 2
PROG = "vsbengine"


def error_line(message: str) -> str:
    """The one line the command line prints on stderr for unusable input (a line break
    or an escape in it, from a file's name say, shown as ``?``)."""
    from vsbengine.errors import one_line

    return f"{PROG}: error: {one_line(message)}"


#: The exit code of a command whose reader left (``| head``): 128 + SIGPIPE.
EXIT_BROKEN_PIPE = 128 + 13


def broken_pipe() -> int:
    """Stop quietly after the reader of standard output left, as a command killed by
    SIGPIPE would: nothing more goes to the pipe (not even at exit); the exit code."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    return EXIT_BROKEN_PIPE


def _fast_explain(args: list[str]) -> int | None:
    """Exit code of ``explain CODE [--json]`` answered here; ``None``: not that form."""
    if len(args) not in (2, 3) or args[0] != "explain" or os.environ.get("VSBENGINE_CODES"):
        return None  # (an official list to read: the typer command does that)
    rest = args[1:]
    as_json = "--json" in rest
    codes = [a for a in rest if a != "--json"]
    if len(codes) != 1 or codes[0].startswith("-") or len(rest) - len(codes) != int(as_json):
        return None
    from vsbengine.cli.codes import explain_text
    from vsbengine.errors import VsbEngineError

    try:
        text = explain_text(codes[0], as_json)
    except VsbEngineError as exc:
        print(error_line(str(exc)), file=sys.stderr)
        return EXIT_UNUSABLE
    except Exception:  # a bug: the typer app reports it as one line
        return None
    try:
        print(text, flush=True)
    except BrokenPipeError:
        raise
    except OSError as exc:  # standard output is a full disk or a closed file
        print(error_line(f"standard output: {exc.strerror or exc}"), file=sys.stderr)
        with contextlib.suppress(OSError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_UNUSABLE
    return 0


def main(argv: list[str] | None = None) -> None:
    """Run the command line (the ``vsbengine`` script and ``python -m vsbengine``)."""
    args = sys.argv[1:] if argv is None else list(argv)
    try:
        os.fstat(1)
    except OSError:
        # Closed (`>&-`): what the command says would be lost, its result with it.
        print(error_line("standard output is closed: give >/dev/null to discard it"),
              file=sys.stderr)  # fmt: skip
        sys.exit(EXIT_UNUSABLE)
    try:
        # Shell completion is typer's: it must see every invocation it asks for.
        if f"_{PROG.upper()}_COMPLETE" not in os.environ:
            code = _fast_explain(args)
            if code is not None:
                sys.exit(code)
        from vsbengine.cli.main import app

        app(args=args, prog_name=PROG)
    except BrokenPipeError:
        sys.exit(broken_pipe())
