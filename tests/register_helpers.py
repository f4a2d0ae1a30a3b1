"""Sendings for the register's tests: one facility's sending, its reference data, and
its variants (a resend with new dates, another sending number, a refused version).

Every variant is the same generated sending edited by :mod:`efact_edit`, so one
reference-data folder fits them all.
"""

from __future__ import annotations

from pathlib import Path

from efact_edit import MONTH, TODAY, Sending

from vsbengine.formats.efact.generate import generate

__all__ = ["MONTH", "TODAY", "Sendings", "variant"]

_SEG300 = 67  # segment 300 starts after segment 200 (single-line files)
CREATED = 20261101  # the generator's creation and invoicing date for October 2026


def variant(
    data: bytes,
    *,
    number: int | None = None,
    created: int | None = None,
    invoicing: int | None = None,
    invoice_type: int | None = None,
    broken: bool = False,
) -> bytes:
    """``data`` with another sending number (and so other invoice numbers), creation
    date (segment 300 and record 10),
    invoicing date (every record 20) or invoice type (segment 300), or with a wrong
    record count in record 96 (``broken``: a technical rejection)."""
    s = Sending(data)
    if number is not None:
        s.put_header(_SEG300 + 9, f"{number:03d}")
        for i, r in enumerate(s.records):
            if r[:2] in ("10", "90"):
                s.put_at(i, 33, f"{number:03d}")
            elif r[:2] in ("20", "80"):
                # Another sending bills other invoices: their numbers are the facility's
                # own, once each (the register refuses an invoice billed again, 202420).
                s.put_at(i, 115, f"{int(r[114:126]) + number * 100_000:012d}")
    if created is not None:
        s.put_header(_SEG300 + 14, f"{created:08d}")
        s.put_at(s.index(1), 120, f"{created:08d}")
    if invoicing is not None:
        for i, r in enumerate(s.records):
            if r[:2] == "20":
                s.put_at(i, 262, f"{invoicing:08d}")
    if invoice_type is not None:
        s.put_header(_SEG300 + 133, f"{invoice_type:02d}")
    s.fix_checks()
    if broken:
        s.records[-1] = s.records[-1][:65] + "00000001" + s.records[-1][73:]
    return s.tobytes()


class Sendings:
    """One facility's sending (accepted with its reference data) and its variants,
    written into ``folder``."""

    def __init__(self, folder: Path, records: int = 300, seed: int = 141) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        g = generate(records, seed=seed, month=MONTH, references=True)
        self.data = g.tobytes()
        self.refs = self.folder / "refs"
        g.write_refs(self.refs)
        # A version the reference data refuses as a sending (more than 5 % rejected),
        # and one in which every prestation is rejected (unknown beneficiaries).
        self.rejected_data = generate(
            records, seed=seed, month=MONTH, references=True, error_rate=0.3
        ).tobytes()
        self.number = int(self.data[_SEG300 + 8 : _SEG300 + 11])

    def write(self, name: str, data: bytes | None = None, **edits) -> Path:
        path = self.folder / name
        path.write_bytes(variant(data if data is not None else self.data, **edits))
        return path

    def nobody_known(self, name: str, **edits) -> Path:
        """A version in which every prestation is rejected (no beneficiary is known)."""
        s = Sending(variant(self.data, **edits))
        for inv in s.invoices():
            for i in inv:
                s.put_at(i, 36, "0011111111111")
        s.resum()
        path = self.folder / name
        path.write_bytes(s.tobytes())
        return path


TODAY_ISO = f"{TODAY // 10000}-{TODAY // 100 % 100:02d}-{TODAY % 100:02d}"
