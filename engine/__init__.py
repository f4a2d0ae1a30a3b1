"""vsbengine: validation of eFact billing files for a Flemish zorgkas.

The public API is bound here from the modules that implement it.
"""

from vsbengine.errors import ConfigError, InputError, ReferenceDataError, VsbEngineError

__version__ = "0.1.0"

__all__ = [
    "ConfigError",
    "InputError",
    "ReferenceDataError",
    "VsbEngineError",
    "__version__",
]
