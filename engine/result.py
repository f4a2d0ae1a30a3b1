"""The result of validating a billing file, and its JSON/MessagePack form.

:class:`Result` is a msgspec Struct: the verdicts and counts, the errors as columns
(:class:`ErrorTable`), the facts its answers carry (settlement, record 10, the
envelope's bytes), and, while the validation's scans are alive, the scanned chunks
the writers work from (:attr:`Result.scans`; gone in a saved or pickled result, which
scans its file again when its answers are written). The list of :class:`ErrorEntry`
structs is built only when asked for (:attr:`Result.errors`, :meth:`Result.report`).
:class:`Report` is the msgspec Struct behind ``vsbengine validate --json``.
"""

from __future__ import annotations

import os
from functools import cached_property
from typing import Any

import msgspec
import numpy as np

from vsbengine.formats.efact.chunks import Scanned
from vsbengine.formats.efact.findings import NONE, ErrorTable, Problem
from vsbengine.formats.efact.settlement import Envelope, Record10, Settlement
from vsbengine.fsio import path_text

_TABLE_COLUMNS = ("unit", "code", "letter", "zone", "seq", "rtype", "offset")


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
    prestations_total: int
    prestations_rejected: int
    errors: list[ErrorEntry]
    problems: list[ProblemEntry]


class Result(msgspec.Struct, kw_only=True, dict=True, eq=False):
    """Outcome of validating one billing file.

    Attributes
    ----------
    file
        The path, or ``None`` for bytes.
    size
        Bytes of the file.
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
        Records rejected by an error of their own, of their record 50 or of their
        invoice (after a technical rejection: every record).
    ratio_x100
        The error ratio with two implied decimals (1667 = 16.67 %).
    invoices_total, invoices_rejected
        Invoices (records 20) read, and rejected as a whole.
    prestations_total, prestations_rejected
        Prestation records (30 and 50) read, and rejected (every one after DF012).
    today
        The date the checks took as today (``YYYYMMDD``).
    last_detail
        Unit of the last record 10-90 (answers echo errors of no record there).
    seed
        Bytes that identify the sending (the default insurer reference comes from them).
    source
        The path validated, or the bytes it was given (a pipe is read whole): what
        the answers scan again when the validation's scans are gone. A saved or
        pickled result keeps a path only.
    digest
        BLAKE2b (16 bytes, hex) of the content, when the validation was asked for it.
    settlement
        The amounts of the settlement (records 91 and 92).
    payee
        Record 10 as the answers and the payment order need it (``None`` without one).
    envelope
        The segments' bytes and the records 95/96, which the answers copy.
    problems
        Framing problems, located to the byte.
    error_table
        The errors as columns (:class:`~vsbengine.formats.efact.findings.ErrorTable`).
    rejected
        Per unit of the file (0, 1 the segments, then the records): rejected; ``None``
        after a technical rejection.
    """

    file: str | None
    size: int
    technical: str
    decision: str | None
    rejection_type: str | None
    records_total: int
    records_rejected: int
    ratio_x100: int
    invoices_total: int
    invoices_rejected: int
    prestations_total: int = 0
    prestations_rejected: int = 0
    today: int
    last_detail: int = -1
    seed: bytes
    source: Any = None
    digest: str | None = None
    settlement: list[Settlement] = []
    payee: Record10 | None = None
    envelope: Envelope
    problems: list[Problem] = []
    error_table: ErrorTable
    rejected: np.ndarray | None = None

    # -- the scans the answers are written from ----------------------------------------
    @property
    def scans(self) -> Scanned:
        """The scanned chunks of the sending: those the validation made while they are
        kept, else a plan to scan the file again (a saved or pickled result)."""
        scans = self.__dict__.get("_scans")
        if scans is None:
            if self.source is None:
                raise ValueError("the answers read the validated file again: it has no path")
            scans = Scanned(self.source)
        return scans

    def __reduce__(self):
        # A result travels (between processes, to a Dask client) with its path, not with
        # the bytes it came from, nor with its scans.
        return _rebuild, (msgspec.structs.asdict(self) | {"source": self._path()},)

    def _path(self) -> str | None:
        return self.source if isinstance(self.source, str) else None

    def keep_scans(self, scans: Scanned) -> None:
        """Attach the validation's scans (the writers use them instead of the file)."""
        self.__dict__["_scans"] = scans

    # -- derived -----------------------------------------------------------------------
    @property
    def records_accepted(self) -> int:
        """Records paid in the settlement: ``records_total - records_rejected`` for an
        accepted sending, 0 otherwise."""
        return self.records_total - self.records_rejected if self.decision == "DF014" else 0

    @property
    def error_ratio(self) -> float:
        """``records_rejected / records_total * 100``, two decimals rounded half up."""
        return self.ratio_x100 / 100

    @property
    def accepted(self) -> bool:
        """Whether the sending is accepted (DF011 then DF014)."""
        return self.decision == "DF014"

    @property
    def messages(self) -> list[str]:
        """The answer messages this result leads to, in order."""
        if self.technical == "DF012":
            return ["DF012"]
        assert self.decision is not None
        return ["DF011", self.decision] + (["DF015"] if self.decision == "DF014" else [])

    @cached_property
    def errors(self) -> list[ErrorEntry]:
        """The errors as a list of structs (built on first use)."""
        return _entries(self.error_table)

    # -- persistence (a proposal waits for its sign-off) ------------------------------
    def save(self, folder) -> None:
        """Write the result into ``folder`` (``result.json`` and ``result.npz``), so that its
        answers can be written later (after a sign-off) from the same facts."""
        from vsbengine.fsio import atomic_open, atomic_write

        os.makedirs(folder, exist_ok=True)
        t = self.error_table
        arrays = {f"errors_{c}": getattr(t, c) for c in _TABLE_COLUMNS}
        if self.rejected is not None:
            arrays["rejected"] = np.packbits(self.rejected)
            arrays["units"] = np.array([len(self.rejected)])
        # JSON holds text: a path whose bytes are not UTF-8 is kept whole beside it.
        source, file = self._path(), self.file
        for key, path in (("source_path", source), ("file_path", file)):
            if path is not None and path_text(path) != path:
                arrays[key] = np.frombuffer(os.fsencode(path), dtype=np.uint8)
        with atomic_open(os.path.join(folder, "result.npz")) as fh:
            np.savez(fh, **arrays)
        facts = msgspec.structs.replace(
            self,
            source=None if source is None else path_text(source),
            file=None if file is None else path_text(file),
        )
        atomic_write(os.path.join(folder, "result.json"), _ENCODER.encode(facts))

    @classmethod
    def load(cls, folder) -> Result:
        """The result saved by :meth:`save`."""
        with open(os.path.join(folder, "result.json"), "rb") as fh:
            result = _DECODER.decode(fh.read())
        with np.load(os.path.join(folder, "result.npz")) as z:
            result.error_table = ErrorTable(*(z[f"errors_{c}"] for c in _TABLE_COLUMNS))
            if "rejected" in z:
                result.rejected = np.unpackbits(z["rejected"])[: int(z["units"][0])].astype(bool)
            if "source_path" in z:
                result.source = os.fsdecode(z["source_path"].tobytes())
            if "file_path" in z:
                result.file = os.fsdecode(z["file_path"].tobytes())
        return result

    # -- reports -----------------------------------------------------------------------
    def report(self) -> Report:
        """The msgspec Struct behind the JSON output."""
        return Report(
            file=None if self.file is None else path_text(self.file),
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
            prestations_total=self.prestations_total,
            prestations_rejected=self.prestations_rejected,
            errors=self.errors,
            problems=[ProblemEntry(p.message, p.offset, p.record, p.zone) for p in self.problems],
        )

    def to_json(self) -> bytes:
        return msgspec.json.encode(self.report())

    def to_msgpack(self) -> bytes:
        return msgspec.msgpack.encode(self.report())

    def __repr__(self) -> str:
        return (
            f"<Result {self.file or 'bytes'}: {'/'.join(self.messages)}, "
            f"{self.records_rejected}/{self.records_total} records rejected>"
        )


def _rebuild(fields: dict) -> Result:
    return Result(**fields)


def _enc_hook(obj: Any) -> Any:
    # The columns go to result.npz; result.json holds the rest.
    if isinstance(obj, np.ndarray):
        return None
    raise NotImplementedError(f"cannot encode {type(obj).__name__}")


def _dec_hook(tp: Any, obj: Any) -> Any:
    if tp is np.ndarray:
        return np.zeros(0, np.int64)  # the columns are filled from result.npz
    raise NotImplementedError(f"cannot decode {tp}")


_ENCODER = msgspec.json.Encoder(enc_hook=_enc_hook)
_DECODER = msgspec.json.Decoder(Result, dec_hook=_dec_hook)


def _entries(table: ErrorTable) -> list[ErrorEntry]:
    if len(table) == 0:
        return []
    cols = table.readable()
    names = ("code", "letter", "record", "record_type", "zone", "offset", "phase")
    values = [
        np.where(missing, NONE, v).tolist() if missing is not None else v.tolist()
        for v, missing in (cols[n] for n in names)
    ]
    return [ErrorEntry(*row) for row in zip(*values)]
