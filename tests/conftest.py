"""Shared fixtures: the headless browser of the page tests (see browser_helpers.py)."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def browser():
    from browser_helpers import Browser

    b = Browser()
    yield b
    b.close()


def pytest_terminal_summary(terminalreporter):
    from browser_helpers import TAKEN

    if TAKEN:
        folder = TAKEN[0].parent
        terminalreporter.write_line(f"page screenshots and PDFs ({len(TAKEN)} files): {folder}")
