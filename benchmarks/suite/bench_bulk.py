"""vsbengine.bulk: many files on a pool of processes (and Dask when installed)."""

from __future__ import annotations

import os
import shutil
import tempfile

from .common import TODAY


class Bulk:
    params = [1, 2]
    param_names = ["workers"]
    timeout = 900
    number = 1
    repeat = 3

    def setup_cache(self):
        from vsbengine.formats.efact.generate import generate

        folder = tempfile.mkdtemp(prefix="vsbengine-bench-bulk-")
        for i in range(40):
            generate(10_000, seed=i, month=202610, error_rate=0.005).write(
                os.path.join(folder, f"s{i:03d}.920000")
            )
        return folder

    def setup(self, folder, workers):
        self.out = tempfile.mkdtemp()

    def teardown(self, folder, workers):
        shutil.rmtree(self.out, ignore_errors=True)

    def time_local_pool(self, folder, workers):
        from vsbengine import bulk

        bulk.run_local([folder], self.out, workers=workers, today=TODAY, force=True)

    def time_dask_local_cluster(self, folder, workers):
        try:
            import dask.distributed  # noqa: F401
        except ImportError:
            raise NotImplementedError("dask is not installed") from None
        from vsbengine import bulk

        bulk.run_dask([folder], self.out, local_workers=workers, today=TODAY, force=True)
