"""Who a sending is, and the rules of a resend: the checks a register adds.

A sending is known by its facility (record 10 zone 14, the third-party payer number),
its sending number (record 10 zone 7) and its invoiced year (record 10 zone 22): the
number is unique per facility and year. :func:`read_head` reads these and the facts the
resend rules compare from the head of the file (segments 200/300, record 10 and the
first record 20), without validating it.

What the register knows of the earlier sendings with the same number
(:class:`Earlier`) decides which rules apply to a new file (VSB processing, phases 1
and 2):

- the number belongs to a sending that was accepted (DF014, proposed or signed): a
  double sending number, refused;
- the last one was refused technically (DF012): the resend keeps the invoice type
  and the invoicing date, and has a new creation date;
- the last one was refused as a sending (DF013): the resend keeps the invoice type,
  and has a new creation date and a new invoicing date.

A file that breaks them is refused technically (DF012). Codes (see the README):

======  ==============================================  ===========================
code    meaning                                         where
======  ==============================================  ===========================
100721  official: double sending number for this        record 10 zone 7
        facility in the same year
030140  official: billing file sent twice               segment 300 zone 301, its
                                                        error field in the DF012
030150  engine: a resend of a refused sending that      segment 300 zone 301
        breaks the resend rules (the record codes say
        which)
030250  engine: creation date unchanged since the       segment 300 zone 302
        refused sending
030850  engine: invoice type differs from the refused   segment 300 zone 308
        sending
204750  engine (B): invoicing date differs from the     the first record 20, zone 47
        sending refused technically (DF012)
204751  engine (B): invoicing date unchanged since the  the first record 20, zone 47
        sending refused as a sending (DF013)
======  ==============================================  ===========================

The invoicing date of a sending is that of its first invoice (record 20 zone 47; our
choice: the rules speak of one date per sending, and the invoices of a sending share
it). The year of the number is the invoiced year (our choice: it does not change when
a refused sending is sent again).
"""

from __future__ import annotations

import os

import msgspec
import numpy as np

from vsbengine import digest as content_digest
from vsbengine.errors import InputError
from vsbengine.formats.efact.compiled import LAYOUTS
from vsbengine.formats.efact.findings import Findings
from vsbengine.source import sniff

__all__ = [
    "HEAD_BYTES",
    "Earlier",
    "Head",
    "check_for",
    "read_head",
    "violations",
]

#: Bytes of the head that are hashed to find a likely duplicate without reading the file.
HEAD_BYTES = 4096

#: Where each fact of the head is: layout, zone.
PLACES = {
    "number": ("10", "7"),
    "number300": ("300", "301"),
    "creation": ("300", "302"),
    "type": ("300", "308"),
    "invoicing": ("20", "47"),
}


class Head(msgspec.Struct, frozen=True, omit_defaults=True):
    """The identity of a sending and the facts a resend keeps or changes.

    Dates are ``YYYYMMDD`` integers; a fact that cannot be read is ``None``.
    ``where`` gives, per fact, ``[unit, sequence number, byte offset of the zone]``.
    """

    size: int
    head: str  # BLAKE2b (16 bytes, hex) of the first HEAD_BYTES bytes
    facility: str | None = None
    sending_number: int | None = None
    invoiced_year: int | None = None
    invoiced_month: int | None = None
    creation_date: int | None = None
    invoice_type: int | None = None
    invoicing_date: int | None = None
    where: dict[str, list[int]] = {}

    @property
    def key(self) -> str:
        """What one sending number means: ``facility/year/number``. A head without
        them is its own key (its size and hash)."""
        if None in (self.facility, self.invoiced_year, self.sending_number):
            return f"head/{self.size}/{self.head}"
        return f"{self.facility}/{self.invoiced_year}/{self.sending_number:03d}"

    @property
    def numbered(self) -> bool:
        return not self.key.startswith("head/")


class Earlier(msgspec.Struct, frozen=True):
    """What the register knows of the earlier sending a new file is measured against.

    ``answer``: ``"DF014"`` (the number is taken by an accepted sending), ``"DF012"``
    or ``"DF013"`` (the last refusal, which the file resends)."""

    sending: int
    answer: str
    creation_date: int | None = None
    invoice_type: int | None = None
    invoicing_date: int | None = None


def _digits(buf: bytes, offset: int, layout: str, zone: str) -> int | None:
    z = LAYOUTS.layout(layout).zone(zone)
    raw = buf[offset + z.start : offset + z.start + z.length]
    if len(raw) != z.length or not raw.isdigit():
        return None
    return int(raw)


def _date(value: int | None) -> int | None:
    return value if value else None


def read_head(path: str) -> Head:
    """The identity and resend facts of the sending in ``path``.

    Raises :class:`~vsbengine.InputError` when the file is missing, unreadable, empty or
    not a sending (the same refusals as validating it).
    """
    from vsbengine.source import require_regular

    require_regular(path)
    try:
        with open(path, "rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            first = fh.read(HEAD_BYTES)
    except FileNotFoundError:
        raise InputError("no such file", path=path) from None
    except IsADirectoryError:
        raise InputError("is a folder, not a file", path=path) from None
    except PermissionError:
        raise InputError("permission denied", path=path) from None
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", path=path) from None
    sniff(first[:6], size, path)
    digest = content_digest.of_bytes(first)
    # Segment 200, 300, record 10, record 20, each maybe followed by a line break.
    units: list[int] = []
    pos = 0
    for length in (67, 160, 350, 350):
        if pos + length > len(first) or first[:6] != b"920000":
            break  # cut short, or not framed as a sending: no facts to trust
        units.append(pos)
        pos = _after_break(first, pos + length)
    rtypes = [0, 0] + [
        int(first[o : o + 2]) if first[o : o + 2].isdigit() else 0 for o in units[2:]
    ]
    facts: dict = {}
    where: dict[str, list[int]] = {}

    def place(name: str, unit: int, seq: int) -> None:
        layout, zone = PLACES[name]
        where[name] = [unit, seq, units[unit] + LAYOUTS.layout(layout).zone(zone).start]

    scan = first
    if len(units) > 1:
        o = units[1]
        facts["invoice_type"] = _digits(scan, o, "300", "308")
        facts["creation_date"] = _date(_digits(scan, o, "300", "302"))
        for name in ("number300", "creation", "type"):
            place(name, 1, -1)
    if len(units) > 2 and rtypes[2] == 10:
        o = units[2]
        facility = _digits(scan, o, "10", "14")
        facts["facility"] = None if facility is None else f"{facility:012d}"
        facts["sending_number"] = _digits(scan, o, "10", "7")
        facts["invoiced_year"] = _digits(scan, o, "10", "22")
        facts["invoiced_month"] = _digits(scan, o, "10", "23")
        # The creation date of record 10 stands when segment 300 has none.
        if facts.get("creation_date") is None:
            facts["creation_date"] = _date(_digits(scan, o, "10", "25,26"))
        place("number", 2, _digits(scan, o, "10", "2") or 1)
        if len(units) > 3 and rtypes[3] == 20:
            o20 = units[3]
            facts["invoicing_date"] = _date(_digits(scan, o20, "20", "47"))
            place("invoicing", 3, _digits(scan, o20, "20", "2") or 2)
    return Head(size=size, head=digest, where=where, **facts)


def _after_break(buf: bytes, pos: int) -> int:
    """The position after the line break at ``pos``, if there is one (CR LF or LF)."""
    if buf[pos : pos + 2] == b"\r\n":
        return pos + 2
    if buf[pos : pos + 1] == b"\n":
        return pos + 1
    return pos


def violations(head: Head, earlier: Earlier | None) -> list[tuple[str, str]]:
    """The codes this file gets against the register (``(code, fact)`` pairs, where
    ``fact`` is a key of :data:`PLACES`); empty when it is a new sending or a proper
    resend."""
    if earlier is None:
        return []
    if earlier.answer == "DF014":
        return [("100721", "number"), ("030140", "number300")]
    found: list[tuple[str, str]] = []

    def known(a, b) -> bool:
        return a is not None and b is not None

    if known(head.creation_date, earlier.creation_date) and (
        head.creation_date == earlier.creation_date
    ):
        found.append(("030250", "creation"))
    if known(head.invoice_type, earlier.invoice_type) and (
        head.invoice_type != earlier.invoice_type
    ):
        found.append(("030850", "type"))
    if known(head.invoicing_date, earlier.invoicing_date):
        same = head.invoicing_date == earlier.invoicing_date
        if earlier.answer == "DF012" and not same:
            found.append(("204750", "invoicing"))
        elif earlier.answer == "DF013" and same:
            found.append(("204751", "invoicing"))
    if found:
        found.append(("030150", "number300"))
    # A fact the head does not locate cannot carry its code.
    return [(code, fact) for code, fact in found if fact in head.where]


def check_for(head: Head, earlier: Earlier | None):
    """A check of the whole sending for :meth:`vsbengine.Engine.validate` (``checks=``)
    that finds the codes of :func:`violations`, located; ``None`` when there are none."""
    found = violations(head, earlier)
    if not found:
        return None

    def check(sm, ctx) -> Findings:
        out = Findings()
        for code, fact in found:
            unit, seq, offset = head.where[fact]
            layout, zone = PLACES[fact]
            out.errors.add(
                np.array([unit]),
                code,
                LAYOUTS.zone_index(layout, zone),
                seq=seq,
                rtype=int(layout),
                offset=offset,
            )
        return out

    return check


class InvoiceNumbers:
    """A check of the whole sending (``checks=`` of :meth:`vsbengine.Engine.validate`)
    for the register: an invoice whose individual number (record 20 zones 24-25) an
    accepted sending of the facility billed already is refused (``202420``, B: the
    number is not unique; the same invoices again under another sending number would
    be paid twice). It keeps the sending's own numbers (:attr:`numbers`) for the
    register to record."""

    def __init__(self, billed) -> None:
        self.billed = np.asarray(sorted(billed), dtype=np.int64)
        self.numbers: list[int] = []

    def __call__(self, sm, ctx) -> Findings:
        from vsbengine.formats.efact.checks.zones import invoice_errors

        numbers = sm.invoice_number
        self.numbers = sorted(set(numbers[numbers != 0].tolist()))
        out = Findings()
        if len(self.billed) and len(numbers):
            again = np.isin(numbers, self.billed) & (numbers != 0)
            invoice_errors(sm, out.errors, again, "202420")
        return out
