"""``vsbengine blockade``: commands of the blockade side (see formats/blockade)."""

from __future__ import annotations

import typer

app = typer.Typer(help="blockade commands.", no_args_is_help=True)
