"""What writing the answers costs on top of validating, measured the way users run it.

    python benchmarks/outputs.py                       # 1M records, 5 rounds
    python benchmarks/outputs.py --records 200000 --rounds 3 --bulk-files 100

Each pair of commands runs interleaved, ``--rounds`` times, in fresh processes (the
CLI as a user starts it); the medians and their ratio are printed:

- ``validate FILE`` against ``validate FILE --out DIR`` (target: at most 1.3x);
- ``validate FILE --refs R`` against ``validate FILE --refs R --out DIR --sign-as X``
  (at most 1.5x);
- the peak memory (VmHWM) of ``validate FILE --out DIR --memory-limit 256M`` (within
  the limit) and of the plain validation; in one piece (no limit), of ``validate``,
  ``validate --out`` and ``validate --refs --out --sign-as``, against the file's size;
- a bulk run writing the answers against one that only validates, over
  ``--bulk-files`` files of ``--bulk-records`` records (throughput at least 0.7x);
- the core's scans per command (each command scans the sending once).

Outputs go to ``--out`` (default ``/dev/shm`` when it exists: the cost of the writers,
not of the disk); ``--out .`` measures on the disk, fsync included.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

TODAY = "2026-11-23"

# Runs the CLI in this process and reports the peak memory and the scans on stderr.
_RUN = """
import sys
from vsbengine import _core
from vsbengine.cli.main import main
sys.argv = ["vsbengine", *sys.argv[1:]]
try:
    main()
except SystemExit:
    pass
finally:
    with open("/proc/self/status") as fh:
        peak = next(int(x.split()[1]) for x in fh if x.startswith("VmHWM"))
    print(f"@@ {peak} {_core.scan_counts().scans}", file=sys.stderr)
"""


def run(args: list[str]) -> tuple[float, int, int]:
    """Seconds, peak memory (KB) and full scans of one CLI command in a fresh process
    (its CPU seconds, user and system, go to ``CPU``)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", _RUN, *args], capture_output=True, text=True, check=False
    )
    elapsed = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    CPU.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    if done.returncode not in (0, 1):
        raise SystemExit(f"failed: vsbengine {' '.join(args)}\n{done.stderr}")
    line = next(x for x in done.stderr.splitlines() if x.startswith("@@ "))
    _, peak, scans = line.split()
    return elapsed, int(peak), int(scans)


def pair(label: str, base: list[str], with_out, rounds: int) -> float:
    """Run ``base`` and ``with_out(folder)`` interleaved; print the medians of the wall
    time and of the CPU time, and their ratios."""
    a, b, ca, cb = [], [], [], []
    scans = []
    for _ in range(rounds):
        a.append(run(base)[0])
        ca.append(CPU[-1])
        folder = tempfile.mkdtemp(prefix="vsbengine-out-", dir=OUT)
        shutil.rmtree(folder)
        try:
            t, _, n = run(with_out(folder))
            b.append(t)
            cb.append(CPU[-1])
            scans.append(n)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
    ma, mb = statistics.median(a), statistics.median(b)
    cpu_a, cpu_b = statistics.median(ca), statistics.median(cb)
    print(
        f"{label}: {ma:.2f} s -> {mb:.2f} s = {mb / ma:.2f}x wall; CPU {cpu_a:.2f} s -> "
        f"{cpu_b:.2f} s = {cpu_b / cpu_a:.2f}x (scans: {max(scans)})"
    )
    return mb / ma


def validate_only(
    path, out, today=None, refs=None, skip=frozenset(), memory_limit=None, sign_as=None
):
    """A bulk task that validates like bulk.validate_file and writes nothing."""
    from vsbengine import bulk

    t0 = time.perf_counter()
    result = bulk.engine_for(today, refs, memory_limit).validate(path)
    return bulk.Outcome(
        path,
        "accepted" if result.accepted else "rejected_sending",
        hash=bulk.content_hash(path),
        records_total=result.records_total,
        seconds=time.perf_counter() - t0,
    )


def bulk_pair(files: int, records: int, rounds: int, workers: int) -> float:
    from vsbengine import bulk
    from vsbengine.formats.efact.generate import generate

    cache = os.path.join(tempfile.gettempdir(), f"vsbengine-outputs-bulk-{files}x{records}")
    os.makedirs(cache, exist_ok=True)
    for i in range(files):
        path = os.path.join(cache, f"s{i:05d}.920000")
        if not os.path.exists(path):
            rate = 0.08 if i % 10 == 0 else 0.005
            generate(records, seed=i, month=202610, error_rate=rate).write(path)
    rates: dict[str, list[float]] = {"validate": [], "write": []}
    for _ in range(rounds):
        for label, task in (("validate", validate_only), ("write", bulk.validate_file)):
            out = tempfile.mkdtemp(prefix="vsbengine-bulk-", dir=OUT)
            try:
                t = time.perf_counter()
                s = bulk.run_local([cache], out, workers=workers, today=20261123, task=task)
                bad = [o for o in s.files if o.outcome == "unreadable"]
                if bad:  # a task that fails measures nothing
                    raise SystemExit(f"{label}: {bad[0].path}: {bad[0].reason}")
                rates[label].append(s.records / (time.perf_counter() - t))
            finally:
                shutil.rmtree(out, ignore_errors=True)
    v, w = statistics.median(rates["validate"]), statistics.median(rates["write"])
    print(
        f"bulk, {files} files of {records} records, {workers} workers: validating "
        f"{v:,.0f} records/s, writing the answers {w:,.0f} records/s = {w / v:.2f}x"
    )
    return w / v


def main(argv=None) -> int:
    global OUT
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--records", type=int, default=1_000_000)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--bulk-files", type=int, default=1000)
    ap.add_argument("--bulk-records", type=int, default=10_000)
    ap.add_argument("--bulk-rounds", type=int, default=2)
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--out", default="/dev/shm" if os.path.isdir("/dev/shm") else None)
    ap.add_argument("--skip", default="", help="comma-separated: out,refs,memory,bulk")
    ap.add_argument(
        "--echo", default="errors", choices=("errors", "all"), help="which records are echoed"
    )
    args = ap.parse_args(argv)
    OUT = args.out
    skip = set(args.skip.split(","))

    from vsbengine.formats.efact.generate import generate

    data = os.path.join(tempfile.gettempdir(), f"vsbengine-outputs-{args.records}")
    path, refs = os.path.join(data, "sending.920000"), os.path.join(data, "refs")
    if not os.path.exists(path):
        os.makedirs(data, exist_ok=True)
        g = generate(args.records, seed=7, month=202610, error_rate=0.005, references=True)
        g.write(path)
        g.write_refs(refs)
    size = os.path.getsize(path)
    print(f"{path}: {size / 1e6:.0f} MB; outputs in {OUT or 'the temporary folder'}")
    common = [path, "--today", TODAY]
    echo = ["--echo", args.echo]
    if "out" not in skip:
        pair(
            "validate / --out",
            ["validate", *common],
            lambda d: ["validate", *common, "--out", d, *echo],
            args.rounds,
        )
    if "refs" not in skip:
        with_refs = ["validate", *common, "--refs", refs]
        pair(
            "validate --refs / --refs --out --sign-as",
            with_refs,
            lambda d: [*with_refs, "--out", d, "--sign-as", "bench", *echo],
            args.rounds,
        )
    if "memory" not in skip:

        def peak(args: list[str], out: bool) -> tuple[int, int]:
            """Peak (KB) and full scans of a command, with a fresh --out folder."""
            folder = tempfile.mkdtemp(prefix="vsbengine-out-", dir=OUT)
            shutil.rmtree(folder)
            try:
                _, kb, scans = run([*args, "--out", folder] if out else args)
            finally:
                shutil.rmtree(folder, ignore_errors=True)
            return kb, scans

        limited = ["validate", *common, "--memory-limit", "256M"]
        with_out, scans = peak([*limited, *echo], True)
        plain, _ = peak(limited, False)
        print(
            f"peak with --out --memory-limit 256M: {with_out // 1024} MB (limit 256 MB, "
            f"{scans} chunk scans); validating alone {plain // 1024} MB"
        )
        # In one piece (no limit), against the file's size: the file is mapped and its
        # pages go back behind the scan and the digest.
        whole = {
            "validate": peak(["validate", *common], False)[0],
            "validate --out": peak(["validate", *common, *echo], True)[0],
            "validate --refs --out --sign-as": peak(
                ["validate", *common, "--refs", refs, "--sign-as", "bench", *echo], True
            )[0],
        }
        print(
            "peak in one piece: "
            + ", ".join(f"{k} {kb // 1024} MB ({kb * 1024 / size:.2f}x)" for k, kb in whole.items())
        )
    if "bulk" not in skip:
        bulk_pair(args.bulk_files, args.bulk_records, args.bulk_rounds, args.workers)
    return 0


OUT: str | None = None
CPU: list[float] = []

if __name__ == "__main__":
    sys.exit(main())
