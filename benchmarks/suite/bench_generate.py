"""vsbengine.formats.efact.generate: synthetic sendings."""

from __future__ import annotations


class Generate:
    params = [10_000, 100_000, 1_000_000]
    param_names = ["records"]
    timeout = 600

    def time_generate(self, n):
        from vsbengine.formats.efact.generate import generate

        generate(n, seed=1, month=202610, error_rate=0.01)
