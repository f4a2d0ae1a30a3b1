"""``vsbengine schema``: the JSON Schemas of the JSON outputs, as shipped."""

from __future__ import annotations

import typer

from vsbengine.errors import ConfigError, quoted


def schema(
    name: str | None = typer.Argument(
        None, help="An output, e.g. validate or viplive-pay (none: list them)."
    ),
) -> None:
    """Print the JSON Schema of a JSON output (without NAME: the outputs and where they go)."""
    import json

    from vsbengine import schemas

    if name is None:
        width = max(map(len, schemas.OUTPUTS))
        for key, (what, _) in schemas.OUTPUTS.items():
            typer.echo(f"{key:<{width}}  {what}")
        return
    if name not in schemas.OUTPUTS:
        raise ConfigError(f"no JSON output named {quoted(name)} (vsbengine schema lists them)")
    typer.echo(json.dumps(schemas.load(name), indent=2, ensure_ascii=False))


def register(app: typer.Typer) -> None:
    app.command("schema")(schema)
