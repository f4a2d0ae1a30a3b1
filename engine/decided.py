"""A decision's messages into its proposal folder: staged, committed, then published.

A sign-off (or a confirmation) in a proposal folder (``validate --refs --out``, then
``vsbengine sign FOLDER``) writes DF013 or DF014 to DF017. So that no payment order is
ever in place without its recorded decision, nor a decision without its messages,
nor a sending decided twice:

1. the messages are written complete into a hidden staging folder inside the
   proposal folder (``.decision-<token>/``);
2. ``decision.json`` is created (never replaced) naming that folder as
   ``publishing``: this is the commit; a second sign-off finds it and is refused;
3. the messages are renamed into place, ``proposal.json`` records the decision, and
   ``decision.json`` is rewritten without ``publishing``; the staging folder goes.

One lock per folder (``.decision.lock``, held while deciding, dropped by the kernel
when the process dies) keeps two sign-offs apart. The next one that takes the lock
finishes what a killed one committed (step 3) and removes what it only staged.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path

from vsbengine import fsio, staging
from vsbengine.errors import InputError

__all__ = ["DECISION", "LOCK", "PROPOSAL", "deciding", "publish", "recover"]

PROPOSAL, DECISION = "proposal.json", "decision.json"
LOCK = ".decision.lock"
_STAGED = ".decision-"


def write_json(path: Path, data, *, replace: bool = True) -> None:
    """``data`` as indented JSON (UTF-8), whole or not at all. A path whose bytes are not
    UTF-8 (held as lone surrogates) makes it ASCII with ``\\u`` escapes, which read back
    to the same path (the sign-off maps the sending by the proposal's path)."""
    text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    try:
        raw = text.encode("utf-8")
    except UnicodeEncodeError:
        raw = (json.dumps(data, indent=2) + "\n").encode("ascii")
    fsio.atomic_write(path, raw, replace=replace)


def _read(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None


@contextlib.contextmanager
def deciding(folder: Path, finished: Callable[[Path], object] | None = None) -> Iterator[None]:
    """Hold the decision lock of ``folder`` (refused while another process holds it),
    after finishing or removing what a killed sign-off left there (``finished(folder)``
    runs when a publication was finished: the review page says so then)."""
    if not folder.is_dir():
        yield  # the caller names what is missing
        return
    try:
        lock = staging.RunLock(folder / LOCK)
    except BlockingIOError:
        raise InputError(
            "another sign-off is deciding this sending now", path=str(folder)
        ) from None
    try:
        if recover(folder) and finished is not None:
            finished(folder)
        yield
    finally:
        lock.release()


def recover(folder: Path) -> bool:
    """Finish a committed publication a killed process left in ``folder``, remove its
    staged messages that were never committed and its temporary files; return whether
    a publication was finished. The caller holds the folder's lock."""
    commit = _read(folder / DECISION)
    pending = commit.get("publishing") if commit else None
    for entry in folder.iterdir():
        if entry.name.startswith(_STAGED) and entry.name != pending and entry.is_dir():
            staging.remove_tree(entry)
    fsio.remove_leftovers(folder)
    if pending and commit is not None:
        _finish(folder, commit)
        return True
    return False


def publish(folder: Path, decision: dict, write: Callable[[Path], list[Path]]) -> dict:
    """Write a decision's messages (``write(staged)``: the paths it wrote there, in
    order), commit ``decision`` (``messages`` added) and publish them into ``folder``.
    Raises :class:`~vsbengine.InputError` when the sending was decided meanwhile."""
    staged = folder / f"{_STAGED}{secrets.token_hex(4)}"
    staged.mkdir()
    try:
        written = write(staged)
        decision = {**decision, "messages": [p.name for p in written]}
        fsio.fsync_dir(staged)
        try:
            write_json(folder / DECISION, {**decision, "publishing": staged.name}, replace=False)
        except FileExistsError:
            done = _read(folder / DECISION) or {}
            raise InputError(
                f"already {done.get('action')} by {done.get('by')} at {done.get('at')}",
                path=str(folder),
            ) from None
    except BaseException:
        staging.remove_tree(staged)
        raise
    _finish(folder, {**decision, "publishing": staged.name})
    return decision


def _finish(folder: Path, commit: dict) -> None:
    """Step 3: the committed messages into place, the proposal told, the commit closed."""
    staged = folder / commit["publishing"]
    if staged.is_dir():
        for entry in sorted(staged.iterdir()):
            os.replace(entry, folder / entry.name)
        fsio.fsync_dir(folder)
    decision = {k: v for k, v in commit.items() if k != "publishing"}
    proposal = _read(folder / PROPOSAL)
    if proposal is not None and proposal.get("decided") != decision:
        proposal["waiting_for"] = None
        proposal["decided"] = decision
        write_json(folder / PROPOSAL, proposal)
    write_json(folder / DECISION, decision)
    staging.remove_tree(staged)
