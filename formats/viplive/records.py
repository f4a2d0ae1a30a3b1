"""The records of the VIPLive side (msgspec Structs): what is read, decided and written.

Amounts are integer cents; quarters are ``2021-Q2`` strings (they sort in
time); dates are ``datetime.date`` (ISO in JSON). Field order is the JSON key
order, so output is deterministic.
"""

from __future__ import annotations

import datetime as _dt

import msgspec

from vsbengine.formats.viplive.problems import Problem

__all__ = [
    "Claim",
    "Declaration",
    "DeclarationLine",
    "ExportRead",
    "Grant",
    "InsurerPart",
    "Payment",
    "Pending",
    "Problem",
    "QuarterRound",
    "RoundSummary",
    "RowCounts",
    "SourceFile",
]


class SourceFile(msgspec.Struct, frozen=True):
    """A table that was read, and how."""

    path: str
    kind: str  # "csv" or "xlsx"
    encoding: str | None
    delimiter: str | None
    rows: int
    headers: dict[str, str]  # our column -> the header as the file spells it


class Grant(msgspec.Struct, frozen=True):
    """One good export row: what an insurer granted a practice for a chain in a quarter.

    ``amount`` is the amount granted so far (the export's state on ``downloaded``),
    not an increment.
    """

    quarter: str
    chain: str
    agb: str
    practice: str
    iban: str
    uzovi: str
    patients: int
    amount: int
    status: str  # "toegekend", "afgewezen" or "in behandeling"
    downloaded: _dt.date
    path: str
    line: int


class Held(msgspec.Struct, frozen=True):
    """A refused export row whose key (quarter, chain, AGB code, UZOVI code, as a
    :class:`Grant`'s) and download date could be read: while it is the latest download
    of its key, the older good rows of that key are not paid either."""

    quarter: str
    chain: str
    agb: str
    uzovi: str
    downloaded: _dt.date
    path: str
    line: int


class ExportRead(msgspec.Struct):
    """The exports as read: the good rows, the refused ones, and what each file was."""

    grants: list[Grant]
    bad_rows: list[Problem]
    rows: int  # data rows read, good and bad
    files: list[SourceFile]
    held: list[Held] = msgspec.field(default_factory=list)
    #: Refused rows a later download of their key replaced (see :meth:`as_of`).
    superseded: int = 0

    @property
    def bad_lines(self) -> int:
        """Rows refused (a row with two bad cells counts once)."""
        return len({(p.path, p.line) for p in self.bad_rows})

    def as_of(self, day: _dt.date) -> ExportRead:
        """The exports as a round on ``day`` sees them: a refused row whose key and
        download date could be read (``held``) and that a later download of its key by
        ``day`` replaces is superseded, like an older good row, not refused (the
        download that counts is the later one)."""
        latest: dict[tuple, _dt.date] = {}
        rows: list[Grant | Held] = [*self.grants, *self.held]
        for row in rows:
            if row.downloaded <= day:
                key = (row.quarter, row.chain, row.agb, row.uzovi)
                latest[key] = max(latest.get(key, row.downloaded), row.downloaded)
        gone = {
            (h.path, h.line)
            for h in self.held
            if h.downloaded < latest.get((h.quarter, h.chain, h.agb, h.uzovi), h.downloaded)
        }
        if not gone:
            return self
        return ExportRead(
            self.grants,
            [p for p in self.bad_rows if (p.path, p.line) not in gone],
            self.rows,
            self.files,
            [h for h in self.held if (h.path, h.line) not in gone],
            self.superseded + len(gone),
        )


class InsurerPart(msgspec.Struct, frozen=True):
    """The share of one insurer's grant in a payment."""

    uzovi: str
    amount: int
    granted: int
    patients: int


class Payment(msgspec.Struct, frozen=True):
    """One bank payment: one practice, one chain, one quarter, one round."""

    agb: str
    chain: str
    amount: int
    description: str
    iban: str
    quarter: str
    round: int
    sequence: int
    invoice: str
    end_to_end_id: str
    practice: str
    date: _dt.date
    insurers: list[InsurerPart]


class Claim(msgspec.Struct, frozen=True):
    """A decrease: the practice was paid more than is now granted and owes ``amount``."""

    agb: str
    chain: str
    uzovi: str
    quarter: str
    round: int
    amount: int
    granted: int
    settled_before: int
    patients: int
    practice: str
    date: _dt.date


class Pending(msgspec.Struct, frozen=True):
    """A good row that this round does not settle, and why."""

    path: str
    line: int
    quarter: str
    chain: str
    agb: str
    uzovi: str
    outstanding: int  # granted and not yet paid (cents); 0 when unknown
    reason: str


class QuarterRound(msgspec.Struct, frozen=True):
    quarter: str
    round: int
    booked: str  # "now", "before" (a re-run) or "dry run"


class RowCounts(msgspec.Struct):
    """Where every row went; the outcomes add up to ``read``."""

    read: int = 0
    paid: int = 0
    already_paid: int = 0
    claimed: int = 0
    pending: int = 0
    rejected: int = 0
    superseded: int = 0
    duplicate: int = 0
    bad: int = 0


class RoundSummary(msgspec.Struct):
    """The JSON summary of a payment round."""

    round: _dt.date
    rounds: list[QuarterRound]
    payments: list[Payment]
    claims: list[Claim]
    total: int
    rows: RowCounts
    pending: list[Pending]
    bad_rows: list[Problem]
    pain001: str | None = None
    dry_run: bool = False
    warnings: list[str] = []


class DeclarationLine(msgspec.Struct, frozen=True):
    """Patients to declare for one chain, insurer and practice (and the amount, with tariffs)."""

    chain: str
    uzovi: str
    agb: str
    patients: int
    tariff: int | None = None
    amount: int | None = None


class Declaration(msgspec.Struct):
    """The quarterly declaration: included patients on the reference date."""

    quarter: str
    reference_date: _dt.date
    lines: list[DeclarationLine]
    patients: int
    amount: int | None  # None without tariffs or when a tariff is missing
    missing_tariffs: list[str]
    not_counted: dict[str, int]
    rows: int  # = patients + sum(not_counted) + refused
    refused: int  # rows refused (each listed in bad_rows)
    bad_rows: list[Problem]
