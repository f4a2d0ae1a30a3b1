"""DF016: the notification of accepted prestations to the mutualities.

One JSON Lines file per destination mutuality, ``DF016_<mutuality>.jsonl``, one
:class:`Notification` per accepted prestation (records 30 and 50 of accepted
invoices that were not rejected themselves), in file order. The amounts of a
file add up to the accepted total of that mutuality's record 91 in DF015
(accounts A and B). The mutualities use them for cumulation checks, the
maximum bill, the chronic-illness and palliative statuses and forfaits.

Schema of a line (JSON object; amounts in euro cents, dates ``YYYY-MM-DD``):

================  ======================================================
mutuality         destination mutuality (3 digits, integer)
sending           sending number (record 10 zone 7)
invoiced_month    ``YYYY-MM``
institution       the invoicing institution (NIHII, 12 digits, string)
invoice           individual invoice number (record 20 zone 24-25)
record            the prestation's record sequence number
record_type       ``"30"`` or ``"50"``
beneficiary       national number (INSZ, 11 digits, string)
code              nomenclature or pseudo-code (7 digits, string)
first_date        date of the first prestation
last_date         date of the last prestation
units             number of units or days (negative in a credit note)
amount            insurance amount
personal_share    the patient's personal share
supplement        supplement
account           ``"A"`` or ``"B"`` (record zone 11)
================  ======================================================

The lines are rendered from the scan's columns by the core (``_core.render_rows``),
exactly as msgspec encodes a :class:`Notification`; :func:`notifications` gives the
structs themselves.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import msgspec
import numpy as np

from vsbengine import _core
from vsbengine.formats.efact.sending import Sending

_P = _core.PartKind
#: Lines rendered per block (a few hundred bytes each).
BLOCK = 32768


class Notification(msgspec.Struct, frozen=True):
    """One accepted prestation, as the mutualities receive it."""

    mutuality: int
    sending: int
    invoiced_month: str
    institution: str
    invoice: int
    record: int
    record_type: str
    beneficiary: str
    code: str
    first_date: str
    last_date: str
    units: int
    amount: int
    personal_share: int
    supplement: int
    account: str


def file_name(mutuality: int) -> str:
    """The file of one destination mutuality: ``DF016_<mutuality>.jsonl``."""
    return f"DF016_{mutuality:03d}.jsonl"


class Notifier:
    """DF016 of an accepted result, fed the scanned chunks in file order: per chunk
    :meth:`feed` yields ``(mutuality, JSON Lines bytes)`` for each destination
    mutuality that has accepted prestations in it."""

    def __init__(self, result) -> None:
        if result.decision != "DF014":
            raise ValueError("only an accepted sending (DF014) is notified")
        self.rejected = result.rejected
        payee = result.payee
        sending = payee.sending_number if payee is not None else 0
        month = f"{payee.invoiced_year:04d}-{payee.invoiced_month:02d}" if payee is not None else ""
        self.invoiced_month = month
        self.sending = sending
        #: Every mutuality of the settlement gets its file, empty when nothing was accepted.
        self.mutualities = sorted(r.mutuality for r in result.settlement if r.record_type == "91")
        # The constant text between the values, in the order of Notification's fields.
        self._texts = [
            b'{"mutuality":',
            b',"sending":'
            + str(sending).encode()
            + b',"invoiced_month":'
            + msgspec.json.encode(month)
            + b',"institution":"',
            b'","invoice":',
            b',"record":',
            b',"record_type":"',
            b'","beneficiary":"',
            b'","code":"',
            b'","first_date":"',
            b'","last_date":"',
            b'","units":',
            b',"amount":',
            b',"personal_share":',
            b',"supplement":',
            b',"account":"',
            b'"}\n',
        ]

    def feed(self, s: Sending) -> Iterator[tuple[int, memoryview]]:
        p = np.flatnonzero(s.type_mask(30, 50) & s.own & s.in_invoice)
        p = p[~self.rejected[s.in_file(p)]]
        if len(p) == 0:
            return
        head = s.head20_of(p)
        # Per mutuality, in file order: rendered in blocks, each cut where a mutuality
        # ends; a block's values are read from the scan's columns when it is rendered.
        mutuality = s.value_at("destination", head)
        order = np.argsort(mutuality, kind="stable")
        for start in range(0, len(p), BLOCK):
            at = order[start : start + BLOCK]
            block = self._block(s, p[at], head[at], mutuality[at])
            n = len(at)
            out, ends = _core.render_rows(self._parts(block), n)
            view = memoryview(out)
            m = block["mutuality"]
            cuts = np.flatnonzero(np.r_[True, m[1:] != m[:-1]])
            for i, first in enumerate(cuts.tolist()):
                last = int(cuts[i + 1]) if i + 1 < len(cuts) else n
                begin = int(ends[first - 1]) if first else 0
                yield int(m[first]), view[begin : int(ends[last - 1])]

    @staticmethod
    def _block(s: Sending, p: np.ndarray, head: np.ndarray, mutuality: np.ndarray):
        """The values of the prestations ``p`` (their invoices' records 20 ``head``) by
        field, as int64."""
        first = s.value_at("first_date", p)
        last = s.value_at("last_date", p)
        return dict(
            mutuality=mutuality,
            institution=s.value_at("institution", head),
            invoice=s.value_at("invoice_number", head),
            record=s.value_at("sequence", p),
            record_type=s.rtype[p].astype(np.int64),
            beneficiary=s.value_at("beneficiary", p),
            code=s.value_at("code", p),
            first_date=first,
            last_date=np.where(last > 0, last, first),
            units=s.value_at("units", p),
            amount=s.value_at("amount", p),
            personal_share=s.value_at("personal_share", p),
            supplement=s.value_at("supplement", p),
            account=(s.value_at("account", p) == 1).astype(np.int64),  # account 1 is B
        )

    def _parts(self, c: dict[str, np.ndarray]) -> list:
        t = self._texts
        return [
            (_P.P_TEXT, t[0], 0),
            (_P.P_INT, c["mutuality"], 0),
            (_P.P_TEXT, t[1], 0),
            (_P.P_ZFILL, c["institution"], 12),
            (_P.P_TEXT, t[2], 0),
            (_P.P_INT, c["invoice"], 0),
            (_P.P_TEXT, t[3], 0),
            (_P.P_INT, c["record"], 0),
            (_P.P_TEXT, t[4], 0),
            (_P.P_INT, c["record_type"], 0),
            (_P.P_TEXT, t[5], 0),
            (_P.P_ZFILL, c["beneficiary"], 11),
            (_P.P_TEXT, t[6], 0),
            (_P.P_ZFILL, c["code"], 7),
            (_P.P_TEXT, t[7], 0),
            (_P.P_DATE, c["first_date"], 0),
            (_P.P_TEXT, t[8], 0),
            (_P.P_DATE, c["last_date"], 0),
            (_P.P_TEXT, t[9], 0),
            (_P.P_INT, c["units"], 0),
            (_P.P_TEXT, t[10], 0),
            (_P.P_INT, c["amount"], 0),
            (_P.P_TEXT, t[11], 0),
            (_P.P_INT, c["personal_share"], 0),
            (_P.P_TEXT, t[12], 0),
            (_P.P_INT, c["supplement"], 0),
            (_P.P_TEXT, t[13], 0),
            (_P.P_COPY, (b"AB", c["account"]), 1),  # account 1 is B
            (_P.P_TEXT, t[14], 0),
        ]

    def structs(self, s: Sending) -> Iterator[tuple[int, list[Notification]]]:
        """The same lines as :class:`Notification` structs (for callers in Python)."""
        for m, lines in self.feed(s):
            yield (
                m,
                msgspec.json.Decoder(list[Notification]).decode(
                    b"[" + bytes(lines).rstrip(b"\n").replace(b"\n", b",") + b"]"
                ),
            )


def notifications(result, source=None) -> Iterator[tuple[int, list[Notification]]]:
    """Yield ``(mutuality, [Notification, ...])`` per chunk of the file, in file order."""
    from vsbengine.formats.efact.chunks import Scanned

    notifier = Notifier(result)
    scans = Scanned(source) if source is not None else result.scans
    for s in scans:
        yield from notifier.structs(s)


def write(result, folder, source=None) -> list[Path]:
    """Write ``DF016_<mutuality>.jsonl`` files into ``folder``; return their paths."""
    from vsbengine.outputs import write as write_outputs

    return write_outputs(result, folder, ["DF016"], source=source, report=False)
