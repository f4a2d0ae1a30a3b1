"""What ``vsbengine explain`` prints, without typer or msgspec: shared by the command
and by the start-up fast path in :mod:`vsbengine.cli.launch`; and the insurers'
official list that ``explain`` and ``read`` take (``--codes FILE`` or the zorgkas's
``[codes] official_list``)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from vsbengine.errors import InputError, quoted

if TYPE_CHECKING:
    from vsbengine.formats.efact.official import OfficialList

_LETTER = {
    "B": "B (rejects the sending)",
    "F": "F (rejects the invoice)",
    "R": "R (rejects the record and its group)",
    "S": "S (informational, rejects nothing)",
    "E": "E (informational, rejects nothing)",
}


def official_list(codes=None, refs=None) -> OfficialList | None:
    """The insurers' official list: the file ``codes``, else the one the zorgkas.toml of
    the reference data ``refs`` names (``[codes] official_list``), else ``None``."""
    from vsbengine.formats.efact.official import read_official_list

    if codes is not None:
        return read_official_list(codes)
    if refs is not None:
        from vsbengine.formats.efact.refs import zorgkas_settings

        path = zorgkas_settings(refs).official_list
        return None if path is None else read_official_list(path)
    return None


def _letter_text(code: str, letter: str) -> str:
    if letter:
        return _LETTER.get(letter, letter)
    if code[:2] in ("02", "03", "95", "96"):
        return "none (technical, file level)"
    return "not known (the public copies of the list give none)"


def explain_text(code: str, as_json: bool = False, official: OfficialList | None = None) -> str:
    """A code's letter and meanings (English and Dutch; the official Dutch and French
    texts too with ``official``), as text or one JSON object.

    Raises
    ------
    vsbengine.InputError
        Neither the engine nor the insurers' list knows ``code``.
    """
    from vsbengine.formats.efact.catalogue import Entry, describe, official_zone_code
    from vsbengine.formats.efact.catalogue import explain as lookup

    code = code.strip().upper()
    text = official.get(code) if official is not None else None
    try:
        entry = lookup(code)
    except KeyError:
        if text is None:
            raise InputError(
                f"unknown code {quoted(code)}: neither vsbengine nor the insurers' list has it"
            ) from None
        en, nl = describe(code)
        entry = Entry(code, text.letter, "listed", en, nl, True)
    letter = entry.letter or (text.letter if text is not None else "")
    if as_json:
        # The fields of vsbengine.schemas.Explained; the stdlib encoder starts faster.
        return json.dumps(
            {
                "code": entry.code,
                "letter": letter or None,
                "en": entry.en,
                "nl": entry.nl,
                "emitted": entry.source != "listed",
                "listed": entry.listed,
                "official_nl": (text.nl or None) if text is not None else None,
                "official_fr": (text.fr or None) if text is not None else None,
            }
        )
    if entry.source == "listed":
        where = "in the insurers' list (vsbengine does not emit it)"
    elif entry.listed:
        where = "emitted by vsbengine, in the insurers' list"
    elif official_zone_code(entry.code):
        where = "emitted by vsbengine, an official zone error of the insurers (two digits)"
    else:
        where = "emitted by vsbengine, its own code"
    lines = [
        f"{entry.code}  letter {_letter_text(entry.code, letter)}; {where}",
        f"  en: {entry.en}",
        f"  nl: {entry.nl}",
    ]
    if text is not None:
        if text.nl:
            lines.append(f"  official nl: {text.nl}")
        if text.fr:
            lines.append(f"  official fr: {text.fr}")
    return "\n".join(lines)
