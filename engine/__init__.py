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

__all__ = [
    "ConfigError",
    "Engine",
    "ErrorEntry",
    "InputError",
    "ReferenceDataError",
    "Report",
    "Result",
    "VsbEngineError",
    "__version__",
    "validate",
]
