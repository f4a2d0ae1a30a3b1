"""Build a pain.001.001.09 credit-transfer initiation and validate it against the XSD.

Amounts are integer cents end to end; they become decimal euro only in the XML.
IBAN and BIC are checked with python-stdnum before anything is built. Text goes
into the SEPA character set (Latin letters, digits, ``/-?:().,'+`` and space):
``&``, ``@``, ``%`` and a few other signs become words, every other letter is
transliterated by ``text-unidecode`` (``Ø`` -> ``O``, ``ß`` -> ``ss``, ``Ł`` ->
``L``), and what is still outside the set becomes a space. Names are cut to the
70 characters the EPC rules allow, remittance text to 140; a name that had to
be cut is reported as a warning (by its role and end-to-end id, never by the
name itself).
"""

from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

from lxml import etree
from stdnum import bic as _bic
from stdnum import iban as _iban
from text_unidecode import unidecode

from vsbengine import ibans
from vsbengine.errors import ConfigError

VERSION = "pain.001.001.09"
NS = f"urn:iso:std:iso:20022:tech:xsd:{VERSION}"
#: EPC: a debtor's or creditor's name holds at most 70 characters.
NAME_MAX = 70
#: EPC: unstructured remittance text (Ustrd).
REMITTANCE_MAX = 140
#: EPC: one credit transfer carries at most 999 999 999.99 EUR (in cents).
AMOUNT_MAX = 99_999_999_999
_NOT_SEPA = re.compile(r"[^A-Za-z0-9/\-?:().,'+ ]")
_SPACES = re.compile(r" {2,}")
#: Signs outside the SEPA set that carry meaning, as readable text (Dutch, as the
#: payments are Dutch); quotes and brackets become their SEPA look-alikes.
_WORDS = str.maketrans(
    {
        "&": " en ",
        "@": " at ",
        "%": " procent ",
        "#": " nr ",
        "€": " EUR ",
        "_": "-",
        '"': "'",
        "`": "'",
        "[": "(",
        "]": ")",
        "{": "(",
        "}": ")",
        ";": ",",
        "!": ".",
    }
)


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


@lru_cache(maxsize=8192)
def _in_sepa_set(text: str) -> str:
    plain = unidecode(text.translate(_WORDS))
    return _SPACES.sub(" ", _NOT_SEPA.sub(" ", plain)).strip()


def sepa_text(text: str, limit: int) -> str:
    """``text`` in the SEPA character set, cut to ``limit`` characters.

    >>> sepa_text("Großmann & Söhne", 70)
    'Grossmann en Sohne'
    """
    return _in_sepa_set(text)[:limit].rstrip()


def carries_text(text: str) -> bool:
    """Whether ``text`` keeps a letter or digit in the SEPA character set."""
    return any(c.isalnum() for c in _in_sepa_set(text))


def was_cut(text: str, limit: int) -> bool:
    """Whether :func:`sepa_text` has to shorten ``text`` to fit ``limit``."""
    return len(_in_sepa_set(text)) > limit


@dataclass(frozen=True)
class Built:
    """A checked pain.001 document and what had to be changed to build it."""

    xml: bytes
    warnings: list[str] = field(default_factory=list)


def _check_party(p: Party, role: str, need_bic: bool) -> Party:
    if not ibans.is_valid(p.iban or ""):
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
    return build_checked(message_id, created, debtor, execution, transfers, initiator=initiator).xml


def build_checked(
    message_id: str,
    created: _dt.datetime,
    debtor: Party,
    execution: _dt.date,
    transfers: list[Transfer],
    *,
    initiator: str | None = None,
) -> Built:
    """As :func:`build`, with the warnings: every name cut to :data:`NAME_MAX`."""
    if not transfers:
        raise ConfigError("nothing to pay")
    debtor = _check_party(debtor, "debtor", need_bic=True)
    for t in transfers:
        if not isinstance(t.amount, int) or t.amount <= 0:
            raise ConfigError(
                f"payment {t.end_to_end_id}: the amount must be a positive number of cents"
            )
        if t.amount > AMOUNT_MAX:
            raise ConfigError(
                f"payment {t.end_to_end_id}: {t.amount // 100} EUR is more than one SEPA "
                f"credit transfer carries ({AMOUNT_MAX // 100}.{AMOUNT_MAX % 100:02d} EUR); "
                "nothing was paid"
            )
    total = sum(t.amount for t in transfers)
    warnings = []

    def name(text: str, whose: str) -> str:
        if was_cut(text, NAME_MAX):
            warnings.append(f"{whose}: the name was shortened to {NAME_MAX} characters (EPC limit)")
        return sepa_text(text, NAME_MAX)

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
    debtor_name = name(debtor.name, "debtor")
    initiator_name = debtor_name if initiator is None else name(initiator, "initiating party")
    sub(sub(hdr, "InitgPty"), "Nm", initiator_name)
    pmt = sub(root, "PmtInf")
    sub(pmt, "PmtInfId", sepa_text(message_id, 35))
    sub(pmt, "PmtMtd", "TRF")
    sub(pmt, "NbOfTxs", str(len(transfers)))
    sub(pmt, "CtrlSum", _euros(total))
    sub(sub(sub(pmt, "PmtTpInf"), "SvcLvl"), "Cd", "SEPA")
    sub(sub(pmt, "ReqdExctnDt"), "Dt", execution.isoformat())
    sub(sub(pmt, "Dbtr"), "Nm", debtor_name)
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
        sub(sub(tx, "Cdtr"), "Nm", name(cred.name, f"creditor of payment {t.end_to_end_id}"))
        sub(sub(sub(tx, "CdtrAcct"), "Id"), "IBAN", cred.iban)
        sub(sub(tx, "RmtInf"), "Ustrd", sepa_text(t.remittance, REMITTANCE_MAX))
    xml = etree.tostring(doc, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    validate(xml)
    return Built(xml, warnings)


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
