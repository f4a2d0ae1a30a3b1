"""The sign-off: nothing of DF013 to DF017 leaves before a person decided.

Validating with reference data gives a *proposed* decision. :func:`propose`
writes the technical answer (DF011 or DF012, which always go), the report and
the proposal into a folder. A person then either signs an acceptance
(:func:`sign`: DF014, DF015, DF016 and DF017 are written) or confirms a
rejection (:func:`confirm`: DF013 is written). Who and when go into
``decision.json`` in the folder and into the payment order. A sending in which
every prestation is rejected always waits for a person's confirmation, also
in unattended runs (:func:`settle`).

Folder after ``propose``::

    DF011_931000.dat | DF012_920999.dat    the technical answer
    report.json                            the validation result (JSON)
    proposal.json                          the proposed decision, waiting
    result.json, result.npz                the result, to write the messages later

and after ``sign``/``confirm``: the messages and ``decision.json``.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
from pathlib import Path

import msgspec

from vsbengine.errors import ConfigError, InputError
from vsbengine.formats.efact import notify, payment
from vsbengine.formats.efact.answers import FILE_NAMES, Answers
from vsbengine.result import Result

PROPOSAL, DECISION = "proposal.json", "decision.json"


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat()


def _digest(path: str) -> str:
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, lambda: hashlib.blake2b(digest_size=16)).hexdigest()


def _write_json(path: Path, data) -> None:
    tmp = path.with_name(path.name + ".part")
    tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def propose(result: Result, folder, refs=None, reference: int | None = None) -> dict:
    """Write the technical answer, the report and the proposal; return the proposal.

    ``reference`` is the insurer's message reference of every answer of this sending
    (zone 205; by default derived from the sending, see :class:`Answers`)."""
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
    Answers(result, reference=reference).write_only(folder, [technical])
    (folder / "report.json").write_bytes(result.to_json() + b"\n")
    result.save(folder)
    facility = None
    zorgkas = None
    if refs is not None:
        from vsbengine.formats.efact.payment import _record10

        s, r10 = _record10(result.source)
        inst = int(s.col("z14")[r10]) if r10 >= 0 else 0
        found = refs.facility(inst)
        facility = found[0] if found else None
        zorgkas = (
            None
            if refs.zorgkas is None
            else msgspec.structs.asdict(
                payment.Account(refs.zorgkas.name, refs.zorgkas.iban, refs.zorgkas.bic)
            )
            | {"payment_days": refs.zorgkas.payment_days}
        )
    waiting = None
    if result.decision == "DF014":
        waiting = "signature"
    elif result.decision == "DF013":
        waiting = "confirmation"
    data = {
        "file": result.source,
        "content": _digest(result.source),
        "created_at": _now(),
        "technical": technical,
        "proposed": result.decision,
        "rejection_type": result.rejection_type,
        "error_ratio": result.error_ratio,
        "records_total": result.records_total,
        "records_rejected": result.records_rejected,
        "prestations_total": result.prestations_total,
        "prestations_rejected": result.prestations_rejected,
        "every_prestation_rejected": every_prestation_rejected(result),
        "waiting_for": waiting,
        "facility": facility,
        "zorgkas": zorgkas,
        "reference": reference,
    }
    _write_json(folder / PROPOSAL, data)
    return data


def every_prestation_rejected(result: Result) -> bool:
    return result.prestations_total > 0 and result.prestations_rejected == result.prestations_total


def _load(folder: Path) -> tuple[dict, Result]:
    try:
        proposal = json.loads((folder / PROPOSAL).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(
            "no proposal here (validate with --refs and --out first)", path=str(folder)
        ) from None
    if (folder / DECISION).exists():
        done = json.loads((folder / DECISION).read_text(encoding="utf-8"))
        raise InputError(
            f"already {done['action']} by {done['by']} at {done['at']}", path=str(folder)
        )
    if not os.path.exists(proposal["file"]) or _digest(proposal["file"]) != proposal["content"]:
        raise InputError(
            "the sending changed or moved since it was validated: validate it again",
            path=proposal["file"],
        )
    return proposal, Result.load(folder)


def _record(folder: Path, proposal: dict, action: str, by: str, at: str, written) -> dict:
    decision = {
        "action": action,
        "by": by,
        "at": at,
        "decision": proposal["proposed"],
        "rejection_type": proposal["rejection_type"],
        "messages": [p.name for p in written],
    }
    _write_json(folder / DECISION, decision)
    proposal["waiting_for"] = None
    proposal["decided"] = decision
    _write_json(folder / PROPOSAL, proposal)
    return decision


def _who(by: str) -> str:
    by = (by or "").strip()
    if not by:
        raise ConfigError("say who decides (--by NAME)")
    return by


def sign(folder, by: str, at: str | None = None) -> dict:
    """Sign a proposed acceptance: write DF014, DF015, DF016 and DF017."""
    folder, by, at = Path(folder), _who(by), at or _now()
    proposal, result = _load(folder)
    if proposal["proposed"] != "DF014":
        what = (
            "a rejection: confirm it"
            if proposal["proposed"] == "DF013"
            else "a technical rejection: nothing to sign"
        )
        raise InputError(f"this proposal is {what}", path=str(folder))
    from vsbengine.formats.efact.refs import Zorgkas

    z = proposal.get("zorgkas")
    zorgkas = Zorgkas(z["name"], z["iban"], z["bic"], z["payment_days"]) if z else None
    po, xml = payment.order(result, zorgkas, proposal.get("facility"), by, at)
    written = Answers(result, reference=proposal.get("reference")).write_only(
        folder, ["DF014", "DF015"]
    )
    written += notify.write(result, folder)
    (folder / "DF017_payment_order.json").write_bytes(msgspec.json.format(msgspec.json.encode(po)))
    (folder / "DF017_payment_order.xml").write_bytes(xml)
    written += [folder / "DF017_payment_order.json", folder / "DF017_payment_order.xml"]
    return _record(folder, proposal, "signed", by, at, written)


def confirm(folder, by: str, at: str | None = None) -> dict:
    """Confirm a proposed rejection: write DF013."""
    folder, by, at = Path(folder), _who(by), at or _now()
    proposal, result = _load(folder)
    if proposal["proposed"] != "DF013":
        what = (
            "an acceptance: sign it"
            if proposal["proposed"] == "DF014"
            else "a technical rejection: its DF012 has gone already"
        )
        raise InputError(f"this proposal is {what}", path=str(folder))
    written = Answers(result, reference=proposal.get("reference")).write_only(folder, ["DF013"])
    return _record(folder, proposal, "confirmed", by, at, written)


def settle(folder, by: str) -> dict | None:
    """Unattended: sign an acceptance or confirm a rejection in one step; a sending in
    which every prestation is rejected waits for a person (returns None)."""
    proposal = json.loads((Path(folder) / PROPOSAL).read_text(encoding="utf-8"))
    if proposal["proposed"] == "DF014":
        return sign(folder, by)
    if proposal["proposed"] == "DF013" and not proposal["every_prestation_rejected"]:
        return confirm(folder, by)
    return None


__all__ = ["FILE_NAMES", "confirm", "propose", "settle", "sign"]
