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
    prestations_total: int
    prestations_rejected: int
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
        Records rejected by an error of their own, of their record 50 or of their
        invoice (after a technical rejection: every record).
    records_accepted
        Records paid in the settlement: ``records_total - records_rejected`` for an
        accepted sending, 0 otherwise.
    error_ratio
        ``records_rejected / records_total * 100``, two decimals rounded half up.
    invoices_total, invoices_rejected
        Invoices (records 20) read, and rejected as a whole.
    error_table
        The errors as columns (:class:`~vsbengine.formats.efact.findings.ErrorTable`).
    problems
        Framing problems, located to the byte.
    rejected
        Per unit of the file (0, 1 the segments, then the records): rejected; ``None``
        after a technical rejection.
    settlement
        The amounts of the settlement (records 91 and 92), see :func:`settlement_rows`.
    """

    def __init__(
        self,
        *,
        file,
        size,
        technical,
        decision,
        rejection_type,
        records_total,
        records_rejected,
        ratio_x100,
        invoices_total,
        invoices_rejected,
        error_table: ErrorTable,
        problems: list[Problem],
        today: int,
        rejected,
        settlement: list[dict],
        seed: bytes,
        source,
        last_detail: int = -1,
        prestations_total: int = 0,
        prestations_rejected: int = 0,
    ) -> None:
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
        self.rejected = rejected
        self.settlement = settlement
        self.seed = seed
        #: Unit of the last record 10-90 (answers echo errors of no record there).
        self.last_detail = last_detail
        #: Prestation records (30 and 50) read, and rejected (every one after DF012).
        self.prestations_total = prestations_total
        self.prestations_rejected = prestations_rejected
        #: What the answers read again: the path, or the bytes that were validated.
        self.source = source

    def __getstate__(self):
        # A result travels (between processes, to a Dask client) without the bytes it
        # came from; a path is kept.
        state = dict(self.__dict__)
        state.pop("errors", None)
        if not isinstance(state.get("source"), str):
            state["source"] = None
        return state

    # -- persistence (a proposal waits for its sign-off) ------------------------------
    _SCALARS = (
        "file",
        "size",
        "technical",
        "decision",
        "rejection_type",
        "records_total",
        "records_rejected",
        "ratio_x100",
        "invoices_total",
        "invoices_rejected",
        "today",
        "settlement",
        "last_detail",
        "prestations_total",
        "prestations_rejected",
    )

    def save(self, folder) -> None:
        """Write the result into ``folder`` (``result.json`` and ``result.npz``), so that its
        answers can be written later (after a sign-off) from the same facts."""
        import json
        import os

        import numpy as np

        os.makedirs(folder, exist_ok=True)
        meta = {k: getattr(self, k) for k in self._SCALARS}
        meta["seed"] = self.seed.hex()
        meta["source"] = self.source if isinstance(self.source, str) else None
        meta["problems"] = [[p.offset, p.record, p.zone, p.message] for p in self.problems]
        t = self.error_table
        arrays = {
            f"errors_{c}": getattr(t, c)
            for c in ("unit", "code", "letter", "zone", "seq", "rtype", "offset")
        }
        if self.rejected is not None:
            arrays["rejected"] = np.packbits(self.rejected)
            meta["units"] = len(self.rejected)
        np.savez(os.path.join(folder, "result.npz"), **arrays)
        with open(os.path.join(folder, "result.json"), "w", encoding="utf-8") as fh:
            json.dump(meta, fh, indent=1)

    @classmethod
    def load(cls, folder) -> Result:
        """The result saved by :meth:`save`."""
        import json
        import os

        import numpy as np

        with open(os.path.join(folder, "result.json"), encoding="utf-8") as fh:
            meta = json.load(fh)
        with np.load(os.path.join(folder, "result.npz")) as z:
            table = ErrorTable(
                *(
                    z[f"errors_{c}"]
                    for c in ("unit", "code", "letter", "zone", "seq", "rtype", "offset")
                )
            )
            rejected = (
                np.unpackbits(z["rejected"])[: meta["units"]].astype(bool)
                if "rejected" in z
                else None
            )
        scalars = {k: meta[k] for k in cls._SCALARS}
        return cls(
            error_table=table,
            rejected=rejected,
            seed=bytes.fromhex(meta["seed"]),
            source=meta["source"],
            problems=[Problem(*p) for p in meta["problems"]],
            **scalars,
        )

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
        return _entries(self.error_table)

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


_SEGMENT_NAMES = {200: "200", 300: "300"}


def _entries(table: ErrorTable) -> list[ErrorEntry]:
    if len(table) == 0:
        return []
    cols = table.readable()
    names = ("code", "letter", "record", "record_type", "zone", "offset", "phase")
    values = [
        np.where(missing, None, v).tolist() if missing is not None else v.tolist()
        for v, missing in (cols[n] for n in names)
    ]
    return [ErrorEntry(*row) for row in zip(*values)]


def settlement_rows(sm) -> list[dict]:
    """The amounts of the settlement (cents), from the merged summary of a sending: one
    dict per record 95 (file order, for the records 91), then one for record 96 (for
    record 92). Requested amounts, counts and controls echo the records 95/96;
    accepted amounts are the prestations accepted; refused = requested - accepted."""
    rows = []
    for c in sm.closing:
        if c.rtype != 95:
            continue
        v = c.values
        m = sm.mutualities.get(v["401"])
        acc_a = m.accepted_a if m else 0
        acc_b = m.accepted_b if m else 0
        rows.append(
            dict(
                record="91",
                mutuality=v["401"],
                summary=v["402"],
                requested_a=v["404"],
                requested_b=v["406"],
                requested=v["408"],
                records=v["409"],
                control=v["410"],
                accepted_a=acc_a,
                refused_a=v["404"] - acc_a,
                accepted_b=acc_b,
                refused_b=v["406"] - acc_b,
                accepted=acc_a + acc_b,
                refused=v["408"] - acc_a - acc_b,
            )
        )
    r96 = next((c for c in sm.closing if c.rtype == 96), None)
    if r96 is not None:
        v = r96.values
        total = {
            k: sum(r[k] for r in rows)
            for k in ("accepted_a", "refused_a", "accepted_b", "refused_b", "accepted", "refused")
        }
        rows.append(
            dict(
                record="92",
                mutuality=v["401"],
                summary=v["402"],
                requested_a=v["404"],
                requested_b=v["406"],
                requested=v["408"],
                records=v["409"],
                control=v["410"],
                **total,
            )
        )
    return rows
