"""The ledger: a SQLite database of every round, payment and claim.

A round is booked in one transaction (``BEGIN IMMEDIATE``: a second run of the
same ledger waits for the first), so it is there entirely or not at all. What
was settled per practice, chain, quarter and insurer is the sum of its
movements (payments positive, claims negative); a round settles the difference
with what is granted now. The ledger also keeps the latest export state per
key, from which the specifications are written.

Tables (``PRAGMA user_version`` = 2)::

    rounds      (quarter, round) -> date, booked_at, message_id
    payments    one row per bank payment: quarter, chain, agb, round, sequence, ...
    movements   one row per insurer share of a payment (+) or claim (-)
    grants      the latest export row per (quarter, chain, agb, uzovi)
    round_files the files a booking owns (folder, name, SHA-256, the bytes), and
                when each was published under its final name (NULL: not yet); a
                folder whose name is not UTF-8 is kept as its bytes (a BLOB)

``round_files`` makes "commit, then publish" possible: a round's files are
booked with the round, in the same transaction, and only then given their
final names; a run that finds a file not yet published (a crash came between
the commit and the rename) publishes it from the ledger. Version 1 ledgers
(without ``round_files``) are migrated when opened for writing.
"""

from __future__ import annotations

import datetime as _dt
import os
import sqlite3
from collections.abc import Iterable
from pathlib import Path

import msgspec

from vsbengine.errors import InputError
from vsbengine.formats.viplive.records import Claim, Grant, Payment
from vsbengine.fsio import path_text

__all__ = ["SCHEMA_VERSION", "Key", "Ledger", "OwnedFile"]

SCHEMA_VERSION = 2
#: Seconds a round waits for another run that holds the ledger.
LOCK_TIMEOUT = 30.0

#: (quarter, chain, agb, uzovi)
Key = tuple[str, str, str, str]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS rounds (
    quarter    TEXT NOT NULL,
    round      INTEGER NOT NULL CHECK (round >= 1),
    date       TEXT NOT NULL,
    booked_at  TEXT NOT NULL,
    message_id TEXT,
    PRIMARY KEY (quarter, round)
);
CREATE TABLE IF NOT EXISTS payments (
    quarter     TEXT NOT NULL,
    chain       TEXT NOT NULL,
    agb         TEXT NOT NULL,
    round       INTEGER NOT NULL,
    sequence    INTEGER NOT NULL,
    date        TEXT NOT NULL,
    amount      INTEGER NOT NULL CHECK (amount > 0),
    iban        TEXT NOT NULL,
    practice    TEXT NOT NULL,
    invoice     TEXT NOT NULL,
    description TEXT NOT NULL UNIQUE,
    PRIMARY KEY (quarter, chain, round, sequence),
    UNIQUE (quarter, chain, agb, round),
    FOREIGN KEY (quarter, round) REFERENCES rounds (quarter, round)
);
CREATE TABLE IF NOT EXISTS movements (
    quarter  TEXT NOT NULL,
    chain    TEXT NOT NULL,
    agb      TEXT NOT NULL,
    uzovi    TEXT NOT NULL,
    round    INTEGER NOT NULL,
    date     TEXT NOT NULL,
    amount   INTEGER NOT NULL CHECK (amount <> 0),
    granted  INTEGER NOT NULL CHECK (granted >= 0),
    patients INTEGER NOT NULL,
    PRIMARY KEY (quarter, chain, agb, uzovi, round),
    FOREIGN KEY (quarter, round) REFERENCES rounds (quarter, round)
);
CREATE TABLE IF NOT EXISTS grants (
    quarter    TEXT NOT NULL,
    chain      TEXT NOT NULL,
    agb        TEXT NOT NULL,
    uzovi      TEXT NOT NULL,
    practice   TEXT NOT NULL,
    iban       TEXT NOT NULL,
    patients   INTEGER NOT NULL,
    amount     INTEGER NOT NULL,
    status     TEXT NOT NULL,
    downloaded TEXT NOT NULL,
    source     TEXT NOT NULL,
    line       INTEGER NOT NULL,
    PRIMARY KEY (quarter, chain, agb, uzovi)
);
"""

_ROUND_FILES = """
CREATE TABLE IF NOT EXISTS round_files (
    message_id TEXT NOT NULL,
    folder     TEXT NOT NULL,
    name       TEXT NOT NULL,
    sha256     TEXT NOT NULL,
    content    BLOB NOT NULL,
    published  TEXT,
    PRIMARY KEY (folder, name)
);
"""

_TABLES_V1 = {"rounds", "payments", "movements", "grants"}
_TABLES = _TABLES_V1 | {"round_files"}


class OwnedFile(msgspec.Struct, frozen=True):
    """A file a booked round owns."""

    message_id: str
    folder: str
    name: str
    sha256: str
    content: bytes
    published: str | None


def _folder_key(folder: str) -> str | bytes:
    """A folder as ``round_files`` keeps it: its name, or its bytes when the name is
    not UTF-8 (SQLite stores text as UTF-8); the same folder always gives the same."""
    try:
        folder.encode()
    except UnicodeEncodeError:
        return os.fsencode(folder)
    return folder


def _folder_of(stored: str | bytes) -> str:
    return os.fsdecode(stored) if isinstance(stored, bytes) else stored


class Ledger:
    """An open ledger. Use :meth:`open`; close it (or use ``with``) when done."""

    def __init__(self, con: sqlite3.Connection, path: str) -> None:
        self._con, self.path = con, path
        self.version = SCHEMA_VERSION

    @classmethod
    def open(cls, path: str | os.PathLike, *, create: bool = True) -> Ledger:
        """Open (and with ``create``, make) the ledger at ``path``.

        Without ``create`` a missing ledger opens as an empty one in memory
        (a dry run writes nothing).

        Raises
        ------
        vsbengine.InputError
            The file is not a SQLite database, or not a ledger of this version.
        """
        path = os.fspath(path)
        if os.path.isdir(path):
            raise InputError("is a folder, not a ledger file", path=path)
        if not create and not os.path.exists(path):
            con = sqlite3.connect(":memory:", isolation_level=None)
        elif not create:
            uri = Path(path).absolute().as_uri() + "?mode=ro"  # as_uri escapes ? and #
            con = sqlite3.connect(uri, uri=True, isolation_level=None)
        else:
            try:
                con = sqlite3.connect(path, isolation_level=None, timeout=LOCK_TIMEOUT)
            except sqlite3.Error as exc:
                raise InputError(f"cannot open the ledger ({exc})", path=path) from None
        ledger = cls(con, path)
        try:
            ledger._prepare(writable=create or not os.path.exists(path))
        except sqlite3.DatabaseError as exc:
            con.close()
            raise InputError(f"not a usable ledger ({exc})", path=path) from None
        except InputError:
            con.close()
            raise
        return ledger

    def _prepare(self, writable: bool) -> None:
        con = self._con
        version = con.execute("PRAGMA user_version").fetchone()[0]
        tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if version == SCHEMA_VERSION and tables >= _TABLES:
            con.execute("PRAGMA foreign_keys = ON")
            return
        if version == 0 and not tables and writable:
            # IF NOT EXISTS: two first runs racing both end with the same schema.
            con.executescript(
                f"BEGIN IMMEDIATE; {_SCHEMA} {_ROUND_FILES} "
                f"PRAGMA user_version = {SCHEMA_VERSION}; COMMIT;"
            )
            con.execute("PRAGMA foreign_keys = ON")
            return
        if version == 1 and tables >= _TABLES_V1:
            if not writable:
                self.version = 1  # read as it is: nothing of version 2 is needed to read
                return
            self._migrate_from_1()
            con.execute("PRAGMA foreign_keys = ON")
            return
        if version > SCHEMA_VERSION:
            raise InputError(f"ledger of a newer version ({version})", path=self.path)
        raise InputError("not a VIPLive ledger", path=self.path)

    def _migrate_from_1(self) -> None:
        """Version 1 -> 2: add ``round_files``. Rounds booked before own no recorded
        files (their files were written before the commit, as version 1 did)."""
        con = self._con
        con.execute("BEGIN IMMEDIATE")
        try:
            if con.execute("PRAGMA user_version").fetchone()[0] == 1:  # not migrated meanwhile
                con.execute(_ROUND_FILES)
                con.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise

    # -- transactions -------------------------------------------------------------------

    def begin(self) -> None:
        """Start the round's transaction; it locks the ledger for writing (waiting up to
        :data:`LOCK_TIMEOUT` seconds for another run to finish)."""
        try:
            self._con.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise InputError(
                f"the ledger is in use by another run ({exc})", path=self.path
            ) from None

    def commit(self) -> None:
        self._con.execute("COMMIT")

    def rollback(self) -> None:
        if self._con.in_transaction:
            self._con.execute("ROLLBACK")

    def close(self) -> None:
        self._con.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc) -> None:
        self.rollback()
        self.close()

    # -- reading ------------------------------------------------------------------------

    def settled(self) -> dict[Key, int]:
        """Net amount settled per key: payments minus claims (cents)."""
        rows = self._con.execute(
            "SELECT quarter, chain, agb, uzovi, SUM(amount) FROM movements "
            "GROUP BY quarter, chain, agb, uzovi"
        )
        return {(q, c, a, u): s for q, c, a, u, s in rows}

    def rounds(self) -> dict[tuple[str, int], _dt.date]:
        """Booked rounds: (quarter, round) -> date."""
        rows = self._con.execute("SELECT quarter, round, date FROM rounds")
        return {(q, n): _dt.date.fromisoformat(d) for q, n, d in rows}

    def latest_round(self) -> _dt.date | None:
        """The date of the latest booked round, or ``None`` before the first."""
        (latest,) = self._con.execute("SELECT MAX(date) FROM rounds").fetchone()
        return None if latest is None else _dt.date.fromisoformat(latest)

    def grants(self) -> dict[Key, Grant]:
        """The newest export row the ledger kept per key (``path`` and ``line`` say where
        it came from)."""
        rows = self._con.execute(
            "SELECT quarter, chain, agb, practice, iban, uzovi, patients, amount, status, "
            "downloaded, source, line FROM grants"
        )
        found = {}
        for *head, day, source, line in rows:
            g = Grant(*head, _dt.date.fromisoformat(day), source, line)
            found[(g.quarter, g.chain, g.agb, g.uzovi)] = g
        return found

    def files(self, *, unpublished: bool = False) -> list[OwnedFile]:
        """The files booked rounds own (only those not yet published, with ``unpublished``)."""
        if self.version < 2:
            return []
        where = " WHERE published IS NULL" if unpublished else ""
        rows = self._con.execute(
            "SELECT message_id, folder, name, sha256, content, published FROM round_files"
            f"{where} ORDER BY message_id, name"
        )
        return [OwnedFile(m, _folder_of(folder), *rest) for m, folder, *rest in rows]

    def owner(self, folder: str, name: str) -> str | None:
        """The message id of the booking that owns ``folder/name``, if one does."""
        if self.version < 2:
            return None
        row = self._con.execute(
            "SELECT message_id FROM round_files WHERE folder = ? AND name = ?",
            (_folder_key(folder), name),
        ).fetchone()
        return None if row is None else row[0]

    def published(self, f: OwnedFile, when: str) -> None:
        """Record that ``f`` has its final name (a transaction of its own)."""
        self._con.execute(
            "UPDATE round_files SET published = ? WHERE folder = ? AND name = ?",
            (when, _folder_key(f.folder), f.name),
        )

    def query(self, sql: str, args: Iterable = ()) -> list[tuple]:
        return self._con.execute(sql, tuple(args)).fetchall()

    # -- booking ------------------------------------------------------------------------

    def book(
        self,
        day: _dt.date,
        quarters: dict[str, int],
        payments: list[Payment],
        claims: list[Claim],
        state: list[Grant],
        booked_at: str,
        message_id: str,
    ) -> None:
        """Write a round (inside the transaction :meth:`begin` opened)."""
        con = self._con
        d = day.isoformat()
        con.executemany(
            "INSERT INTO rounds VALUES (?, ?, ?, ?, ?)",
            [(q, n, d, booked_at, message_id) for q, n in sorted(quarters.items())],
        )
        con.executemany(
            "INSERT INTO payments VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    p.quarter,
                    p.chain,
                    p.agb,
                    p.round,
                    p.sequence,
                    d,
                    p.amount,
                    p.iban,
                    p.practice,
                    p.invoice,
                    p.description,
                )
                for p in payments
            ],
        )
        moves = [
            (
                p.quarter,
                p.chain,
                p.agb,
                part.uzovi,
                p.round,
                d,
                part.amount,
                part.granted,
                part.patients,
            )
            for p in payments
            for part in p.insurers
        ]
        moves += [
            (c.quarter, c.chain, c.agb, c.uzovi, c.round, d, -c.amount, c.granted, c.patients)
            for c in claims
        ]
        con.executemany("INSERT INTO movements VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", moves)
        self.remember(state)

    def own(self, message_id: str, folder: str, files: dict[str, tuple[str, bytes]]) -> None:
        """Book the files of a round (name -> (SHA-256, bytes)) inside its transaction;
        they are not published yet."""
        self._con.executemany(
            "INSERT INTO round_files VALUES (?, ?, ?, ?, ?, NULL)",
            [
                (message_id, _folder_key(folder), name, sha, data)
                for name, (sha, data) in files.items()
            ],
        )

    def remember(self, state: list[Grant]) -> None:
        """Keep the latest export row per key (an older download never overwrites a newer)."""
        self._con.executemany(
            "INSERT INTO grants VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (quarter, chain, agb, uzovi) DO UPDATE SET practice = excluded.practice, "
            "iban = excluded.iban, patients = excluded.patients, amount = excluded.amount, "
            "status = excluded.status, downloaded = excluded.downloaded, "
            "source = excluded.source, line = excluded.line "
            "WHERE excluded.downloaded >= grants.downloaded",
            [
                (
                    g.quarter,
                    g.chain,
                    g.agb,
                    g.uzovi,
                    g.practice,
                    g.iban,
                    g.patients,
                    g.amount,
                    g.status,
                    g.downloaded.isoformat(),
                    path_text(g.path),  # (informative: a name that is no UTF-8 as \xNN)
                    g.line,
                )
                for g in state
            ],
        )
