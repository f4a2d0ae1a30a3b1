"""Billing-file commands: validate, generate, explain."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add the billing-file commands to the root app."""
