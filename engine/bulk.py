"""Nightly bulk runs: many billing files, all cores or a Dask cluster, nothing lost.

Every input file gets exactly one outcome:

``accepted``            DF011 + DF014 (+ DF015)
``rejected_technical``  DF012
``rejected_sending``    DF011 + DF013
``unreadable``          the file could not be used (missing, empty, not a billing
                        file), or its worker died on it twice
``skipped``             its content was processed by an earlier run (same hash)

Output folder layout::

    OUT/<file name>.<hash 12>/     the answers (DF011..DF015) and report.json
    OUT/summary.json               one entry per input file, and the counts
    OUT/processed.jsonl            one line per file content processed: the resume log

A worker that dies does not take other files with it: the files it held are
run again one at a time, and the one that kills its worker again is reported.
"""

from __future__ import annotations

import glob
import hashlib
import json
import os
import sys
import time
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool

import msgspec

from vsbengine.errors import ConfigError, VsbEngineError

OUTCOMES = ("accepted", "rejected_technical", "rejected_sending", "unreadable", "skipped")
LOG = "processed.jsonl"
SUMMARY = "summary.json"


class Outcome(msgspec.Struct, omit_defaults=True):
    """The outcome of one input file."""

    path: str
    outcome: str
    hash: str | None = None
    messages: list[str] = []
    records_total: int = 0
    records_rejected: int = 0
    error_ratio: float = 0.0
    errors: int = 0
    output: str | None = None
    reason: str | None = None
    seconds: float = 0.0


class Summary(msgspec.Struct):
    """The machine-readable summary of a bulk run (``OUT/summary.json``)."""

    runner: str
    workers: int
    elapsed: float
    records: int
    counts: dict[str, int]
    files: list[Outcome]


# -- inputs --------------------------------------------------------------------------------


def collect(inputs: Iterable[str]) -> list[str]:
    """The files of the inputs: a folder gives every file under it (hidden ones and
    unfinished ``.part`` files excepted), a glob its matches, a path itself (even when
    missing: it will be reported). Sorted, without duplicates."""
    found: list[str] = []
    for item in inputs:
        if os.path.isdir(item):
            for root, dirs, files in os.walk(item):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                found += [
                    os.path.join(root, f)
                    for f in files
                    if not f.startswith(".") and not f.endswith(".part")
                ]
        elif glob.has_magic(item):
            matches = [p for p in glob.glob(item, recursive=True) if os.path.isfile(p)]
            if not matches:
                raise ConfigError(f"no file matches {item!r}")
            found += matches
        else:
            found.append(item)
    return sorted(dict.fromkeys(os.path.normpath(p) for p in found))


def content_hash(path: str) -> str:
    """BLAKE2b of the file's content (hex): what a resumed run recognises."""
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, lambda: hashlib.blake2b(digest_size=16)).hexdigest()


def read_log(out: str) -> dict[str, dict]:
    """Content hash -> the outcome recorded by earlier runs in ``OUT/processed.jsonl``."""
    done: dict[str, dict] = {}
    path = os.path.join(out, LOG)
    if not os.path.exists(path):
        return done
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            try:
                entry = json.loads(line)
            except json.JSONDecodeError:
                continue  # a line cut by an interrupted run
            if entry.get("hash") and entry.get("outcome") in OUTCOMES[:3]:
                done[entry["hash"]] = entry
    return done


# -- the task (runs in the workers) ----------------------------------------------------------

_ENGINES: dict[tuple, object] = {}

_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # mallopt parameters of glibc's malloc.h


def tune_malloc() -> bool:
    """In a worker process we own (glibc only): keep the engine's short-lived arrays of
    up to 32 MB on the heap instead of mapping them fresh for every file.

    glibc starts by mapping every block above 128 KB and unmapping it on free, so each
    file faults its column arrays in again; its adaptive rule raises that threshold
    step by step as such blocks are freed, and not at all once a threshold was set
    (Dask sets one through the environment). Fixing both thresholds (mapping above
    32 MB, giving memory back above 64 MB free) is where the adaptive rule ends, from
    the first file on: about a fifth less time per file on 10,000-record sendings.
    Returns whether the settings were applied.
    """
    import ctypes
    import platform

    if platform.libc_ver()[0] != "glibc":
        return False
    try:
        libc = ctypes.CDLL(None)
        return bool(
            libc.mallopt(_M_MMAP_THRESHOLD, 32 << 20) and libc.mallopt(_M_TRIM_THRESHOLD, 64 << 20)
        )
    except (OSError, AttributeError):
        return False


def _engine(today, refs, memory_limit):
    """One engine per worker process and configuration (reference data loaded once)."""
    key = (today, refs, memory_limit)
    engine = _ENGINES.get(key)
    if engine is None:
        import vsbengine

        kwargs = {"today": today, "memory_limit": memory_limit}
        if refs is not None:
            kwargs["refs"] = refs
        engine = _ENGINES[key] = vsbengine.Engine(**kwargs)
    return engine


def validate_file(
    path: str,
    out: str,
    today=None,
    refs=None,
    skip: frozenset = frozenset(),
    memory_limit: int | None = None,
) -> Outcome:
    """Validate one file and write its answers; never raises for a bad file."""
    from vsbengine import outputs

    t0 = time.perf_counter()
    try:
        digest = content_hash(path)
    except OSError as exc:
        return Outcome(
            path, "unreadable", reason=exc.strerror or str(exc), seconds=time.perf_counter() - t0
        )
    if digest in skip:
        return Outcome(path, "skipped", hash=digest, seconds=time.perf_counter() - t0)
    try:
        result = _engine(today, refs, memory_limit).validate(path)
        folder = os.path.join(out, f"{os.path.basename(path)}.{digest[:12]}")
        outputs.write(result, folder, result.messages)
    except VsbEngineError as exc:
        return Outcome(
            path,
            "unreadable",
            hash=digest,
            reason=getattr(exc, "reason", str(exc)),
            seconds=time.perf_counter() - t0,
        )
    except OSError as exc:
        return Outcome(
            path,
            "unreadable",
            hash=digest,
            reason=exc.strerror or str(exc),
            seconds=time.perf_counter() - t0,
        )
    outcome = (
        "accepted"
        if result.accepted
        else "rejected_technical"
        if result.technical == "DF012"
        else "rejected_sending"
    )
    return Outcome(
        path,
        outcome,
        hash=digest,
        messages=result.messages,
        records_total=result.records_total,
        records_rejected=result.records_rejected,
        error_ratio=result.error_ratio,
        errors=len(result.error_table),
        output=folder,
        seconds=time.perf_counter() - t0,
    )


# -- runners -------------------------------------------------------------------------------


class _Run:
    """Bookkeeping shared by the runners: the log, the outcomes, progress."""

    def __init__(self, paths, out, progress: Callable[[Outcome], None] | None, force: bool):
        self.paths = paths
        self.out = out
        os.makedirs(out, exist_ok=True)
        self.previous = {} if force else read_log(out)
        self.skip = frozenset(self.previous)
        self.outcomes: dict[str, Outcome] = {}
        self.progress = progress
        self._log = open(os.path.join(out, LOG), "a", encoding="utf-8")  # noqa: SIM115 - closed by close()

    def record(self, o: Outcome) -> None:
        if o.outcome == "skipped":
            before = self.previous.get(o.hash, {})
            o.output = before.get("output")
            o.messages = before.get("messages", [])
            o.reason = f"processed before ({before.get('outcome', '?')})"
        elif o.hash and o.outcome != "unreadable":
            self._log.write(
                json.dumps(
                    {
                        "hash": o.hash,
                        "path": o.path,
                        "outcome": o.outcome,
                        "messages": o.messages,
                        "output": o.output,
                    }
                )
                + "\n"
            )
            self._log.flush()
        self.outcomes[o.path] = o
        if self.progress is not None:
            self.progress(o)

    def summary(self, runner: str, workers: int, elapsed: float) -> Summary:
        self._log.close()
        files = [self.outcomes[p] for p in self.paths]
        counts = dict.fromkeys(OUTCOMES, 0)
        for o in files:
            counts[o.outcome] += 1
        s = Summary(
            runner,
            workers,
            round(elapsed, 3),
            sum(o.records_total for o in files if o.outcome != "skipped"),
            counts,
            files,
        )
        tmp = os.path.join(self.out, SUMMARY + ".part")
        with open(tmp, "wb") as fh:
            fh.write(msgspec.json.format(msgspec.json.encode(s)) + b"\n")
        os.replace(tmp, os.path.join(self.out, SUMMARY))
        return s


def run_local(
    inputs,
    out: str,
    *,
    workers: int | None = None,
    today=None,
    refs=None,
    force: bool = False,
    progress=None,
    task=validate_file,
    memory_limit: int | None = None,
) -> Summary:
    """Validate every file of ``inputs`` with a pool of processes (one per core by
    default). ``task`` is the function a worker runs per file (see :func:`validate_file`).

    When a worker dies, the pool is replaced and the files it held run again one at a
    time; a file whose worker dies while it runs alone is reported as unreadable.
    """
    paths = collect(inputs)
    workers = workers or os.cpu_count() or 1
    run = _Run(paths, out, progress, force)
    t0 = time.perf_counter()
    queue, suspects = deque(paths), deque()
    in_flight: dict = {}
    alone = False  # the one file in flight is a suspect, run alone
    pool = ProcessPoolExecutor(workers, initializer=tune_malloc)
    args = (out, today, refs, run.skip, memory_limit)
    try:
        while queue or suspects or in_flight:
            if suspects and not in_flight:
                path = suspects.popleft()
                in_flight[pool.submit(task, path, *args)] = path
                alone = True
            elif not suspects and not alone:
                while queue and len(in_flight) < 2 * workers:
                    path = queue.popleft()
                    in_flight[pool.submit(task, path, *args)] = path
            done, _ = wait(list(in_flight), return_when=FIRST_COMPLETED)
            broke = False
            for fut in done:
                path = in_flight.pop(fut)
                try:
                    run.record(fut.result())
                except BrokenProcessPool:
                    broke = True
                    suspects.append(path)
                except Exception as exc:  # a task failing in a way it did not catch
                    run.record(Outcome(path, "unreadable", reason=f"{type(exc).__name__}: {exc}"))
            if broke:
                suspects.extend(in_flight.values())
                in_flight.clear()
                pool.shutdown(wait=False, cancel_futures=True)
                pool = ProcessPoolExecutor(workers, initializer=tune_malloc)
                if alone:
                    # It ran alone and its worker died: that file is the cause.
                    run.record(Outcome(suspects.pop(), "unreadable", reason="its worker died"))
            if not in_flight:
                alone = False
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    return run.summary("local", workers, time.perf_counter() - t0)


def run_dask(
    inputs,
    out: str,
    *,
    scheduler: str | None = None,
    local_workers: int | None = None,
    today=None,
    refs=None,
    force: bool = False,
    progress=None,
    task=validate_file,
    memory_limit: int | None = None,
    batch: int | None = None,
) -> Summary:
    """The same run on a Dask cluster: an existing scheduler, or a local cluster of
    ``local_workers`` processes on loopback. Needs ``pip install 'vsbengine[distributed]'``;
    the workers need vsbengine installed (a built wheel, see the README).

    Files go to the workers in batches of ``batch`` (default: enough batches to keep
    every worker busy, at most 16 files each); a batch whose worker dies is run again
    file by file, and a file whose worker dies on its own is reported.
    """
    try:
        from dask.distributed import Client, LocalCluster, as_completed
    except ImportError:
        raise ConfigError("Dask is not installed: pip install 'vsbengine[distributed]'") from None
    paths = collect(inputs)
    run = _Run(paths, out, progress, force)
    cluster = None
    t0 = time.perf_counter()
    if scheduler:
        client = Client(scheduler)
    else:
        import dask

        # The workers' stack sampler (every 10 ms) and their frequent monitors cost a
        # few percent of the CPU this job needs: off or slower for the local cluster.
        with dask.config.set(
            {
                "distributed.worker.profile.enabled": False,
                "distributed.admin.system-monitor.interval": "2s",
                "distributed.worker.memory.monitor-interval": "1s",
                "distributed.admin.tick.interval": "200ms",
                # Dask makes glibc give memory back eagerly (64 KB): the workers set their
                # allocator themselves (tune_malloc), as the local pool's do.
                "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None,
            }
        ):
            cluster = LocalCluster(
                n_workers=local_workers or os.cpu_count() or 1,
                threads_per_worker=1,
                processes=True,
                host="127.0.0.1",
                dashboard_address=None,
            )
        client = Client(cluster)
        # The task thread shares the GIL with the worker's event loop, which wants it
        # every switch interval: a longer interval leaves the task alone.
        client.run(sys.setswitchinterval, 0.05)
        client.run(tune_malloc)
    args = (out, today, refs, run.skip, memory_limit)
    try:
        workers = max(len(client.scheduler_info()["workers"]), 1)
        size = batch or max(1, min(16, len(paths) // (8 * workers)))
        batches = [paths[i : i + size] for i in range(0, len(paths), size)]
        pending = {client.submit(_run_batch, task, b, *args, pure=False): b for b in batches}
        done = as_completed(pending)
        for fut in done:
            group = pending.pop(fut)
            try:
                for outcome in fut.result():
                    run.record(outcome)
            except Exception as exc:  # KilledWorker and the like
                if len(group) == 1:
                    run.record(
                        Outcome(
                            group[0], "unreadable", reason=f"its worker died ({type(exc).__name__})"
                        )
                    )
                    continue
                for path in group:  # again, one file per task, to find the one
                    retry = client.submit(_run_batch, task, [path], *args, pure=False)
                    pending[retry] = [path]
                    done.add(retry)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    return run.summary("dask", workers, time.perf_counter() - t0)


def _run_batch(task, paths: list[str], *args) -> list[Outcome]:
    return [task(path, *args) for path in paths]
