#!/bin/sh
# Build the core with AddressSanitizer and UndefinedBehaviorSanitizer into
# build/sanitized/_core.so (the installed core is left alone), then print the
# command that runs the fuzz targets on it. Needs gcc (or clang: CC=clang) and Cython.
set -eu
cd "$(dirname "$0")/../.."
out=build/sanitized
mkdir -p "$out/include"
ln -sfn "$PWD/engine" "$out/include/vsbengine"
cython -3 -I "$out/include" engine/_core.pyx -o "$out/_core.c"
py_include=$(python -c "import sysconfig; print(sysconfig.get_paths()['include'])")
np_include=$(python -c "import numpy; print(numpy.get_include())")
${CC:-gcc} -shared -fPIC -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
    -DNPY_NO_DEPRECATED_API=NPY_1_7_API_VERSION -I"$py_include" -I"$np_include" -Iengine \
    "$out/_core.c" -o "$out/_core.so"
cc=${CC:-gcc}
echo "built $out/_core.so; run the fuzz targets on it with:"
echo "LD_PRELOAD=\"\$($cc -print-file-name=libasan.so) \$($cc -print-file-name=libubsan.so)\"" \
    "ASAN_OPTIONS=detect_leaks=0 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1" \
    "VSBENGINE_CORE=$out/_core.so VSBENGINE_FUZZ_EXAMPLES=100000" \
    "python -m pytest -x -p no:cacheprovider tests/fuzz"
