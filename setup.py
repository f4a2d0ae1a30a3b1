"""Build script: the Cython core and the folder-to-package mapping.

The repository keeps its top level fixed (``engine/``, ``formats/``, ``cli/``);
``package-dir`` maps them into one import package, ``vsbengine``.
"""

import os

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

extensions = [
    Extension(
        "vsbengine._core",
        ["engine/_core.pyx"],
        depends=["engine/_kernels.h"],
        include_dirs=[numpy.get_include(), "engine"],
        define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
        extra_compile_args=_cflags,
    )
]

setup(
    packages=_packages(),
    package_dir=ROOTS,
    ext_modules=cythonize(extensions, language_level=3),
)
