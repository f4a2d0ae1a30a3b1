"""Root of the ``vsbengine`` command line.

Every command is a thin wrapper over the package API. Errors of the package
(:class:`vsbengine.errors.VsbEngineError`) become one line on stderr and exit
code 2; tracebacks never show local variables, which may hold personal data.
"""

from __future__ import annotations

import sys

import typer
from typer.core import TyperGroup

from vsbengine.errors import VsbEngineError

EXIT_UNUSABLE = 2


class _Group(TyperGroup):
    """Turns the package's own exceptions into one clear line and exit code 2."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except VsbEngineError as exc:
            typer.echo(f"vsbengine: error: {exc}", err=True)
            raise typer.Exit(EXIT_UNUSABLE) from None
        except OSError as exc:
            name = f" {exc.filename}" if getattr(exc, "filename", None) else ""
            typer.echo(f"vsbengine: error:{name}: {exc.strerror or exc}", err=True)
            raise typer.Exit(EXIT_UNUSABLE) from None


app = typer.Typer(
    cls=_Group,
    name="vsbengine",
    help="Validate eFact billing files and answer them; VIPLive payments; blockade lists.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)


def _register() -> None:
    # Imported here so that each command module stays independent.
    from vsbengine.cli import blockade, bulk, efact, register, viplive

    efact.register(app)
    bulk.register(app)
    register.register(app)
    app.add_typer(viplive.app, name="viplive")
    app.add_typer(blockade.app, name="blockade")


_register()


def main() -> None:  # pragma: no cover - exercised through the installed script
    app(prog_name="vsbengine")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
