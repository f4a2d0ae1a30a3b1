"""What a proposal says besides its verdicts: the money and the accounts.

A person signs or confirms a sending from its proposal (``proposal.json``, and the
review page made from it). Besides the proposed decision it holds:

- ``amounts``: requested, accepted and refused per mutuality and account, as the
  decision would settle them (:func:`amounts`; a proposed rejection accepts nothing);
- ``accounts``: record 10's accounts against the facility's registered ones
  (:func:`accounts`; a difference is an error of the validation, which the sending is
  refused for, and ``account_flagged`` says so);
- ``payment``: for a proposed acceptance, what signing would order: payee, accounts,
  amounts, due date (:func:`vsbengine.formats.efact.payment.plan`; DF017 is that plan,
  signed).
"""

from __future__ import annotations

import msgspec

__all__ = [
    "ACCOUNT_CODES",
    "AccountCheck",
    "Amounts",
    "accounts",
    "amounts",
    "facility_of",
]

#: The codes of record 10's accounts (see vsbengine.formats.efact.checks.accounts), by
#: account: what is wrong with the form, "left blank although money is asked on it",
#: and "not the registered account".
ACCOUNT_CODES = {
    "A": {
        "invalid": ("103602", "103603", "103605", "103103"),
        "missing": ("103610",),
        "differs": ("103620", "103120"),
    },
    "B": {
        "invalid": ("104902", "104903", "104905", "104303"),
        "missing": ("104910",),
        "differs": ("104920", "104320"),
    },
}
_UNKNOWN_PAYER = "101420"


class Amounts(msgspec.Struct, frozen=True):
    """One row of the money of a proposal, in cents: a mutuality (``mutuality`` its
    number, ``record_type`` ``"91"``) or the whole sending (``"92"``)."""

    record_type: str
    mutuality: int
    requested_a: int
    accepted_a: int
    refused_a: int
    requested_b: int
    accepted_b: int
    refused_b: int
    requested: int
    accepted: int
    refused: int


class AccountCheck(msgspec.Struct, frozen=True):
    """Record 10's account ``account`` (``"A"`` or ``"B"``) against the facility's.

    ``status``: ``same`` (the registered account), ``not_named`` (record 10 leaves it
    blank and the sending asks nothing on it: nothing is paid on it), ``missing``
    (record 10 leaves it blank although the sending asks money on it: refused),
    ``differs`` (not the registered account, or
    none is registered: the sending is refused), ``invalid`` (its check digits or form:
    refused), ``unknown_facility`` (the facility is not in facilities.csv: refused),
    ``unchecked`` (no reference data). ``codes``: the errors the validation found on it.
    """

    account: str
    iban: str
    bic: str
    registered_iban: str
    registered_bic: str
    status: str
    codes: list[str] = []


def amounts(result) -> list[Amounts]:
    """Requested, accepted and refused per mutuality (records 91) and in total (92), as
    the proposed decision settles them: an accepted sending as its DF015 will, a
    rejected one accepting nothing."""
    accepting = result.decision == "DF014"
    rows = []
    for s in result.settlement:
        acc_a = s.accepted_a if accepting else 0
        acc_b = s.accepted_b if accepting else 0
        rows.append(
            Amounts(
                record_type=s.record_type,
                mutuality=s.mutuality,
                requested_a=s.requested_a,
                accepted_a=acc_a,
                refused_a=s.requested_a - acc_a,
                requested_b=s.requested_b,
                accepted_b=acc_b,
                refused_b=s.requested_b - acc_b,
                requested=s.requested,
                accepted=acc_a + acc_b,
                refused=s.requested - acc_a - acc_b,
            )
        )
    return rows


def accounts(result, facility, checked: bool) -> list[AccountCheck]:
    """Record 10's accounts A and B against ``facility``'s registered ones (a
    :class:`~vsbengine.formats.efact.refs.Facility`, or ``None``), read from the codes
    the validation found on them (one reading: the check's). ``checked``: whether there
    was reference data to check against."""
    payee = result.payee
    found = set(result.error_table.codes()) if len(result.error_table) else set()
    out = []
    for name in ("A", "B"):
        iban = (payee.iban_a if name == "A" else payee.iban_b) if payee else ""
        bic = (payee.bic_a if name == "A" else payee.bic_b) if payee else ""
        registered = facility.account(name) if facility is not None else ("", "")
        codes = ACCOUNT_CODES[name]
        mine = [c for c in codes["invalid"] + codes["missing"] + codes["differs"] if c in found]
        if any(c in found for c in codes["invalid"]):
            status = "invalid"
        elif any(c in found for c in codes["missing"]):
            status = "missing"
        elif not checked:
            status = "unchecked"
        elif _UNKNOWN_PAYER in found:
            status, mine = "unknown_facility", [_UNKNOWN_PAYER]
        elif mine:
            status = "differs"
        elif not iban:
            status = "not_named"
        else:
            status = "same"
        out.append(AccountCheck(name, iban, bic, registered[0], registered[1], status, mine))
    return out


def facility_of(proposal: dict):
    """The facility (name and registered accounts) a proposal was made against, as the
    payment order pays it; ``None`` without one."""
    from vsbengine.formats.efact.refs import Facility

    checks = {a["account"]: a for a in proposal.get("accounts") or ()}
    if proposal.get("facility") is None or not checks:
        return None
    a, b = checks.get("A", {}), checks.get("B", {})
    return Facility(
        proposal["facility"],
        a.get("registered_iban", ""),
        a.get("registered_bic", ""),
        b.get("registered_iban", ""),
        b.get("registered_bic", ""),
    )
