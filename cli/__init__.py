"""The ``vsbengine`` command line (typer). Thin: every command calls the package API."""
