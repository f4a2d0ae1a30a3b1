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

import codecs
import os
import re

import msgspec

from vsbengine.digits import ascii_digits
from vsbengine.errors import InputError
from vsbengine.formats.efact.catalogue import catalogue, describe, field_meaning
from vsbengine.formats.efact.compiled import LAYOUTS, REPLY_LAYOUTS, Layout
from vsbengine.formats.efact.official import OfficialList
from vsbengine.formats.efact.settlement import Settlement
from vsbengine.source import ANSWER_MESSAGES, as_path, load

__all__ = ["MAX_ANSWER_BYTES", "Answer", "EchoedRecord", "Settlement", "Slot", "read_answer"]

#: Bytes an answer message may have at most (1 GiB: the DF015 that echoes every record
#: of a sending of 1.3 million records). Reading one takes about three times its size
#: in memory (the text, then an object per echoed record); a bigger file is refused
#: before it is read.
MAX_ANSWER_BYTES = 1 << 30
#: Record types an answer 920098/920099/920900 echoes or adds (91/92: the settlement).
_ECHOED = frozenset(["10", "20", "30", "40", "50", "51", "52", "80", "90", "91", "92"])

_LETTERS = set("BFRSE")
#: A six-character code: record and zone in digits, the error part digits or letters
#: (official codes such as 5014A5).
_CODE = re.compile(r"^[0-9]{4}[0-9A-Z]{2}$")
_LETTERED = re.compile(r"^[BFRSE][0-9]{4}[0-9A-Z]{2}$")
KIND = {
    "931000": "DF011",
    "920999": "DF012",
    "920099": "DF013",
    "920098": "DF014",
    "920900": "DF015",
}


#: The echoed records whose extension carries amounts (zones 114/115,
#: ``efact-format.md`` section 3); in the others these positions are filler.
_WITH_AMOUNTS = frozenset({"30", "50", "51", "80"})
#: The filler real insurers write over the extension of an echoed record 10 or 90.
_FILLER = {"10": "1", "90": "9"}


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
    sequence: int | None  # None: zone 2 of the record as sent is blank or no number
    slots: list[Slot]
    comment: str
    accepted: int | None
    refused: int | None
    record: str


class ZoneError(msgspec.Struct, frozen=True):
    """A two-digit code in an error field of segment 200/300 or record 95/96/91/92.
    ``mutuality``: on a record 95 or 91 its mutuality (zone 401), on a record 96 or 92
    its zone 501 (the federation, or 999), as written; ``None`` on the segments."""

    part: str
    zone: str
    code: str
    meaning: str
    mutuality: str | None = None


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


class _Where(msgspec.Struct, frozen=True):
    """Where a part of the message starts: to locate an unreadable zone in it."""

    path: str | None
    start: int
    record: int | None = None


def _int(
    text: str, where: _Where | None = None, at: int = 0, zone: str | None = None
) -> int | None:
    """A numeric zone: blank is ``None``; anything but digits (with a sign) is an error
    at byte ``where.start + at``."""
    t = text.strip()
    if not t:
        return None
    sign = -1 if t[0] == "-" else 1
    digits = t[1:] if t[0] in "+-" else t
    if ascii_digits(digits):
        return sign * int(digits)
    bad = next((c for c in digits if not ("0" <= c <= "9")), digits[:1])
    raise InputError(
        f"not a number: {bad!r} is not a digit 0-9",
        path=None if where is None else where.path,
        offset=None if where is None else where.start + at + text.index(bad),
        record=None if where is None else where.record,
        zone=zone,
    )


def _number(part: str, layout: Layout, zone: str, where: _Where, base: int = 0) -> int | None:
    """The numeric ``zone`` of ``part`` (its layout starting ``base`` characters in)."""
    z = layout.zone(zone)
    return _int(part[base + z.start : base + z.end], where, base + z.start, zone)


#: The zone that names a closing record's mutuality (see ZoneError).
_MUTUALITY_ZONE = {"95": "401", "91": "401", "96": "501", "92": "501"}


def _zone_errors(text: str, layout: Layout, part: str, kind: str | None = None) -> list[ZoneError]:
    """The codes in the error fields of a part (blank or ``00``: none). ``kind``: the
    layout the meanings are built from (``300x``, ``300s``), by default ``part``."""
    out = []
    named = _MUTUALITY_ZONE.get(part)
    mutuality = _field(text, layout, named).strip() or None if named else None
    for z in layout.zones:
        if not z.is_error_field:
            continue
        code = text[z.start : z.end]
        if ascii_digits(code) and code != "00":
            zone = z.zone[:-1]
            meaning = field_meaning(kind or part, zone, code)[0]
            out.append(ZoneError(part, zone, code, meaning, mutuality))
    return out


def _slot(letter: str, code: str, official: OfficialList | None) -> Slot:
    entry = catalogue().get(code)
    meaning = entry.en if entry is not None else describe(code)[0]
    text = official.get(code) if official is not None else None
    if text is None:
        return Slot(letter, code, meaning)
    return Slot(letter, code, meaning, text.nl or None, text.fr or None)


_PART_NAMES = {67: "segment 200", 160: "segment 300", 610: "segment 300"}


class _Parts:
    """Splits a message into parts of known lengths, tolerating line breaks."""

    def __init__(self, text: str, path: str | None = None) -> None:
        self.text = text
        self.path = path
        self.pos = 0
        #: Where the part :meth:`take` returned last starts in the message.
        self.start = 0

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
        self.start = self.pos
        end = t.find("\n", self.pos, self.pos + length)
        if end < 0:
            end = min(self.pos + length, len(t))
            if end - self.pos < length:
                # No line break ends it: the message stops inside this part.
                what = _PART_NAMES.get(length, "a record")
                raise InputError(
                    f"the file ends inside {what}: {end - self.pos} of {length} characters",
                    path=self.path,
                    offset=self.pos,
                )
        part = t[self.pos : end].rstrip("\r")
        self.pos = end
        return part.ljust(length)  # a line whose trailing blanks were cut

    def rest_is_blank(self) -> bool:
        """Only blanks and line breaks after the current position."""
        return not self.text[self.pos :].strip(" \r\n")

    def garbage(self, path: str | None, what: str | None = None) -> InputError:
        """The error for what follows the last part (``what``: what else could follow)."""
        t = self.text
        at = self.pos
        while at < len(t) and t[at] in " \r\n":
            at += 1
        kind = "NUL bytes" if t[at] == "\0" else f"{t[at : at + 2]!r}"
        return InputError(
            f"{len(t) - at:,} bytes after the last record ({kind}), expected "
            + (f"{what} or " if what else "")
            + "the end of the message",
            path=path,
            offset=at,
        )


def _text(source) -> tuple[str, str | None]:
    """The message as text (Latin-1: one character per byte), refused past
    :data:`MAX_ANSWER_BYTES` before it is read."""
    if isinstance(source, (str, os.PathLike)):
        path = as_path(source)
        try:
            size = os.stat(path).st_size
        except OSError:
            size = 0  # load() names the problem
    else:
        path, size = None, None
    if size is not None and size > MAX_ANSWER_BYTES:
        raise InputError(
            f"{size:,} bytes, more than the {MAX_ANSWER_BYTES:,} an answer message may have "
            "(reading one takes about three times its size in memory)",
            path=path,
        )
    data, path = load(source, MAX_ANSWER_BYTES)
    with memoryview(data) as view:
        if view.nbytes > MAX_ANSWER_BYTES:
            raise InputError(
                f"{view.nbytes:,} bytes, more than the {MAX_ANSWER_BYTES:,} an answer "
                "message may have",
                path=path,
            )
        # Any buffer shape reads as its bytes in order (a strided view as a copy).
        flat = view.cast("B") if view.c_contiguous else view.tobytes()
        return codecs.decode(flat, "latin-1"), path


def read_answer(source, official: OfficialList | None = None) -> Answer:
    """Read an answer message from a path or bytes; ``official``: the insurers' list
    (:func:`~vsbengine.formats.efact.official.read_official_list`), for the official
    texts of the codes of the echoed records.

    Raises
    ------
    vsbengine.InputError
        Not an answer message (or not readable at all), bigger than
        :data:`MAX_ANSWER_BYTES`, a numeric zone that is not a number, or bytes after
        the last record that are no record of the message (NULs, say).
    """
    text, path = _text(source)
    name = text[:6]
    if name not in ANSWER_MESSAGES:
        raise InputError(
            f"not an answer message: it starts with {name!r}, expected one of "
            f"{', '.join(ANSWER_MESSAGES)}",
            path=path,
            offset=0,
        )
    parts = _Parts(text, path)
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
        if not parts.rest_is_blank():
            raise parts.garbage(path)
        return msgspec.structs.replace(
            head,
            acknowledged=stub[:6].strip() or None,
            zone_errors=head.zone_errors + _zone_errors(stub, REPLY_LAYOUTS["300s"], "300", "300s"),
        )
    if name == "920999":
        s300 = parts.take(160) or " " * 160
        l300 = LAYOUTS.layout("300")
        errors = head.zone_errors + _zone_errors(s300, l300, "300")
        while parts.peek(2) in ("95", "96"):
            rec = parts.take(350) or ""
            errors += _zone_errors(rec, LAYOUTS.layout(rec[:2]), rec[:2])
        if not parts.rest_is_blank():
            raise parts.garbage(path, "a record 95 or 96")
        return msgspec.structs.replace(
            head,
            sending_number=_field(s300, l300, "301"),
            invoiced_month=_field(s300, l300, "300"),
            zone_errors=errors,
        )
    s300 = parts.take(610) or " " * 610
    l300 = REPLY_LAYOUTS["300x"]
    pct = _number(s300, l300, "310", _Where(path, parts.start))
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
        if parts.peek(2) not in _ECHOED:
            break
        rec = parts.take(800) or ""
        rtype = rec[:2]
        where = _Where(path, parts.start, len(records) + len(settlements) + 1)
        if rtype in ("91", "92"):
            settlements.append(_settlement(rec, rtype, where))
            errors += _zone_errors(rec, REPLY_LAYOUTS[rtype], rtype)
            continue
        e = rec[350:]
        slots = []
        for lz, cz in (("457", "458"), ("464", "465"), ("471", "472")):
            letter, code = _field(e, ext, lz), _field(e, ext, cz).upper()
            if not letter.strip():
                continue  # a blank letter: no error in this slot
            if letter not in _LETTERS or not _CODE.match(code):
                zone = ext.zone(cz if letter in _LETTERS else lz)
                raise InputError(
                    f"not an error {'code' if letter in _LETTERS else 'letter'} in an error slot",
                    path=path,
                    offset=where.start + 350 + zone.start,
                    record=where.record,
                    zone=zone.zone,
                )
            if code != "000000":
                slots.append(_slot(letter, code, official))
        comment = _field(e, ext, "534").strip()
        if comment and set(comment) == set(_FILLER.get(rtype, "")):
            comment = ""  # the filler real insurers write in the echoes of records 10/90
        # Codes beyond the third, as this package writes them: "B502901 R500420 ...".
        extra = comment.split()
        if extra and all(_LETTERED.match(x) for x in extra):
            slots += [_slot(x[0], x[1:], official) for x in extra]
        amounts = rtype in _WITH_AMOUNTS
        records.append(
            EchoedRecord(
                index=len(records) + 1,
                record_type=rtype,
                # The echoed record is the facility's, as it was sent: a sequence
                # number that is no number (an error of the sending) is None here.
                sequence=int(rec[2:8]) if ascii_digits(rec[2:8]) else None,
                slots=slots,
                comment=comment,
                accepted=_number(rec, ext, "114", where, 350) if amounts else None,
                refused=_number(rec, ext, "115", where, 350) if amounts else None,
                record=rec[:350],
            )
        )
    if not parts.rest_is_blank():
        raise parts.garbage(path, "an echoed record")
    rt = _field(s300, l300, "311").strip()
    return msgspec.structs.replace(
        head,
        sending_number=_field(s300, l300, "301"),
        invoiced_month=_field(s300, l300, "300"),
        error_percentage=None if pct is None else pct / 100,
        rejection_type=rt if ascii_digits(rt) and rt != "00" else None,
        zone_errors=errors,
        records=records,
        settlements=settlements,
    )


def _settlement(rec: str, rtype: str, where: _Where) -> Settlement:
    lay = REPLY_LAYOUTS[rtype]
    z = {
        "91": ("401", "404", "406", "408", "409", "410", "412", "414", "416", "418", "420", "422"),
        "92": ("501", "504", "506", "508", "509", "510", "512", "514", "516", "518", "520", "522"),
    }[rtype]
    v = [_number(rec, lay, k, where) or 0 for k in z]
    read = Settlement(rtype, *v)  # type: ignore[arg-type]  # the zones, in field order
    if rtype == "92":
        return read
    return msgspec.structs.replace(
        read,
        reference_a=_field(rec, lay, "423").strip(),
        reference_b=_field(rec, lay, "424").strip(),
        reference_c=_field(rec, lay, "426").strip(),
    )
