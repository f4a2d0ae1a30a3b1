"""The register's schema: tables, columns, states, and the way from one version to the next.

For the reports and review tools that read a register (``sqlite3``, pandas, any SQLite
client; open it read-only). Times are ISO 8601 UTC to the second, dates ``YYYY-MM-DD``,
amounts euro cents, JSON columns UTF-8 text.

``sendings``: one row per file content received (and per claim that was abandoned).

===========================  =============================================================
column                       meaning
===========================  =============================================================
id                           the sending's number in the register (``vsbengine sign R ID``)
digest                       BLAKE2b of the file (16 bytes, hex, as in proposal.json);
                             NULL while it is being checked or when abandoned; unique
size, head                   file size; BLAKE2b of its first 4096 bytes (finding likely
                             duplicates without reading the file)
claim_key                    ``facility/year/number`` (or ``head/size/hash`` without them)
file_name, source            the file's name and the path it was received from
facility                     record 10 zone 14 (12 digits)
sending_number               record 10 zone 7
invoiced_year                record 10 zone 22 (the year of the number)
invoiced_month               record 10 zones 22-23, ``YYYY-MM``
invoice_type                 segment 300 zone 308
creation_date                segment 300 zone 302 (record 10 zone 25)
invoicing_date               the first record 20's zone 47
received_at, received_on     time of receipt; date of receipt (the date the checks took as
                             today; the payment term runs from it)
state                        see below
technical                    DF011 or DF012
proposed                     DF013 or DF014 (NULL after a DF012)
rejection_type               01 (B errors) or 02 (more than 5 %)
ratio_x100                   rejected records per 10,000 (``1667`` = 16.67 %)
records_total/_rejected,     counts of the check (as in ``report.json``)
invoices_total/_rejected,
prestations_total/_rejected
every_prestation_rejected    1 when every prestation is rejected (waits for a person)
errors                       errors found
amount_requested             record 96 zone 508 (the sending's total)
amount_accepted              the accepted total of the settlement (DF014 only)
waiting_for                  ``signature`` or ``confirmation`` while ``proposed``
resend_of                    the earlier sending with this number it was measured against
identity_codes               JSON list of the identity codes it got (see vsbengine.identity)
decided_by, decided_at       who signed or confirmed, and when
due_on                       the payment order's due date (DF017), after a signature
folder                       the folder of its messages, relative to ``PATH.sendings``
pending, pending_to          a staged folder recorded but not yet renamed into place
run                          the run that holds it (its claim, its pending publication)
settle_as                    the unattended signer its receiving run asked for
===========================  =============================================================

``state``: ``received`` (being checked), ``proposed`` (DF011 out, a person decides),
``signed``/``confirmed`` (being published), ``answered`` (final: DF012, or DF013 after a
confirmation), ``payment_due`` (final: DF014 to DF017 out, pay by ``due_on``),
``abandoned`` (a claim whose run died before the check ended; never answered).

``events``: one row per state change: ``sending``, ``at``, ``state`` (``received``,
``DF011``/``DF012``, ``proposed``, ``signed``/``confirmed``, ``answered``/``payment_due``,
``abandoned``), ``by`` (the person who signed or confirmed), ``run``, ``detail`` (JSON).

``runs``: one row per command that wrote: ``command`` (receive, bulk, sign, confirm),
``started_at``, ``ended_at``, ``status`` (running, finished, interrupted, crashed),
``host``, ``pid``, ``user``, ``options`` and ``counts`` (JSON: outcome -> files).

``invoices``: the individual invoice numbers of every sending checked (``facility``,
``number``, ``sending``); those of accepted sendings are billed already.

``inputs``: one row per input file of a run: ``run``, ``path``, ``outcome`` (accepted,
rejected_technical, rejected_sending, waiting, unreadable, skipped, interrupted),
``sending``, ``reason``, ``at``.

The schema version is SQLite's ``user_version``, the file is marked with
``application_id``; :data:`MIGRATIONS` brings a register of any older version up to date
when it is opened, in one transaction.
"""

from __future__ import annotations

import json
from pathlib import Path

import msgspec

__all__ = ["APPLICATION_ID", "MIGRATIONS", "SCHEMA_VERSION", "Entry", "Event", "Run", "entry_of"]

#: SQLite ``application_id`` of a register ("VSBR").
APPLICATION_ID = 0x56534252

_V1 = """
CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    command TEXT NOT NULL,
    started_at TEXT NOT NULL,
    ended_at TEXT,
    status TEXT NOT NULL,
    lock TEXT NOT NULL,
    host TEXT,
    pid INTEGER,
    user TEXT,
    options TEXT,
    counts TEXT
);
CREATE TABLE sendings (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    digest TEXT UNIQUE,
    size INTEGER NOT NULL,
    head TEXT NOT NULL,
    claim_key TEXT NOT NULL,
    file_name TEXT NOT NULL,
    source TEXT NOT NULL,
    facility TEXT,
    sending_number INTEGER,
    invoiced_year INTEGER,
    invoiced_month TEXT,
    invoice_type INTEGER,
    creation_date TEXT,
    invoicing_date TEXT,
    received_at TEXT NOT NULL,
    received_on TEXT NOT NULL,
    state TEXT NOT NULL,
    technical TEXT,
    proposed TEXT,
    rejection_type TEXT,
    ratio_x100 INTEGER,
    records_total INTEGER,
    records_rejected INTEGER,
    invoices_total INTEGER,
    invoices_rejected INTEGER,
    prestations_total INTEGER,
    prestations_rejected INTEGER,
    every_prestation_rejected INTEGER,
    errors INTEGER,
    amount_requested INTEGER,
    amount_accepted INTEGER,
    waiting_for TEXT,
    resend_of INTEGER REFERENCES sendings(id),
    identity_codes TEXT,
    decided_by TEXT,
    decided_at TEXT,
    due_on TEXT,
    folder TEXT,
    pending TEXT,
    pending_to TEXT,
    run INTEGER REFERENCES runs(id),
    settle_as TEXT
);
CREATE INDEX sendings_key ON sendings(claim_key);
CREATE INDEX sendings_head ON sendings(size, head);
CREATE INDEX sendings_state ON sendings(state);
CREATE INDEX sendings_pending ON sendings(pending) WHERE pending IS NOT NULL;
CREATE TABLE events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    sending INTEGER NOT NULL REFERENCES sendings(id),
    at TEXT NOT NULL,
    state TEXT NOT NULL,
    by TEXT,
    run INTEGER REFERENCES runs(id),
    detail TEXT
);
CREATE INDEX events_sending ON events(sending);
CREATE TABLE inputs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    run INTEGER NOT NULL REFERENCES runs(id),
    path TEXT NOT NULL,
    outcome TEXT NOT NULL,
    sending INTEGER REFERENCES sendings(id),
    reason TEXT,
    at TEXT NOT NULL
);
CREATE INDEX inputs_run ON inputs(run);
"""

#: Version 2: the individual invoice numbers (record 20 zones 24-25) of every sending
#: checked, so that an invoice of an accepted sending billed again under another
#: sending number is refused (``202420``), not paid twice.
_V2 = """
CREATE TABLE invoices (
    facility TEXT NOT NULL,
    number INTEGER NOT NULL,
    sending INTEGER NOT NULL REFERENCES sendings(id)
);
CREATE INDEX invoices_key ON invoices(facility, number);
"""

#: ``MIGRATIONS[v]`` is the SQL that brings a register of schema version ``v`` to ``v + 1``.
MIGRATIONS: tuple[str, ...] = (_V1, _V2)
#: The schema version this vsbengine writes.
SCHEMA_VERSION = len(MIGRATIONS)


def iso(yyyymmdd: int | None) -> str | None:
    """``20261123`` -> ``"2026-11-23"`` (``None`` for none)."""
    if not yyyymmdd:
        return None
    s = f"{yyyymmdd:08d}"
    return f"{s[:4]}-{s[4:6]}-{s[6:]}"


def ymd(text: str | None) -> int | None:
    """``"2026-11-23"`` -> ``20261123`` (``None`` for none)."""
    return int(text.replace("-", "")) if text else None


class Entry(msgspec.Struct, omit_defaults=False):
    """One sending of the register, as ``vsbengine inbox --json`` prints it."""

    id: int
    state: str
    waiting_for: str | None
    file_name: str
    size: int
    digest: str | None
    facility: str | None
    sending_number: int | None
    invoiced_month: str | None
    invoice_type: int | None
    creation_date: str | None
    invoicing_date: str | None
    received_at: str
    received_on: str
    technical: str | None
    proposed: str | None
    rejection_type: str | None
    error_ratio: float | None
    records_total: int | None
    records_rejected: int | None
    prestations_total: int | None
    prestations_rejected: int | None
    every_prestation_rejected: bool
    errors: int | None
    amount_requested: int | None
    amount_accepted: int | None
    resend_of: int | None
    identity_codes: list[str]
    decided_by: str | None
    decided_at: str | None
    due_on: str | None
    folder: str | None
    #: ``accepted``, ``rejected_sending``, ``rejected_technical``, ``waiting``, or the
    #: state while there is none yet (``received``, ``abandoned``).
    outcome: str


class Event(msgspec.Struct):
    """One state change of a sending."""

    sending: int
    at: str
    state: str
    by: str | None
    run: int | None
    detail: dict


class Run(msgspec.Struct):
    """One command that wrote to the register."""

    id: int
    command: str
    started_at: str
    ended_at: str | None
    status: str
    host: str | None
    pid: int | None
    user: str | None
    options: dict
    counts: dict


def outcome(state: str, technical: str | None) -> str:
    """The outcome a run reports for a sending in ``state``."""
    if technical == "DF012" and state == "answered":
        return "rejected_technical"
    if state in ("payment_due", "signed"):
        return "accepted"
    if state in ("answered", "confirmed"):
        return "rejected_sending"
    if state == "proposed":
        return "waiting"
    return state


def entry_of(row, root: Path) -> Entry:
    """The :class:`Entry` of a ``sendings`` row (``folder`` made absolute under ``root``)."""
    d = dict(row)
    ratio = d.get("ratio_x100")
    waiting = d.get("waiting_for")
    if d["state"] == "proposed" and d.get("every_prestation_rejected"):
        waiting = "confirmation (every prestation rejected)"
    if d.get("superseded_by") is not None:
        waiting = f"nothing: superseded by sending {d['superseded_by']}"
    return Entry(
        id=d["id"],
        state=d["state"],
        waiting_for=waiting if d["state"] == "proposed" else None,
        file_name=d["file_name"],
        size=d["size"],
        digest=d["digest"],
        facility=d["facility"],
        sending_number=d["sending_number"],
        invoiced_month=d["invoiced_month"],
        invoice_type=d["invoice_type"],
        creation_date=d["creation_date"],
        invoicing_date=d["invoicing_date"],
        received_at=d["received_at"],
        received_on=d["received_on"],
        technical=d["technical"],
        proposed=d["proposed"],
        rejection_type=d["rejection_type"],
        error_ratio=None if ratio is None else ratio / 100,
        records_total=d["records_total"],
        records_rejected=d["records_rejected"],
        prestations_total=d["prestations_total"],
        prestations_rejected=d["prestations_rejected"],
        every_prestation_rejected=bool(d["every_prestation_rejected"]),
        errors=d["errors"],
        amount_requested=d["amount_requested"],
        amount_accepted=d["amount_accepted"],
        resend_of=d["resend_of"],
        identity_codes=json.loads(d["identity_codes"] or "[]"),
        decided_by=d["decided_by"],
        decided_at=d["decided_at"],
        due_on=d["due_on"],
        folder=None if d["folder"] is None else str(root / d["folder"]),
        outcome=outcome(d["state"], d["technical"]),
    )
