"""vsbengine: validation of eFact billing files for a Flemish zorgkas.

The public API is bound here from the modules that implement it::

    import vsbengine
    result = vsbengine.validate("sending.920000")
    result.technical, result.decision, result.error_ratio, result.errors

The names are bound on first use (module ``__getattr__``): ``import vsbengine``
loads neither numpy nor the compiled core, so that a small command such as
``vsbengine explain`` starts quickly.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from vsbengine.errors import (
    ConfigError,
    InputError,
    ReferenceDataError,
    TableError,
    VsbEngineError,
)

if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from vsbengine.pipeline import Engine, validate
    from vsbengine.register import Register
    from vsbengine.result import ErrorEntry, Report, Result

__version__ = "0.1.0"

#: Public name -> the module that implements it (imported on first use).
_LAZY = {
    "Engine": "vsbengine.pipeline",
    "validate": "vsbengine.pipeline",
    "ErrorEntry": "vsbengine.result",
    "Register": "vsbengine.register",
    "Report": "vsbengine.result",
    "Result": "vsbengine.result",
}

__all__ = [
    "ConfigError",
    "Engine",
    "ErrorEntry",
    "InputError",
    "ReferenceDataError",
    "Register",
    "Report",
    "Result",
    "TableError",
    "VsbEngineError",
    "__version__",
    "validate",
]


def __getattr__(name: str):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'vsbengine' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # bound once: later lookups do not come here
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
