"""What ``vsbengine explain`` prints, without typer or msgspec: shared by the command
and by the start-up fast path in :mod:`vsbengine.cli.launch`."""

from __future__ import annotations

import json

from vsbengine.errors import InputError

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
        # The fields of vsbengine.schemas.Explained; the stdlib encoder starts faster.
        return json.dumps(
            {"code": entry.code, "letter": entry.letter or None, "en": entry.en, "nl": entry.nl}
        )
    return (
        f"{entry.code}  letter {_LETTER.get(entry.letter, entry.letter)}\n"
        f"  en: {entry.en}\n  nl: {entry.nl}"
    )
