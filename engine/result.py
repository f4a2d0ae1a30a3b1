"""The result of validating a billing file, and its JSON/MessagePack form.

:class:`Result` keeps the errors as columns (:class:`ErrorTable`); the list of
:class:`ErrorEntry` structs is built only when asked for (:attr:`Result.errors`,
:meth:`Result.report`). :class:`Report` is the msgspec Struct behind
``vsbengine validate --json``.
"""

from __future__ import annotations

from functools import cached_property

import msgspec
import numpy as np

from vsbengine.formats.efact.catalogue import catalogue
from vsbengine.formats.efact.compiled import LAYOUTS
from vsbengine.formats.efact.findings import ErrorTable, Problem


class ErrorEntry(msgspec.Struct, frozen=True, omit_defaults=False):
    """One error: ``code`` (six characters), ``letter`` (B, F, R, S, E; ``None`` for
    the two-digit codes of segments 200/300 and records 95/96), ``record`` (the
    record's sequence number; ``None`` for segments and records 95/96),
    ``record_type``, ``zone``, ``offset`` (byte offset of the zone) and ``phase``
    (1 = technical validation, 2 = pre-validation)."""

    code: str
    letter: str | None
    record: int | None
    record_type: str | None
    zone: str | None
    offset: int | None
    phase: int


class ProblemEntry(msgspec.Struct, frozen=True):
    """A framing problem located to the byte (``record`` = position in the file)."""

    message: str
    offset: int | None
    record: int | None
    zone: str | None


class Report(msgspec.Struct, frozen=True):
    """What ``vsbengine validate --json`` prints (one JSON object)."""

    file: str | None
    size: int
    technical: str
    decision: str | None
    rejection_type: str | None
    records_total: int
    records_rejected: int
    records_accepted: int
    error_ratio: float
    invoices_total: int
    invoices_rejected: int
    errors: list[ErrorEntry]
    problems: list[ProblemEntry]


class Result:
    """Outcome of validating one billing file.

    Attributes
    ----------
    file
        The path, or ``None`` for bytes.
    technical
        ``"DF011"`` (file accepted) or ``"DF012"`` (file rejected).
    decision
        ``"DF013"`` (sending rejected), ``"DF014"`` (accepted, followed by the
        settlement DF015), or ``None`` after a technical rejection.
    rejection_type
        ``"01"`` (blocking errors), ``"02"`` (ratio above 5 %) or ``None``.
    records_total
        Records 10 to 90 read.
    records_rejected
        Records rejected by an error of their own or of their group or invoice
        (after a technical rejection: every record).
    records_accepted
        Records paid in the settlement: ``records_total - records_rejected`` for an
        accepted sending, 0 otherwise.
    error_ratio
        ``records_rejected / records_total * 100``, two decimals rounded half up.
    invoices_total, invoices_rejected
        Invoices (records 20) read, and rejected as a whole.
    error_table
        The errors as columns.
    problems
        Framing problems, located to the byte.
    """

    def __init__(self, *, file, size, technical, decision, rejection_type, records_total,
                 records_rejected, ratio_x100, invoices_total, invoices_rejected,
                 error_table: ErrorTable, problems: list[Problem], sending, verdict,
                 today: int) -> None:
        self.file = file
        self.size = size
        self.technical = technical
        self.decision = decision
        self.rejection_type = rejection_type
        self.records_total = records_total
        self.records_rejected = records_rejected
        self.records_accepted = records_total - records_rejected if decision == "DF014" else 0
        self.ratio_x100 = ratio_x100
        self.error_ratio = ratio_x100 / 100
        self.invoices_total = invoices_total
        self.invoices_rejected = invoices_rejected
        self.error_table = error_table
        self.problems = problems
        self.today = today
        self._sending = sending
        self._verdict = verdict

    @property
    def accepted(self) -> bool:
        """Whether the sending is accepted (DF011 then DF014)."""
        return self.decision == "DF014"

    @property
    def messages(self) -> list[str]:
        """The answer messages this result leads to, in order."""
        if self.technical == "DF012":
            return ["DF012"]
        return ["DF011", self.decision] + (["DF015"] if self.decision == "DF014" else [])

    @cached_property
    def errors(self) -> list[ErrorEntry]:
        """The errors as a list of structs (built on first use)."""
        return _entries(self._sending, self.error_table)

    def report(self) -> Report:
        """The msgspec Struct behind the JSON output."""
        return Report(
            file=self.file,
            size=self.size,
            technical=self.technical,
            decision=self.decision,
            rejection_type=self.rejection_type,
            records_total=self.records_total,
            records_rejected=self.records_rejected,
            records_accepted=self.records_accepted,
            error_ratio=self.error_ratio,
            invoices_total=self.invoices_total,
            invoices_rejected=self.invoices_rejected,
            errors=self.errors,
            problems=[ProblemEntry(p.message, p.offset, p.record, p.zone) for p in self.problems],
        )

    def to_json(self) -> bytes:
        return msgspec.json.encode(self.report())

    def to_msgpack(self) -> bytes:
        return msgspec.msgpack.encode(self.report())

    def __repr__(self) -> str:
        return (f"<Result {self.file or 'bytes'}: {'/'.join(self.messages)}, "
                f"{self.records_rejected}/{self.records_total} records rejected>")


def _entries(sending, table: ErrorTable) -> list[ErrorEntry]:
    if len(table) == 0:
        return []
    zones = LAYOUTS.zones
    cat = catalogue()
    unit = table.unit
    safe = np.maximum(unit, 0)
    seq = sending.col("seq")[safe] if sending.n_units else np.zeros(len(unit), np.int32)
    rtype = sending.rtype[safe] if sending.n_units else np.zeros(len(unit), np.int16)
    offsets = sending.offsets[safe] if sending.n_units else np.zeros(len(unit), np.int64)
    out = []
    for u, code, zi, sq, rt, off in zip(unit.tolist(), table.codes(), table.zone.tolist(),
                                        seq.tolist(), rtype.tolist(), offsets.tolist()):
        zone = zones[zi] if zi >= 0 else None
        layout = zone.layout if zone is not None else (f"{rt:02d}" if rt else None)
        detail = layout is not None and layout.isdigit() and int(layout) < 95 and len(layout) == 2
        letter = cat[code].letter or None
        out.append(ErrorEntry(
            code=code,
            letter=letter,
            record=sq if (u >= 0 and detail and sq) else None,
            record_type=layout,
            zone=zone.zone if zone is not None else None,
            offset=(off + zone.start) if (u >= 0 and zone is not None and off >= 0) else None,
            phase=2 if detail else 1,
        ))
    return out
