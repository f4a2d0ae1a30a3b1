"""vsbengine._core: the one-pass scan, against one numpy pass over the same bytes."""

from __future__ import annotations

from .common import SIZES, sending_files


class Scan:
    params = SIZES
    param_names = ["records"]
    timeout = 600

    def setup_cache(self):
        return sending_files()

    def setup(self, files, n):
        import numpy as np

        from vsbengine import _core
        from vsbengine.formats.efact.compiled import LAYOUTS
        from vsbengine.formats.efact.sending import core_tables

        with open(files[n], "rb") as fh:
            self.data = fh.read()
        self.array = np.frombuffer(self.data, dtype=np.uint8)
        self.args = (core_tables(), len(LAYOUTS.narrow), len(LAYOUTS.wide))
        self.scan = _core.scan

    def time_scan(self, files, n):
        self.scan(self.data, *self.args)

    def time_numpy_sum_baseline(self, files, n):
        self.array.sum(dtype="uint64")
