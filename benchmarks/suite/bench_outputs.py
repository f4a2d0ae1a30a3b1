"""vsbengine.outputs: validating and writing the answers, against validating alone.

The CLI ratios (fresh processes, the targets of issue 11) come from
``python benchmarks/outputs.py``; these run in one process under asv.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time

from .common import TODAY, sending_files

SIZES = [10_000, 100_000, 1_000_000]


def _out_root() -> str | None:
    return "/dev/shm" if os.path.isdir("/dev/shm") else None


class Outputs:
    params = SIZES
    param_names = ["records"]
    timeout = 900

    def setup_cache(self):
        return sending_files(SIZES, error_rate=0.005)

    def setup(self, files, n):
        import vsbengine

        self.engine = vsbengine.Engine(today=TODAY)
        self.path = files[n]
        self.engine.validate(self.path)  # warm up

    def _write(self, memory_limit=None) -> None:
        from vsbengine import outputs

        engine = self.engine
        if memory_limit is not None:
            import vsbengine

            engine = vsbengine.Engine(today=TODAY, memory_limit=memory_limit)
        folder = tempfile.mkdtemp(prefix="vsbengine-bench-out-", dir=_out_root())
        try:
            result = engine.validate(self.path)
            outputs.write(result, folder, result.messages)
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    def time_validate(self, files, n):
        self.engine.validate(self.path)

    def time_validate_and_write(self, files, n):
        self._write()

    def peakmem_validate_and_write_256m(self, files, n):
        self._write(memory_limit=256 << 20)

    def track_ratio_write_to_validate(self, files, n):
        """Median over 3 rounds, interleaved: (validate + write) / validate."""
        ratios = []
        for _ in range(3):
            t = time.perf_counter()
            self.engine.validate(self.path)
            alone = time.perf_counter() - t
            t = time.perf_counter()
            self._write()
            ratios.append((time.perf_counter() - t) / alone)
        return sorted(ratios)[1]

    track_ratio_write_to_validate.unit = "ratio"
