"""Reading the answer messages 931000, 920999, 920098, 920099 and 920900.

The reader uses the same layout tables as the writers. It reads every error field:
those of segment 200, of segment 300 (the normal one of a 920999, the extended one of
920098/920099/920900 with its zones 310/311, the stub of a 931000), of records 95/96
and of records 91/92, and the three letter+code slots of each echoed record. Every
code gets a meaning: the engine's own, else one built from the layouts (an official
code the engine does not emit), and the official Dutch and French texts when the
insurers' list is given (:mod:`.official`).

It is lenient where real senders are: line breaks between parts are accepted, a
last part cut short is padded with blanks, a record 95/96 among the echoes is read
as 350 characters, error fields may be blank, and a slot with a blank or unknown
letter, or a zero code, means no error.
"""

from __future__ import annotations

import re

import msgspec

from vsbengine.errors import InputError
from vsbengine.formats.efact.catalogue import catalogue, describe, field_meaning
from vsbengine.formats.efact.compiled import LAYOUTS, REPLY_LAYOUTS, Layout
from vsbengine.formats.efact.official import OfficialList
from vsbengine.formats.efact.settlement import Settlement
from vsbengine.source import ANSWER_MESSAGES, load

__all__ = ["Answer", "EchoedRecord", "Settlement", "Slot", "read_answer"]

_LETTERS = set("BFRSE")
#: A six-character code: record and zone in digits, the error part digits or letters
#: (official codes such as 5014A5).
_CODE = re.compile(r"^[0-9]{4}[0-9A-Z]{2}$")
KIND = {
    "931000": "DF011",
    "920999": "DF012",
    "920099": "DF013",
    "920098": "DF014",
    "920900": "DF015",
}


class Slot(msgspec.Struct, frozen=True):
    """One letter+code slot of an echoed record: its meaning (the engine's, or built from
    the layouts), and the official texts when the insurers' list was given."""

    letter: str
    code: str
    meaning: str
    official_nl: str | None = None
    official_fr: str | None = None


class EchoedRecord(msgspec.Struct, frozen=True):
    """A record echoed in 920098/920099/920900."""

    index: int
    record_type: str
    sequence: int | None
    slots: list[Slot]
    comment: str
    accepted: int | None
    refused: int | None
    record: str


class ZoneError(msgspec.Struct, frozen=True):
    """A two-digit code in an error field of segment 200/300 or record 95/96/91/92."""

    part: str
    zone: str
    code: str
    meaning: str


class Answer(msgspec.Struct, frozen=True):
    """One answer message, read."""

    message: str
    kind: str
    sender_reference: str
    insurer_reference: str
    acknowledged: str | None = None
    sending_number: str | None = None
    invoiced_month: str | None = None
    error_percentage: float | None = None
    rejection_type: str | None = None
    zone_errors: list[ZoneError] = []
    records: list[EchoedRecord] = []
    settlements: list[Settlement] = []


def _field(text: str, layout: Layout, zone: str) -> str:
    z = layout.zone(zone)
    return text[z.start : z.end]


def _int(text: str) -> int | None:
    t = text.strip()
    if not t:
        return None
    sign = -1 if t[0] == "-" else 1
    t = t.lstrip("+-")
    return sign * int(t) if t.isdigit() else None


def _zone_errors(text: str, layout: Layout, part: str, kind: str | None = None) -> list[ZoneError]:
    """The codes in the error fields of a part (blank or ``00``: none). ``kind``: the
    layout the meanings are built from (``300x``, ``300s``), by default ``part``."""
    out = []
    for z in layout.zones:
        if not z.is_error_field:
            continue
        code = text[z.start : z.end]
        if code.isdigit() and code != "00":
            zone = z.zone[:-1]
            out.append(ZoneError(part, zone, code, field_meaning(kind or part, zone, code)[0]))
    return out


def _slot(letter: str, code: str, official: OfficialList | None) -> Slot:
    entry = catalogue().get(code)
    meaning = entry.en if entry is not None else describe(code)[0]
    text = official.get(code) if official is not None else None
    if text is None:
        return Slot(letter, code, meaning)
    return Slot(letter, code, meaning, text.nl or None, text.fr or None)


class _Parts:
    """Splits a message into parts of known lengths, tolerating line breaks."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def peek(self, n: int) -> str:
        """The next ``n`` characters of the next part (after any line breaks)."""
        t, pos = self.text, self.pos
        while pos < len(t) and t[pos] in "\r\n":
            pos += 1
        return t[pos : pos + n]

    def take(self, length: int) -> str | None:
        t = self.text
        while self.pos < len(t) and t[self.pos] in "\r\n":
            self.pos += 1
        if self.pos >= len(t):
            return None
        end = t.find("\n", self.pos, self.pos + length)
        if end < 0:
            end = min(self.pos + length, len(t))
        part = t[self.pos : end].rstrip("\r")
        self.pos = end
        return part.ljust(length)


def read_answer(source, official: OfficialList | None = None) -> Answer:
    """Read an answer message from a path or bytes; ``official``: the insurers' list
    (:func:`~vsbengine.formats.efact.official.read_official_list`), for the official
    texts of the codes of the echoed records.

    Raises
    ------
    vsbengine.InputError
        Not an answer message (or not readable at all).
    """
    data, path = load(source)
    text = bytes(data).decode("latin-1")
    name = text[:6]
    if name not in ANSWER_MESSAGES:
        raise InputError(
            f"not an answer message: it starts with {name!r}, expected one of "
            f"{', '.join(ANSWER_MESSAGES)}",
            path=path,
            offset=0,
        )
    parts = _Parts(text)
    s200 = parts.take(67) or " " * 67  # the name was read: at least a short part
    l200 = LAYOUTS.layout("200")
    head = Answer(
        message=name,
        kind=KIND[name],
        sender_reference=_field(s200, l200, "204"),
        insurer_reference=_field(s200, l200, "205"),
        zone_errors=_zone_errors(s200, l200, "200"),
    )
    if name == "931000":
        stub = parts.take(160) or " " * 160
        return msgspec.structs.replace(
            head,
            acknowledged=stub[:6].strip() or None,
            zone_errors=head.zone_errors + _zone_errors(stub, REPLY_LAYOUTS["300s"], "300", "300s"),
        )
    if name == "920999":
        s300 = parts.take(160) or " " * 160
        l300 = LAYOUTS.layout("300")
        errors = head.zone_errors + _zone_errors(s300, l300, "300")
        while (rec := parts.take(350)) is not None:
            rtype = rec[:2]
            if rtype in ("95", "96"):
                errors += _zone_errors(rec, LAYOUTS.layout(rtype), rtype)
        return msgspec.structs.replace(
            head,
            sending_number=_field(s300, l300, "301"),
            invoiced_month=_field(s300, l300, "300"),
            zone_errors=errors,
        )
    s300 = parts.take(610) or " " * 610
    l300 = REPLY_LAYOUTS["300x"]
    pct = _int(_field(s300, l300, "310"))
    errors = head.zone_errors + _zone_errors(s300, l300, "300", "300x")
    records: list[EchoedRecord] = []
    settlements: list[Settlement] = []
    ext = REPLY_LAYOUTS["ext"]
    while True:
        if parts.peek(2) in ("95", "96"):
            # Not in the replies seen; read as the 350 characters of a sending's.
            closing = parts.take(350) or ""
            errors += _zone_errors(closing, LAYOUTS.layout(closing[:2]), closing[:2])
            continue
        rec = parts.take(800)
        if rec is None:
            break
        rtype = rec[:2]
        if rtype in ("91", "92"):
            settlements.append(_settlement(rec, rtype))
            errors += _zone_errors(rec, REPLY_LAYOUTS[rtype], rtype)
            continue
        e = rec[350:]
        slots = []
        for lz, cz in (("457", "458"), ("464", "465"), ("471", "472")):
            letter, code = _field(e, ext, lz), _field(e, ext, cz).upper()
            if letter in _LETTERS and _CODE.match(code) and code != "000000":
                slots.append(_slot(letter, code, official))
        seq = _int(rec[2:8])
        records.append(
            EchoedRecord(
                index=len(records) + 1,
                record_type=rtype,
                sequence=seq,
                slots=slots,
                comment=_field(e, ext, "534").strip(),
                accepted=_int(_field(e, ext, "114")),
                refused=_int(_field(e, ext, "115")),
                record=rec[:350],
            )
        )
    rt = _field(s300, l300, "311").strip()
    return msgspec.structs.replace(
        head,
        sending_number=_field(s300, l300, "301"),
        invoiced_month=_field(s300, l300, "300"),
        error_percentage=None if pct is None else pct / 100,
        rejection_type=rt if rt.isdigit() and rt != "00" else None,
        zone_errors=errors,
        records=records,
        settlements=settlements,
    )


def _settlement(rec: str, rtype: str) -> Settlement:
    lay = REPLY_LAYOUTS[rtype]
    z = {
        "91": ("401", "404", "406", "408", "409", "410", "412", "414", "416", "418", "420", "422"),
        "92": ("501", "504", "506", "508", "509", "510", "512", "514", "516", "518", "520", "522"),
    }[rtype]
    v = [_int(_field(rec, lay, k)) or 0 for k in z]
    read = Settlement(rtype, *v)  # type: ignore[arg-type]  # the zones, in field order
    if rtype == "92":
        return read
    return msgspec.structs.replace(
        read,
        reference_a=_field(rec, lay, "423").strip(),
        reference_b=_field(rec, lay, "424").strip(),
    )
