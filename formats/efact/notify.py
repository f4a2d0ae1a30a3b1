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
"""

from __future__ import annotations

import os
from pathlib import Path

import msgspec
import numpy as np

from vsbengine.formats.efact import chunks as _chunks
from vsbengine.formats.efact.sending import Sending


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


def _iso(v: np.ndarray) -> np.ndarray:
    """YYYYMMDD integers as ``YYYY-MM-DD`` strings (vectorised)."""
    v = np.asarray(v, dtype=np.int64)
    d = (
        (v // 10000 - 1970).astype("datetime64[Y]").astype("datetime64[M]") + (v // 100 % 100 - 1)
    ).astype("datetime64[D]") + (v % 100 - 1)
    return d.astype(str)


def notifications(result, source=None):
    """Yield ``(mutuality, [Notification, ...])`` per chunk of the file, in file order."""
    from vsbengine.source import open_source

    if result.decision != "DF014":
        raise ValueError("only an accepted sending (DF014) is notified")
    rejected_all = result.rejected
    with open_source(source if source is not None else result.source) as (reader, _):
        plan = _chunks.plan(reader)
        for chunk in plan.chunks:
            prefix, n_prefix = plan.prefix(reader, chunk)
            body = reader.read(chunk.start, chunk.end)
            s = Sending(
                prefix + bytes(body) if prefix else body, own_first=2 + n_prefix, last=chunk.last
            )
            p = np.flatnonzero(s.type_mask(30, 50) & s.own & s.in_invoice)
            glob = chunk.first_unit + p - s.own_first
            p = p[~rejected_all[glob]]
            if len(p) == 0:
                continue
            r10 = s.record10
            sending = int(s.col("sending_number")[r10]) if r10 >= 0 else 0
            month = (
                f"{int(s.col('invoiced_year')[r10]):04d}-{int(s.col('invoiced_month')[r10]):02d}"
                if r10 >= 0
                else ""
            )
            head = s.head20[p]
            mut = s.col("destination")[head]
            first = s.col("first_date")[p]
            last = np.where(s.col("last_date")[p] > 0, s.col("last_date")[p], first)
            cols = dict(
                mutuality=mut.tolist(),
                institution=np.char.zfill(s.col("institution")[head].astype(str), 12).tolist(),
                invoice=s.col("invoice_number")[head].tolist(),
                record=s.col("sequence")[p].tolist(),
                record_type=s.rtype[p].astype(str).tolist(),
                beneficiary=np.char.zfill(s.col("beneficiary")[p].astype(str), 11).tolist(),
                code=np.char.zfill(s.col("code")[p].astype(str), 7).tolist(),
                first_date=_iso(first).tolist(),
                last_date=_iso(last).tolist(),
                units=s.col("units")[p].tolist(),
                amount=s.col("amount")[p].tolist(),
                personal_share=s.col("personal_share")[p].tolist(),
                supplement=s.col("supplement")[p].tolist(),
                account=np.where(s.col("account")[p] == 1, "B", "A").tolist(),
            )
            keys = list(cols)
            rows = [
                Notification(sending=sending, invoiced_month=month, **dict(zip(keys, values)))
                for values in zip(*cols.values())
            ]
            for m in sorted(set(cols["mutuality"])):
                yield m, [r for r in rows if r.mutuality == m]


def write(result, folder, source=None) -> list[Path]:
    """Write ``DF016_<mutuality>.jsonl`` files into ``folder``; return their paths."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    enc = msgspec.json.Encoder()
    files: dict[int, object] = {}
    try:
        for mut, rows in notifications(result, source):
            fh = files.get(mut)
            if fh is None:
                fh = files[mut] = open(folder / f"DF016_{mut:03d}.jsonl.part", "wb")  # noqa: SIM115
            fh.write(enc.encode_lines(rows))
    finally:
        for fh in files.values():
            fh.close()
    # Every mutuality of the settlement gets its file, empty when nothing was accepted.
    for row in result.settlement:
        if row["record"] == "91" and row["mutuality"] not in files:
            open(folder / f"DF016_{row['mutuality']:03d}.jsonl.part", "wb").close()
            files[row["mutuality"]] = None
    paths = []
    for mut in sorted(files):
        part = folder / f"DF016_{mut:03d}.jsonl.part"
        path = folder / f"DF016_{mut:03d}.jsonl"
        os.replace(part, path)
        paths.append(path)
    return paths
