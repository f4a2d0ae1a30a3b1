"""The output folder of ``validate --out``: the answers of one sending, never mixed.

``validate FILE --out DIR`` is the stateless check a facility runs before sending. The
folder gets ``sending.json`` (which sending its answers belong to: file, size, and the
BLAKE2b digest that a proposal records too)
before any answer; a folder that holds answers of another sending, or answers without
``sending.json``, is refused instead of getting a second sending's answers beside the
first one's. The same sending again replaces its own answers, unless they hold a
decision (``decision.json``): a decided folder is never answered again.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from vsbengine import digest as content_digest
from vsbengine import fsio
from vsbengine.decided import DECISION, PROPOSAL
from vsbengine.errors import InputError

__all__ = ["MARKER", "claim"]

MARKER = "sending.json"
_OURS = ("report.json", PROPOSAL, DECISION, "result.json", "result.npz")


def _answers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("DF0") or p.name in _OURS)


def claim(folder, source, digest: str | None = None) -> None:
    """Make ``folder`` the answers' folder of the sending in ``source`` (a path, or the
    bytes read from standard input), or refuse it (:class:`~vsbengine.InputError`) when
    it holds another sending's. ``digest``: the content's BLAKE2b (16 bytes, hex), when
    the validation computed it (:attr:`vsbengine.Result.digest`)."""
    folder = Path(folder)
    if isinstance(source, (bytes, bytearray, memoryview)):
        name, size = "standard input", len(source)
        digest = digest or content_digest.of_bytes(source)
    else:
        name, size = os.fspath(source), os.path.getsize(source)
        if digest is None:
            from vsbengine.bulk import content_hash

            digest = content_hash(name)
    if folder.is_dir():
        from vsbengine.bulk import LOG

        if (folder / LOG).exists():
            # A bulk run's output: its sendings' folders are under it, and its own
            # answers at the top would sit beside them, decided again.
            raise InputError(
                f"is the output folder of bulk runs ({LOG}): validate into a folder of its own",
                path=str(folder),
            )
        found = _answers(folder)
        marker = folder / MARKER
        if found:
            try:
                owner = json.loads(marker.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                owner = None
            if DECISION in found:
                # A decided sending is final (decided once, paid once): never re-answered.
                # A publication a kill interrupted is finished first (its messages go
                # where they belong), as every command on a decided folder does.
                from vsbengine import decided, signoff

                with decided.deciding(folder, finished=signoff.reviewed):
                    pass
                raise InputError(
                    "holds a decision already (decision.json): a decided sending is not "
                    "answered again; use an empty folder to check the file once more",
                    path=str(folder),
                )
            if owner is None or owner.get("blake2b") != digest:
                whose = f" ({owner.get('file')})" if owner else ""
                raise InputError(
                    f"holds the answers of another sending{whose}: use an empty folder",
                    path=str(folder),
                )
            # The same sending again: its old answers go, so none is left over.
            for old in found:
                (folder / old).unlink()
    folder.mkdir(parents=True, exist_ok=True)
    fsio.atomic_write(
        folder / MARKER,
        json.dumps({"file": fsio.path_text(name), "size": size, "blake2b": digest}, indent=2)
        + "\n",
    )
