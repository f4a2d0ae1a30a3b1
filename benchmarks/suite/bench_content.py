"""vsbengine with reference data: content checks (formats/efact/checks/content.py) and
loading the reference data (formats/efact/refs.py)."""

from __future__ import annotations

import os
import tempfile
import time

from .common import TODAY


def _members(folder: str, total: int) -> None:
    """Pad the generated member file to ``total`` rows (the zorgkas's other members)."""
    path = os.path.join(folder, "members.csv")
    with open(path) as fh:
        have = sum(1 for _ in fh) - 1
    with open(path, "a") as fh:
        step = 1_000_000
        for start in range(0, max(total - have, 0), step):
            n = min(step, total - have - start)
            fh.write(
                "".join(f"{10_000_000_000 + 97 * (start + i)},131,2000-01-01,,\n" for i in range(n))
            )


class ContentChecks:
    """One million records against one million members."""

    params = [100_000, 1_000_000]
    param_names = ["records"]
    timeout = 900

    def setup_cache(self):
        from vsbengine.formats.efact.generate import generate

        folder = tempfile.mkdtemp(prefix="vsbengine-bench-content-")
        out = {}
        for n in self.params:
            g = generate(n, seed=n, month=202610, references=True, error_rate=0.005)
            path = os.path.join(folder, f"s{n}.920000")
            refs = os.path.join(folder, f"refs{n}")
            g.write(path)
            g.write_refs(refs)
            _members(refs, 1_000_000)
            out[n] = (path, refs)
        return out

    def setup(self, files, n):
        import vsbengine

        path, refs = files[n]
        with open(path, "rb") as fh:
            self.data = fh.read()
        self.engine = vsbengine.Engine(refs, today=TODAY)
        self.engine.validate(self.data)

    def time_validate_with_content(self, files, n):
        self.engine.validate(self.data)

    def track_megabytes_per_second(self, files, n):
        best = float("inf")
        for _ in range(3):
            t = time.perf_counter()
            self.engine.validate(self.data)
            best = min(best, time.perf_counter() - t)
        return len(self.data) / best / 1e6

    track_megabytes_per_second.unit = "MB/s"


class LoadReferences:
    params = [1_000_000, 10_000_000]
    param_names = ["members"]
    timeout = 900

    def setup_cache(self):
        from vsbengine.formats.efact.generate import generate

        out = {}
        for n in self.params:
            folder = tempfile.mkdtemp(prefix="vsbengine-bench-refs-")
            generate(1000, seed=1, month=202610, references=True).write_refs(folder)
            _members(folder, n)
            out[n] = folder
        return out

    def time_load(self, folders, n):
        from vsbengine.formats.efact import refs

        refs.load(folders[n])

    def peakmem_load(self, folders, n):
        from vsbengine.formats.efact import refs

        refs.load(folders[n])
