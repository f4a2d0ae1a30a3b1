"""Validating a billing file: scan, technical phase, pre-validation, decision."""

from __future__ import annotations

import datetime as _dt

from vsbengine.decision import decide
from vsbengine.formats.efact.checks import PREVALIDATION, technical
from vsbengine.formats.efact.findings import ErrorBuilder
from vsbengine.formats.efact.sending import Sending
from vsbengine.result import Result
from vsbengine.source import load, sniff


def _today(today) -> int:
    if today is None:
        today = _dt.date.today()
    if isinstance(today, _dt.date):
        return today.year * 10000 + today.month * 100 + today.day
    return int(today)


class Engine:
    """A reusable validator: configuration loaded once, then any number of files.

    Parameters
    ----------
    today
        The date the checks take as today (``datetime.date`` or ``YYYYMMDD``);
        ``None`` (default) takes the current date at each validation.

    Notes
    -----
    An engine holds no per-file state: threads may share one and validate
    different files at the same time (the core releases the GIL).
    """

    def __init__(self, *, today=None) -> None:
        self._today = today

    def validate(self, source) -> Result:
        """Validate one billing file.

        Parameters
        ----------
        source
            A path, or a bytes-like object (bytes, bytearray, memoryview, mmap).

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
        data, name = load(source)
        sniff(data, name)
        today = _today(self._today)
        sending = Sending(data)
        errs = ErrorBuilder()
        problems = technical.check(sending, errs, today)
        common = dict(file=name, size=sending.size, problems=problems, sending=sending,
                      today=today)
        if problems or len(errs):
            # Rejected as a file. When the framing is sound the pre-validation still
            # runs, so that the report lists every error at once (the answer, DF012,
            # carries only the technical ones).
            if not problems:
                for check in PREVALIDATION:
                    check(sending, errs, today)
            total = int(sending.is_detail.sum())
            return Result(
                technical="DF012", decision=None, rejection_type=None, records_total=total,
                records_rejected=total, ratio_x100=10000 if total else 0,
                invoices_total=len(sending.invoices), invoices_rejected=len(sending.invoices),
                error_table=errs.table(), verdict=None, **common,
            )
        for check in PREVALIDATION:
            check(sending, errs, today)
        verdict = decide(sending, errs.table())
        return Result(
            technical="DF011", decision=verdict.outcome, rejection_type=verdict.rejection_type,
            records_total=verdict.records_total, records_rejected=verdict.records_rejected,
            ratio_x100=verdict.ratio_x100, invoices_total=verdict.invoices_total,
            invoices_rejected=verdict.invoices_rejected, error_table=verdict.errors,
            verdict=verdict, **common,
        )


_DEFAULT = Engine()


def validate(source, *, today=None) -> Result:
    """Validate one billing file with the default engine (see :meth:`Engine.validate`)."""
    if today is None:
        return _DEFAULT.validate(source)
    return Engine(today=today).validate(source)
