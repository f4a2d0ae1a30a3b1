"""vsbengine.formats.efact.chunks: a big file in chunks, bounded memory, threads."""

from __future__ import annotations

from .common import TODAY, sending_files


class Streamed:
    params = [1, 2]
    param_names = ["threads"]
    timeout = 900

    def setup_cache(self):
        return sending_files([1_000_000])[1_000_000]

    def setup(self, path, threads):
        import vsbengine

        self.engine = vsbengine.Engine(today=TODAY, memory_limit=256 << 20, threads=threads)
        self.whole = vsbengine.Engine(today=TODAY)

    def time_streamed(self, path, threads):
        self.engine.validate(path)

    def peakmem_streamed(self, path, threads):
        self.engine.validate(path)

    def peakmem_whole(self, path, threads):
        self.whole.validate(path)
