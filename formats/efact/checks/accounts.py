"""Record 10's bank accounts: well-formed, and the facility's registered ones.

A sending names the accounts it wants to be paid on in record 10: account A (BIC in
zone 31, IBAN in zone 36) and account B (zones 43a and 49, the fees of hospital
doctors). The zorgkas pays the accounts it has on file for the facility
(``facilities.csv``), never simply those of the sending; so a sending whose accounts
differ from them is refused, with the official codes of the insurers' list:

======  =====================================================================
code    when
======  =====================================================================
103602  IBAN A: wrong check digits (positions 3 and 4)
103603  IBAN A: not allowed (no IBAN country)
103605  IBAN A: not correct (length or structure for its country, national
        check digits)
103610  IBAN A: left blank although the sending asks money on account A (its
        prestations or record 96): the payee account is record 10's
103103  BIC A: not allowed (not a BIC)
104902  IBAN B, 104903, 104905, 104910, 104303 (BIC B): the same for account B
101420  with reference data: the third-party payer (zone 14) is not in
        ``facilities.csv``
103620  with reference data: IBAN A is not the facility's registered account A,
        or the sending asks money on account A and none is registered
103120  with reference data: BIC A differs from the registered BIC A
104920  IBAN B against the registered account B (``iban_b``), as 103620
104320  BIC B against the registered BIC B (``bic_b``)
======  =====================================================================

All are letter B: the sending is proposed for rejection (DF013, type 01), which a
person confirms; the facility sends it again with its registered accounts (or the
zorgkas updates its reference data first). A BIC left blank is not checked (optional
in SEPA), nor an IBAN left blank on an account the sending asks nothing on; a zone
with characters the core refuses already has its ``RRZZ09`` and is not checked
again. BICs compare on their first eight characters
(``GKCCBEBB`` is ``GKCCBEBBXXX``).

One record per sending: plain Python over record 10's bytes in the merged summary.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from vsbengine.formats.efact.compiled import LAYOUTS
from vsbengine.formats.efact.findings import Context, Findings

if TYPE_CHECKING:
    from vsbengine.formats.efact.summary import Summary

__all__ = ["ACCOUNTS", "bic_error", "check_sending", "iban_error", "record10_accounts"]

#: Per account: (name, BIC zone, IBAN zone, requested-amount zone of record 96).
ACCOUNTS = (("A", "31", "36", "404"), ("B", "43a", "49", "406"))
#: The error part of the codes: what is wrong with an IBAN or a BIC.
_IBAN_EE = {"check": "02", "country": "03", "format": "05"}
_MISSING = "10"  # official error 10: missing although required
_BIC_NOT_ALLOWED = "03"
_NOT_KNOWN = "20"  # official: "not known in the insurer's file of third parties"
_UNKNOWN_PAYER = "101420"
_SHAPE = re.compile(r"[A-Z]{2}[0-9]{2}[A-Z0-9]{1,30}")


def iban_error(text: str) -> str | None:
    """What is wrong with an IBAN: ``"country"`` (no IBAN country), ``"format"`` (length
    or structure for its country, or its national check digits), ``"check"`` (the check
    digits in positions 3 and 4), or ``None``. Separators and case are forgiven."""
    from stdnum import iban

    from vsbengine import ibans

    number = iban.compact(text)
    if not _SHAPE.fullmatch(number):
        return "format"
    # The structure first, with the check digits it should have: a truncated IBAN is
    # "not correct", not only "wrong check digits".
    if not iban.numdb.get("iban").info(number)[0][1]:
        return "country"  # not a country of the IBAN registry
    fixed = number[:2] + iban.calc_check_digits(number) + number[4:]
    if not ibans.is_valid(fixed):
        return "format"  # its structure, or its national check digits (BE: mod 97)
    return "check" if fixed != number else None


def bic_error(text: str) -> bool:
    """Whether ``text`` is not a BIC (ISO 9362: 8 or 11 characters, letters for the
    bank and the country)."""
    from stdnum import bic

    return not bic.is_valid(text)


def _same_bic(a: str, b: str) -> bool:
    from stdnum import bic

    a, b = bic.compact(a), bic.compact(b)
    return a[:8] == b[:8] and (a[8:] or "XXX") == (b[8:] or "XXX")


def _zone_text(raw: bytes, zone: str) -> str | None:
    """The text of a record 10 zone, stripped; ``None`` when the core refuses its
    characters (it reported that zone already)."""
    z = LAYOUTS.layout("10").zone(zone)
    field = raw[z.start : z.end]
    if any(b < 0x20 or 0x7F <= b < 0xA0 for b in field):
        return None
    return field.decode("latin-1").strip()


def record10_accounts(raw: bytes) -> dict[str, tuple[str | None, str | None]]:
    """``{"A": (iban, bic), "B": (iban, bic)}`` of a record 10's bytes (stripped text;
    ``None`` where the zone holds characters the core refuses)."""
    return {
        name: (_zone_text(raw, iban_zone), _zone_text(raw, bic_zone))
        for name, bic_zone, iban_zone, _ in ACCOUNTS
    }


def check_sending(sm: Summary, ctx: Context) -> Findings:
    """Record 10's accounts: their check digits and forms, and with reference data the
    facility's registered accounts (see the module)."""
    found = Findings()
    r10 = sm.record10
    if r10 is None or len(r10.raw) < 350:
        return found

    def add(code: str, zone: str) -> None:
        zi = LAYOUTS.zone_index("10", zone)
        found.errors.add(
            r10.unit, code, zi, seq=r10.seq, rtype=10, offset=r10.offset + LAYOUTS.zones[zi].start
        )

    accounts = record10_accounts(r10.raw)
    r96 = next((c for c in sm.closing if c.rtype == 96), None)
    usable: dict[str, tuple[str, str]] = {}
    for name, bic_zone, iban_zone, requested_zone in ACCOUNTS:
        iban, bic = accounts[name]
        good = True
        if iban:
            wrong = iban_error(iban)
            if wrong is not None:
                add(f"10{iban_zone[:2]}{_IBAN_EE[wrong]}", iban_zone)
                good = False
        elif iban is not None and _asked(sm, r96, name, requested_zone):
            # The payee account is record 10's: none to pay the money asked on.
            add(f"10{iban_zone[:2]}{_MISSING}", iban_zone)
            good = False
        if bic and bic_error(bic):
            add(f"10{bic_zone[:2]}{_BIC_NOT_ALLOWED}", bic_zone)
            good = False
        if good and iban is not None and bic is not None:
            usable[name] = (iban, bic)

    look = ctx.lookups
    if look is None or not r10.readable.get("14", True):
        return found
    facility = look.facilities.get(int(r10.values["14"]))
    if facility is None:
        add(_UNKNOWN_PAYER, "14")
        return found
    for name, bic_zone, iban_zone, _ in ACCOUNTS:
        if name not in usable:
            continue  # refused above (or unreadable): nothing to compare
        iban, bic = usable[name]
        registered_iban, registered_bic = facility.account(name)
        if registered_iban:
            differs = bool(iban) and _compact_iban(iban) != registered_iban
        else:
            # Named, and the zorgkas has no such account to pay (a blank one with money
            # asked on it is 103610 / 104910 above).
            differs = bool(iban)
        if differs:
            add(f"10{iban_zone[:2]}{_NOT_KNOWN}", iban_zone)
        if bic and registered_bic and not _same_bic(bic, registered_bic):
            add(f"10{bic_zone[:2]}{_NOT_KNOWN}", bic_zone)
    return found


def _asked(sm: Summary, r96, name: str, requested_zone: str) -> bool:
    """Whether the sending asks money on account ``name``: its prestations on it, or
    its record 96 (``requested_zone``), add up to something."""
    whole = sm.all_mutualities
    if whole.detail_a if name == "A" else whole.detail_b:
        return True
    return (
        r96 is not None
        and r96.readable.get(requested_zone, True)
        and r96.values.get(requested_zone, 0) != 0
    )


def _compact_iban(text: str) -> str:
    from stdnum import iban

    return iban.compact(text)
