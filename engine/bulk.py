"""Nightly bulk runs: many billing files, all cores or a Dask cluster, nothing lost.

Every input file gets exactly one outcome:

``accepted``            DF011 + DF014 (+ DF015; with reference data DF016/DF017 too)
``rejected_technical``  DF012
``rejected_sending``    DF011 + DF013
``waiting``             with reference data: DF011 is out, the proposed DF013 or DF014
                        waits for a person (``vsbengine sign``/``confirm``)
``unreadable``          the file could not be used (missing, empty, not a billing
                        file), or its worker died on it twice
``skipped``             its content was processed before (an earlier run, or an earlier
                        file of this run): ``previous`` says what it had
``interrupted``         the run stopped (Ctrl-C) before this file was done

Two ways to run, with the same runners (a local pool of processes, a Dask cluster, or
in this process):

- **into a folder** (``--out``, this module): the answers of each file go to their own
  folder, ``processed.jsonl`` remembers what was done. One run at a time per folder.
- **into a register** (``--register``, :mod:`vsbengine.receive`): the sending register
  decides identity, resends and sign-off; runs may overlap.

Output folder layout (``--out``)::

    OUT/<file name>.<hash 12>/     the answers (DF011..DF015) and report.json; with
                                   reference data the proposal (see vsbengine.signoff)
    OUT/summary.json               this run: one entry per input file, and the counts
    OUT/runs/<start>-<id>.json     the summary of every run, kept, and its night report
    OUT/runs/<start>-<id>.html     (.html, .csv, .parquet with pyarrow: vsbengine.night)
    OUT/processed.jsonl            one line per file content processed: the resume log

Each file's answers are written into a hidden staging folder and renamed into place
when complete: an interrupted run leaves no half-written folder (what a killed run
leaves in ``OUT/.staging`` is removed by the next run). A worker that dies does not
take other files with it: the files it held are run again one at a time, and the one
that kills its worker again is reported.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import errno
import glob
import json
import os
import secrets
import stat
import sys
import time
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import NamedTuple, Protocol

import msgspec

from vsbengine import digest as content_digest
from vsbengine import fsio, limits, staging
from vsbengine.errors import ConfigError, VsbEngineError

OUTCOMES = (
    "accepted",
    "rejected_technical",
    "rejected_sending",
    "waiting",
    "unreadable",
    "skipped",
    "interrupted",
)
#: Outcomes of a file whose content was processed (a later run skips it).
PROCESSED = ("accepted", "rejected_technical", "rejected_sending", "waiting")
LOG = "processed.jsonl"
SUMMARY = "summary.json"
#: Seconds between two looks at files another process is checking.
POLL = 0.2


class Previous(msgspec.Struct, omit_defaults=True):
    """What a skipped file's content had when it was processed before."""

    outcome: str
    path: str | None = None
    sending: int | None = None
    state: str | None = None
    messages: list[str] = []
    records_total: int | None = None
    records_rejected: int | None = None
    error_ratio: float | None = None
    output: str | None = None


class Outcome(msgspec.Struct, omit_defaults=True):
    """The outcome of one input file (numbers are ``None`` where nothing was counted:
    a skipped or unreadable file)."""

    path: str
    outcome: str
    hash: str | None = None
    messages: list[str] = []
    records_total: int | None = None
    records_rejected: int | None = None
    error_ratio: float | None = None
    errors: int | None = None
    output: str | None = None
    reason: str | None = None
    seconds: float = 0.0
    #: With a register: the sending's number in the register, its state and what it
    #: waits for.
    sending: int | None = None
    state: str | None = None
    waiting_for: str | None = None
    proposed: str | None = None
    #: With a register: the identity codes it was refused with (vsbengine.identity).
    identity_codes: list[str] = []
    #: A skipped file: the outcome its content had.
    previous: Previous | None = None
    #: What the night's report shows of the sending: its facility (record 10 zone 14,
    #: and its name in the reference data), its number (zone 7) and invoiced month, the
    #: amount requested (record 96) and, for a sending accepted or proposed for it, the
    #: amount accepted (cents).
    facility: str | None = None
    facility_name: str | None = None
    sending_number: int | None = None
    invoiced_month: str | None = None
    amount_requested: int | None = None
    amount_accepted: int | None = None


class Summary(msgspec.Struct, omit_defaults=True):
    """The machine-readable summary of a run (``OUT/summary.json``)."""

    runner: str
    workers: int
    elapsed: float
    records: int
    counts: dict[str, int]
    files: list[Outcome]
    started_at: str | None = None
    ended_at: str | None = None
    interrupted: bool = False
    #: With a register: the run's number and the register.
    run: int | None = None
    register: str | None = None


class SummaryNotSaved(VsbEngineError, OSError):
    """A run ended but its summary could not be written (a full disk, say): the summary
    is in :attr:`summary`, the reason in the message (naming the file)."""

    def __init__(self, summary: Summary, exc: OSError) -> None:
        self.summary = summary
        super().__init__(exc.errno, exc.strerror, exc.filename)

    def __str__(self) -> str:
        return f"{self.filename}: {self.strerror} (the run's summary could not be saved)"


# -- inputs --------------------------------------------------------------------------------


def written_by(out=None, register=None) -> tuple[str, ...]:
    """The places a run writes (an output folder; a register, its journals and its
    folder): never inputs of its own, though they may lie in an input folder."""
    places = [] if out is None else [os.fspath(out)]
    if register is not None:
        from vsbengine.register import folders_of

        reg = register.path if hasattr(register, "path") else os.fspath(register)
        places += [reg, reg + "-wal", reg + "-shm", reg + "-journal", str(folders_of(reg))]
    return tuple(os.path.realpath(p) for p in places)


def collect(inputs: Iterable[str], skip: Iterable[str] = ()) -> list[str]:
    """The files of the inputs: a folder gives every file under it (hidden ones and
    unfinished ``.part`` files excepted; linked folders followed, each folder once) and
    every folder under it that cannot be read, a glob its matches, a path itself (even
    when missing: it will be reported). Sorted, without duplicates. ``skip``: real
    paths of files and folders a folder or a glob does not give (:func:`written_by`)."""
    found: list[str] = []
    unread: list[str] = []  # folders that could not be listed
    skip = frozenset(skip)

    def kept(path: str) -> bool:
        return not skip or os.path.realpath(path) not in skip

    for item in inputs:
        if os.path.isdir(item):
            seen: set[tuple[int, int]] = set()
            # A folder that cannot be read is an input too (its outcome says why); a
            # linked folder is walked, once (a link back to a folder walked is not).
            for root, dirs, files in os.walk(
                item, onerror=lambda e: unread.append(e.filename), followlinks=True
            ):
                try:
                    st = os.stat(root)
                except OSError:
                    continue
                if (st.st_dev, st.st_ino) in seen:
                    dirs[:] = []
                    continue
                seen.add((st.st_dev, st.st_ino))
                dirs[:] = sorted(
                    d for d in dirs if not d.startswith(".") and kept(os.path.join(root, d))
                )
                found += [
                    os.path.join(root, f)
                    for f in files
                    if not f.startswith(".") and not f.endswith(".part")
                    and kept(os.path.join(root, f))
                ]  # fmt: skip
        elif glob.has_magic(item):
            matches = [p for p in glob.glob(item, recursive=True) if os.path.isfile(p) and kept(p)]
            if not matches:
                raise ConfigError(f"no file matches {item!r}")
            found += matches
        else:
            found.append(item)
    return sorted(dict.fromkeys(os.path.normpath(p) for p in found + unread))


def content_hash(path: str) -> str:
    """The content digest of a file (:func:`vsbengine.digest.of_file`): what a resumed
    run recognises, and what a proposal and the register record. A path that is not a
    regular file (a named pipe) is refused, not waited on."""
    from vsbengine.source import require_regular

    require_regular(path)
    return content_digest.of_file(path)


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
            if entry.get("hash") and entry.get("outcome") in PROCESSED:
                done[entry["hash"]] = entry
    return done


def now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat()


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


def _watch_parent() -> None:
    """End this worker when the process that started it is gone (killed with -9, its
    pool cannot tell us): a worker must not go on writing for a run that is over."""
    import threading

    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, name="vsbengine-parent-watch", daemon=True).start()


_PR_SET_PDEATHSIG = 1  # prctl option of linux/prctl.h


def _die_with_parent(parent: int) -> bool:
    """Linux: have the kernel SIGKILL this worker the moment its parent (``parent``, the
    pid that started the pool) dies, kill -9 included, not within the watcher's half
    second. Returns whether it was set."""
    import ctypes
    import signal

    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
            return False
    except (OSError, AttributeError):
        return False
    if os.getppid() != parent:  # it died before the request: nobody will send the signal
        os._exit(1)
    return True


def init_worker(parent: int | None = None) -> None:
    """What every worker process of a local pool runs first (``parent``: the pid of the
    process that started the pool)."""
    tune_malloc()
    _die_with_parent(os.getppid() if parent is None else parent)
    _watch_parent()


def engine_for(today, refs, memory_limit):
    """One engine per worker process and configuration (reference data loaded once)."""
    key = (today, refs, memory_limit)
    engine = _ENGINES.get(key)
    if engine is None:
        import vsbengine

        kwargs = {"today": today, "memory_limit": memory_limit}
        if refs is not None:
            kwargs["refs"] = _LOADED.pop(refs, refs)
        engine = _ENGINES[key] = vsbengine.Engine(**kwargs)
    return engine


def unreadable(path: str, exc: Exception, t0: float, digest: str | None = None) -> Outcome:
    """The outcome of a file that could not be used (``exc`` says why)."""
    if isinstance(exc, VsbEngineError):
        reason = getattr(exc, "reason", str(exc))
    else:
        reason = getattr(exc, "strerror", None) or str(exc)
        written = getattr(exc, "filename", None)
        if written and written != path:  # an answer that could not be written
            reason = f"{written}: {reason}"
    return Outcome(path, "unreadable", hash=digest, reason=reason, seconds=time.perf_counter() - t0)


def validate_file(
    path: str,
    out: str,
    today=None,
    refs=None,
    skip: frozenset = frozenset(),
    memory_limit: int | None = None,
    sign_as: str | None = None,
) -> Outcome:
    """Validate one file and write its answers into a new folder under ``out`` (the
    run's staging folder); never raises for a bad file.

    Without reference data every answer is written (a facility's own check); with it
    the technical answer and the proposal are, and the rest waits for a sign-off
    (``sign_as``: sign or confirm at once, as ``validate --sign-as`` does).
    """
    from vsbengine import outputs, signoff

    t0 = time.perf_counter()
    try:
        digest = content_hash(path)
    except (OSError, VsbEngineError) as exc:
        return unreadable(path, exc, t0)
    if digest in skip:
        return Outcome(path, "skipped", hash=digest, seconds=time.perf_counter() - t0)
    folder = os.path.join(out, f"{os.path.basename(path)}.{digest[:12]}")
    waiting = proposed = None
    paid_before: tuple[str, str] | None = None
    try:
        engine = engine_for(today, refs, memory_limit)
        result = engine.validate(path)
        result.digest = digest  # the content's, made above: a proposal needs no other pass
        messages = result.messages
        if refs is None:
            outputs.write(result, folder, result.messages)
        else:
            proposal = signoff.propose(result, folder, engine.refs)
            messages = [result.technical]
            waiting, proposed = proposal["waiting_for"], proposal["proposed"]
            decided = None
            if sign_as and waiting:
                decided, paid_before = _settle_once(path, folder, sign_as, result)
            if decided is not None:
                messages = decided_messages([result.technical], decided)
                waiting = None
    except (VsbEngineError, OSError) as exc:
        return unreadable(path, exc, t0, digest)
    reason = None
    if waiting:
        outcome = "waiting"
        if paid_before is not None:
            reason = (
                f"the same sending ({paid_before[0]}) was decided in {paid_before[1]}: "
                "not signed again unattended (a sending is paid once)"
            )
    elif result.technical == "DF012":
        outcome = "rejected_technical"
    else:
        outcome = "accepted" if result.accepted else "rejected_sending"
    return Outcome(
        path,
        outcome,
        hash=digest,
        messages=messages,
        records_total=result.records_total,
        records_rejected=result.records_rejected,
        error_ratio=result.error_ratio,
        errors=len(result.error_table),
        output=folder,
        seconds=time.perf_counter() - t0,
        waiting_for=waiting,
        proposed=proposed,
        reason=reason,
        **sending_facts(result, engine.refs),
    )


def _settle_once(path: str, folder: str, sign_as: str, result) -> tuple:
    """``signoff.settle`` of a staged folder of a folder run (``--sign-as``): ``(decided,
    None)``, or ``(None, (key, folder))`` when the same sending was decided in another
    folder of the output (:class:`~vsbengine.signoff.DecidedElsewhere`): it waits for a
    person then."""
    from vsbengine import signoff

    try:
        return signoff.settle(folder, sign_as, result=result), None
    except signoff.DecidedElsewhere as exc:
        return None, (exc.key, exc.other)


def sending_facts(result, refs=None) -> dict:
    """The facts of a validated sending an :class:`Outcome` carries for the report."""
    payee = result.payee
    total = next((r for r in result.settlement if r.record_type == "92"), None)
    found = refs.facility(payee.institution) if refs is not None and payee is not None else None
    return {
        "facility": f"{payee.institution:012d}" if payee is not None else None,
        "facility_name": found.name if found is not None else None,
        "sending_number": payee.sending_number if payee is not None else None,
        "invoiced_month": (
            f"{payee.invoiced_year:04d}-{payee.invoiced_month:02d}" if payee is not None else None
        ),
        "amount_requested": total.requested if total is not None else None,
        "amount_accepted": (
            total.accepted if total is not None and result.decision == "DF014" else None
        ),
    }


# -- jobs: what a runner does with the files ----------------------------------------------


class Item(NamedTuple):
    """One unit of work for a worker: ``fn(*args)`` for the input ``path``."""

    path: str
    fn: Callable
    args: tuple


class Job(Protocol):
    """What the runners drive: a source of work items and the sink of their results.

    Everything but ``fn`` runs in the coordinating process.
    """

    def take(self, limit: int | None) -> list[Item]:
        """Up to ``limit`` (None: all) items ready now."""

    def blocked(self) -> bool:
        """Items wait on another process (the runner polls :meth:`take`)."""

    def done(self, item: Item, value) -> None:
        """The result of an item's ``fn``."""

    def failed(self, item: Item, reason: str) -> None:
        """An item whose worker died or whose ``fn`` raised."""

    def abort(self) -> None:
        """The run stops (an interrupt): give back what was taken and is not done."""

    def close(self) -> None:
        """Release what the job holds (locks, staging); called once, at the very end."""

    def summary(self, runner: str, workers: int, elapsed: float) -> Summary:
        """The run's summary, once every item is done."""


def _head_key(path: str):
    """Size and head of a file: files with the same are run one after the other, so
    that the later one is found to be a duplicate instead of being processed too."""
    try:
        st = os.stat(path)
        if not stat.S_ISREG(st.st_mode):
            return None  # a named pipe is not opened: its outcome says so
        with open(path, "rb") as fh:
            return (st.st_size, content_digest.of_bytes(fh.read(4096)))
    except OSError:
        return None


def previous_of(o: Outcome) -> Previous:
    """What a later file with the same content reports it had."""
    return Previous(
        outcome=o.outcome,
        path=o.path,
        sending=o.sending,
        state=o.state,
        messages=o.messages,
        records_total=o.records_total,
        records_rejected=o.records_rejected,
        error_ratio=o.error_ratio,
        output=o.output,
    )


def decided_folder(folder: str) -> bool:
    """Whether a published per-file folder holds a decision (signed or confirmed)."""
    from vsbengine.decided import DECISION

    return os.path.exists(os.path.join(folder, DECISION))


def _as_decided(o: Outcome, folder: str) -> None:
    """The outcome of a folder decided before: what its ``decision.json`` says (not the
    proposal this run made again)."""
    from vsbengine.decided import DECISION

    path = os.path.join(folder, DECISION)
    try:
        with open(path, encoding="utf-8") as fh:
            decision = json.load(fh)
        if not isinstance(decision, dict):
            raise ValueError("not an object")
    except (OSError, ValueError) as exc:
        # Decided once (a payment order may be out): left as it is, for a person.
        o.outcome = "unreadable"
        o.reason = f"{path}: not a decision of vsbengine ({exc}): that folder is left as it is"
        return
    o.outcome = "accepted" if decision.get("action") == "signed" else "rejected_sending"
    o.waiting_for = None
    o.messages = decided_messages(o.messages[:1], decision)


def decided_messages(technical: list[str], decision: dict) -> list[str]:
    """The messages of a decided sending: its technical answer, then those of the
    decision (DF013, or DF014 to DF017), by name."""
    names = [os.path.basename(str(m))[:5] for m in decision.get("messages", [])]
    return list(dict.fromkeys([*technical, *names]))


#: What a skipped file's row in the night report names of its sending.
_NAMES_THE_SENDING = ("facility", "facility_name", "sending_number", "invoiced_month")


def _previous(entry: dict) -> Previous:
    return Previous(
        outcome=entry.get("outcome", "?"),
        path=entry.get("path"),
        messages=entry.get("messages", []),
        records_total=entry.get("records_total"),
        records_rejected=entry.get("records_rejected"),
        error_ratio=entry.get("error_ratio"),
        output=entry.get("output"),
    )


class FolderJob:
    """Validate files into an output folder (``bulk --out``): one run at a time per
    folder; answers staged, then renamed into place; resume by content."""

    def __init__(
        self,
        paths: list[str],
        out: str,
        *,
        progress=None,
        force: bool = False,
        task=validate_file,
        today=None,
        refs=None,
        memory_limit=None,
        sign_as=None,
    ) -> None:
        self.paths = paths
        self.out = out
        os.makedirs(out, exist_ok=True)
        try:
            self._lock = staging.RunLock(os.path.join(out, ".lock"))
        except BlockingIOError:
            raise ConfigError(
                f"{out} is in use by another bulk run: wait for it to end, or use "
                "--register for runs at the same time"
            ) from None
        # We hold the folder: what is staged there is a dead run's, and so are the
        # temporary files of a summary it was writing when it was killed.
        staging.remove_tree(os.path.join(out, ".staging"))
        fsio.remove_leftovers(out)
        fsio.remove_leftovers(os.path.join(out, "runs"))
        self._run_id = secrets.token_hex(4)
        self.stage = os.path.join(out, ".staging", self._run_id)
        os.makedirs(self.stage)
        self.started = now()
        self.previous = {} if force else read_log(out)
        self.outcomes: dict[str, Outcome] = {}
        self.progress = progress
        self.task = task
        self.options = (today, refs, memory_limit)
        self.sign_as = sign_as
        self._todo = deque(paths)
        self._running: dict[str, tuple] = {}  # path -> head key
        self._hashes: dict[str, Outcome] = {}  # content hash -> the first outcome in this run
        self._log = open(os.path.join(out, LOG), "a", encoding="utf-8")  # noqa: SIM115 - closed in summary()
        self.interrupted = False

    # -- Job ---------------------------------------------------------------------------
    def take(self, limit):
        items, kept = [], []
        busy = {k for k in self._running.values() if k is not None}
        today, refs, memory_limit = self.options
        while self._todo and (limit is None or len(items) < limit):
            path = self._todo.popleft()
            key = _head_key(path)
            if key is not None and key in busy:
                kept.append(path)  # the same head is running: wait for its outcome
                continue
            busy.add(key)
            self._running[path] = key
            skip = frozenset(self.previous) | frozenset(self._hashes)
            args = (self.stage, today, refs, skip, memory_limit)
            if self.sign_as is not None:
                args += (self.sign_as,)
            items.append(Item(path, self.task, args))
        self._todo.extendleft(reversed(kept))
        return items

    def blocked(self) -> bool:
        return False  # what waits here waits on this run's own files

    def _publish(self, o: Outcome, staged: str, final: str) -> None:
        """The staged folder of a file into place. A folder there is replaced (--force,
        or a log line a crash lost) under its decision lock, unless it was signed or
        confirmed: a ``vsbengine sign`` of that folder meanwhile either finished before
        (its decision stands) or is refused while the folder is replaced, never lost."""
        from vsbengine import decided

        if not os.path.exists(final):
            fsio.publish_dir(staged, final)
            return
        try:
            lock = staging.RunLock(os.path.join(final, decided.LOCK))
        except BlockingIOError:
            # A sign-off is deciding it right now: its decision will stand.
            staging.remove_tree(staged)
            o.reason = "being decided by a sign-off now: that decision stands"
            return
        old = os.path.join(self.stage, ".old-" + os.path.basename(final))
        moved = False
        try:
            if decided_folder(final):
                # Its decision stands; a payment order is made once, never replaced.
                staging.remove_tree(staged)
                o.reason = "decided before: that decision and its messages stand"
                _as_decided(o, final)
                return
            os.rename(final, old)  # the lock's file goes with the old folder
            moved = True
            fsio.publish_dir(staged, final)
        finally:
            lock.release(remove=not moved)
        staging.remove_tree(old)

    def done(self, item: Item, o: Outcome) -> None:
        self._running.pop(item.path, None)
        staged = o.output
        if o.outcome == "skipped" or (o.hash in self._hashes and o.outcome in PROCESSED):
            first = self._hashes.get(o.hash) if o.hash else None
            before = self.previous.get(o.hash) if o.hash else None
            if first is not None:
                o.previous = previous_of(first)
                o.reason = f"same content as {first.path} (this run)"
                names = {k: getattr(first, k) for k in _NAMES_THE_SENDING}
            elif before is not None:
                o.previous = _previous(before)
                o.reason = f"processed before ({before.get('outcome', '?')})"
                names = {k: before.get(k) for k in _NAMES_THE_SENDING}
            else:
                names = {}
            for k, v in names.items():  # the skipped copy names its sending (the report)
                if getattr(o, k) is None:
                    setattr(o, k, v)
            o.outcome = "skipped"
            o.output = o.previous.output if o.previous else None
            o.messages = o.previous.messages if o.previous else []
            o.records_total = o.records_rejected = o.error_ratio = o.errors = None
            o.amount_requested = o.amount_accepted = None  # counted with the first one
            if staged and os.path.isdir(staged) and staged.startswith(self.stage):
                staging.remove_tree(staged)
        elif o.outcome in PROCESSED and staged and o.hash:
            final = os.path.join(self.out, os.path.basename(staged))
            self._publish(o, staged, final)
            o.output = final
            self._hashes[o.hash] = o
            self._append_log(
                o,
                {
                    "hash": o.hash,
                    "path": o.path,
                    "outcome": o.outcome,
                    "messages": o.messages,
                    "output": o.output,
                    "records_total": o.records_total,
                    "records_rejected": o.records_rejected,
                    "error_ratio": o.error_ratio,
                    **{k: getattr(o, k) for k in _NAMES_THE_SENDING},
                },
            )
        self._record(o)

    def _append_log(self, o: Outcome, entry: dict) -> None:
        """One line of ``processed.jsonl``, whole or not at all: on a full disk the
        outcome says that its answers are in place but not recorded (the next run
        processes the file again)."""
        fd = self._log.fileno()
        line = (json.dumps(entry) + "\n").encode("utf-8")
        end = os.lseek(fd, 0, os.SEEK_END)
        try:
            written = os.write(fd, line)
            if written != len(line):
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        except OSError as exc:
            with contextlib.suppress(OSError):
                os.ftruncate(fd, end)  # no half line for the next run to trip on
            o.reason = f"answers in {o.output}, not recorded in {self._log.name}: {exc.strerror}"

    def failed(self, item: Item, reason: str) -> None:
        self._running.pop(item.path, None)
        self._record(Outcome(item.path, "unreadable", reason=reason))

    def _record(self, o: Outcome) -> None:
        self.outcomes[o.path] = o
        if self.progress is not None:
            self.progress(o)

    def abort(self) -> None:
        self.interrupted = True

    def summary(self, runner: str, workers: int, elapsed: float) -> Summary:
        s = summarize(
            self.paths,
            self.outcomes,
            runner,
            workers,
            elapsed,
            started_at=self.started,
            interrupted=self.interrupted,
        )
        data = msgspec.json.format(msgspec.json.encode(s)) + b"\n"
        stamp = self.started.replace(":", "").replace("-", "").replace("+0000", "Z")
        stem = os.path.join(self.out, "runs", f"{stamp}-{self._run_id}")
        failed: OSError | None = None
        for path in (stem + ".json", self.summary_path):
            try:
                os.makedirs(os.path.dirname(path), exist_ok=True)
                fsio.atomic_write(path, data)
            except OSError as exc:  # a full disk: each is tried, the run's summary is kept
                failed = exc  # summary.json's own failure is the one to name
        if failed is not None:
            raise SummaryNotSaved(s, failed)
        from vsbengine import night

        night.after_run(
            night.write, s, stem, title=f"{os.path.basename(os.path.abspath(self.out))}, {stamp}"
        )
        return s

    @property
    def summary_path(self) -> str:
        return os.path.join(self.out, SUMMARY)

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self._log.close()
        staging.remove_tree(self.stage)
        self._lock.release(remove=False)


def _as_text(o: Outcome) -> Outcome:
    """``o``, or when a str of it is no text JSON takes (a path whose bytes are not
    UTF-8), ``o`` with every str as :func:`vsbengine.fsio.path_text` makes it: the
    summary, its JSON and the night's page name such a file the same way."""
    try:
        msgspec.json.encode(o)
    except UnicodeEncodeError:
        return msgspec.convert(fsio.texts(msgspec.to_builtins(o)), Outcome)
    return o


def summarize(
    paths: list[str],
    outcomes: dict[str, Outcome],
    runner: str,
    workers: int,
    elapsed: float,
    **more,
) -> Summary:
    """The summary of a run: one outcome per input (``interrupted`` for those the run did
    not reach), the counts, the records read."""
    files = [
        _as_text(outcomes.get(p) or Outcome(p, "interrupted", reason="the run stopped first"))
        for p in paths
    ]
    counts = dict.fromkeys(OUTCOMES, 0)
    for o in files:
        counts[o.outcome] += 1
    return Summary(
        runner,
        workers,
        round(elapsed, 3),
        sum(o.records_total or 0 for o in files if o.outcome != "skipped"),
        counts,
        files,
        ended_at=now(),
        **more,
    )


# -- runners -------------------------------------------------------------------------------


def _drive_inline(job: Job) -> None:
    """Run the items in this process, one after the other."""
    while True:
        items = job.take(1)
        if not items:
            if job.blocked():
                time.sleep(POLL)
                continue
            return
        for item in items:
            try:
                value = item.fn(item.path, *item.args)
            except (VsbEngineError, OSError) as exc:
                job.failed(item, str(exc))
                continue
            job.done(item, value)


def _drive_pool(job: Job, workers: int) -> None:
    """Run the items on a pool of processes. When a worker dies, the pool is replaced
    and the items it held run again one at a time; an item whose worker dies while it
    runs alone has failed."""
    suspects: deque[Item] = deque()
    in_flight: dict = {}
    alone = False  # the one item in flight is a suspect, run alone
    pool = ProcessPoolExecutor(workers, initializer=init_worker, initargs=(os.getpid(),))

    def submit(item: Item) -> bool:
        try:
            in_flight[pool.submit(item.fn, item.path, *item.args)] = item
        except BrokenProcessPool:
            suspects.append(item)
            return False
        return True

    try:
        while True:
            broke = False
            if suspects and not in_flight:
                alone = submit(suspects.popleft())
                broke = not alone
            elif not suspects and not alone:
                room = 2 * workers - len(in_flight)
                for item in job.take(room) if room > 0 else []:
                    broke = not submit(item) or broke
            if not in_flight and not broke:
                if job.blocked():
                    time.sleep(POLL)
                    continue
                return
            done, _ = (
                wait(
                    list(in_flight),
                    timeout=POLL if job.blocked() else None,
                    return_when=FIRST_COMPLETED,
                )
                if in_flight
                else (set(), set())
            )
            for fut in done:
                item = in_flight.pop(fut)
                try:
                    value = fut.result()
                except BrokenProcessPool:
                    broke = True
                    suspects.append(item)
                    continue
                except Exception as exc:  # a task failing in a way it did not catch
                    job.failed(item, f"{type(exc).__name__}: {exc}")
                    continue
                job.done(item, value)
            if broke:
                suspects.extend(in_flight.values())
                in_flight.clear()
                pool.shutdown(wait=False, cancel_futures=True)
                pool = ProcessPoolExecutor(
                    workers, initializer=init_worker, initargs=(os.getpid(),)
                )
                if alone:
                    # It ran alone and its worker died: that item is the cause.
                    job.failed(suspects.pop(), "its worker died")
            if not in_flight:
                alone = False
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _run_batch(items: list[tuple]) -> list:
    return [fn(path, *args) for path, fn, args in items]


def _drive_dask(job: Job, client, batch: int | None, workers: int, total: int) -> None:
    """Run the items on a Dask cluster in batches; a batch whose worker dies is run
    again item by item, and an item whose worker dies on its own has failed."""
    from dask.distributed import as_completed

    size = batch or max(1, min(16, total // (8 * workers)))
    pending: dict = {}
    done = as_completed()

    def submit(items: list[Item]) -> None:
        for i in range(0, len(items), size):
            group = items[i : i + size]
            fut = client.submit(_run_batch, [(it.path, it.fn, it.args) for it in group], pure=False)
            pending[fut] = group
            done.add(fut)

    submit(job.take(None))
    while pending or job.blocked():
        if not pending:
            time.sleep(POLL)
            submit(job.take(None))
            continue
        fut = next(done)
        group = pending.pop(fut)
        try:
            values = fut.result()
        except Exception as exc:  # KilledWorker and the like
            if len(group) == 1:
                job.failed(group[0], f"its worker died ({type(exc).__name__})")
            else:
                for item in group:  # again, one item per task, to find the one
                    retry = client.submit(_run_batch, [(item.path, item.fn, item.args)], pure=False)
                    pending[retry] = [item]
                    done.add(retry)
            continue
        for item, value in zip(group, values):
            job.done(item, value)
        submit(job.take(None))


def _drive(job, runner: str, workers: int, t0: float, body) -> Summary:
    try:
        try:
            body()
        except KeyboardInterrupt:
            job.abort()
            job.summary(runner, workers, time.perf_counter() - t0)
            raise
        return job.summary(runner, workers, time.perf_counter() - t0)
    finally:
        job.close()


def run_job(job: Job, workers: int) -> Summary:
    """Drive ``job`` in this process (``workers=0``) or on a pool of ``workers``."""
    t0 = time.perf_counter()
    if workers == 0:
        return _drive(job, "inline", 1, t0, lambda: _drive_inline(job))
    return _drive(job, "local", workers, t0, lambda: _drive_pool(job, workers))


#: Reference data a run loaded before it started (:func:`check_refs`), by path: taken by
#: the first engine made for that path in this process or a forked worker, not loaded
#: again.
_LOADED: dict = {}


def check_refs(refs) -> None:
    """Load the reference data once before anything is claimed or run: bad reference
    data is one located error of the run (:class:`~vsbengine.ReferenceDataError`), not
    an unreadable outcome of every file."""
    if refs is not None:
        from vsbengine.formats.efact.refs import load

        loaded = load(refs)
        if isinstance(refs, (str, os.PathLike)):
            _LOADED[refs] = loaded


def _job(paths, out, register, progress, force, task, today, refs, memory_limit, sign_as, command):
    check_refs(refs)
    if register is not None:
        if out is not None:
            raise ConfigError(
                "--out and --register cannot go together: the register keeps the answers"
            )
        from vsbengine.receive import RegisterJob

        return RegisterJob(
            register,
            paths,
            command=command,
            progress=progress,
            today=today,
            refs=refs,
            memory_limit=memory_limit,
            sign_as=sign_as,
        )
    if out is None:
        raise ConfigError("say where the answers go: --out DIR (or --register PATH)")
    return FolderJob(
        paths,
        out,
        progress=progress,
        force=force,
        task=task,
        today=today,
        refs=refs,
        memory_limit=memory_limit,
        sign_as=sign_as,
    )


def run_local(
    inputs,
    out: str | None = None,
    *,
    register=None,
    workers: int | None = None,
    today=None,
    refs=None,
    force: bool = False,
    progress=None,
    task=validate_file,
    memory_limit: int | None = None,
    sign_as: str | None = None,
    command: str = "bulk",
) -> Summary:
    """Validate every file of ``inputs`` with a pool of processes (one per core by
    default; ``workers=0`` runs them in this process).

    Parameters
    ----------
    out
        The output folder (see the module's layout), or ``None`` with ``register``.
    register
        A sending register (a path or a :class:`~vsbengine.Register`): the files are
        received into it (see :mod:`vsbengine.receive`).
    refs
        Reference data (a path: each worker loads it once). With it, the decisions are
        proposals that wait for a sign-off, unless ``sign_as`` names who signs at once.
    task
        The function a worker runs per file for ``out`` (see :func:`validate_file`).

    When a worker dies, the pool is replaced and the files it held run again one at a
    time; a file whose worker dies while it runs alone is reported as unreadable.
    """
    workers = (os.cpu_count() or 1) if workers is None else workers
    limits.check_workers(workers, "workers", least=0)
    paths = collect(inputs, written_by(out, register))
    job = _job(
        paths, out, register, progress, force, task, today, refs, memory_limit, sign_as, command
    )
    return run_job(job, workers)


def run_dask(
    inputs,
    out: str | None = None,
    *,
    register=None,
    scheduler: str | None = None,
    local_workers: int | None = None,
    today=None,
    refs=None,
    force: bool = False,
    progress=None,
    task=validate_file,
    memory_limit: int | None = None,
    batch: int | None = None,
    sign_as: str | None = None,
) -> Summary:
    """The same run on a Dask cluster: an existing scheduler, or a local cluster of
    ``local_workers`` processes on loopback. Needs ``pip install 'vsbengine[distributed]'``;
    the workers need vsbengine installed (a built wheel, see the README). With a
    register, only this process opens its database: the workers write the messages
    into its folder, which they must reach.

    Files go to the workers in batches of ``batch`` (default: enough batches to keep
    every worker busy, at most 16 files each); a batch whose worker dies is run again
    file by file, and a file whose worker dies on its own is reported.
    """
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:
        raise ConfigError("Dask is not installed: pip install 'vsbengine[distributed]'") from None
    if local_workers is not None:
        limits.check_workers(local_workers, "local_workers")
    paths = collect(inputs, written_by(out, register))
    job = _job(
        paths, out, register, progress, force, task, today, refs, memory_limit, sign_as, "bulk"
    )
    cluster = None
    t0 = time.perf_counter()
    try:
        if scheduler:
            try:
                client = Client(scheduler, timeout=30)
            except (ValueError, OSError, TimeoutError) as exc:
                # A malformed address, or none that answers: the option's error.
                raise ConfigError(f"--scheduler {scheduler!r}: no Dask scheduler: {exc}") from None
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
    except BaseException:
        job.abort()
        job.close()
        raise
    try:
        workers = max(len(client.scheduler_info()["workers"]), 1)
        return _drive(
            job, "dask", workers, t0, lambda: _drive_dask(job, client, batch, workers, len(paths))
        )
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


__all__ = [
    "LOG",
    "OUTCOMES",
    "SUMMARY",
    "FolderJob",
    "Item",
    "Job",
    "Outcome",
    "Previous",
    "Summary",
    "SummaryNotSaved",
    "collect",
    "content_hash",
    "engine_for",
    "previous_of",
    "read_log",
    "run_dask",
    "run_job",
    "run_local",
    "summarize",
    "tune_malloc",
    "unreadable",
    "validate_file",
]
