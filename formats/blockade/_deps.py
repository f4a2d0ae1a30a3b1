"""The blockade side reads and writes through pyarrow; say so clearly when it is missing."""

from __future__ import annotations

from vsbengine.errors import VsbEngineError

INSTALL_HINT = "blockade lists need pyarrow: pip install 'vsbengine[blockade]'"


class MissingDependencyError(VsbEngineError, ImportError):
    """An optional dependency of a feature is not installed."""


try:
    import pyarrow  # noqa: F401
except ImportError:  # pragma: no cover - exercised only without pyarrow
    raise MissingDependencyError(INSTALL_HINT) from None
