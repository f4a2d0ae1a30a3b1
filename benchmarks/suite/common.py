"""Shared fixtures of the benchmarks: generated sendings written once per run."""

from __future__ import annotations

import os
import tempfile

#: Sizes (records 10-90) every benchmark runs over.
SIZES = [1_000, 10_000, 100_000, 1_000_000]
TODAY = 20261123


def sending_files(sizes=SIZES, error_rate: float = 0.0) -> dict[int, str]:
    """Write one generated sending per size into a temporary folder; return the paths."""
    from vsbengine.formats.efact.generate import generate

    folder = tempfile.mkdtemp(prefix="vsbengine-bench-")
    paths = {}
    for n in sizes:
        path = os.path.join(folder, f"sending-{n}-{error_rate}.920000")
        generate(n, seed=n, month=202610, error_rate=error_rate).write(path)
        paths[n] = path
    return paths
