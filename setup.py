"""Build script: the Cython core and the folder-to-package mapping.

The repository keeps its top level fixed (``engine/``, ``formats/``, ``cli/``);
``package-dir`` maps them into one import package, ``vsbengine``.
"""

import os
import shutil

import numpy
from Cython.Build import cythonize
from setuptools import Extension, find_packages, setup

ROOTS = {"vsbengine": "engine", "vsbengine.formats": "formats", "vsbengine.cli": "cli"}


def _packages():
    found = []
    for name, folder in ROOTS.items():
        found.append(name)
        found += [f"{name}.{sub}" for sub in find_packages(folder)]
    return found


# Portable by default; VSBENGINE_NATIVE=1 tunes the core for the building machine.
_cflags = ["-O3"]
if os.environ.get("VSBENGINE_NATIVE") == "1":
    _cflags.append("-march=native")


def _cython_include() -> str:
    """A folder in which ``vsbengine/`` is ``engine/``: Cython finds a module's ``.pxd``
    (``engine/_core.pxd``) by the package name it is imported as."""
    root = os.path.join("build", "cython-include")
    link = os.path.join(root, "vsbengine")
    os.makedirs(root, exist_ok=True)
    if not os.path.exists(link):
        try:
            os.symlink(os.path.abspath("engine"), link, target_is_directory=True)
        except OSError:  # no symlinks here: copy the declarations
            os.makedirs(link, exist_ok=True)
            for name in os.listdir("engine"):
                if name.endswith((".pxd", ".h")) or name == "__init__.py":
                    shutil.copy(os.path.join("engine", name), link)
    return root


extensions = [
    Extension(
        "vsbengine._core",
        ["engine/_core.pyx"],
        depends=[
            "engine/_arrays.h",
            "engine/_kernels.h",
            "engine/_rules.h",
            "engine/_layouts.h",
            "engine/_core.pxd",
        ],
        include_dirs=[numpy.get_include(), "engine"],
        # NEP 49's memory handlers (the kept array blocks) need the 1.22 API.
        define_macros=[
            ("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION"),
            ("NPY_TARGET_VERSION", "NPY_1_22_API_VERSION"),
        ],
        extra_compile_args=_cflags,
    )
]

setup(
    packages=_packages(),
    package_dir=ROOTS,
    ext_modules=cythonize(extensions, language_level=3, include_path=[_cython_include()]),
)
