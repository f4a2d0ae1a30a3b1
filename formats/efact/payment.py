"""DF017: the payment order of an accepted sending.

The zorgkas pays the facility the accepted amounts, per account, within
``payment_days`` (42 by default: six weeks) of the date the sending was
received. The payee accounts are those of record 10 (account A: zones 31/36,
account B: zones 43a/49). Written as JSON (:class:`PaymentOrder`) and as a SEPA
credit transfer (pain.001.001.09) with the zorgkas as debtor; IBAN and BIC are
checked before anything is written.
"""

from __future__ import annotations

import datetime as _dt

import msgspec

from vsbengine.errors import ConfigError
from vsbengine.formats import sepa


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


def order(
    result, zorgkas, facility_name: str | None, signed_by: str, signed_at: str
) -> tuple[PaymentOrder, bytes]:
    """The payment order of an accepted sending, as a struct and as pain.001 XML (from
    the result alone: its record 10 and its settlement)."""
    if result.decision != "DF014":
        raise ValueError("only an accepted sending (DF014) is paid")
    if zorgkas is None:
        raise ConfigError(
            "no account of the zorgkas is configured (zorgkas.toml in the reference data)"
        )
    payee = result.payee
    if payee is None:
        raise ConfigError("the sending has no record 10: no payee account")
    sending = payee.sending_number
    month = f"{payee.invoiced_year:04d}{payee.invoiced_month:02d}"
    institution = f"{payee.institution:012d}"
    total = next(r for r in result.settlement if r.record_type == "92")
    received = _dt.date(result.today // 10000, result.today // 100 % 100, result.today % 100)
    due = received + _dt.timedelta(days=zorgkas.payment_days)
    payments, transfers = [], []
    name = facility_name or f"Institution {institution}"
    for account, amount, iban, bic in (
        ("A", total.accepted_a, payee.iban_a, payee.bic_a),
        ("B", total.accepted_b, payee.iban_b, payee.bic_b),
    ):
        if amount <= 0:
            continue
        reference = f"{sending:03d}/{month}/{account}"
        creditor = sepa.Party(name, iban, bic or None)
        transfers.append(
            sepa.Transfer(
                f"VSB{institution}{sending:03d}{month}{account}",
                amount,
                creditor,
                f"VSB {reference} {name}",
            )
        )
        payments.append(Payment(account, amount, iban, bic, reference))
    if not transfers:
        raise ConfigError("nothing accepted to pay")
    created = _dt.datetime.fromisoformat(signed_at)
    xml = sepa.build(
        f"DF017-{institution}-{sending:03d}-{month}",
        created,
        sepa.Party(zorgkas.name, zorgkas.iban, zorgkas.bic),
        due,
        transfers,
    )
    po = PaymentOrder(
        message="DF017",
        sending=sending,
        invoiced_month=f"{month[:4]}-{month[4:]}",
        institution=institution,
        facility=name,
        zorgkas=Account(zorgkas.name, zorgkas.iban, zorgkas.bic),
        received_on=received.isoformat(),
        due_on=due.isoformat(),
        total=sum(p.amount for p in payments),
        payments=payments,
        signed_by=signed_by,
        signed_at=signed_at,
    )
    return po, xml
