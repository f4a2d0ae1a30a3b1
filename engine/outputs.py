"""Writing the outputs of a decision: the one function behind ``validate --out``, the
sign-off and bulk runs.

:func:`write` writes the answer messages named (DF011 to DF015, the notifications
DF016), the report and the payment order (DF017) of one result into a folder. The
sending is scanned at most once for all of them together: the writers are fed the
result's scans (:attr:`vsbengine.Result.scans`: those of the validation while they
are kept, else one streaming pass over the file, chunk by chunk within the
validation's memory limit). Every file appears whole or not at all
(:mod:`vsbengine.fsio`); when anything fails, none of them appears.
"""

from __future__ import annotations

import contextlib
import os
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import msgspec

from vsbengine.formats.efact import notify
from vsbengine.formats.efact.answers import FILE_NAMES, Answers, Interleaved
from vsbengine.fsio import atomic_open

__all__ = ["PAYMENT_ORDER", "REPORT", "write"]

#: File names of the report and of the payment order (JSON and pain.001 XML).
REPORT = "report.json"
PAYMENT_ORDER = ("DF017_payment_order.json", "DF017_payment_order.xml")


#: Sendings from this size on have their big writes done in a thread of their own.
BACKGROUND = 32 << 20


class _Writes:
    """File writes, one at a time and in order. For a big sending they go to a thread
    of their own, so that the next piece is rendered (the core releases the GIL) while
    the last one is written; a small one is written at once (a thread costs more)."""

    def __init__(self, background: bool) -> None:
        self._pool = ThreadPoolExecutor(1, "vsbengine-write") if background else None
        self._pending: Future | None = None

    def write(self, fh, data) -> None:
        if self._pool is None:
            _write(fh, data)
            return
        self.wait()
        self._pending = self._pool.submit(_write, fh, data)

    def wait(self) -> None:
        if self._pending is not None:
            pending, self._pending = self._pending, None
            pending.result()

    def close(self) -> None:
        try:
            self.wait()
        finally:
            if self._pool is not None:
                self._pool.shutdown(wait=True)


def _write(fh, data) -> None:
    if isinstance(data, Interleaved):
        data.write_to(fh)
    else:
        fh.write(data)


def write(
    result,
    folder,
    messages,
    *,
    answers: Answers | None = None,
    reference: int | None = None,
    source=None,
    report: bool = True,
    payment_order=None,
    echo: str = "errors",
) -> list[Path]:
    """Write the outputs of ``result`` into ``folder`` (created if needed).

    Parameters
    ----------
    result
        A :class:`vsbengine.Result`.
    folder
        Where the files go.
    messages
        The answers to write, in order: any of ``"DF011"`` to ``"DF015"`` that the
        result leads to, and ``"DF016"`` (the notifications of an accepted sending,
        one file per destination mutuality).
    answers
        The :class:`~vsbengine.formats.efact.answers.Answers` to write (default: made
        from ``result``, ``reference`` and ``source``).
    reference
        The insurer's message reference (zone 205), see ``Answers``.
    source
        The validated file again, for a result that keeps no scans and has no path.
    report
        Also write ``report.json`` (the JSON result).
    payment_order
        ``(PaymentOrder, pain.001 XML bytes)``: also write DF017 (see
        :func:`vsbengine.formats.efact.payment.order`; XML None: nothing is
        transferred, only the JSON is written).
    echo
        Which records DF013, DF014 and DF015 echo: ``"errors"`` (records 10 and 90 and
        the invoices with errors, as most insurers do) or ``"all"`` (see ``Answers``).

    Returns
    -------
    list of Path
        The messages written, in order (DF016 per mutuality, then DF017), without the
        report.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    if answers is None:
        answers = Answers(result, source, reference=reference, echo=echo)
    writers = [answers.writer(df, reuse=True) for df in messages if df != "DF016"]
    notifier = notify.Notifier(result) if "DF016" in messages else None
    paths: dict[str, list[Path]] = {df: [] for df in messages}
    writes = _Writes(background=result.size >= BACKGROUND)
    with contextlib.ExitStack() as stack:
        try:
            opened: list = []

            def create(name: str):
                path = folder / name
                fh = stack.enter_context(atomic_open(path))
                opened.append(fh)
                return path, fh

            files = {}
            for w in writers:
                path, files[w.name] = create(FILE_NAMES[w.name])
                paths[w.name].append(path)
                files[w.name].write(w.head())
            per_mutuality: dict[int, object] = {}
            if notifier is not None or any(w.needs_scans for w in writers):
                for s in answers.scans:
                    for w in writers:
                        if w.needs_scans:
                            for piece in w.feed(s):
                                writes.write(files[w.name], piece)
                    if notifier is not None:
                        for mut, lines in notifier.feed(s):
                            fh = per_mutuality.get(mut)
                            if fh is None:
                                fh = per_mutuality[mut] = create(notify.file_name(mut))[1]
                            writes.write(fh, lines)
                    # Done with this chunk before the next is scanned (memory limit).
                    writes.wait()
                    s.give_back()
                    del s
            writes.wait()
            for w in writers:
                files[w.name].write(w.tail())
            if notifier is not None:
                for mut in notifier.mutualities:
                    if mut not in per_mutuality:
                        per_mutuality[mut] = create(notify.file_name(mut))[1]
                paths["DF016"] = [folder / notify.file_name(m) for m in sorted(per_mutuality)]
            orders = []
            if payment_order is not None:
                po, xml = payment_order
                for name, data in zip(
                    PAYMENT_ORDER, (msgspec.json.format(msgspec.json.encode(po)), xml)
                ):
                    if data is not None:  # no pain.001 when nothing is transferred
                        create(name)[1].write(data)
                        orders.append(folder / name)
            if report:
                create(REPORT)[1].write(result.to_json() + b"\n")
            writes.wait()
            # Every file on disk before any is placed: a full disk fails them all here
            # (each is removed), not the first placed after others were.
            for fh in opened:
                fh.flush()
                os.fsync(fh.fileno())
        finally:
            # Every write is done (or failed) before the files are published.
            writes.close()

    written = [p for df in messages for p in paths[df]]
    return written + orders
