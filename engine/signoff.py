"""The sign-off: nothing of DF013 to DF017 leaves before a person decided.

Validating with reference data gives a *proposed* decision. :func:`propose`
writes the technical answer (DF011 or DF012, which always go), the report and
the proposal into a folder. A person then either signs an acceptance
(:func:`sign`: DF014, DF015, DF016 and DF017 are written) or confirms a
rejection (:func:`confirm`: DF013 is written). Who and when go into
``decision.json`` in the folder and into the payment order. A sending in which
every prestation is rejected, or whose record-10 accounts are not the facility's
registered ones, always waits for a person's confirmation, also in unattended runs
(:func:`settle`). The payment order pays the registered accounts the proposal shows
(:mod:`vsbengine.proposal`).

Folder after ``propose``::

    DF011_931000.dat | DF012_920999.dat    the technical answer
    report.json                            the validation result (JSON)
    proposal.json                          the proposed decision, waiting: verdicts,
                                           amounts, accounts, the payment it would order
    review.html                            the same for a person to read (vsbengine.review)
    result.json, result.npz                the result, to write the messages later

and after ``sign``/``confirm``: the messages and ``decision.json``, published only after
``decision.json`` committed the decision (:mod:`vsbengine.decided`: a kill at any moment
leaves no message without its decision, and the next sign-off finishes the publication).
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import json
import logging
import os
from collections.abc import Iterator
from pathlib import Path

import msgspec

from vsbengine import decided, limits, outputs
from vsbengine import digest as content_digest
from vsbengine import proposal as facts
from vsbengine.errors import ConfigError, InputError, VsbEngineError
from vsbengine.formats.efact import payment
from vsbengine.formats.efact.answers import FILE_NAMES
from vsbengine.formats.efact.chunks import SHRANK, Scanned, map_file, shrank
from vsbengine.result import Result

PROPOSAL, DECISION = decided.PROPOSAL, decided.DECISION
log = logging.getLogger("vsbengine")


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat()


def _digest(data) -> str:
    """BLAKE2b (16 bytes, hex) of a file's content (a path) or of bytes."""
    if isinstance(data, str):
        data, guard = _mapped(data)
        digest = content_digest.of_bytes(data)
        if shrank(guard):
            raise InputError(SHRANK)
        return digest
    return content_digest.of_bytes(data)


def _mapped(path: str):
    """The content of a file and its map's guard (:func:`~vsbengine.formats.efact.chunks.
    map_file`): memory-mapped (``b""`` and -1 for an empty one)."""
    with open(path, "rb") as fh:
        if os.fstat(fh.fileno()).st_size == 0:
            return b"", -1
        return map_file(fh.fileno())


def propose(
    result: Result, folder, refs=None, reference: int | None = None, echo: str | None = None
) -> dict:
    """Write the technical answer, the report and the proposal; return the proposal.

    ``reference`` is the insurer's message reference of every answer of this sending
    (zone 205; by default derived from the sending, see :class:`Answers`). ``echo``:
    which records the messages written at the decision echo (``"errors"`` or ``"all"``);
    by default the zorgkas's setting (``[answers] echo`` of zorgkas.toml)."""
    if not isinstance(result.source, str):
        raise ConfigError("a proposal needs the sending as a file (its path is recorded)")
    folder = Path(folder)
    if (folder / DECISION).exists():
        done = json.loads((folder / DECISION).read_text(encoding="utf-8"))
        raise InputError(
            f"this folder holds a decision already ({done['action']} by "
            f"{done['by']}): use another folder",
            path=str(folder),
        )
    folder.mkdir(parents=True, exist_ok=True)
    technical = result.messages[0]
    outputs.write(result, folder, [technical], reference=reference)
    result.save(folder)
    found = None
    zorgkas = None
    if refs is not None:
        inst = result.payee.institution if result.payee is not None else 0
        found = refs.facility(inst)
        zorgkas = (
            None
            if refs.zorgkas is None
            else msgspec.structs.asdict(
                payment.Account(refs.zorgkas.name, refs.zorgkas.iban, refs.zorgkas.bic)
            )
            | {
                "payment_days": refs.zorgkas.payment_days,
                "show_insz": refs.zorgkas.show_insz,
                "show_names": refs.zorgkas.show_names,
            }
        )
    checks = facts.accounts(result, found, checked=refs is not None)
    flagged = any(c.codes for c in checks)
    waiting = None
    if result.decision == "DF014":
        waiting = "signature"
    elif result.decision == "DF013":
        waiting = "confirmation"
    plan = None
    if result.decision == "DF014" and refs is not None and refs.zorgkas is not None:
        plan = msgspec.to_builtins(payment.plan(result, refs.zorgkas, found))
    # The digest made while validating, if it was asked for: the file is not read again.
    content = result.digest or _digest(result.source)
    # The same result signed in this process needs no second hash of the file.
    result.__dict__["_proposed"] = (str(folder), content)
    data = {
        # Absolute: the signer may be another person, shell or job, elsewhere.
        "file": os.path.abspath(result.source),
        "content": content,
        "created_at": _now(),
        "technical": technical,
        "proposed": result.decision,
        "rejection_type": result.rejection_type,
        "error_ratio": result.error_ratio,
        "records_total": result.records_total,
        "records_rejected": result.records_rejected,
        "invoices_total": result.invoices_total,
        "invoices_rejected": result.invoices_rejected,
        "prestations_total": result.prestations_total,
        "prestations_rejected": result.prestations_rejected,
        "every_prestation_rejected": every_prestation_rejected(result),
        "waiting_for": waiting,
        "facility": found.name if found is not None else None,
        "institution": (f"{result.payee.institution:012d}" if result.payee is not None else None),
        "zorgkas": zorgkas,
        "reference": reference,
        "received_on": _day(result.today),
        "accounts": msgspec.to_builtins(checks),
        "account_flagged": flagged,
        "amounts": msgspec.to_builtins(facts.amounts(result)),
        "payment": plan,
        "echo": echo or (refs.zorgkas.echo if refs is not None and refs.zorgkas else "errors"),
    }
    decided.write_json(folder / PROPOSAL, data)
    from vsbengine import review

    review.write(folder, result=result, proposal=data)
    return data


def _day(yyyymmdd: int) -> str:
    return f"{yyyymmdd // 10000:04d}-{yyyymmdd // 100 % 100:02d}-{yyyymmdd % 100:02d}"


def needs_person(proposal: dict) -> bool:
    """Whether a proposal waits for a person even in unattended runs (``--sign-as``):
    every prestation rejected, or record 10's accounts are not the facility's."""
    return bool(proposal.get("every_prestation_rejected") or proposal.get("account_flagged"))


def every_prestation_rejected(result: Result) -> bool:
    return result.prestations_total > 0 and result.prestations_rejected == result.prestations_total


def _load(folder: Path, result: Result | None = None) -> tuple[dict, Result]:
    try:
        proposal = json.loads((folder / PROPOSAL).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(
            "no proposal here (validate with --refs and --out first)", path=str(folder)
        ) from None
    except (ValueError, UnicodeDecodeError, IsADirectoryError):
        raise InputError(
            "is not a proposal of vsbengine (not its JSON): validate again into an empty folder",
            path=str(folder / PROPOSAL),
        ) from None
    if not isinstance(proposal, dict) or "content" not in proposal or "file" not in proposal:
        raise InputError(
            "is not a proposal of vsbengine: validate again into an empty folder",
            path=str(folder / PROPOSAL),
        )
    if (folder / DECISION).exists():
        done = json.loads((folder / DECISION).read_text(encoding="utf-8"))
        raise InputError(
            f"already {done['action']} by {done['by']} at {done['at']}", path=str(folder)
        )
    if result is not None and result.__dict__.get("_proposed") == (
        str(folder),
        proposal["content"],
    ):
        # Proposed by this process a moment ago: decide on it as it is (its scans too).
        return proposal, result
    # One mapping of the sending: hashed to see that it did not change, then scanned
    # by the writers.
    try:
        data, guard = _mapped(proposal["file"])
    except OSError:
        data, guard = None, -1
    if data is None or _digest(data) != proposal["content"] or shrank(guard):
        raise InputError(
            "the sending changed or moved since it was validated: validate it again",
            path=proposal["file"],
        )
    loaded = Result.load(folder)
    # The writers' scans raise if the file shrinks while they read it (before a commit).
    loaded.keep_scans(Scanned(data, guard=guard))
    return proposal, loaded


def _record(
    folder: Path, proposal: dict, action: str, by: str, at: str, write, result: Result
) -> dict:
    """Stage the messages (``write(staged)``), commit the decision and publish them
    (:mod:`vsbengine.decided`); return the decision."""
    decision = {
        "action": action,
        "by": by,
        "at": at,
        "decision": proposal["proposed"],
        "rejection_type": proposal["rejection_type"],
    }
    decision = decided.publish(folder, decision, write)
    proposal["waiting_for"] = None
    proposal["decided"] = decision
    from vsbengine import review

    # Now with the decision. The decision stands whatever the page: one that cannot be
    # made (a proposal.json edited by hand) is said, and `vsbengine review` remakes it.
    try:
        review.write(folder, result=result, proposal=proposal)
    except (VsbEngineError, OSError, LookupError, TypeError, ValueError) as exc:
        log.warning("review page of %s not rewritten after the decision: %s", folder, exc)
    return decision


def reviewed(folder: Path) -> None:
    """The review page again after a decision a killed process had committed was
    published: it shows the decision (a page that cannot be made is no reason to
    refuse the command; ``vsbengine review`` makes it again)."""
    from vsbengine import review

    try:
        review.write(folder)
    except (VsbEngineError, OSError) as exc:
        log.warning("review page of %s not rewritten: %s", folder, exc)


def _who(by: str) -> str:
    return limits.check_name(by)


def _not_registered(folder: Path, action: str) -> None:
    """Refuse a folder that a sending register keeps (``R.sendings/000042/checked``):
    deciding it behind the register would pay outside it and leave it stuck."""
    from vsbengine.digits import ascii_digits
    from vsbengine.register import kept_by

    kept = kept_by(folder)
    if kept is not None and kept[1] is not None:
        register, number = kept
        raise InputError(
            f"belongs to the register {register} (sending {number}): decide it "
            f"there: vsbengine {action} {register} {number} --by NAME",
            path=str(folder),
        )
    if kept is not None:
        return  # the register's own folders (its staging): the register decides them
    # A copy of a register's folder elsewhere: its proposal names the register's file.
    try:
        with open(folder / PROPOSAL, "rb") as fh:
            named = json.loads(fh.read()).get("file")
    except (OSError, ValueError, AttributeError):
        return  # no proposal to read: _load says so
    source = kept_by(named) if isinstance(named, str) else None
    if source is not None:
        digits = next((p for p in Path(named).parts if len(p) == 6 and ascii_digits(p)), None)
        which = str(int(digits)) if digits else "ID"
        raise InputError(
            f"is a copy of a proposal of the register {source[0]} (sending {which}): "
            f"decide it there: vsbengine {action} {source[0]} {which} --by NAME",
            path=str(folder),
        )


class DecidedElsewhere(InputError):
    """The same sending (facility, year, sending number) was decided in another folder
    of the same bulk output: ``key`` and ``other`` (that folder)."""

    def __init__(self, key: str, other: str, folder: Path) -> None:
        super().__init__(
            f"the same sending ({key}) was decided in {other}: a sending is decided and paid once",
            path=str(folder),
        )
        self.key, self.other = key, other


#: In the output folder of bulk runs: the sendings decided in its folders, one JSON line
#: each (``key``: facility/year/number, ``folder``: its name, ``staged``: where it was
#: decided, a run's staging folder or the folder itself).
DECIDED_INDEX = ".decided.jsonl"


def _bulk_output(folder: Path) -> Path | None:
    """The output folder of bulk runs that ``folder`` is a sending's folder of
    (``OUT/<name>``, or ``OUT/.staging/<run>/<name>`` while a run makes it)."""
    from vsbengine.bulk import LOG
    from vsbengine.register import kept_by

    if kept_by(folder) is not None:
        return None  # a register's folders: the register knows its sendings itself
    if (folder.parent / LOG).exists() or (folder.parent / DECIDED_INDEX).exists():
        return folder.parent
    if folder.parent.parent.name == ".staging":
        return folder.parent.parent.parent
    return None


@contextlib.contextmanager
def _once(folder: Path) -> Iterator[None]:
    """Decide a sending's folder of a bulk output only if the same sending (whatever its
    bytes: a renamed copy, other line breaks) was decided in none of its other folders,
    and record it: runs, workers and people take turns under a lock of the output.
    Raises :class:`DecidedElsewhere`. Outside a bulk output, or when the sending's file
    cannot be read any more (its identity unknown), nothing is checked."""
    import fcntl

    from vsbengine import bulk, identity

    root = _bulk_output(folder)
    key = None
    if root is not None:
        try:
            named = json.loads((folder / PROPOSAL).read_bytes()).get("file")
            key = identity.read_head(named).key if isinstance(named, str) and named else None
        except (OSError, ValueError, AttributeError, VsbEngineError):
            pass  # a damaged proposal (_load says so), or its file gone: nothing to check
    if root is None or key is None:
        yield
        return
    index = root / DECIDED_INDEX
    with open(root / ".decided.lock", "a") as lock:
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
        try:
            lines = index.read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            lines = []
        for line in lines:
            e = json.loads(line) if line.strip() else {}
            if e.get("key") != key or e.get("folder") == folder.name:
                continue
            # Decided there (published, or still in its run's staging folder).
            for where in (root / e["folder"], Path(e["staged"]) if e.get("staged") else None):
                if where is not None and bulk.decided_folder(str(where)):
                    raise DecidedElsewhere(key, str(root / e["folder"]), folder)
        # The intent first: a kill after it leaves an entry whose folder is not decided,
        # which blocks nothing.
        with open(index, "a", encoding="utf-8") as fh:
            fh.write(json.dumps({"key": key, "folder": folder.name, "staged": str(folder)}))
            fh.write("\n")
            fh.flush()
            os.fsync(fh.fileno())
        yield


def sign(folder, by: str, at: str | None = None, *, result: Result | None = None) -> dict:
    """Sign a proposed acceptance: write DF014, DF015, DF016 and DF017.

    ``result``: the result :func:`propose` was given, in the same process (its scans
    are used instead of scanning the sending again); by default the one saved in
    ``folder``.
    """
    folder, by, at = Path(folder), _who(by), at or _now()
    _not_registered(folder, "sign")
    with decided.deciding(folder, finished=reviewed), _once(folder):
        return _sign(folder, by, at, result)


def _sign(folder: Path, by: str, at: str, result: Result | None) -> dict:
    proposal, result = _load(folder, result)
    if proposal["proposed"] != "DF014":
        what = (
            "a rejection: confirm it"
            if proposal["proposed"] == "DF013"
            else "a technical rejection: nothing to sign"
        )
        raise InputError(f"this proposal is {what}", path=str(folder))
    from vsbengine.formats.efact.refs import Zorgkas

    if "accounts" not in proposal:
        raise InputError(
            "this proposal was made by an older vsbengine (it holds no registered accounts "
            "to pay): validate the sending again",
            path=str(folder),
        )
    z = proposal.get("zorgkas")
    if not z:
        raise InputError(
            "this acceptance was proposed without the zorgkas's account (reference data "
            "with its zorgkas.toml, --refs): nothing can pay it; check the sending with "
            "--refs (validate --refs --out, or receive --refs into a register)",
            path=str(folder),
        )
    zorgkas = Zorgkas(z["name"], z["iban"], z["bic"], z["payment_days"])
    # The accounts the proposal showed are those paid (the registered ones).
    po, xml = payment.order(result, zorgkas, facts.facility_of(proposal), by, at)

    def write(staged: Path) -> list[Path]:
        return outputs.write(
            result,
            staged,
            ["DF014", "DF015", "DF016"],
            report=False,
            payment_order=(po, xml),
            reference=proposal.get("reference"),
            echo=proposal.get("echo", "errors"),
        )

    return _record(folder, proposal, "signed", by, at, write, result)


def confirm(folder, by: str, at: str | None = None, *, result: Result | None = None) -> dict:
    """Confirm a proposed rejection: write DF013 (``result`` as for :func:`sign`)."""
    folder, by, at = Path(folder), _who(by), at or _now()
    _not_registered(folder, "confirm")
    with decided.deciding(folder, finished=reviewed), _once(folder):
        return _confirm(folder, by, at, result)


def _confirm(folder: Path, by: str, at: str, result: Result | None) -> dict:
    proposal, result = _load(folder, result)
    if proposal["proposed"] != "DF013":
        what = (
            "an acceptance: sign it"
            if proposal["proposed"] == "DF014"
            else "a technical rejection: its DF012 has gone already"
        )
        raise InputError(f"this proposal is {what}", path=str(folder))

    def write(staged: Path) -> list[Path]:
        return outputs.write(
            result,
            staged,
            ["DF013"],
            report=False,
            reference=proposal.get("reference"),
            echo=proposal.get("echo", "errors"),
        )

    return _record(folder, proposal, "confirmed", by, at, write, result)


def settle(folder, by: str, *, result: Result | None = None) -> dict | None:
    """Unattended: sign an acceptance or confirm a rejection in one step; a sending in
    which every prestation is rejected, or whose record-10 accounts are not the
    facility's, waits for a person (returns None; see :func:`needs_person`). ``result``
    as for :func:`sign`."""
    proposal = json.loads((Path(folder) / PROPOSAL).read_text(encoding="utf-8"))
    if proposal["proposed"] == "DF014":
        return sign(folder, by, result=result)
    if proposal["proposed"] == "DF013" and not needs_person(proposal):
        return confirm(folder, by, result=result)
    return None


__all__ = [
    "DECIDED_INDEX",
    "FILE_NAMES",
    "DecidedElsewhere",
    "confirm",
    "needs_person",
    "propose",
    "settle",
    "sign",
]
