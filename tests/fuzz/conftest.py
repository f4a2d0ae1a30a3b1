"""``VSBENGINE_CORE=/path/to/_core.so``: run the fuzz targets on that build of the core
(a sanitizer build, see the README's testing section) instead of the installed one."""

from __future__ import annotations

import importlib.util
import os
import sys

_core = os.environ.get("VSBENGINE_CORE")
if _core:
    import vsbengine

    spec = importlib.util.spec_from_file_location("vsbengine._core", _core)
    module = importlib.util.module_from_spec(spec)
    sys.modules["vsbengine._core"] = module
    spec.loader.exec_module(module)
    vsbengine._core = module
