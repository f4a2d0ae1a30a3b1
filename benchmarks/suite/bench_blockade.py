"""Benchmarks of the blockade side: build and reconcile on generated inputs.

asv runs the classes (``time_*``, ``peakmem_*``, ``track_*``). Run directly for
one figure without asv, for instance ten million actions and invoice lines on
one core::

    python benchmarks/suite/bench_blockade.py --rows 10000000 --cores 1

The direct run generates the inputs once into a cache folder, then times each
stage in a fresh child process (so peak memory is the build's own). Rounds are
interleaved (parse, build, reconcile, then again), so that the shared machine's
load falls on all three alike; it reports the medians, rows per second and the
build's ratio to the time pyarrow needs only to parse the same files (the median
of the per-round ratios).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import ClassVar

DATE = dt.date(2024, 3, 21)


def _inputs(folder: Path) -> dict[str, Path]:
    return {
        "controls": folder / "controls.csv",
        "actions": folder / "actions.csv",
        "loids": folder / "loids.csv",
        "lines": folder / "invoice_lines.csv",
    }


def _generated(root: Path, rows: int) -> Path:
    from vsbengine.formats.blockade.generate import generate

    folder = root / f"rows-{rows}"
    if not (folder / "run.csv").is_file():
        generate(folder, actions=rows, lines=rows, seed=1)
    return folder


def _read_only(folder: Path) -> None:
    """The floor: pyarrow parsing the four inputs, nothing else."""
    import pyarrow.csv as pacsv

    for path in _inputs(folder).values():
        pacsv.read_csv(path, parse_options=pacsv.ParseOptions(delimiter=";"))


class BlockadeSuite:
    """Build a list, and reconcile a run against it, for growing inputs."""

    params: ClassVar[list[int]] = [10_000, 100_000, 1_000_000, 10_000_000]
    param_names: ClassVar[list[str]] = ["rows"]
    timeout = 900
    number = 1
    repeat = 3

    def setup_cache(self):
        root = Path(tempfile.gettempdir()) / "vsbengine-bench-blockade"
        for rows in self.params:
            _generated(root, rows)
        return str(root)

    def setup(self, root, rows):
        self.folder = Path(root) / f"rows-{rows}"
        self.out = Path(tempfile.mkdtemp(prefix="blockade-out-"))
        from vsbengine.formats.blockade import build

        self.list_dir = self.out / "list"
        build(**_inputs(self.folder), date=DATE, out=self.list_dir)

    def teardown(self, root, rows):
        import shutil

        shutil.rmtree(self.out, ignore_errors=True)

    def time_build(self, root, rows):
        from vsbengine.formats.blockade import build

        build(**_inputs(self.folder), date=DATE, out=self.out / "again")

    def peakmem_build(self, root, rows):
        from vsbengine.formats.blockade import build

        build(**_inputs(self.folder), date=DATE, out=self.out / "again")

    def time_reconcile(self, root, rows):
        from vsbengine.formats.blockade import reconcile

        reconcile(
            blockade=self.list_dir,
            run=self.folder / "run.csv",
            run_date=DATE + dt.timedelta(days=1),
            out=self.out / "reconcile",
        )

    def time_read_only(self, root, rows):
        _read_only(self.folder)

    def track_build_rows_per_second(self, root, rows):
        from vsbengine.formats.blockade import build

        start = time.perf_counter()
        build(**_inputs(self.folder), date=DATE, out=self.out / "again")
        return 2 * rows / (time.perf_counter() - start)

    track_build_rows_per_second.unit = "rows/s"


# -- direct run -----------------------------------------------------------------------------------


def _child(stage: str, folder: str, out: str, cores: int) -> None:
    """Run one stage in this (fresh) process; print wall seconds and peak RSS."""
    import pyarrow as pa

    if cores:
        os.sched_setaffinity(0, set(range(cores)))
        pa.set_cpu_count(cores)
        pa.set_io_thread_count(cores)
    from vsbengine.formats.blockade import build, reconcile

    # pyarrow imports pandas (when installed) on its first conversion of a Python
    # value: an import like the others, done before the clock for every stage alike.
    pa.scalar(0)
    with open("/proc/self/statm") as statm:  # resident pages once everything is imported
        baseline = int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    source = Path(folder)
    start = time.perf_counter()
    if stage == "build":
        build(**_inputs(source), date=DATE, out=Path(out) / "list")
    elif stage == "reconcile":
        reconcile(
            blockade=Path(out) / "list",
            run=source / "run.csv",
            run_date=DATE + dt.timedelta(days=1),
            out=Path(out) / "reconcile",
        )
    else:
        _read_only(source)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{seconds:.3f} {peak:.0f} {baseline:.0f}")


def _measure(stage: str, folder: Path, out: Path, cores: int) -> tuple[float, float, float]:
    done = subprocess.run(
        [sys.executable, __file__, "--child", stage, str(folder), str(out), str(cores)],
        check=True,
        capture_output=True,
        text=True,
    )
    seconds, peak, baseline = done.stdout.split()
    return float(seconds), float(peak), float(baseline)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="actions and invoice lines")
    parser.add_argument("--cores", type=int, default=0, help="pin to this many cores (0: all)")
    parser.add_argument("--repeat", type=int, default=5, help="interleaved rounds")
    parser.add_argument(
        "--cache", type=Path, default=Path(tempfile.gettempdir()) / "vsbengine-bench-blockade"
    )
    args = parser.parse_args(argv)

    folder = _generated(args.cache, args.rows)
    size = sum(p.stat().st_size for p in _inputs(folder).values()) / 1e6
    print(
        f"inputs: {args.rows:,} actions + {args.rows:,} invoice lines, {size:,.0f} MB; "
        f"cores: {args.cores or os.cpu_count()}"
    )
    stages = ("read_only", "build", "reconcile")
    runs: dict[str, list[tuple[float, float, float]]] = {stage: [] for stage in stages}
    with tempfile.TemporaryDirectory(prefix="blockade-bench-") as out:
        for _ in range(args.repeat):
            for stage in stages:
                runs[stage].append(_measure(stage, folder, Path(out), args.cores))
    for stage in stages:
        seconds = statistics.median(r[0] for r in runs[stage])
        peak = max(r[1] - r[2] for r in runs[stage])
        print(
            f"{stage:10s} median of {args.repeat}: {seconds:7.2f} s   "
            f"peak RSS {peak:7,.0f} MB above the imports"
        )
    build_s = statistics.median(r[0] for r in runs["build"])
    ratio = statistics.median(b[0] / r[0] for b, r in zip(runs["build"], runs["read_only"]))
    peak = max(r[1] - r[2] for r in runs["build"])
    print(
        f"build: {2 * args.rows / build_s:,.0f} rows/s; "
        f"{ratio:.1f}x the time pyarrow needs to parse the inputs (median of the rounds); "
        f"peak RSS above the imports {peak / size:.1f}x the input size"
    )


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        _child(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]))
    else:
        main()
