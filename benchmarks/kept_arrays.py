"""What keeping numpy's large blocks between validations gives, in one run.

``Engine.validate`` keeps the large blocks numpy frees for the next arrays of their
size class (``engine/_arrays.h``); ``Engine(keep_arrays=False)`` takes every array
from the allocator as numpy does by default. This script times both on the sending
of ``compare.py --targets`` (with and without its million members), each
side in processes of its own, alternated (kept, fresh, kept, fresh, ...): a process
warms up, then times ``--rounds`` interleaved rounds of one numpy ``count_nonzero``
pass, ``validate`` and ``validate`` with the content checks, and reports medians.
Each side's times are taken against its own numpy pass, and the kept side's ratios
against the fresh side's of the same pair (the machine is shared: a process that runs
while another job loads it is slower in every job, its ratios much less so).

    python benchmarks/kept_arrays.py                 # 1M records, 4 pairs of 9 rounds
    python benchmarks/kept_arrays.py --pairs 6 --records 200000
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

_SIDE = """
import json, statistics, sys, time
import numpy as np
import vsbengine
path, refs, today, keep, rounds = sys.argv[1:6]
keep, rounds = keep == "1", int(rounds)
with open(path, "rb") as fh:
    data = fh.read()
array = np.frombuffer(data, dtype=np.uint8)
plain = vsbengine.Engine(today=int(today), keep_arrays=keep)
content = vsbengine.Engine(refs, today=int(today), keep_arrays=keep)
jobs = {
    "numpy": lambda: np.count_nonzero(array),
    "validate": lambda: plain.validate(data),
    "content": lambda: content.validate(data),
}
for job in jobs.values():
    job()
times = {name: [] for name in jobs}
for _ in range(rounds):
    for name, job in jobs.items():
        t = time.perf_counter()
        job()
        times[name].append(time.perf_counter() - t)
print(json.dumps({name: statistics.median(ts) for name, ts in times.items()}))
"""


def _side(path: str, refs: str, today: int, keep: bool, rounds: int) -> dict[str, float]:
    args = [sys.executable, "-c", _SIDE, path, refs, str(today), "1" if keep else "0"]
    out = subprocess.run(args + [str(rounds)], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--records", type=int, default=1_000_000)
    ap.add_argument("--pairs", type=int, default=4, help="kept/fresh process pairs")
    ap.add_argument("--rounds", type=int, default=9, help="interleaved rounds per process")
    args = ap.parse_args(argv)
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path.insert(0, here)
    from compare import TODAY, target_files

    with tempfile.TemporaryDirectory(prefix="vsbengine-kept-") as tmp:
        path, refs = target_files(tmp, args.records)
        print(
            f"{args.records} records, {os.path.getsize(path) / 1e6:.0f} MB, "
            f"{os.cpu_count()} cores (shared, noisy); medians of {args.rounds} rounds per "
            f"process, {args.pairs} pairs alternated"
        )
        print(f"{'pair':<6}{'side':<7}{'numpy':>9}{'validate':>11}{'content':>10}")
        ratios: dict[str, list[float]] = {"validate": [], "content": []}
        started = time.perf_counter()
        for pair in range(args.pairs):
            got = {}
            for keep in (True, False):
                got[keep] = m = _side(path, refs, TODAY, keep, args.rounds)
                side = "kept" if keep else "fresh"
                print(
                    f"{pair + 1:<6}{side:<7}{m['numpy'] * 1e3:>7.1f}ms"
                    f"{m['validate'] * 1e3:>9.1f}ms{m['content'] * 1e3:>8.1f}ms",
                    flush=True,
                )
            for job in ratios:
                # Each side against its own numpy pass: a process that ran on a busier
                # machine is slower in every job, its ratios much less so.
                ratios[job].append(
                    (got[True][job] / got[True]["numpy"]) / (got[False][job] / got[False]["numpy"])
                )
        print(
            "kept / fresh (each against its numpy pass), median of the pairs: validate "
            f"{statistics.median(ratios['validate']):.2f}x "
            f"({min(ratios['validate']):.2f}-{max(ratios['validate']):.2f}), content checks "
            f"{statistics.median(ratios['content']):.2f}x "
            f"({min(ratios['content']):.2f}-{max(ratios['content']):.2f}); "
            f"{time.perf_counter() - started:.0f} s"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
