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
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from vsbengine.decision import add_dragged, decide, drag, propagate
from vsbengine.formats.efact import chunks as _chunks
from vsbengine.formats.efact import refs as _refs
from vsbengine.formats.efact.checks import PREVALIDATION, PREVALIDATION_SENDING, content, technical
from vsbengine.formats.efact.compiled import LAYOUTS
from vsbengine.formats.efact.findings import ErrorBuilder, ErrorTable, locate
from vsbengine.formats.efact.sending import Sending
from vsbengine.formats.efact.summary import Summary, merge, summarize
from vsbengine.result import Result, settlement_rows
from vsbengine.source import open_source, read_stream, sniff

_ZONE_START = np.array([z.start for z in LAYOUTS.zones], dtype=np.int64)
_REJECTING = np.zeros(256, dtype=bool)
_REJECTING[[ord("B"), ord("F"), ord("R")]] = True


def _today(today) -> int:
    if today is None:
        today = _dt.date.today()
    if isinstance(today, _dt.date):
        return today.year * 10000 + today.month * 100 + today.day
    return int(today)


def check_chunk(
    reader: _chunks.Reader, plan: _chunks.Plan, chunk: _chunks.Chunk, today: int, look=None
) -> Summary:
    """Check one chunk; everything it returns is placed in the whole file."""
    prefix, n_prefix = plan.prefix(reader, chunk)
    body = reader.read(chunk.start, chunk.end)
    buf = prefix + bytes(body) if prefix else body
    s = Sending(buf, own_first=2 + n_prefix, last=chunk.last)
    errs = ErrorBuilder()
    technical.check(s, errs, today)
    for check in PREVALIDATION:
        check(s, errs, today)
    if look is not None:
        content.check(s, errs, today, look)
    prop = propagate(s, errs.table())
    t = prop.errors
    own = np.where(t.unit >= 0, s.own[np.maximum(t.unit, 0)], chunk.last)
    offset_base = chunk.start - len(prefix)
    table = locate(t.select(own), s, chunk.first_unit, offset_base)
    problems = technical.framing_problems(s, chunk.first_unit, offset_base, len(prefix))
    return summarize(
        s,
        table,
        problems,
        bool(problems),
        prop.rejected,
        prop.invoice_rejected,
        chunk.first_unit,
        offset_base,
        prop.edges,
    )


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

    Notes
    -----
    An engine holds no per-file state: threads may share one and validate
    different files at the same time (the core releases the GIL).
    """

    def __init__(
        self, refs=None, *, today=None, memory_limit: int | None = None, threads: int = 1
    ) -> None:
        if memory_limit is not None and memory_limit < 64 << 20:
            raise ValueError("memory_limit must be at least 64 MB (the process itself needs some)")
        if threads < 1:
            raise ValueError("threads must be at least 1")
        self._today = today
        self.memory_limit = memory_limit
        self.threads = threads
        #: The reference data (loaded once), or None: the content checks are skipped.
        self.refs = None if refs is None else _refs.load(refs)
        self._look = None if self.refs is None else content.Lookups(self.refs)

    def validate(self, source, *, checks=()) -> Result:
        """Validate one billing file.

        Parameters
        ----------
        source
            A path, or a bytes-like object (bytes, bytearray, memoryview, mmap).
        checks
            More checks of the whole sending, run after the pre-validation's: callables
            ``check(summary, errors)`` that add errors (the register's identity checks,
            :func:`vsbengine.identity.check_for`).

        Returns
        -------
        Result
            The verdicts, counts and errors. A file with errors is a result, not
            an exception.

        Raises
        ------
        vsbengine.InputError
            The input cannot be used at all: missing or unreadable file, empty
            file, not a billing file, an answer message instead of a sending.
        """
        source, stream = read_stream(source)  # a pipe is read once, whole
        with open_source(source, self.memory_limit) as (reader, name):
            name = stream if name is None and stream is not None else name
            sniff(bytes(reader.read(0, 6)), reader.size, name)
            today = _today(self._today)
            plan = _chunks.plan(reader, _chunks.chunk_size(self.memory_limit, self.threads))
            if self.threads > 1 and len(plan.chunks) > 1:
                with ThreadPoolExecutor(self.threads) as pool:
                    parts = list(
                        pool.map(
                            lambda c: check_chunk(reader, plan, c, today, self._look), plan.chunks
                        )
                    )
            else:
                parts = [check_chunk(reader, plan, c, today, self._look) for c in plan.chunks]
            # The answers read the file again: a result keeps the path, or the bytes given.
            return conclude(
                merge(parts),
                plan,
                reader,
                name,
                today,
                name if name is not None and stream is None else source,
                content=self._look is not None,
                checks=checks,
            )


def conclude(
    sm: Summary,
    plan: _chunks.Plan,
    reader: _chunks.Reader,
    name,
    today: int,
    source,
    content: bool = False,
    checks=(),
) -> Result:
    """The checks of the whole sending and the decision, on the merged summaries."""
    errs = ErrorBuilder()
    problems = sm.problems + technical.check_sending(sm, errs)
    for check in PREVALIDATION_SENDING:
        check(sm, errs)
    if content:
        from vsbengine.formats.efact.checks import content as _content

        _content.check_sending(sm, errs)
    for check in checks:
        check(sm, errs)
    whole = errs.table()
    table = ErrorTable.concat([sm.errors, whole]).sorted()
    phase1 = table.technical
    common = dict(
        file=name,
        size=plan.size,
        problems=problems,
        today=today,
        invoices_total=sm.invoices,
        source=source,
        seed=_seed(reader, plan, sm),
        last_detail=sm.last_detail,
        prestations_total=len(sm.prest_units),
    )
    if problems or phase1.any():
        if sm.framing:
            # Records may be misaligned: only the technical errors are reported.
            table = table.select(phase1)
        return Result(
            technical="DF012",
            decision=None,
            rejection_type=None,
            records_total=sm.detail,
            records_rejected=sm.detail,
            ratio_x100=10000 if sm.detail else 0,
            invoices_rejected=sm.invoices,
            error_table=table,
            rejected=None,
            prestations_rejected=len(sm.prest_units),
            settlement=settlement_rows(sm),
            **common,
        )
    rejected = np.zeros(sm.units, dtype=bool)
    rejected[sm.rejected] = True
    hit = whole.unit[(whole.unit >= 2) & _REJECTING[whole.letter]]
    seeds = whole.unit[
        (whole.unit >= 2) & (whole.letter == ord("R")) & ~rejected[np.maximum(whole.unit, 0)]
    ]
    rejected[hit] = True
    if sm.edges and len(seeds):
        # Errors found on the whole sending reject what depends on their records too.
        e = sm.edges
        idx = drag(e["src"], e["dst"], seeds, rejected)
        if len(idx):
            more = ErrorBuilder()
            starts = _ZONE_START[e["zone"][idx]]
            add_dragged(
                more,
                e["dst"][idx],
                e["code"][idx],
                e["zone"][idx],
                seq=e["seq"][idx],
                rtype=e["rtype"][idx],
                offset=e["offset"][idx] + starts,
            )
            table = ErrorTable.concat([table, more.table()]).sorted()
    sm.settle(rejected)
    verdict = decide(sm.detail, int(rejected.sum()), bool((table.letter == ord("B")).any()))
    return Result(
        technical="DF011",
        decision=verdict.outcome,
        rejection_type=verdict.rejection_type,
        records_total=sm.detail,
        records_rejected=verdict.records_rejected,
        ratio_x100=verdict.ratio_x100,
        invoices_rejected=sm.invoices_rejected,
        error_table=table,
        rejected=rejected,
        prestations_rejected=int(rejected[sm.prest_units].sum()),
        settlement=settlement_rows(sm),
        **common,
    )


def _seed(reader: _chunks.Reader, plan: _chunks.Plan, sm: Summary) -> bytes:
    """Bytes that identify the sending (segments, records 10 and 90, closing records):
    the default insurer reference of the answers is derived from them."""
    parts = [bytes(reader.read(0, min(plan.header_end, 227)))]
    for rec in [sm.record10, sm.record90] + sm.closing:
        if rec is not None:
            parts.append(bytes(reader.read(rec.offset, rec.offset + 350)))
    return b"".join(parts)


_DEFAULT = Engine()


def validate(source, *, today=None, memory_limit: int | None = None, threads: int = 1) -> Result:
    """Validate one billing file (see :class:`Engine` and :meth:`Engine.validate`)."""
    if today is None and memory_limit is None and threads == 1:
        return _DEFAULT.validate(source)
    return Engine(today=today, memory_limit=memory_limit, threads=threads).validate(source)
