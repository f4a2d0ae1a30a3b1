"""Root of the ``vsbengine`` command line.

Every command is a thin wrapper over the package API. The root group makes the
command line behave as schedulers and shells expect:

- errors of the package (:class:`vsbengine.errors.VsbEngineError`), I/O errors
  and usage errors become one line on stderr and exit code 2;
- any other exception (a bug) becomes one line too, naming its type and where
  it happened but never its message (which may hold personal data), and exit
  code 2: never a traceback, never exit code 1 (which means "rejected");
- ``--version``, ``-v``/``-q`` and ``--log-file`` (the standard :mod:`logging`),
  and typer's shell completion (``--install-completion``).
"""

from __future__ import annotations

import logging
import sys
import traceback
from pathlib import Path

import typer
from typer.core import TyperGroup

from vsbengine.cli import logs
from vsbengine.cli.launch import EXIT_UNUSABLE, PROG, error_line
from vsbengine.errors import VsbEngineError, one_line

try:  # typer >= 0.22 carries its own copy of click
    from typer._click.exceptions import ClickException, UsageError
except ImportError:  # pragma: no cover - older typer on click
    from click.exceptions import ClickException, UsageError  # type: ignore[assignment]

log = logging.getLogger("vsbengine.cli")


def _where(exc: BaseException) -> str:
    """``file:line`` of the innermost frame of the package (no values, no message)."""
    frames = traceback.extract_tb(exc.__traceback__)
    ours = [f for f in frames if "vsbengine" in f.filename or "/engine/" in f.filename] or frames
    if not ours:
        return "unknown place"
    f = ours[-1]
    parts = Path(f.filename).parts
    return f"{'/'.join(parts[-2:])}:{f.lineno} ({f.name})"


class _Group(TyperGroup):
    """One line and exit code 2 for everything that is not a verdict."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except VsbEngineError as exc:
            # To --log-file too (why a scheduled run stopped); stderr has it once.
            log.error("%s", one_line(str(exc)), extra=logs.ECHOED)
            typer.echo(error_line(str(exc)), err=True)
            raise typer.Exit(EXIT_UNUSABLE) from None
        except BrokenPipeError as exc:
            if getattr(exc, "filename", None):
                raise
            from vsbengine.cli.launch import broken_pipe  # the reader left (``| head``)

            raise typer.Exit(broken_pipe()) from None
        except OSError as exc:
            name = f" {exc.filename}" if getattr(exc, "filename", None) else ""
            what = f"{name.strip() + ': ' if name else ''}{exc.strerror or exc}"
            log.error("%s", one_line(what), extra=logs.ECHOED)
            typer.echo(error_line(what), err=True)
            raise typer.Exit(EXIT_UNUSABLE) from None
        except (typer.Exit, typer.Abort, ClickException):
            raise
        except Exception as exc:
            where = _where(exc)
            # Type and place only: the message of an unexpected error may quote data.
            log.error("unexpected %s at %s", type(exc).__name__, where, extra=logs.ECHOED)
            typer.echo(
                f"{PROG}: internal error: {type(exc).__name__} at {where} "
                "(a bug in vsbengine; please report it with the command you ran)",
                err=True,
            )
            raise typer.Exit(EXIT_UNUSABLE) from None

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode, **extra)
        try:
            code = super().main(args, prog_name, complete_var, False, **extra)
        except UsageError as exc:
            if type(exc).__name__ == "NoArgsIsHelpError":
                exc.show()
                sys.exit(exc.exit_code)
            command = exc.ctx.command_path if exc.ctx is not None else PROG
            typer.echo(error_line(f"{exc.format_message()} (see '{command} --help')"), err=True)
            sys.exit(EXIT_UNUSABLE)
        except ClickException as exc:
            typer.echo(error_line(exc.format_message()), err=True)
            sys.exit(exc.exit_code)
        except typer.Abort:
            typer.echo(f"{PROG}: aborted", err=True)
            sys.exit(130)
        sys.exit(code if isinstance(code, int) else 0)


app = typer.Typer(
    cls=_Group,
    name=PROG,
    help="Validate eFact billing files and answer them; VIPLive payments; blockade lists.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        from vsbengine import __version__

        typer.echo(f"{PROG} {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
    verbose: int = typer.Option(
        0, "--verbose", "-v", count=True, help="More in the log on stderr (-v info, -vv debug)."
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Only errors in the log on stderr."),
    log_file: Path | None = typer.Option(
        None, "--log-file", help="Also append the log to this file (info and up, or -vv debug)."
    ),
) -> None:
    """Validate eFact billing files and answer them; VIPLive payments; blockade lists.

    Exit codes: 0 done or accepted, 1 rejected (or rows refused), 2 unusable input.
    """
    logs.configure(verbose=verbose, quiet=quiet, log_file=log_file)


def _register() -> None:
    # Imported here so that each command module stays independent.
    from vsbengine.cli import blockade, bulk, efact, pages, register, schemas, viplive

    efact.register(app)
    bulk.register(app)
    register.register(app)
    pages.register(app)
    schemas.register(app)
    app.add_typer(viplive.app, name="viplive")
    app.add_typer(blockade.app, name="blockade")


_register()


def main() -> None:  # pragma: no cover - exercised through the installed script
    """The ``vsbengine`` script (kept for callers of ``vsbengine.cli.main:main``)."""
    from vsbengine.cli.launch import main as launch

    launch()


if __name__ == "__main__":  # pragma: no cover
    main()
