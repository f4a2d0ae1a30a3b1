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
        from vsbengine.formats.efact.sending import core_tables

        with open(files[n], "rb") as fh:
            self.data = fh.read()
        self.array = np.frombuffer(self.data, dtype=np.uint8)
        self.args = (core_tables(),)
        self.scan = _core.scan

    def time_scan(self, files, n):
        self.scan(self.data, *self.args)

    def time_numpy_sum_baseline(self, files, n):
        self.array.sum(dtype="uint64")

    def track_ratio_reserved_zones(self, files, n):
        """Median over 7 interleaved rounds: the scan / the same scan with the layouts'
        reserved zones not checked (flag z taken out): what "content not zero" costs."""
        import re
        import time

        from vsbengine import _core
        from vsbengine.formats.efact import layouts
        from vsbengine.formats.efact.compiled import Compiled
        from vsbengine.formats.efact.rules import rule_table

        def plain(table: str) -> str:
            return re.sub(r"^(\S+\s+\d+\s+\d+\s+N\s+)zb?( *)", r"\1-  ", table, flags=re.M)

        without = Compiled({k: (length, plain(t)) for k, (length, t) in layouts.SENDING.items()})
        other = (_core.CoreTables(without, rule_table(without)),)
        ratios = []
        for _ in range(7):
            t = time.perf_counter()
            self.scan(self.data, *other)
            base = time.perf_counter() - t
            t = time.perf_counter()
            self.scan(self.data, *self.args)
            ratios.append((time.perf_counter() - t) / base)
        return sorted(ratios)[3]

    track_ratio_reserved_zones.unit = "ratio"
