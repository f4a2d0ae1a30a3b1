"""The facts of a sending that its answers carry: the settlement, record 10, the envelope.

These msgspec Structs are shared: the pipeline fills them from the scan, a
:class:`vsbengine.Result` holds them (and saves them for a sign-off), the writers
write the answers from them, and the reader (:mod:`.reader`) returns
:class:`Settlement` for the records 91 and 92 it reads back.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import msgspec
import numpy as np

if TYPE_CHECKING:
    from vsbengine.formats.efact.summary import Summary

__all__ = ["Envelope", "Record10", "Settlement", "settle"]


class Settlement(msgspec.Struct, frozen=True):
    """A record 91 (per mutuality) or 92 (the sending), amounts in cents."""

    # Requested amounts, the record count and the control number echo the records
    # 95/96; accepted amounts are those of the prestations accepted; refused =
    # requested - accepted. reference_a/reference_b/reference_c: the payment references
    # of a record 91 (accounts A, B and, at 254-275, C), in the real insurers' form
    # sss/YYYYMM/mmm/ (sending number, invoiced month, mutuality; no account letter).
    # (Its docstring is the description in the JSON Schema of 'vsbengine read --json'.)

    record_type: str
    mutuality: int
    requested_a: int
    requested_b: int
    requested: int
    records: int
    control: int
    accepted_a: int
    refused_a: int
    accepted_b: int
    refused_b: int
    accepted: int
    refused: int
    reference_a: str = ""
    reference_b: str = ""
    reference_c: str = ""


class Record10(msgspec.Struct, frozen=True):
    """What the answers and the payment order need of the sending's record 10."""

    sending_number: int
    invoiced_year: int
    invoiced_month: int
    institution: int  # the third-party payer: the invoicing institution
    bic_a: str
    iban_a: str
    bic_b: str
    iban_b: str


class Envelope(msgspec.Struct, frozen=True):
    """The bytes of the sending that the answers copy: segments 200 and 300 (blank-padded
    to 67 and 160 characters; blank when absent) and the records 95/96 by unit."""

    segment200: bytes
    segment300: bytes
    closing: dict[int, bytes] = {}

    @property
    def sending(self) -> bytes:
        """Sending number (segment 300, zone 301)."""
        return self.segment300[8:11]

    @property
    def created(self) -> bytes:
        """Creation date (segment 300, zone 302)."""
        return self.segment300[13:21]

    @property
    def month(self) -> bytes:
        """Invoiced year and month (segment 300, zone 300)."""
        return self.segment300[0:6]


#: Zone 501 of record 92 (the sending's total, every mutuality).
SENDING_TOTAL = 999


def federation(mutualities) -> int | None:
    """Zone 501 of a record 96: ``X99``, X the first digit the destination mutualities
    share (None when they have none or several)."""
    firsts = {int(m) // 100 for m in mutualities}
    return firsts.pop() * 100 + 99 if len(firsts) == 1 else None


def payment_reference(sending_month: str, mutuality: int) -> str:
    """A record 91's payment reference as real insurers write it: ``713/202402/900/``
    (``sending_month`` is ``"713/202402"``)."""
    return f"{sending_month}/{mutuality:03d}/"


def settle(sm: Summary, rejected: np.ndarray | None, envelope: Envelope) -> list[Settlement]:
    """The settlement of a decided sending from the merged summary: a record 91 per
    record 95 (file order), then a record 92 for record 96. ``rejected``: per unit
    (``None`` after a technical rejection: nothing is accepted)."""
    accepted = sm.accepted_per_mutuality(rejected)
    base = f"{envelope.sending.decode('latin-1')}/{envelope.month.decode('latin-1')}"
    rows = []
    for c in sm.closing:
        if c.rtype != 95:
            continue
        v = c.values
        acc_a, acc_b = accepted.get(v["401"], (0, 0))
        mut = v["401"]
        rows.append(
            Settlement(
                "91",
                mutuality=mut,
                requested_a=v["404"],
                requested_b=v["406"],
                requested=v["408"],
                records=v["409"],
                control=v["410"],
                accepted_a=acc_a,
                refused_a=v["404"] - acc_a,
                accepted_b=acc_b,
                refused_b=v["406"] - acc_b,
                accepted=acc_a + acc_b,
                refused=v["408"] - acc_a - acc_b,
                reference_a=payment_reference(base, mut),
                reference_b=payment_reference(base, mut),
                reference_c=payment_reference(base, mut),
            )
        )
    r96 = next((c for c in sm.closing if c.rtype == 96), None)
    if r96 is not None:
        v = r96.values
        total = {
            k: sum(getattr(r, k) for r in rows)
            for k in ("accepted_a", "refused_a", "accepted_b", "refused_b", "accepted", "refused")
        }
        rows.append(
            Settlement(
                "92",
                # Zone 501 of the sending's total: 999, as real settlements carry it
                # (record 96 holds the federation X99 of the sending; 92 is all of them).
                mutuality=SENDING_TOTAL,
                requested_a=v["404"],
                requested_b=v["406"],
                requested=v["408"],
                records=v["409"],
                control=v["410"],
                **total,
            )
        )
    return rows
