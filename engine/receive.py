"""Receiving sendings into the register: claim, check on the workers, record, publish.

For each input file the coordinating process (the only one that opens the database):

1. reads its head (:func:`vsbengine.identity.read_head`); a file with the size and
   head of a known sending is hashed whole here to tell a duplicate;
2. claims it in one transaction (:meth:`Register.claim`): a duplicate is reported with
   the earlier sending's outcome; a file of a sending number that another live run
   is checking, or the same content being checked, waits; otherwise the sending is
   ``received``, with what the identity checks need;
3. gives it to a worker (:func:`check_task`), which copies it into the register's
   folder, validates it with the identity checks, and writes the technical answer and
   the proposal (and, with ``sign_as``, the decision's messages) into the run's staging
   folder, without touching the database;
4. records the check and publishes the folder (:meth:`Register.commit_check`), then the
   decision (:meth:`Register.commit_decision`).

Without ``sign_as`` nothing of DF013 to DF017 is written: the proposals wait in the
inbox. With it, the rules of ``validate --sign-as``: an acceptance is signed and a
rejection confirmed at once, except a sending in which every prestation is rejected.
A run that died before it could sign off is finished by the same command again.
"""

from __future__ import annotations

import os
import time
from collections import deque
from pathlib import Path

import msgspec

from vsbengine import bulk, identity, limits, staging
from vsbengine import digest as content_digest
from vsbengine.bulk import Item, Outcome, Previous, Summary
from vsbengine.errors import ConfigError, InputError, VsbEngineError
from vsbengine.fsio import atomic_open
from vsbengine.identity import Earlier, Head
from vsbengine.register import Busy, Duplicate, Entry, Register, crash_point

__all__ = ["Checked", "RegisterJob", "Task", "check_task", "receive", "stage_decision"]

#: Why an unattended run needs the reference data.
SIGN_AS_NEEDS_REFS = (
    "--sign-as needs --refs: an accepted sending is paid from the zorgkas's account "
    "(zorgkas.toml in the reference data)"
)

#: Name of the sending's copy in its folder of the register.
SENDING = "sending.920000"


class Task(msgspec.Struct, frozen=True):
    """What a worker needs to check one claimed sending."""

    sending: int
    folder: str  # the sending's folder in the register (its copy goes there)
    staging: str  # the run's staging folder
    head: Head
    earlier: Earlier | None
    received_on: int  # YYYYMMDD: the date the checks take as today, and of the receipt
    billed: tuple[int, ...] = ()  # invoice numbers of the facility's accepted sendings


class Checked(msgspec.Struct, omit_defaults=True):
    """What a worker reports of one check (the coordinator records it)."""

    sending: int
    reason: str | None = None  # the check could not be done: why
    digest: str | None = None
    facts: dict = {}
    checked: str | None = None  # staged folder: technical answer, report, proposal
    decided: str | None = None  # staged folder of the unattended decision
    action: str | None = None
    decision: dict | None = None
    seconds: float = 0.0


def _copy(path: str, target: Path, head: Head) -> str:
    """Copy the sending into the register (whole or not at all); return its digest
    (:mod:`vsbengine.digest`).
    Refuses a file that is not the one claimed (it changed since its head was read)."""
    h = content_digest.hasher()
    first = b""
    size = 0
    with open(path, "rb") as src, atomic_open(target) as dst:
        while block := src.read(1 << 20):
            if len(first) < identity.HEAD_BYTES:
                first += block[: identity.HEAD_BYTES - len(first)]
            h.update(block)
            dst.write(block)
            size += len(block)
        if size != head.size or content_digest.of_bytes(first) != head.head:
            raise InputError("the file changed while it was being received", path=path)
    return h.hexdigest()


def _facts(result, proposal: dict, identity_codes: list[str]) -> dict:
    total = next((r for r in result.settlement if r.record_type == "92"), None)
    return {
        "technical": result.technical,
        "proposed": result.decision,
        "rejection_type": result.rejection_type,
        "ratio_x100": result.ratio_x100,
        "records_total": result.records_total,
        "records_rejected": result.records_rejected,
        "invoices_total": result.invoices_total,
        "invoices_rejected": result.invoices_rejected,
        "prestations_total": result.prestations_total,
        "prestations_rejected": result.prestations_rejected,
        "every_prestation_rejected": proposal["every_prestation_rejected"],
        "errors": len(result.error_table),
        "amount_requested": None if total is None else total.requested,
        "amount_accepted": (
            total.accepted if total is not None and result.decision == "DF014" else None
        ),
        "waiting_for": proposal["waiting_for"],
        "identity_codes": identity_codes,
    }


def stage_decision(folder, staged, action: str, by: str, at: str | None = None) -> dict:
    """Write a decision's messages into ``staged``: a copy of the checked ``folder``
    signed (``action="sign"``) or confirmed there. Returns the decision."""
    from vsbengine import signoff

    staging.clone_dir(folder, staged)
    try:
        return getattr(signoff, action)(staged, by, at)
    except BaseException:
        staging.remove_tree(staged)
        raise


def check_task(
    path: str,
    task: Task,
    refs=None,
    memory_limit: int | None = None,
    sign_as: str | None = None,
    reference: int | None = None,
) -> Checked:
    """Check one claimed sending on a worker; never raises for a bad file and never
    opens the register's database."""
    from vsbengine import signoff

    t0 = time.perf_counter()
    sid = task.sending
    try:
        os.makedirs(task.folder, exist_ok=True)
        copy = os.path.join(task.folder, SENDING)
        digest = _copy(path, Path(copy), task.head)
        engine = bulk.engine_for(task.received_on, refs, memory_limit)
        check = identity.check_for(task.head, task.earlier)
        invoices = identity.InvoiceNumbers(task.billed)
        checks = (check, invoices) if check else (invoices,)
        result = engine.validate(copy, checks=checks)
        result.digest = digest  # made by the copy: the proposal needs no other pass
        checked = os.path.join(task.staging, f"{sid:06d}-checked")
        decided = os.path.join(task.staging, f"{sid:06d}-decided")
        # Unattended, the proposal is made where the decision goes, so that the sign-off
        # writes from this validation's scans; the checked step is a copy of it first.
        first = decided if sign_as is not None else checked
        proposal = signoff.propose(result, first, engine.refs, reference=reference)
        if first == decided:
            staging.clone_dir(decided, checked)
        codes = [c for c, _ in identity.violations(task.head, task.earlier)]
        facts = _facts(result, proposal, codes) | {"invoice_numbers": invoices.numbers}
        out = Checked(sid, digest=digest, facts=facts, checked=checked)
        if sign_as is not None:
            decision = (
                signoff.settle(decided, sign_as, result=result) if proposal["waiting_for"] else None
            )
            if decision is None:
                staging.remove_tree(decided)
            else:
                out.decided, out.decision = decided, decision
                out.action = "sign" if decision["action"] == "signed" else "confirm"
    except (VsbEngineError, OSError) as exc:
        reason = getattr(exc, "reason", None) or getattr(exc, "strerror", None) or str(exc)
        return Checked(sid, reason=reason, seconds=time.perf_counter() - t0)
    out.seconds = time.perf_counter() - t0
    return out


def settle_task(path: str, sending: int, folder: str, staged: str, action: str, by: str):
    """Sign off a sending whose receiving run stopped before it could (a worker task)."""
    t0 = time.perf_counter()
    try:
        decision = stage_decision(folder, staged, action, by)
    except (VsbEngineError, OSError) as exc:
        return Checked(sending, reason=getattr(exc, "reason", str(exc)))
    return Checked(
        sending,
        decided=staged,
        action=action,
        decision=decision,
        seconds=time.perf_counter() - t0,
    )


def _messages(entry: Entry) -> list[str]:
    if entry.folder is None or not os.path.isdir(entry.folder):
        return []
    return sorted(n for n in os.listdir(entry.folder) if n.startswith("DF"))


def outcome_of(path: str, entry: Entry, seconds: float = 0.0, reason=None) -> Outcome:
    """A run's outcome for an input that became (or is) ``entry``."""
    return Outcome(
        path,
        entry.outcome,
        hash=entry.digest,
        messages=_messages(entry),
        records_total=entry.records_total,
        records_rejected=entry.records_rejected,
        error_ratio=entry.error_ratio,
        errors=entry.errors,
        output=entry.folder,
        reason=reason,
        seconds=seconds,
        sending=entry.id,
        state=entry.state,
        waiting_for=entry.waiting_for,
        proposed=entry.proposed,
        identity_codes=entry.identity_codes,
        facility=entry.facility,
        sending_number=entry.sending_number,
        invoiced_month=entry.invoiced_month,
        amount_requested=entry.amount_requested,
        amount_accepted=entry.amount_accepted,
    )


def skipped_outcome(path: str, entry: Entry, seconds: float = 0.0, reason=None) -> Outcome:
    """A run's outcome for an input whose content is already ``entry``: it names the
    sending, but its counts and amounts are the first file's (counted once)."""
    o = outcome_of(path, entry, seconds, reason)
    o.outcome, o.previous = "skipped", _previous(entry)
    o.records_total = o.records_rejected = o.error_ratio = o.errors = None
    o.amount_requested = o.amount_accepted = None
    return o


def _previous(entry: Entry) -> Previous:
    return bulk.previous_of(outcome_of(entry.file_name, entry))


class RegisterJob:
    """Receive files into a register (``receive``, ``bulk --register``): the
    :class:`vsbengine.bulk.Job` the runners drive."""

    def __init__(
        self,
        register,
        paths: list[str],
        *,
        command: str = "receive",
        progress=None,
        today=None,
        refs=None,
        memory_limit: int | None = None,
        sign_as: str | None = None,
        reference: int | None = None,
    ) -> None:
        if sign_as is not None and refs is None:
            raise ConfigError(SIGN_AS_NEEDS_REFS)
        self.own = not isinstance(register, Register)
        self.register = Register(register) if self.own else register
        self.paths = paths
        self.progress = progress
        self.today = today
        self.options = (None if refs is None else str(refs), memory_limit, sign_as, reference)
        self.sign_as = sign_as
        self.run = self.register.begin_run(
            command,
            {"files": len(paths), "refs": self.options[0], "sign_as": sign_as, "today": today},
        )
        self.stage = self.register.staging(self.run)
        self.started = bulk.now()
        self.outcomes: dict[str, Outcome] = {}
        self._todo = deque(paths)
        self._waiting: dict[str, str] = {}  # path -> why it waits
        self._taken: dict[str, int] = {}  # path -> sending claimed and not recorded yet
        self.interrupted = False
        self._ended = False

    def _received_on(self) -> int:
        import datetime as _dt

        day = self.today
        if day is None:
            day = _dt.date.today()
        if isinstance(day, _dt.date):
            return day.year * 10000 + day.month * 100 + day.day
        return int(day)

    # -- Job ---------------------------------------------------------------------------
    def take(self, limit):
        items: list[Item] = []
        kept = []
        while self._todo and (limit is None or len(items) < limit):
            path = self._todo.popleft()
            item = self._claim(path)
            if isinstance(item, str):
                kept.append(path)
                self._waiting[path] = item
                continue
            self._waiting.pop(path, None)
            if item is not None:
                items.append(item)
        self._todo.extendleft(reversed(kept))
        return items

    def _claim(self, path: str):
        """An item for ``path``, ``None`` when it needs no worker (recorded already), or
        the reason it waits (str)."""
        reg = self.register
        t0 = time.perf_counter()
        try:
            head = identity.read_head(path)
            digest = None
            if any(c["digest"] for c in reg.candidates(head)):
                digest = content_digest.of_file(path)  # (read_head refused a pipe)
        except (VsbEngineError, OSError) as exc:
            self._record(bulk.unreadable(path, exc, t0))
            return None
        got = reg.claim(
            self.run,
            path,
            head,
            digest=digest,
            received_on=self._received_on(),
            settle_as=self.sign_as,
        )
        if isinstance(got, Busy):
            return got.reason
        if isinstance(got, Duplicate):
            return self._duplicate(path, got.entry, t0)
        self._taken[path] = got.sending
        crash_point("claimed")
        task = Task(
            got.sending,
            str(reg.folder_of(got.sending)),
            str(self.stage),
            head,
            got.earlier,
            got.received_on,
            got.billed,
        )
        refs, memory_limit, sign_as, reference = self.options
        return Item(path, check_task, (task, refs, memory_limit, sign_as, reference))

    def _duplicate(self, path: str, entry: Entry, t0: float):
        if entry.id in self._taken.values():
            return f"sending {entry.id} is being signed off by this run"
        if self.sign_as is not None and self.register.settle_pending(entry.id):
            # Received by a run that stopped before its sign-off: finish it.
            action = "sign" if entry.proposed == "DF014" else "confirm"
            staged = str(self.stage / f"{entry.id:06d}-decided")
            self._taken[path] = entry.id
            return Item(path, settle_task, (entry.id, entry.folder, staged, action, self.sign_as))
        o = skipped_outcome(
            path,
            entry,
            time.perf_counter() - t0,
            f"same content as sending {entry.id} ({entry.file_name})",
        )
        self._record(o)
        return None

    def blocked(self) -> bool:
        return bool(self._waiting)

    def done(self, item: Item, c: Checked) -> None:
        reg = self.register
        sid = self._taken.pop(item.path)
        if c.reason is not None:
            reg.release(self.run, sid, c.reason)  # a claim still being checked only
            self._record(Outcome(item.path, "unreadable", reason=c.reason, seconds=c.seconds))
            return
        crash_point("checked")
        try:
            entry = reg.entry(sid)
            if c.checked is not None:
                entry = reg.commit_check(
                    self.run, sid, {"digest": c.digest, **c.facts}, Path(c.checked)
                )
                if entry.id != sid:  # the same content was recorded meanwhile
                    if c.decided:
                        staging.remove_tree(c.decided)
                    self._record(skipped_outcome(item.path, entry, c.seconds, "same content"))
                    return
            crash_point("published")
            if c.decided is not None and c.action is not None and c.decision is not None:
                entry = reg.commit_decision(self.run, sid, c.action, c.decision, Path(c.decided))
        except InputError as exc:
            # Decided meanwhile by someone else: the register's state is the outcome.
            entry = reg.entry(sid)
            if entry.outcome not in bulk.OUTCOMES:
                # The claim was given up meanwhile (its run taken for a dead one): this
                # run decided nothing of it; a next run receives the file again.
                self._record(Outcome(item.path, "interrupted", reason=exc.reason))
                return
            self._record(outcome_of(item.path, entry, c.seconds, exc.reason))
            return
        self._record(outcome_of(item.path, entry, c.seconds))

    def failed(self, item: Item, reason: str) -> None:
        sid = self._taken.pop(item.path, None)
        if sid is not None:
            self.register.release(self.run, sid, reason)
        self._record(Outcome(item.path, "unreadable", reason=reason))

    def _record(self, o: Outcome) -> None:
        self.outcomes[o.path] = o
        self.register.record_input(self.run, o.path, o.outcome, o.sending, o.reason)
        if self.progress is not None:
            self.progress(o)

    def abort(self) -> None:
        self.interrupted = True
        for path, sid in list(self._taken.items()):
            self.register.release(self.run, sid, "the run was interrupted")
            del self._taken[path]

    def summary(self, runner: str, workers: int, elapsed: float) -> Summary:
        s = bulk.summarize(
            self.paths,
            self.outcomes,
            runner,
            workers,
            elapsed,
            started_at=self.started,
            interrupted=self.interrupted,
            run=self.run,
            register=self.register.path,
        )
        if not self._ended:
            self.register.end_run(
                self.run, "interrupted" if self.interrupted else "finished", s.counts
            )
            self._ended = True
            from vsbengine import night

            night.after_run(night.write_register_run, self.register.path, s)
        return s

    def close(self) -> None:
        if not self._ended:
            self.abort()
            self.register.end_run(self.run, "interrupted")
            self._ended = True
        if self.own:
            self.register.close()


def receive(
    register,
    inputs,
    *,
    refs=None,
    sign_as: str | None = None,
    today=None,
    memory_limit: int | None = None,
    reference: int | None = None,
    workers: int = 0,
    progress=None,
) -> Summary:
    """Receive billing files into a register (``vsbengine receive``).

    Parameters
    ----------
    register
        A :class:`~vsbengine.Register` or the path of one (created when missing).
    inputs
        Files, folders or globs (see :func:`vsbengine.bulk.collect`).
    refs
        The zorgkas's reference data (path): content checks, and the payment order
        of an accepted sending needs its ``zorgkas.toml``.
    sign_as
        Sign or confirm at once (unattended); without it the proposals wait.
    today
        The date of receipt, which the checks take as today (default: the current date).
    reference
        The insurer's message reference of the answers (one sending only).
    workers
        0 (default): check the files in this process; N: on a pool of N processes.

    Returns
    -------
    vsbengine.bulk.Summary
        This run's outcome per file (``run`` is its number in the register).
    """
    limits.check_workers(workers, "workers", least=0)
    paths = bulk.collect(inputs, bulk.written_by(register=register))
    if reference is not None and len(paths) != 1:
        raise ConfigError("--reference names the answers of one sending: give one file")
    if reference is not None and not 0 <= reference < 10**14:
        raise ConfigError("--reference must have at most 14 digits")
    bulk.check_refs(refs)
    job = RegisterJob(
        register,
        paths,
        command="receive",
        progress=progress,
        today=today,
        refs=refs,
        memory_limit=memory_limit,
        sign_as=sign_as,
        reference=reference,
    )
    return bulk.run_job(job, workers)
