"""What ``vsbengine explain`` prints, without typer: shared by the command and by the
start-up fast path in :mod:`vsbengine.cli.launch`."""

from __future__ import annotations

import msgspec

from vsbengine.errors import InputError


class Explained(msgspec.Struct, frozen=True):
    """``vsbengine explain CODE --json``: a code of the catalogue."""

    code: str
    letter: str | None
    en: str
    nl: str


_LETTER = {
    "B": "B (rejects the sending)",
    "F": "F (rejects the invoice)",
    "R": "R (rejects the record and its group)",
    "": "none (technical, file level)",
}


def explain_text(code: str, as_json: bool = False) -> str:
    """A code's letter and meanings (English and Dutch), as text or one JSON object.

    Raises
    ------
    vsbengine.InputError
        The engine never emits ``code``.
    """
    from vsbengine.formats.efact.catalogue import explain as lookup

    try:
        entry = lookup(code)
    except KeyError:
        raise InputError(f"unknown code {code.strip()!r}: vsbengine never emits it") from None
    if as_json:
        return msgspec.json.encode(
            Explained(entry.code, entry.letter or None, entry.en, entry.nl)
        ).decode()
    return (
        f"{entry.code}  letter {_LETTER.get(entry.letter, entry.letter)}\n"
        f"  en: {entry.en}\n  nl: {entry.nl}"
    )
