"""``vsbengine viplive``: commands of the viplive side (see formats/viplive)."""

from __future__ import annotations

import typer

app = typer.Typer(help="viplive commands.", no_args_is_help=True)
