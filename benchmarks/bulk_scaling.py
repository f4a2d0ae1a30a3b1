"""Bulk runs over many files: 1 worker, 2 workers, a local Dask cluster of 2, in one run.

    python benchmarks/bulk_scaling.py                       # 1000 files of 10000 records
    python benchmarks/bulk_scaling.py --files 100 --records 10000
    python benchmarks/bulk_scaling.py --register --files 200 --records 2000 --rounds 5

``--register`` measures the cost of the sending register instead: the same files, the
same reference data and 2 workers, into an output folder (``bulk --out --refs``:
proposals, no register) and into a fresh register (``bulk --register --refs``), the two
alternated for ``--rounds`` rounds; it prints the medians, their ratio and the cost
per sending (add ``--sign-as`` to sign every acceptance at once on both sides).

The files are generated once into --cache (default: a temporary folder kept for
re-runs); every run writes its answers into a fresh folder under --out. The
runners alternate for --rounds rounds and the best time of each counts (the
machine is shared). Prints the times and the ratios: 2 workers against 1, Dask
against the local pool with 2 workers.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time

from vsbengine import bulk
from vsbengine.formats.efact.generate import generate


def make(cache: str, files: int, records: int) -> list[str]:
    os.makedirs(cache, exist_ok=True)
    paths = []
    for i in range(files):
        path = os.path.join(cache, f"s{i:05d}.920000")
        if not os.path.exists(path):
            # Most accepted (settlement written), some rejected: a realistic night.
            generate(
                records, seed=i, month=202610, error_rate=0.08 if i % 10 == 0 else 0.005
            ).write(path)
        paths.append(path)
    return paths


def timed(label: str, fn, out_root: str | None) -> float:
    out = tempfile.mkdtemp(prefix="vsbengine-bulk-out-", dir=out_root)
    try:
        t = time.perf_counter()
        summary = fn(out)
        elapsed = time.perf_counter() - t
    finally:
        shutil.rmtree(out, ignore_errors=True)
    rate = summary.records / elapsed
    print(f"{label:<28}{elapsed:>9.1f} s {rate:>14,.0f} records/s   {summary.counts}")
    return elapsed


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--files", type=int, default=1000)
    ap.add_argument("--records", type=int, default=10_000)
    ap.add_argument("--cache", default=os.path.join(tempfile.gettempdir(), "vsbengine-bulk-cache"))
    ap.add_argument("--no-dask", action="store_true")
    ap.add_argument("--rounds", type=int, default=2, help="runs of each runner, alternated")
    ap.add_argument(
        "--out",
        default=None,
        help="where the runs write their answers "
        "(default: the temporary folder; /dev/shm keeps the disk out of it)",
    )
    ap.add_argument("--register", action="store_true", help="the register's cost, see above")
    ap.add_argument("--sign-as", default=None, help="with --register: sign off at once")
    args = ap.parse_args(argv)
    cache = os.path.join(args.cache, f"{args.files}x{args.records}")
    t = time.perf_counter()
    paths = make(cache, args.files, args.records)
    print(
        f"{len(paths)} files of about {args.records} records in {cache} "
        f"({time.perf_counter() - t:.0f} s to prepare), {os.cpu_count()} cores"
    )
    for path in paths:  # every runner starts with the files in the page cache
        with open(path, "rb") as fh:
            while fh.read(1 << 24):
                pass
    today = 20261123
    if args.register:
        return register_cost(paths, cache, args, today)
    runners = [
        ("local pool, 1 worker", lambda o: bulk.run_local(paths, o, workers=1, today=today)),
        ("local pool, 2 workers", lambda o: bulk.run_local(paths, o, workers=2, today=today)),
    ]
    if not args.no_dask:
        runners.append(
            (
                "dask local cluster, 2",
                lambda o: bulk.run_dask(paths, o, local_workers=2, today=today),
            )
        )
    best: dict[str, float] = {}
    for _ in range(args.rounds):  # alternate the runners; keep the best of each
        for label, fn in runners:
            best[label] = min(best.get(label, float("inf")), timed(label, fn, args.out))
    one, two = best["local pool, 1 worker"], best["local pool, 2 workers"]
    print(f"\nbest of {args.rounds}: 2 workers {one / two:.2f}x faster than 1", end="")
    if not args.no_dask:
        print(
            f"; dask {best['dask local cluster, 2'] / two - 1:+.1%} against the local pool "
            f"with 2 workers"
        )
    else:
        print()
    return 0


def register_cost(paths: list[str], cache: str, args, today: int) -> int:
    """Median time of a folder run and of a register run over the same files, alternated."""
    import statistics

    refs = os.path.join(cache, "refs")
    if not os.path.isdir(refs):
        # One facility's reference data: the other files fail some content checks, the
        # same way on both sides.
        generate(args.records, seed=0, month=202610, references=True).write_refs(refs)
    common = dict(workers=2, today=today, refs=refs, sign_as=args.sign_as)
    runners = [
        ("folder (--out --refs)", lambda o: bulk.run_local(paths, o, **common)),
        (
            "register (--register --refs)",
            lambda o: bulk.run_local(paths, register=os.path.join(o, "r.register"), **common),
        ),
    ]
    times: dict[str, list[float]] = {label: [] for label, _ in runners}
    for _ in range(args.rounds):
        for label, fn in runners:
            times[label].append(timed(label, fn, args.out))
    plain, reg = (statistics.median(times[label]) for label, _ in runners)
    print(
        f"\nmedians of {args.rounds}: folder {plain:.2f} s, register {reg:.2f} s: "
        f"ratio {reg / plain:.3f}, {(reg - plain) / len(paths) * 1000:+.2f} ms per sending "
        f"({len(paths)} files of {args.records} records, 2 workers"
        + (f", signed as {args.sign_as!r})" if args.sign_as else ")")
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
