"""DF017: the payment order of an accepted sending, and what signing would order.

The zorgkas pays the facility the accepted amounts, per account, within
``payment_days`` (42 by default: six weeks) of the date the sending was
received. The accounts paid are the facility's registered ones (``facilities.csv``:
``iban``/``bic`` for account A, ``iban_b``/``bic_b`` for account B), never simply
those record 10 names: a sending whose record-10 accounts differ from them is
refused at validation (:mod:`vsbengine.formats.efact.checks.accounts`), so that a
signed order always pays what the reference data holds. Written as JSON
(:class:`PaymentOrder`) and as a SEPA credit transfer (pain.001.001.09) with the
zorgkas as debtor; IBAN and BIC are checked before anything is written.

:func:`plan` is what signing would order (the proposal shows it, the review page
too); :func:`order` is that plan, signed.

An account whose accepted total is negative (credit notes outweigh the invoices on
it) is not paid, and not netted against the other account (another bank account of
the facility): the plan lists it under ``to_recover``, the amount the facility owes
on it, for the person who signs and for the zorgkas's own follow-up. A sending whose
accepted totals are all zero or negative is signed like any other; its DF017 then
holds no transfer, and no pain.001 file is written.
"""

from __future__ import annotations

import datetime as _dt

import msgspec

from vsbengine.errors import ConfigError
from vsbengine.formats import sepa

__all__ = ["Account", "Payment", "PaymentOrder", "Plan", "Recovery", "order", "plan"]


class Account(msgspec.Struct, frozen=True):
    name: str
    iban: str
    bic: str


class Payment(msgspec.Struct, frozen=True):
    account: str  # "A" or "B"
    amount: int  # cents
    iban: str
    bic: str
    reference: str


class Recovery(msgspec.Struct, frozen=True):
    """A negative accepted total on one account: what the facility owes on it."""

    account: str  # "A" or "B"
    amount: int  # cents owed (positive)
    reference: str


class Plan(msgspec.Struct, frozen=True):
    """What signing an accepted sending would order (``proposal.json``'s ``payment``):
    the payee, the accounts and amounts, the due date. DF017 is this, signed.
    ``total`` is what is paid; ``accepted`` the settlement's accepted total (DF015,
    accounts A and B together), which differs when an account is to be recovered."""

    sending: int
    invoiced_month: str
    institution: str
    facility: str
    zorgkas: Account
    received_on: str
    due_on: str
    total: int
    payments: list[Payment]
    accepted: int = 0
    to_recover: list[Recovery] = msgspec.field(default_factory=list)


class PaymentOrder(msgspec.Struct, frozen=True):
    """The JSON form of DF017."""

    message: str
    sending: int
    invoiced_month: str
    institution: str
    facility: str
    zorgkas: Account
    received_on: str
    due_on: str
    total: int
    payments: list[Payment]
    signed_by: str
    signed_at: str
    accepted: int = 0
    to_recover: list[Recovery] = msgspec.field(default_factory=list)


def plan(result, zorgkas, facility) -> Plan:
    """What signing ``result`` (an accepted sending) would order.

    Parameters
    ----------
    result
        A :class:`vsbengine.Result` proposed for acceptance (DF014).
    zorgkas
        The payer (:class:`~vsbengine.formats.efact.refs.Zorgkas`: name, iban, bic,
        payment_days).
    facility
        The facility's registered name and accounts
        (:class:`~vsbengine.formats.efact.refs.Facility`).

    Raises
    ------
    vsbengine.ConfigError
        No zorgkas account, no registered facility, or an accepted amount to pay on an
        account the facility has none registered for.
    """
    if result.decision != "DF014":
        raise ValueError("only an accepted sending (DF014) is paid")
    if zorgkas is None:
        raise ConfigError(
            "no account of the zorgkas is configured (zorgkas.toml in the reference data)"
        )
    payee = result.payee
    if payee is None:
        raise ConfigError("the sending has no record 10: no payee")
    institution = f"{payee.institution:012d}"
    if facility is None:
        raise ConfigError(f"institution {institution} is not in facilities.csv: no account to pay")
    sending = payee.sending_number
    month = f"{payee.invoiced_year:04d}{payee.invoiced_month:02d}"
    total = next(r for r in result.settlement if r.record_type == "92")
    received = _dt.date(result.today // 10000, result.today // 100 % 100, result.today % 100)
    due = received + _dt.timedelta(days=zorgkas.payment_days)
    payments, recover = [], []
    for account, amount in (("A", total.accepted_a), ("B", total.accepted_b)):
        reference = f"{sending:03d}/{month}/{account}"
        if amount < 0:
            recover.append(Recovery(account, -amount, reference))
            continue
        if amount == 0:
            continue
        iban, bic = facility.account(account)
        if not iban:
            raise ConfigError(
                f"institution {institution} has no registered account {account} "
                "(facilities.csv): nothing to pay it to"
            )
        payments.append(Payment(account, amount, iban, bic, reference))
    return Plan(
        sending=sending,
        invoiced_month=f"{month[:4]}-{month[4:]}",
        institution=institution,
        facility=facility.name or f"Institution {institution}",
        zorgkas=Account(zorgkas.name, zorgkas.iban, zorgkas.bic),
        received_on=received.isoformat(),
        due_on=due.isoformat(),
        total=sum(p.amount for p in payments),
        payments=payments,
        accepted=total.accepted_a + total.accepted_b,
        to_recover=recover,
    )


def order(
    result, zorgkas, facility, signed_by: str, signed_at: str
) -> tuple[PaymentOrder, bytes | None]:
    """The payment order of an accepted sending (its :func:`plan`, signed), as a struct
    and as pain.001 XML (None: nothing to transfer)."""
    p = plan(result, zorgkas, facility)
    month = p.invoiced_month.replace("-", "")
    transfers = [
        sepa.Transfer(
            f"VSB{p.institution}{p.sending:03d}{month}{pay.account}",
            pay.amount,
            sepa.Party(p.facility, pay.iban, pay.bic or None),
            f"VSB {pay.reference} {p.facility}",
        )
        for pay in p.payments
    ]
    xml = None
    if transfers:
        xml = sepa.build(
            f"DF017-{p.institution}-{p.sending:03d}-{month}",
            _dt.datetime.fromisoformat(signed_at),
            sepa.Party(p.zorgkas.name, p.zorgkas.iban, p.zorgkas.bic),
            _dt.date.fromisoformat(p.due_on),
            transfers,
        )
    po = PaymentOrder(
        message="DF017",
        **msgspec.structs.asdict(p),
        signed_by=signed_by,
        signed_at=signed_at,
    )
    return po, xml
