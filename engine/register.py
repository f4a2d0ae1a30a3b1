"""The sending register: every sending received once, decided once, paid once.

One SQLite database (WAL; one transaction per state change, on disk before any
publication) records each sending received and every change of its state, with who
and when; the messages of each sending live in a folder the register owns, beside the
database (``PATH.sendings/``)::

    PATH                        the database (PATH-wal, PATH-shm beside it while in use)
    PATH.sendings/000042/
        sending.920000          the sending as received (a copy: the answers echo it)
        checked/                DF011 or DF012, report.json, proposal.json, the result
        decided/                checked/ plus the decision's messages and decision.json
    PATH.sendings/.staging/     work in progress of the runs (hidden)
    PATH.sendings/.runs/        one lock per live run

States of a sending (``sendings.state``)::

    received -> answered                      DF012: refused technically (final)
    received -> proposed                      DF011 out, DF013/DF014 proposed, waiting
    proposed -> confirmed -> answered         DF013 out (final)
    proposed -> signed -> payment_due         DF014, DF015, DF016, DF017 out; due on due_on
    received -> abandoned                     the run that received it died before the
                                              check ended (rolled back; never answered)

``signed`` and ``confirmed`` last only while the decision's messages are renamed into
place. Order of every step that writes messages: the messages are written complete
into a staging folder; then one transaction records the new state together with the
staging folder to publish (``pending``); then the folder is renamed into place and a
second transaction records it. A crash between those leaves a pending publication of
a dead run, which the next process that opens the register finishes (:meth:`recover`);
a crash before the first transaction leaves only a staging folder of a dead run, which
it removes. So no state says "signed" without its messages, and no message is in
place without its state.

The tables, their columns and the migrations are in :mod:`vsbengine.register_schema`.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import getpass
import json
import os
import socket
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import msgspec

from vsbengine import fsio, staging
from vsbengine import register_schema as schema
from vsbengine.digits import ascii_digits
from vsbengine.errors import ConfigError, InputError
from vsbengine.identity import Earlier, Head
from vsbengine.register_schema import Entry, Event, Run, entry_of, iso, ymd

__all__ = [
    "CRASH_POINTS",
    "SCHEMA_VERSION",
    "Busy",
    "Claimed",
    "Duplicate",
    "Entry",
    "Event",
    "Register",
    "Run",
    "folders_of",
    "kept_by",
]

#: The folder a register keeps beside its database: ``PATH`` + this.
FOLDERS = ".sendings"
#: A sending's message folders inside it (``000042/checked``, ``000042/decided``).
STEPS = ("checked", "decided")


def folders_of(path) -> Path:
    """The folder of the register at ``path`` (``PATH.sendings``, absolute)."""
    return Path(os.path.abspath(os.fspath(path)) + FOLDERS)


def kept_by(path) -> tuple[Path, int | None] | None:
    """The register whose folders hold ``path`` and, for a sending's ``checked/`` or
    ``decided/`` folder, that sending's number; ``None`` outside every register."""
    parts = Path(path).resolve().parts
    for i in range(len(parts) - 1, 0, -1):
        if parts[i].endswith(FOLDERS) and len(parts[i]) > len(FOLDERS):
            register = Path(*parts[:i], parts[i][: -len(FOLDERS)])
            rest = parts[i + 1 :]
            mine = len(rest) == 2 and ascii_digits(rest[0]) and len(rest[0]) == 6
            return register, int(rest[0]) if mine and rest[1] in STEPS else None
    return None


#: Seconds a command waits for another process's transaction before it gives up.
TIMEOUT = 10.0
#: The schema version this vsbengine writes (see vsbengine.register_schema).
SCHEMA_VERSION = schema.SCHEMA_VERSION

_STAGED_STATES = {"signed": "payment_due", "confirmed": "answered"}


def now() -> str:
    """The current time, ISO 8601 UTC to the second."""
    return _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat()


class Claimed(msgspec.Struct, frozen=True):
    """A sending this run received and now checks (the worker's task)."""

    sending: int
    earlier: Earlier | None
    received_on: int
    #: Invoice numbers of the facility's accepted sendings (proposed or signed DF014):
    #: billed already, not again under another sending number.
    billed: tuple[int, ...] = ()


class Duplicate(msgspec.Struct, frozen=True):
    """The same content as a sending of the register."""

    entry: Entry


class Busy(msgspec.Struct, frozen=True):
    """Another file of the same sending number, or the same file, is being checked."""

    reason: str


class Register:
    """A sending register, opened (and created when missing) at ``path``.

    Parameters
    ----------
    path
        The database file. Its folder must be writable; the messages go to
        ``path + ".sendings"``.
    create
        Create the register when ``path`` does not exist (otherwise it is an error).
    readonly
        Open for reading only (``inbox`` on a register one may not change).
    timeout
        Seconds to wait for another process's transaction.

    Raises
    ------
    vsbengine.InputError
        One line naming the path: no register there, not a register, a newer schema
        than this vsbengine knows, read-only, or locked by another process.

    Notes
    -----
    Opening finishes what processes that died left (:meth:`recover`). A register is
    used from one thread; processes share it safely (SQLite transactions, run locks).
    """

    def __init__(
        self,
        path,
        *,
        create: bool = True,
        readonly: bool = False,
        timeout: float | None = None,
    ) -> None:
        self.path = os.path.abspath(os.fspath(path))
        self.root = folders_of(self.path)
        self.readonly = readonly
        self.timeout = TIMEOUT if timeout is None else timeout
        self._run_locks: dict[int, staging.RunLock] = {}
        self._inputs: list[tuple] = []
        exists = os.path.exists(self.path)
        if os.path.isdir(self.path):
            raise InputError("is a folder, not a register", path=self.path)
        if not exists and (readonly or not create):
            raise InputError("no register here", path=self.path)
        folder = os.path.dirname(self.path)
        if not os.path.isdir(folder):
            raise InputError("no such folder for the register", path=self.path)
        if not readonly:
            if exists and not os.access(self.path, os.W_OK):
                raise InputError("the register is read-only (no write permission)", path=path)
            if not os.access(folder, os.W_OK):
                raise InputError(
                    "the register's folder is read-only (no write permission)", path=path
                )
        uri = f"file:{self.path}?mode={'ro' if readonly else 'rwc'}"
        try:
            self.con = sqlite3.connect(uri, uri=True, timeout=self.timeout, isolation_level=None)
        except sqlite3.Error as exc:
            raise self._error(exc) from None
        self.con.row_factory = sqlite3.Row
        try:
            self._open(create)
        except BaseException:
            self.con.close()
            raise
        if not readonly:
            self.recover()

    # -- opening and schema ----------------------------------------------------------------
    def _error(self, exc: sqlite3.Error) -> InputError:
        text = str(exc)
        if "locked" in text or "busy" in text:
            return InputError(
                f"the register is locked by another process (waited {self.timeout:g} s)",
                path=self.path,
            )
        if "readonly" in text or "read-only" in text:
            return InputError("the register is read-only", path=self.path)
        if "not a database" in text or "malformed" in text:
            return InputError("not a vsbengine register (not an SQLite database)", path=self.path)
        return InputError(f"register error: {text}", path=self.path)

    @contextlib.contextmanager
    def _sql(self) -> Iterator[sqlite3.Connection]:
        try:
            yield self.con
        except sqlite3.Error as exc:
            raise self._error(exc) from None

    def _open(self, create: bool) -> None:
        with self._sql() as con:
            app = con.execute("PRAGMA application_id").fetchone()[0]
            version = con.execute("PRAGMA user_version").fetchone()[0]
            if app == 0:
                tables = con.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
                if tables:
                    raise InputError(
                        "not a vsbengine register (an SQLite database of something else)",
                        path=self.path,
                    )
                if self.readonly or not create:
                    # An empty file named where a register is wanted: not made one.
                    raise InputError("not a vsbengine register (empty)", path=self.path)
            elif app != schema.APPLICATION_ID:
                raise InputError(
                    "not a vsbengine register (an SQLite database of something else)",
                    path=self.path,
                )
            if version > schema.SCHEMA_VERSION:
                raise InputError(
                    f"the register has schema version {version}, newer than this vsbengine "
                    f"knows ({schema.SCHEMA_VERSION}): upgrade vsbengine",
                    path=self.path,
                )
            if not self.readonly:
                con.execute("PRAGMA journal_mode=WAL")
            con.execute("PRAGMA synchronous=NORMAL")
            con.execute("PRAGMA foreign_keys=ON")
            if version < schema.SCHEMA_VERSION and not self.readonly:
                self._migrate(version)
            elif version < schema.SCHEMA_VERSION:
                raise InputError(
                    f"the register has schema version {version}: open it writable once to "
                    f"bring it to version {schema.SCHEMA_VERSION}",
                    path=self.path,
                )
        if not self.readonly:
            self.root.mkdir(exist_ok=True)

    def _migrate(self, version: int) -> None:
        con = self.con
        con.execute("BEGIN IMMEDIATE")
        try:
            # Another process may have migrated meanwhile.
            current = con.execute("PRAGMA user_version").fetchone()[0]
            for v in range(current, schema.SCHEMA_VERSION):
                for statement in schema.MIGRATIONS[v].split(";"):
                    if statement.strip():
                        con.execute(statement)
                con.execute(f"PRAGMA user_version = {v + 1}")
            con.execute(f"PRAGMA application_id = {schema.APPLICATION_ID}")
            if current == 0:
                con.execute(
                    "INSERT INTO settings VALUES ('folder', ?)", (os.path.basename(self.root),)
                )
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise

    @property
    def schema_version(self) -> int:
        with self._sql() as con:
            return con.execute("PRAGMA user_version").fetchone()[0]

    def close(self) -> None:
        """Close the database (runs still open are ended as interrupted)."""
        for run in list(self._run_locks):
            self.end_run(run, "interrupted")
        self.con.close()

    def __enter__(self) -> Register:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- transactions ----------------------------------------------------------------------
    @contextlib.contextmanager
    def write(self, durable: bool = False) -> Iterator[sqlite3.Connection]:
        """One write transaction (``BEGIN IMMEDIATE``: other writers wait).

        ``durable``: the commit is on disk when this returns (``synchronous=FULL``), as
        every transaction that comes before a publication must be; the others are
        durable with the next such commit (WAL, ``synchronous=NORMAL``), and a process
        that dies loses none of them either way.
        """
        if self.readonly:
            raise ConfigError("this register is open for reading only")
        with self._sql() as con:
            if durable:
                con.execute("PRAGMA synchronous=FULL")
            try:
                con.execute("BEGIN IMMEDIATE")
                try:
                    self._flush_inputs(con)
                    yield con
                except BaseException:
                    con.execute("ROLLBACK")
                    raise
                con.execute("COMMIT")
                self._inputs.clear()
            finally:
                if durable:
                    con.execute("PRAGMA synchronous=NORMAL")

    def _event(self, con, sending: int, state: str, run: int | None, by=None, **detail) -> None:
        con.execute(
            "INSERT INTO events (sending, at, state, by, run, detail) VALUES (?, ?, ?, ?, ?, ?)",
            (sending, now(), state, by, run, json.dumps(detail)),
        )

    # -- runs ------------------------------------------------------------------------------
    def begin_run(self, command: str, options: dict | None = None) -> int:
        """Record a new run of ``command`` and hold its lock; return its id."""
        lock = staging.RunLock.fresh(self.root / ".runs")
        try:
            with self.write() as con:
                cur = con.execute(
                    "INSERT INTO runs (command, started_at, status, lock, host, pid, user, "
                    "options, counts) VALUES (?, ?, 'running', ?, ?, ?, ?, ?, '{}')",
                    (
                        command,
                        now(),
                        lock.token,
                        socket.gethostname(),
                        os.getpid(),
                        _user(),
                        json.dumps(options or {}, default=str),
                    ),
                )
                run = int(cur.lastrowid or 0)
        except BaseException:
            lock.release()
            raise
        self._run_locks[run] = lock
        return run

    def end_run(self, run: int, status: str = "finished", counts: dict | None = None) -> None:
        """Record the end of a run, release its lock and remove its staging folder."""
        lock = self._run_locks.pop(run, None)
        try:
            with self.write(durable=True) as con:
                # A step this run recorded but did not publish (it was interrupted in
                # between): publish it now, before its staging folder goes.
                for row in con.execute(
                    "SELECT * FROM sendings WHERE run = ? AND pending IS NOT NULL", (run,)
                ).fetchall():
                    self._publish(con, row, recovered=True)
                con.execute(
                    "UPDATE runs SET ended_at = ?, status = ?, counts = ? WHERE id = ?",
                    (now(), status, json.dumps(counts or {}), run),
                )
        finally:
            if lock is not None:
                staging.remove_tree(self.staging(run, lock.token))
                lock.release()

    def staging(self, run: int, token: str | None = None) -> Path:
        """The staging folder of a run (where its workers write)."""
        if token is None:
            lock = self._run_locks.get(run)
            token = lock.token if lock is not None else self._token(run)
        return self.root / ".staging" / token

    def _token(self, run: int) -> str:
        row = self.con.execute("SELECT lock FROM runs WHERE id = ?", (run,)).fetchone()
        if row is None:
            raise InputError(f"no run {run}", path=self.path)
        return row["lock"]

    def alive(self, run: int | None) -> bool:
        """Whether the process of ``run`` still works (holds its lock)."""
        if run is None:
            return False
        if run in self._run_locks:
            return True
        return staging.alive(self.root / ".runs" / f"{self._token(run)}.lock")

    def record_input(
        self, run: int, path: str, outcome: str, sending: int | None, reason: str | None
    ) -> None:
        """Record the outcome of one input of a run (with the run's next transaction, or
        at its end: an input row per state change would double the run's commits)."""
        reason = None if reason is None else fsio.path_text(reason)
        self._inputs.append((run, fsio.path_text(path), outcome, sending, reason, now()))

    def _flush_inputs(self, con) -> None:
        if self._inputs:
            con.executemany(
                "INSERT INTO inputs (run, path, outcome, sending, reason, at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                self._inputs,
            )

    # -- recovery --------------------------------------------------------------------------
    def recover(self) -> dict[str, int]:
        """Finish or roll back what dead processes left; return what was done.

        A publication recorded but not done is done (the staged messages are complete:
        they were written before the state was recorded); a sending received by a dead
        run whose check never ended is abandoned (its copy removed; the next run that
        meets the file receives it again); staging folders of dead runs are removed;
        runs that died are marked ``crashed``.
        """
        done = {"published": 0, "abandoned": 0, "runs": 0, "staging": 0}
        with self.write() as con:
            rows = con.execute(
                "SELECT id, run FROM sendings WHERE pending IS NOT NULL OR state = 'received'"
            ).fetchall()
            dead = [r["id"] for r in rows if not self.alive(r["run"])]
            for sid in dead:
                row = con.execute("SELECT * FROM sendings WHERE id = ?", (sid,)).fetchone()
                if row["pending"] is not None:
                    self._publish(con, row, recovered=True)
                    done["published"] += 1
                elif row["state"] == "received":
                    self._abandon(con, row, "the run that received it stopped before the check")
                    done["abandoned"] += 1
            for r in con.execute("SELECT id FROM runs WHERE status = 'running'").fetchall():
                if not self.alive(r["id"]):
                    con.execute("UPDATE runs SET status = 'crashed' WHERE id = ?", (r["id"],))
                    done["runs"] += 1
            live = {
                self._token(r["id"])
                for r in con.execute("SELECT id FROM runs WHERE status = 'running'").fetchall()
            }
            area = self.root / ".staging"
            if area.is_dir():
                for folder in area.iterdir():
                    if folder.name not in live:
                        staging.remove_tree(folder)
                        done["staging"] += 1
            locks = self.root / ".runs"
            if locks.is_dir():
                for lock in locks.glob("*.lock"):
                    if lock.stem not in live and not staging.alive(lock):
                        with contextlib.suppress(FileNotFoundError):
                            lock.unlink()
                # A lock its maker did not name (killed between making and naming it):
                # old ones only, as a new one is unlocked for an instant while it is made.
                for making in locks.glob(".*.making"):
                    with contextlib.suppress(FileNotFoundError):
                        if time.time() - making.stat().st_mtime > 60 and not staging.alive(making):
                            making.unlink()
        return done

    def _abandon(self, con, row, reason: str, run: int | None = None) -> None:
        con.execute(
            "UPDATE sendings SET state = 'abandoned', run = NULL WHERE id = ?", (row["id"],)
        )
        self._event(con, row["id"], "abandoned", run, reason=reason)
        staging.remove_tree(self.root / f"{row['id']:06d}")

    def _publish(self, con, row, recovered: bool = False) -> None:
        """Rename the pending staged folder of ``row`` into place and record it (inside
        the caller's transaction)."""
        staged, final = self.root / row["pending"], self.root / row["pending_to"]
        if staged.is_dir() and not final.exists():
            final.parent.mkdir(parents=True, exist_ok=True)
            fsio.publish_dir(staged, final)
        elif staged.is_dir():
            staging.remove_tree(staged)  # published before: a leftover of the same step
        state = _STAGED_STATES.get(row["state"], row["state"])
        con.execute(
            "UPDATE sendings SET folder = ?, pending = NULL, pending_to = NULL, state = ? "
            "WHERE id = ?",
            (row["pending_to"], state, row["id"]),
        )
        if state != row["state"]:
            self._event(
                con, row["id"], state, row["run"], messages=row["pending_to"], recovered=recovered
            )

    # -- receiving -------------------------------------------------------------------------
    def _row(self, con, sid: int):
        # Beyond SQLite's integers there is no sending either.
        row = (
            con.execute("SELECT * FROM sendings WHERE id = ?", (sid,)).fetchone()
            if 0 < sid < 1 << 63
            else None
        )
        if row is None:
            raise InputError(f"no sending {sid} in this register", path=self.path)
        return row

    def candidates(self, head: Head) -> list:
        """Sendings with the same size and head as ``head`` (likely the same content)."""
        with self._sql() as con:
            return con.execute(
                "SELECT id, digest, state, run FROM sendings WHERE size = ? AND head = ? "
                "AND state != 'abandoned'",
                (head.size, head.head),
            ).fetchall()

    def claim(
        self,
        run: int,
        path: str,
        head: Head,
        *,
        digest: str | None = None,
        received_on: int,
        settle_as: str | None = None,
    ) -> Claimed | Duplicate | Busy:
        """Receive the file at ``path`` (of known ``head``) for ``run``, in one transaction.

        ``digest`` is the file's digest when the caller computed it (because
        :meth:`candidates` found sendings of the same size and head). Returns
        :class:`Duplicate` for content the register has, :class:`Busy` when the same
        content or another file of the same sending number is being checked by a live
        run, else :class:`Claimed` with what the identity checks need.
        """
        with self.write() as con:
            same = con.execute(
                "SELECT * FROM sendings WHERE ((size = ? AND head = ?) OR claim_key = ?) "
                "AND state != 'abandoned' ORDER BY id",
                (head.size, head.head, head.key),
            ).fetchall()
            rows = []
            for row in same:
                if row["state"] == "received" and not self.alive(row["run"]):
                    self._abandon(con, row, "the run that received it stopped", run)
                    continue
                rows.append(row)
            if digest is not None:
                dup = con.execute("SELECT * FROM sendings WHERE digest = ?", (digest,)).fetchone()
                if dup is not None:
                    return Duplicate(entry_of(dup, self.root))
            for row in rows:
                if row["state"] == "received":
                    what = (
                        "the same file"
                        if (row["size"], row["head"]) == (head.size, head.head)
                        else f"sending number {head.key} (another file)"
                    )
                    return Busy(f"{what} is being checked by run {row['run']}")
            if head.facility is not None:
                # Its invoices are compared with those of the facility's accepted
                # sendings (_billed): one of its sendings is checked at a time.
                other = con.execute(
                    "SELECT id, run FROM sendings WHERE facility = ? AND state = 'received'",
                    (head.facility,),
                ).fetchall()
                for row in other:
                    if self.alive(row["run"]):
                        return Busy(
                            f"another sending of the facility (sending {row['id']}) is being "
                            f"checked by run {row['run']}: its invoices are compared with it"
                        )
            earlier = _earlier([r for r in rows if r["claim_key"] == head.key])
            cur = con.execute(
                "INSERT INTO sendings (size, head, claim_key, file_name, source, facility, "
                "sending_number, invoiced_year, invoiced_month, invoice_type, creation_date, "
                "invoicing_date, received_at, received_on, state, resend_of, run, settle_as) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'received', ?, ?, ?)",
                (
                    head.size,
                    head.head,
                    head.key,
                    fsio.path_text(os.path.basename(path)),
                    fsio.path_text(os.path.abspath(path)),
                    head.facility,
                    head.sending_number,
                    head.invoiced_year,
                    (
                        f"{head.invoiced_year:04d}-{head.invoiced_month:02d}"
                        if head.invoiced_year is not None and head.invoiced_month is not None
                        else None
                    ),
                    head.invoice_type,
                    iso(head.creation_date),
                    iso(head.invoicing_date),
                    now(),
                    iso(received_on),
                    earlier.sending if earlier is not None else None,
                    run,
                    settle_as,
                ),
            )
            sid = int(cur.lastrowid or 0)
            self._event(con, sid, "received", run, file=os.path.basename(path), size=head.size)
            billed = self._billed(con, head.facility)
        return Claimed(sid, earlier, received_on, billed)

    def _billed(self, con, facility: str | None) -> tuple[int, ...]:
        """The invoice numbers of the facility's accepted sendings (a DF014 proposed or
        signed): an invoice billed already."""
        if facility is None:
            return ()
        rows = con.execute(
            "SELECT DISTINCT i.number FROM invoices i JOIN sendings s ON s.id = i.sending "
            "WHERE i.facility = ? AND s.proposed = 'DF014' "
            "AND s.state IN ('proposed', 'signed', 'payment_due')",
            (facility,),
        ).fetchall()
        return tuple(sorted(int(r[0]) for r in rows))

    def release(self, run: int, sending: int, reason: str) -> None:
        """Give up a claim whose check could not end (the file is not a sending after
        all, it changed while it was read, its worker died)."""
        with self.write() as con:
            row = self._row(con, sending)
            if row["state"] == "received" and row["run"] == run:
                self._abandon(con, row, reason, run)

    def folder_of(self, sending: int) -> Path:
        """The folder the register keeps for a sending (``PATH.sendings/000042``)."""
        return self.root / f"{sending:06d}"

    def commit_check(self, run: int, sending: int, checked: dict, staged: Path) -> Entry:
        """Record the check of a claimed sending (the technical answer, the proposal) with
        its staged folder, then publish the folder as ``checked/``; return the entry.

        ``checked`` holds the facts of the check (:func:`vsbengine.receive.check_task`).
        When the content is known already after all (a sending the claim could not see),
        the claim is abandoned and the earlier sending's entry is returned instead.
        """
        rel = os.path.relpath(staged, self.root)
        final = f"{sending:06d}/{STEPS[0]}"
        with self.write(durable=True) as con:
            row = self._row(con, sending)
            if row["state"] != "received" or row["run"] != run:
                raise InputError(
                    f"sending {sending} is not being checked by run {run} (state {row['state']})",
                    path=self.path,
                )
            dup = con.execute(
                "SELECT * FROM sendings WHERE digest = ? AND id != ?", (checked["digest"], sending)
            ).fetchone()
            if dup is not None:
                self._abandon(con, row, f"same content as sending {dup['id']}", run)
                staging.remove_tree(staged)
                return entry_of(dup, self.root)
            state = "answered" if checked["technical"] == "DF012" else "proposed"
            if row["facility"] is not None and checked.get("invoice_numbers"):
                con.executemany(
                    "INSERT INTO invoices (facility, number, sending) VALUES (?, ?, ?)",
                    ((row["facility"], int(n), sending) for n in checked["invoice_numbers"]),
                )
            con.execute(
                "UPDATE sendings SET digest = ?, state = ?, technical = ?, proposed = ?, "
                "rejection_type = ?, ratio_x100 = ?, records_total = ?, records_rejected = ?, "
                "invoices_total = ?, invoices_rejected = ?, prestations_total = ?, "
                "prestations_rejected = ?, every_prestation_rejected = ?, errors = ?, "
                "amount_requested = ?, amount_accepted = ?, waiting_for = ?, "
                "identity_codes = ?, pending = ?, pending_to = ? WHERE id = ?",
                (
                    checked["digest"],
                    state,
                    checked["technical"],
                    checked["proposed"],
                    checked["rejection_type"],
                    checked["ratio_x100"],
                    checked["records_total"],
                    checked["records_rejected"],
                    checked["invoices_total"],
                    checked["invoices_rejected"],
                    checked["prestations_total"],
                    checked["prestations_rejected"],
                    int(checked["every_prestation_rejected"]),
                    checked["errors"],
                    checked["amount_requested"],
                    checked["amount_accepted"],
                    checked["waiting_for"],
                    json.dumps(checked["identity_codes"]),
                    rel,
                    final,
                    sending,
                ),
            )
            self._event(
                con,
                sending,
                checked["technical"],
                run,
                codes=checked["identity_codes"],
                errors=checked["errors"],
            )
            if state == "proposed":
                self._event(
                    con,
                    sending,
                    "proposed",
                    run,
                    proposed=checked["proposed"],
                    rejection_type=checked["rejection_type"],
                    waiting_for=checked["waiting_for"],
                    error_ratio=checked["ratio_x100"] / 100,
                )
        crash_point("checked-recorded")
        with self.write() as con:
            self._publish(con, self._row(con, sending))
        return self.entry(sending)

    # -- deciding --------------------------------------------------------------------------
    def entry(self, sending: int) -> Entry:
        """The register's entry of one sending."""
        with self._sql() as con:
            return entry_of(self._row(con, sending), self.root)

    def _resent_since(self, sending: int) -> tuple[int, str] | None:
        """The first later sending of the same number (facility, year, number) that
        supersedes it (:data:`SUPERSEDED_BY`), with its state."""
        with self._sql() as con:
            self._row(con, sending)
            later = con.execute(
                "SELECT resend.id, resend.state FROM sendings s JOIN sendings resend "
                f"ON resend.id = {SUPERSEDED_BY} WHERE s.id = ?",
                (sending,),
            ).fetchone()
        if later is None:
            return None
        return int(later["id"]), str(later["state"]).replace("_", " ")

    def check_decision(self, sending: int, action: str) -> Entry:
        """Refuse (one located line) a signature or confirmation that does not fit the
        sending's state; return its entry."""
        e = self.entry(sending)
        where = f"sending {sending}"
        if e.state == "proposed":
            want = "DF014" if action == "sign" else "DF013"
            if e.proposed != want:
                what = (
                    "a proposed rejection: confirm it"
                    if e.proposed == "DF013"
                    else "a proposed acceptance: sign it"
                )
                raise InputError(f"{where} is {what}", path=self.path)
            later = self._resent_since(sending)
            if later is not None:
                # The facility sent the sending again meanwhile: that one is the one to
                # decide (a DF013 now could answer a number paid since).
                raise InputError(
                    f"{where} was sent again since (sending {later[0]}, {later[1]}): "
                    "this proposal is superseded; decide the later one",
                    path=self.path,
                )
            return e
        if e.state in ("signed", "confirmed", "payment_due") or (
            e.state == "answered" and e.technical != "DF012"
        ):
            raise InputError(
                f"{where} is decided already ({e.outcome.replace('_', ' ')} by "
                f"{e.decided_by} at {e.decided_at})",
                path=self.path,
            )
        if e.state == "answered":
            raise InputError(
                f"{where} was refused technically (DF012): there is nothing to decide",
                path=self.path,
            )
        raise InputError(f"{where} is {e.state}: there is nothing to decide", path=self.path)

    def commit_decision(self, run: int, sending: int, action: str, decision: dict, staged: Path):
        """Record a signature or confirmation with its staged messages, then publish
        them as ``decided/``. Raises (and removes the staged folder) when the sending
        was decided meanwhile."""
        rel = os.path.relpath(staged, self.root)
        final = f"{sending:06d}/{STEPS[1]}"
        due = None
        if action == "sign":
            order = json.loads((Path(staged) / "DF017_payment_order.json").read_bytes())
            due = order["due_on"]
        try:
            with self.write(durable=True) as con:
                self.check_decision(sending, action)
                state = "signed" if action == "sign" else "confirmed"
                con.execute(
                    "UPDATE sendings SET state = ?, waiting_for = NULL, decided_by = ?, "
                    "decided_at = ?, due_on = ?, pending = ?, pending_to = ?, run = ? "
                    "WHERE id = ?",
                    (state, decision["by"], decision["at"], due, rel, final, run, sending),
                )
                self._event(
                    con,
                    sending,
                    state,
                    run,
                    by=decision["by"],
                    at=decision["at"],
                    messages=decision["messages"],
                )
        except BaseException:
            staging.remove_tree(staged)
            raise
        crash_point("decision-recorded")
        with self.write() as con:
            self._publish(con, self._row(con, sending))
        return self.entry(sending)

    def decide(self, sending: int, action: str, by: str, at: str | None = None) -> Entry:
        """Sign (``action="sign"``) a proposed acceptance or confirm a proposed rejection
        of the register; return the sending's entry afterwards."""
        from vsbengine import signoff
        from vsbengine.receive import stage_decision

        by = signoff._who(by)
        entry = self.check_decision(sending, action)
        run = self.begin_run(action, {"sending": sending, "by": by})
        status = "interrupted"
        try:
            staged = self.staging(run) / f"{sending:06d}-decided"
            try:
                decision = stage_decision(entry.folder, staged, action, by, at)
            except InputError as exc:
                if exc.path is None or not str(exc.path).startswith(str(staged)):
                    raise
                # Said of the register's sending, not of the copy it was staged in.
                raise InputError(f"sending {sending}: {exc.reason}", path=self.path) from None
            crash_point("decision-staged")
            result = self.commit_decision(run, sending, action, decision, staged)
            status = "finished"
            return result
        finally:
            self.end_run(run, status)

    def sign(self, sending: int, by: str, at: str | None = None) -> Entry:
        """Sign a proposed acceptance: DF014, DF015, DF016 and DF017 are written."""
        return self.decide(sending, "sign", by, at)

    def confirm(self, sending: int, by: str, at: str | None = None) -> Entry:
        """Confirm a proposed rejection: DF013 is written."""
        return self.decide(sending, "confirm", by, at)

    # -- reading ---------------------------------------------------------------------------
    def inbox(self, which: str = "waiting", due: _dt.date | None = None) -> list[Entry]:
        """Sendings of the register, oldest first.

        ``which``: ``"waiting"`` (proposals waiting for a person), ``"due"`` (payment
        orders due on or before ``due``, default today), ``"all"`` (every sending, the
        abandoned claims excepted).
        """
        # A proposal the facility sent again since is superseded: not decided any more
        # (:meth:`check_decision`), so not waiting either.
        sql = (
            f"SELECT *, CASE WHEN s.state = 'proposed' THEN {SUPERSEDED_BY} END "
            "AS superseded_by FROM sendings s WHERE state != 'abandoned'"
        )
        args: tuple = ()
        if which == "waiting":
            sql += " AND state = 'proposed' AND superseded_by IS NULL"
        elif which == "due":
            sql += " AND state = 'payment_due' AND due_on <= ?"
            args = ((due or _dt.date.today()).isoformat(),)
        elif which != "all":
            raise ConfigError(f"inbox shows waiting, due or all, not {which!r}")
        with self._sql() as con:
            return [entry_of(r, self.root) for r in con.execute(sql + " ORDER BY id", args)]

    def events(self, sending: int) -> list[Event]:
        """The state changes of a sending, in order."""
        with self._sql() as con:
            self._row(con, sending)
            return [
                Event(r["sending"], r["at"], r["state"], r["by"], r["run"], json.loads(r["detail"]))
                for r in con.execute(
                    "SELECT * FROM events WHERE sending = ? ORDER BY id", (sending,)
                )
            ]

    def runs(self) -> list[Run]:
        """Every run recorded, in order."""
        with self._sql() as con:
            return [
                Run(
                    r["id"],
                    r["command"],
                    r["started_at"],
                    r["ended_at"],
                    r["status"],
                    r["host"],
                    r["pid"],
                    r["user"],
                    json.loads(r["options"] or "{}"),
                    json.loads(r["counts"] or "{}"),
                )
                for r in con.execute("SELECT * FROM runs ORDER BY id")
            ]

    def inputs(self, run: int) -> list[dict]:
        """The inputs of a run with their outcomes."""
        with self._sql() as con:
            return [
                dict(r)
                for r in con.execute("SELECT * FROM inputs WHERE run = ? ORDER BY id", (run,))
            ]

    def run_status(self, run: int | None) -> str | None:
        if run is None:
            return None
        with self._sql() as con:
            row = con.execute("SELECT status FROM runs WHERE id = ?", (run,)).fetchone()
        return None if row is None else row["status"]

    def settle_pending(self, sending: int) -> str | None:
        """The unattended signer a run asked for when it received ``sending``, if that run
        stopped before it could sign off (so that the same command again finishes it)."""
        with self._sql() as con:
            row = self._row(con, sending)
        if row["state"] != "proposed" or not row["settle_as"]:
            return None
        if self.alive(row["run"]) or self.run_status(row["run"]) == "finished":
            return None
        if row["proposed"] == "DF013" and row["every_prestation_rejected"]:
            return None
        if row["proposed"] == "DF013" and _needs_person(entry_of(row, self.root).folder):
            return None
        return row["settle_as"]


def _needs_person(folder: str | None) -> bool:
    """Whether the proposal in a sending's folder waits for a person (its accounts)."""
    from vsbengine.signoff import PROPOSAL, needs_person

    try:
        with open(os.path.join(folder or "", PROPOSAL), "rb") as fh:
            return needs_person(json.loads(fh.read()))
    except (OSError, ValueError):
        return True  # unreadable: a person looks


def _user() -> str | None:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return None


#: SQL of the first later sending of the same number (facility, year, number) that
#: supersedes the sending ``s`` (NULL: none): any but an abandoned claim and a file
#: refused technically (a DF012 answers that file only: the proposal stands, and holds
#: the number). A sending known by its head only (no number) has none.
SUPERSEDED_BY = (
    "(SELECT MIN(later.id) FROM sendings later WHERE s.claim_key NOT LIKE 'head/%' "
    "AND later.claim_key = s.claim_key AND later.id > s.id AND later.state != 'abandoned' "
    "AND NOT (later.state = 'answered' AND later.technical = 'DF012'))"
)


def _earlier(rows) -> Earlier | None:
    """What a new file of a sending number is measured against: the accepted sending
    that holds the number, else the last refusal sent (a DF012, or a DF013 once
    confirmed: a rejection still waiting was never sent) that was not itself for
    breaking these rules (identity refusals do not change what the facility must
    send)."""
    done = [r for r in rows if r["state"] not in ("received", "abandoned")]
    for r in done:
        if r["proposed"] == "DF014":
            return Earlier(r["id"], "DF014")
    for r in reversed(done):
        if json.loads(r["identity_codes"] or "[]"):
            continue
        answer = "DF012" if r["technical"] == "DF012" else r["proposed"]
        if answer not in ("DF012", "DF013"):
            continue
        if answer == "DF013" and r["state"] == "proposed":
            continue  # a rejection not confirmed was not sent: the facility knows none
        return Earlier(
            r["id"],
            answer,
            creation_date=ymd(r["creation_date"]),
            invoice_type=r["invoice_type"],
            invoicing_date=ymd(r["invoicing_date"]),
        )
    return None


#: The points of the protocol where :func:`crash_point` can stop a process, in order.
CRASH_POINTS = (
    "claimed",
    "checked",
    "checked-recorded",
    "published",
    "decision-staged",
    "decision-recorded",
)


def crash_point(name: str) -> None:
    """Die here, as ``kill -9`` would, when the environment variable
    ``VSBENGINE_CRASH_AT`` names this point: the crash tests run real processes that
    stop at every step of the protocol (:data:`CRASH_POINTS`)."""
    if os.environ.get("VSBENGINE_CRASH_AT") == name:
        import signal

        os.kill(os.getpid(), signal.SIGKILL)
