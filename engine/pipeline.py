"""Validating a billing file: plan chunks, check each, check the whole, decide.

A file is cut into chunks at invoice boundaries (one chunk for files up to
512 MB, or smaller chunks under a memory limit); each chunk gets the core scan,
the technical checks of its segments and closing records, the pre-validation
and the propagation of letters; the checks of the whole sending (records 95/96,
record 90 against all records 80, unique invoice numbers) and the decision run
on the merged summaries. One chunk or many, the result is the same.
"""

from __future__ import annotations

import datetime as _dt
import os
import re
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from vsbengine import _core, limits
from vsbengine import digest as content_digest
from vsbengine.decision import ChunkFrame, decide, dependency_edges, propagate
from vsbengine.digits import ascii_digits
from vsbengine.errors import InputError
from vsbengine.formats.efact import chunks as _chunks
from vsbengine.formats.efact import refs as _refs
from vsbengine.formats.efact.checks import chosen, content, technical
from vsbengine.formats.efact.findings import (
    ChunkCheck,
    Context,
    Edges,
    ErrorTable,
    Findings,
    Problem,
    SendingCheck,
    locate,
)
from vsbengine.formats.efact.sending import Sending
from vsbengine.formats.efact.settlement import Envelope, settle
from vsbengine.formats.efact.summary import SendingFrame, Summary, merge, summarize
from vsbengine.result import Result
from vsbengine.source import open_source, read_stream, sniff


def _today(today) -> int:
    """The date the date rules take as today, as YYYYMMDD: ``None`` (the current
    date), a :class:`datetime.date`, or a real date written ``20261123``,
    ``"20261123"`` or ``"2026-11-23"`` (ASCII digits); anything else is a
    :class:`ValueError` that says what was expected."""
    if today is None:
        today = _dt.date.today()
    if isinstance(today, _dt.date):
        return today.year * 10000 + today.month * 100 + today.day
    text = today if isinstance(today, str) else None
    if isinstance(today, int) and not isinstance(today, bool):
        text = str(today)
    if text is not None:
        digits = text.replace("-", "") if len(text) == 10 and text[4] == text[7] == "-" else text
        if len(digits) == 8 and ascii_digits(digits):
            try:
                _dt.date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
            except ValueError:
                pass
            else:
                return int(digits)
    raise ValueError(
        f"today: {today!r} is not a date (expected a datetime.date, YYYYMMDD or YYYY-MM-DD)"
    )


def check_chunk(
    s: Sending, ctx: Context, checks: tuple[ChunkCheck, ...], *, defer: bool = False
) -> Summary:
    """Check one scanned chunk: every check, then the propagation of their letters;
    everything it returns is placed in the whole file (``defer``: ``s`` is kept to the
    end, the places of its edges and prestations are found when asked)."""
    found = Findings()
    for check in checks:
        found.extend(check(s, ctx))
    edges = Edges.concat([dependency_edges(s), *found.edges])
    prop = propagate(found.errors.table(), ChunkFrame(s), edges)
    t = prop.errors
    own = np.where(t.unit >= 0, s.own[np.maximum(t.unit, 0)], s.last)
    sm = summarize(
        s,
        locate(t.select(own), s),
        found.problems,
        prop.rejected,
        prop.invoice_rejected,
        edges,
        found.prestations,
        defer=defer,
    )
    sm.short_lines = technical.short_lines(s)
    return sm


class _Digest:
    """BLAKE2b (16 bytes, hex) of the bytes being validated, computed in a thread of its
    own while the checks run (hashlib releases the GIL): what a proposal records."""

    PIECE = 8 << 20

    def __init__(self, reader: _chunks.Reader) -> None:
        self.value: str | None = None
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, args=(reader,), daemon=True)
        self.thread.start()

    def _run(self, reader: _chunks.Reader) -> None:
        try:
            h = content_digest.hasher()
            for start in range(0, reader.size, self.PIECE):
                h.update(reader.read(start, start + self.PIECE))
                # Behind the hash, a mapped file's pages go back, as the scan gives back
                # those behind it (they stay in the page cache): the digest does not
                # make the whole file resident.
                reader.drop(start, self.PIECE)
            self.value = h.hexdigest()
        except BaseException as exc:  # reported to the caller by result()
            self.error = exc

    def result(self) -> str:
        self.thread.join()
        if self.error is not None:
            raise self.error
        assert self.value is not None
        return self.value


class Engine:
    """A reusable validator: configuration loaded once, then any number of files.

    Parameters
    ----------
    refs
        The zorgkas's reference data: a folder of CSV files, a SQLite database, or a
        loaded :class:`~vsbengine.formats.efact.refs.References`. Without it the
        content checks are skipped.
    today
        The date the checks take as today (``datetime.date`` or ``YYYYMMDD``);
        ``None`` (default) takes the current date at each validation.
    memory_limit
        Bytes of memory the process may hold while validating one file (at least
        64 MB). ``None`` (default) memory-maps the file and checks files up to 512 MB
        in one piece; with a limit, the file is read in chunks sized to what is left
        of it (bounded memory, same result).
    threads
        Threads that check the chunks of one big file at the same time.
    process_memory
        What the process holds besides the validation, counted against
        ``memory_limit`` when a file is refused as too big for it: by default
        :data:`PROCESS_BASE` (an interpreter with vsbengine loaded; a backend's own data
        is not counted, so that it can validate in its process). The command line gives
        its own resident memory (:func:`resident`), so that its limit is the whole
        process's.
    keep_arrays
        Whether numpy's large arrays made while validating take the memory of earlier
        ones of their size, kept when they were freed (:func:`vsbengine._core.keep_arrays`:
        blocks of 256 KB to 64 MB, at most 96 MB kept in the process), instead of
        pages the system maps and zero-fills afresh for each array. ``None``
        (default): kept without a memory limit, not under one.
        ``vsbengine._core.release_buffers()`` gives the kept memory back.

    Notes
    -----
    An engine holds no per-file state: threads may share one and validate
    different files at the same time (the core releases the GIL).
    """

    def __init__(
        self,
        refs=None,
        *,
        today=None,
        memory_limit: int | None = None,
        threads: int = 1,
        process_memory: int | None = None,
        keep_arrays: bool | None = None,
    ) -> None:
        limits.check_memory_limit(memory_limit)
        limits.check_workers(threads, "threads")
        if today is not None:
            _today(today)  # a bad date fails here, not at the first file
        self._today = today
        self.memory_limit = memory_limit
        self.process_memory = PROCESS_BASE if process_memory is None else process_memory
        self.threads = threads
        self.keep_arrays = memory_limit is None if keep_arrays is None else bool(keep_arrays)
        #: The reference data (loaded once), or None: the content checks are skipped.
        self.refs = None if refs is None else _refs.load(refs)
        self._look = None if self.refs is None else content.Lookups(self.refs)
        self._checks, self._sending_checks = chosen(self._look is not None)

    def validate(self, source, *, digest: bool = False, checks=()) -> Result:
        """Validate one billing file.

        Parameters
        ----------
        source
            A path, or a bytes-like object (bytes, bytearray, memoryview, mmap).
        digest
            Also compute the BLAKE2b digest of the content (:attr:`Result.digest`, what a
            sign-off proposal records), in a thread beside the checks: the file is not
            read again for it.
        checks
            More checks of the whole sending, run after the engine's own
            (:class:`~vsbengine.formats.efact.findings.SendingCheck`: the register's
            identity checks, :func:`vsbengine.identity.check_for`).

        Returns
        -------
        Result
            The verdicts, counts and errors, and the scans its answers are written
            from. A file with errors is a result, not an exception.

        Raises
        ------
        vsbengine.InputError
            The input cannot be used at all: missing or unreadable file, empty
            file, not a billing file, an answer message instead of a sending.
        """
        if not self.keep_arrays:
            return self._validate(source, digest, checks)
        handler = _core.keep_arrays()  # this thread's (or task's) arrays only
        try:
            return self._validate(source, digest, checks)
        finally:
            _core.restore_arrays(handler)

    def _validate(self, source, digest: bool, checks) -> Result:
        source, stream = read_stream(source, self.memory_limit)  # a pipe: once, whole
        with open_source(source, self.memory_limit) as (reader, name):
            name = stream if name is None and stream is not None else name
            sniff(bytes(reader.read(0, 6)), reader.size, name)
            if self.memory_limit is not None:
                fits(reader.size, self.memory_limit, name, self.process_memory)
            hashing = _Digest(reader) if digest else None
            ctx = Context(_today(self._today), self._look)
            plan = _chunks.plan(reader, _chunks.chunk_size(self.memory_limit, self.threads))
            # The writers work from these scans when the file is one chunk (it fitted the
            # limit, if any, while it was checked). The chunks of a bigger file are copies
            # (each with the records its checks need before it): kept, they would hold
            # the whole file in memory; the writers scan it again, chunk by chunk.
            keep = len(plan.chunks) == 1
            kept: list[Sending] = []

            def one(chunk: _chunks.Chunk) -> Summary:
                s = _chunks.scan_chunk(reader, plan, chunk, today=ctx.today)
                if keep:
                    kept.append(s)
                return check_chunk(s, ctx, self._checks, defer=keep)

            if self.threads > 1 and len(plan.chunks) > 1:
                with ThreadPoolExecutor(self.threads) as pool:
                    parts = list(pool.map(one, plan.chunks))
                kept.sort(key=lambda s: s.unit_base)
            else:
                parts = [one(c) for c in plan.chunks]
            # A path is read again when the scans are gone; a pipe was read whole (bytes).
            again = name if name is not None and stream is None else source
            merged = merge(parts)
            del parts  # the chunks' summaries: the merged one holds what they said
            result = conclude(
                merged, plan.size, name, ctx, self._sending_checks + tuple(checks), again
            )
            if hashing is not None:
                result.digest = hashing.result()
            result.keep_scans(
                _chunks.Scanned(
                    again,
                    memory_limit=self.memory_limit,
                    plan=plan,
                    kept=kept if keep else None,
                    guard=reader.guard,
                )
            )
            return result


#: Memory the validation keeps per byte of a file beyond the chunk it reads (what it
#: keeps of every record for the checks of the whole sending and the decision: about
#: 50 bytes per record, measured on generated sendings of 100,000 to 920,000 records).
STATE_PER_BYTE = 0.15
#: What a Python process holds with vsbengine loaded and a small file validated.
PROCESS_BASE = 40 << 20
#: What reading the smallest chunk (1 MB) takes.
_LEAST_CHUNK = _chunks.MEMORY_PER_BYTE << 20


def resident() -> int:
    """The process's resident memory now (bytes; 0 where /proc is not there)."""
    try:
        with open("/proc/self/statm", "rb") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def fits(size: int, memory_limit: int, name: str | None, process: int = 0) -> None:
    """Refuse, before reading it, a file of ``size`` bytes that cannot be validated
    within ``memory_limit`` however small its chunks (what is kept of every record,
    the smallest chunk and ``process``, what the process holds besides, at least
    :data:`PROCESS_BASE`), naming the limit it needs."""
    held = max(PROCESS_BASE, process) + _LEAST_CHUNK
    need = int(size * STATE_PER_BYTE) + held
    if need > memory_limit:
        mb = -(-need // (1 << 20))
        raise InputError(
            f"{size:,} bytes need about {mb:,} MB to validate (0.15 byte per byte, what is "
            f"kept of every record, and {held >> 20} MB for the process and a chunk), more "
            f"than the memory limit of {memory_limit // (1 << 20):,} MB: give a limit of "
            f"{mb} MB or more",
            path=name,
        )


#: Framing problems a scan lists one by one (the core's ``framing_cap``); the rest are
#: counted. A file read in chunks lists the same ones: the cap is on the whole file.
FRAMING_CAP = 1000
_MORE = re.compile(r"(\d+) more framing problems not listed")


def capped(problems: list[Problem], cap: int = FRAMING_CAP) -> list[Problem]:
    """The problems of the chunks of a file, in order, as a scan of the whole file lists
    them: the first ``cap`` located ones, then one count of the others."""
    located: list[Problem] = []
    rest: list[Problem] = []
    counted = 0
    for p in problems:
        more = _MORE.fullmatch(p.message) if p.offset is None else None
        if more is not None:
            counted += int(more[1])
        elif p.offset is not None and len(located) >= cap:
            counted += 1
        else:
            (located if p.offset is not None else rest).append(p)
    if counted:
        located.append(Problem(None, None, None, f"{counted} more framing problems not listed"))
    return located + rest


def conclude(
    sm: Summary,
    size: int,
    name: str | None,
    ctx: Context,
    checks: tuple[SendingCheck, ...],
    source=None,
) -> Result:
    """The checks of the whole sending, the propagation of their errors and the
    decision, on the merged summaries (``name``: what the file is called; ``source``:
    its path when it can be read again, else the bytes validated)."""
    found = Findings()
    for check in checks:
        found.extend(check(sm, ctx))
    problems = capped(sm.problems) + found.problems
    whole = found.errors.table()
    table = ErrorTable.concat([sm.errors, whole]).sorted()
    envelope = sm.envelope or Envelope(b" " * 67, b" " * 160)
    prestations = len(sm.prest_units)
    if problems or table.technical.any():
        if sm.framing:
            # Records may be misaligned: only the technical errors are reported.
            table = table.select(table.technical)
        technical, decision, rejection_type = "DF012", None, None
        records_rejected, ratio_x100 = sm.detail, 10000 if sm.detail else 0
        invoices_rejected, prestations_rejected = sm.invoices, prestations
        rejected = None
    else:
        already = np.zeros(sm.units, dtype=bool)
        already[sm.rejected] = True
        # Errors found on the whole sending reject what depends on their records too.
        prop = propagate(whole, SendingFrame(sm), sm.edges, already, sm.invoice_rejected.copy())
        table = ErrorTable.concat([sm.errors, prop.errors]).sorted()
        rejected = prop.rejected
        verdict = decide(sm.detail, int(rejected.sum()), bool((table.letter == ord("B")).any()))
        technical, decision, rejection_type = "DF011", verdict.outcome, verdict.rejection_type
        records_rejected, ratio_x100 = verdict.records_rejected, verdict.ratio_x100
        invoices_rejected = int(prop.invoice_rejected.sum())
        prestations_rejected = int(rejected[sm.prest_units].sum())
    return Result(
        file=name,
        size=size,
        technical=technical,
        decision=decision,
        rejection_type=rejection_type,
        records_total=sm.detail,
        records_rejected=records_rejected,
        ratio_x100=ratio_x100,
        invoices_total=sm.invoices,
        invoices_rejected=invoices_rejected,
        prestations_total=prestations,
        prestations_rejected=prestations_rejected,
        today=ctx.today,
        last_detail=sm.last_detail,
        seed=sm.seed(),
        source=source,
        settlement=settle(sm, rejected, envelope),
        payee=sm.payee,
        envelope=envelope,
        problems=problems,
        error_table=table,
        rejected=rejected,
    )


_DEFAULT = Engine()


def validate(source, *, today=None, memory_limit: int | None = None, threads: int = 1) -> Result:
    """Validate one billing file (see :class:`Engine` and :meth:`Engine.validate`)."""
    if today is None and memory_limit is None and threads == 1:
        return _DEFAULT.validate(source)
    return Engine(today=today, memory_limit=memory_limit, threads=threads).validate(source)
