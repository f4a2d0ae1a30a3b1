"""One line for a bad command line: the usage errors of a group's commands (a missing
option, a value out of range, a word that is not a number) become a
:class:`~vsbengine.errors.ConfigError`, which the root prints as one line with
exit code 2, instead of a framed usage box.
"""

from __future__ import annotations

from typer.core import TyperGroup

from vsbengine.errors import ConfigError

__all__ = ["OneLineUsage"]


def _usage_errors() -> tuple[type[Exception], ...]:
    # Newer typer releases carry their own copy of click; older ones use click itself.
    found: list[type[Exception]] = []
    try:
        from typer._click.exceptions import UsageError as vendored
    except ImportError:
        pass
    else:
        found.append(vendored)
    try:
        from click.exceptions import UsageError as plain
    except ImportError:
        pass
    else:
        found.append(plain)
    return tuple(found)


_USAGE_ERRORS = _usage_errors()


class OneLineUsage(TyperGroup):
    """A group whose commands report usage errors as one located line."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except _USAGE_ERRORS as exc:
            where = exc.ctx.command_path if exc.ctx is not None else ctx.command_path
            message = " ".join(exc.format_message().split())
            raise ConfigError(f"{where.removeprefix('vsbengine ')}: {message}") from None
