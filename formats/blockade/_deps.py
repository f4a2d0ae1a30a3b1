"""The blockade side reads and writes through pyarrow; say so clearly when it is missing."""

from __future__ import annotations

from vsbengine.errors import MissingDependencyError

__all__ = ["INSTALL_HINT", "MissingDependencyError"]

INSTALL_HINT = "blockade lists need pyarrow: pip install 'vsbengine[blockade]'"


try:
    import pyarrow  # noqa: F401
except ImportError:  # pragma: no cover - exercised only without pyarrow
    raise MissingDependencyError(INSTALL_HINT) from None
