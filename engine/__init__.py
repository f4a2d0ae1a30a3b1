"""vsbengine: validation of eFact billing files for a Flemish zorgkas.

The public API is bound here from the modules that implement it::

    import vsbengine
    result = vsbengine.validate("sending.920000")
    result.technical, result.decision, result.error_ratio, result.errors
"""

from vsbengine.errors import ConfigError, InputError, ReferenceDataError, VsbEngineError
from vsbengine.pipeline import Engine, validate
from vsbengine.result import ErrorEntry, Report, Result

__version__ = "0.1.0"


def __getattr__(name: str):
    # The register (sqlite3 and friends) is imported when first used, not by every
    # ``import vsbengine``: a plain validation keeps its memory for the file.
    if name == "Register":
        from vsbengine.register import Register

        return Register
    raise AttributeError(f"module 'vsbengine' has no attribute {name!r}")


__all__ = [
    "ConfigError",
    "Engine",
    "ErrorEntry",
    "InputError",
    "ReferenceDataError",
    "Register",
    "Report",
    "Result",
    "VsbEngineError",
    "__version__",
    "validate",
]
