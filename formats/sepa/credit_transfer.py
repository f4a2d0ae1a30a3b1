"""Build a pain.001.001.09 credit-transfer initiation and validate it against the XSD.

Amounts are integer cents end to end; they become decimal euro only in the XML.
IBAN and BIC are checked with python-stdnum before anything is built. Text goes
into the SEPA character set (Latin letters, digits, ``/-?:().,'+`` and space):
accents are dropped, anything else becomes a space.
"""

from __future__ import annotations

import datetime as _dt
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from lxml import etree
from stdnum import bic as _bic
from stdnum import iban as _iban

from vsbengine.errors import ConfigError

VERSION = "pain.001.001.09"
NS = f"urn:iso:std:iso:20022:tech:xsd:{VERSION}"
_NOT_SEPA = re.compile(r"[^A-Za-z0-9/\-?:().,'+ ]")


@dataclass(frozen=True)
class Party:
    """A debtor or creditor: name, IBAN and (optional for the creditor) BIC."""

    name: str
    iban: str
    bic: str | None = None


@dataclass(frozen=True)
class Transfer:
    """One payment: to ``creditor``, ``amount`` in cents, remittance text (at most 140)."""

    end_to_end_id: str
    amount: int
    creditor: Party
    remittance: str


def sepa_text(text: str, limit: int) -> str:
    """``text`` in the SEPA character set, cut to ``limit`` characters."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return _NOT_SEPA.sub(" ", plain).strip()[:limit]


def _check_party(p: Party, role: str, need_bic: bool) -> Party:
    if not _iban.is_valid(p.iban or ""):
        raise ConfigError(f"the IBAN of the {role} ({p.name}) is not valid")
    if (p.bic or need_bic) and not _bic.is_valid(p.bic or ""):
        raise ConfigError(f"the BIC of the {role} ({p.name}) is not valid")
    return Party(p.name, _iban.compact(p.iban), _bic.compact(p.bic) if p.bic else None)


def _euros(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


def build(
    message_id: str,
    created: _dt.datetime,
    debtor: Party,
    execution: _dt.date,
    transfers: list[Transfer],
    *,
    initiator: str | None = None,
) -> bytes:
    """A pain.001.001.09 document paying ``transfers`` from ``debtor`` on ``execution``.

    Raises
    ------
    vsbengine.ConfigError
        An IBAN or BIC that is not valid, a non-positive amount, an empty batch.
    """
    if not transfers:
        raise ConfigError("nothing to pay")
    debtor = _check_party(debtor, "debtor", need_bic=True)
    for t in transfers:
        if not isinstance(t.amount, int) or t.amount <= 0:
            raise ConfigError(
                f"payment {t.end_to_end_id}: the amount must be a positive number of cents"
            )
    total = sum(t.amount for t in transfers)

    def sub(parent, tag, text=None, **attrs):
        el = etree.SubElement(parent, f"{{{NS}}}{tag}", **attrs)
        if text is not None:
            el.text = text
        return el

    doc = etree.Element(f"{{{NS}}}Document", nsmap={None: NS})
    root = sub(doc, "CstmrCdtTrfInitn")
    hdr = sub(root, "GrpHdr")
    sub(hdr, "MsgId", sepa_text(message_id, 35))
    sub(hdr, "CreDtTm", created.replace(microsecond=0).isoformat())
    sub(hdr, "NbOfTxs", str(len(transfers)))
    sub(hdr, "CtrlSum", _euros(total))
    sub(sub(hdr, "InitgPty"), "Nm", sepa_text(initiator or debtor.name, 140))
    pmt = sub(root, "PmtInf")
    sub(pmt, "PmtInfId", sepa_text(message_id, 35))
    sub(pmt, "PmtMtd", "TRF")
    sub(pmt, "NbOfTxs", str(len(transfers)))
    sub(pmt, "CtrlSum", _euros(total))
    sub(sub(sub(pmt, "PmtTpInf"), "SvcLvl"), "Cd", "SEPA")
    sub(sub(pmt, "ReqdExctnDt"), "Dt", execution.isoformat())
    sub(sub(pmt, "Dbtr"), "Nm", sepa_text(debtor.name, 140))
    sub(sub(sub(pmt, "DbtrAcct"), "Id"), "IBAN", debtor.iban)
    sub(sub(sub(pmt, "DbtrAgt"), "FinInstnId"), "BICFI", debtor.bic)
    sub(pmt, "ChrgBr", "SLEV")
    for t in transfers:
        cred = _check_party(t.creditor, "creditor", need_bic=False)
        tx = sub(pmt, "CdtTrfTxInf")
        sub(sub(tx, "PmtId"), "EndToEndId", sepa_text(t.end_to_end_id, 35))
        sub(sub(tx, "Amt"), "InstdAmt", _euros(t.amount), Ccy="EUR")
        if cred.bic:
            sub(sub(sub(tx, "CdtrAgt"), "FinInstnId"), "BICFI", cred.bic)
        sub(sub(tx, "Cdtr"), "Nm", sepa_text(cred.name, 140))
        sub(sub(sub(tx, "CdtrAcct"), "Id"), "IBAN", cred.iban)
        sub(sub(tx, "RmtInf"), "Ustrd", sepa_text(t.remittance, 140))
    xml = etree.tostring(doc, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    validate(xml)
    return xml


@lru_cache(maxsize=4)
def schema(version: str = VERSION) -> etree.XMLSchema:
    """The official XSD of a pain version, from the sepaxml package."""
    # One name per joinpath: Python 3.10's Traversable takes no more.
    path = resources.files("sepaxml").joinpath("schemas").joinpath(f"{version}.xsd")
    return etree.XMLSchema(etree.parse(str(path)))


def validate(xml: bytes, version: str = VERSION) -> None:
    """Raise ``ValueError`` with the first schema error (line and message) when ``xml``
    is not a valid document of that version."""
    s = schema(version)
    doc = etree.fromstring(xml)
    if not s.validate(doc):
        err = s.error_log.filter_from_errors()[0]
        raise ValueError(f"not a valid {version} document: line {err.line}: {err.message}")
