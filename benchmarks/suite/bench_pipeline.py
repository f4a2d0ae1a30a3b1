"""vsbengine.pipeline: validating a sending end to end (scan, checks, decision)."""

from __future__ import annotations

import time

from .common import SIZES, TODAY, sending_files


class Validate:
    params = SIZES
    param_names = ["records"]
    timeout = 600

    def setup_cache(self):
        return sending_files()

    def setup(self, files, n):
        import vsbengine

        with open(files[n], "rb") as fh:
            self.data = fh.read()
        self.engine = vsbengine.Engine(today=TODAY)
        self.engine.validate(self.data)  # warm up

    def time_validate(self, files, n):
        self.engine.validate(self.data)

    def time_validate_path(self, files, n):
        self.engine.validate(files[n])

    def peakmem_validate_path(self, files, n):
        self.engine.validate(files[n])

    def track_records_per_second(self, files, n):
        best = min(self._once() for _ in range(3))
        return n / best

    track_records_per_second.unit = "records/s"

    def track_megabytes_per_second(self, files, n):
        best = min(self._once() for _ in range(3))
        return len(self.data) / best / 1e6

    track_megabytes_per_second.unit = "MB/s"

    def _once(self):
        t = time.perf_counter()
        self.engine.validate(self.data)
        return time.perf_counter() - t


class ValidateWithErrors:
    """A sending with 2 % of its prestations in error: the error path costs too."""

    params = [100_000]
    param_names = ["records"]

    def setup_cache(self):
        return sending_files(self.params, error_rate=0.02)

    def setup(self, files, n):
        import vsbengine

        with open(files[n], "rb") as fh:
            self.data = fh.read()
        self.engine = vsbengine.Engine(today=TODAY)

    def time_validate_and_list_errors(self, files, n):
        r = self.engine.validate(self.data)
        _ = r.errors
