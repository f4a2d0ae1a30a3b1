"""The shared SEPA credit-transfer builder (formats/sepa), as both sides use it: a Belgian
zorgkas paying a care facility, and a Dutch care group paying practices."""

import datetime as dt
from importlib import resources

import pytest
from lxml import etree

from vsbengine.errors import ConfigError
from vsbengine.formats import sepa
from vsbengine.formats.sepa.credit_transfer import NS, VERSION, schema, sepa_text

P = {"p": NS}
ZORGKAS = sepa.Party("Zorgkas Vlaanderen", "BE57 0630 0000 0035", "GKCCBEBB")
FACILITY = sepa.Party("Woonzorgcentrum De Vlier", "BE91001000000076", "GEBABEBB")
CREATED = dt.datetime(2024, 3, 4, 10, 15, 30, 123456)


def _build(transfers=None, debtor=ZORGKAS, **kw):
    transfers = (
        transfers
        if transfers is not None
        else [sepa.Transfer("VSB000123-001", 1234567, FACILITY, "VSB 001/202402/A De Vlier")]
    )
    return sepa.build("DF017-000123-001", CREATED, debtor, dt.date(2024, 4, 15), transfers, **kw)


def test_default_version_and_the_official_schema_from_sepaxml():
    assert VERSION == "pain.001.001.09"
    path = resources.files("sepaxml").joinpath("schemas", "pain.001.001.09.xsd")
    assert path.is_file()
    assert isinstance(schema(), etree.XMLSchema)


def test_a_valid_payment_order():
    xml = _build()
    sepa.validate(xml)
    doc = etree.fromstring(xml)
    assert doc.tag == f"{{{NS}}}Document"
    get = lambda path: doc.findtext(path, namespaces=P)
    assert get(".//p:GrpHdr/p:MsgId") == "DF017-000123-001"
    assert get(".//p:GrpHdr/p:CreDtTm") == "2024-03-04T10:15:30"
    assert get(".//p:GrpHdr/p:NbOfTxs") == "1"
    assert get(".//p:GrpHdr/p:CtrlSum") == "12345.67"
    assert get(".//p:PmtInf/p:ReqdExctnDt/p:Dt") == "2024-04-15"
    assert get(".//p:DbtrAcct/p:Id/p:IBAN") == "BE57063000000035"  # compacted
    assert get(".//p:DbtrAgt//p:BICFI") == "GKCCBEBB"
    assert get(".//p:CdtTrfTxInf/p:PmtId/p:EndToEndId") == "VSB000123-001"
    assert get(".//p:CdtTrfTxInf/p:Amt/p:InstdAmt") == "12345.67"
    assert doc.find(".//p:InstdAmt", namespaces=P).get("Ccy") == "EUR"
    assert get(".//p:CdtrAgt//p:BICFI") == "GEBABEBB"
    assert get(".//p:Cdtr/p:Nm") == "Woonzorgcentrum De Vlier"
    assert get(".//p:CdtrAcct/p:Id/p:IBAN") == "BE91001000000076"
    assert get(".//p:RmtInf/p:Ustrd") == "VSB 001/202402/A De Vlier"


def test_several_transfers_and_a_creditor_without_bic():
    practice = sepa.Party("Huisartsen Overvecht", "NL91ABNA0417164300")
    xml = _build(
        [
            sepa.Transfer("DBC/DM/Q2/21/20211-1-1", 5, practice, "DBC/DM/Q2/21/20211-1-1"),
            sepa.Transfer("E2E-2", 100, FACILITY, "second"),
        ]
    )
    doc = etree.fromstring(xml)
    assert doc.findtext(".//p:GrpHdr/p:CtrlSum", namespaces=P) == "1.05"
    amounts = [e.text for e in doc.findall(".//p:InstdAmt", namespaces=P)]
    assert amounts == ["0.05", "1.00"]
    first = doc.findall(".//p:CdtTrfTxInf", namespaces=P)[0]
    assert first.find("p:CdtrAgt", namespaces=P) is None


def test_the_schema_check_refuses_a_broken_document():
    doc = etree.fromstring(_build())
    amt = doc.find(".//p:InstdAmt", namespaces=P)
    amt.text = "12,345.67"
    with pytest.raises(ValueError, match=r"^not a valid pain.001.001.09 document: line \d+: "):
        sepa.validate(etree.tostring(doc))
    doc = etree.fromstring(_build())
    hdr = doc.find(".//p:GrpHdr", namespaces=P)
    hdr.remove(hdr.find("p:MsgId", namespaces=P))
    with pytest.raises(ValueError, match=r"MsgId"):
        sepa.validate(etree.tostring(doc))


def test_the_wrong_version_is_not_valid_either():
    with pytest.raises(ValueError, match=r"^not a valid pain.001.001.03 document"):
        sepa.validate(_build(), "pain.001.001.03")


@pytest.mark.parametrize(
    "debtor, transfers, message",
    [
        (
            sepa.Party("Z", "BE57063000000036", "GKCCBEBB"),
            None,
            r"^the IBAN of the debtor \(Z\) is not valid$",
        ),
        (
            sepa.Party("Z", "BE57063000000035", "GKCC"),
            None,
            r"^the BIC of the debtor \(Z\) is not valid$",
        ),
        (sepa.Party("Z", "BE57063000000035"), None, r"^the BIC of the debtor \(Z\) is not valid$"),
        (
            ZORGKAS,
            [sepa.Transfer("E", 0, FACILITY, "x")],
            r"^payment E: the amount must be a positive number of cents$",
        ),
        (
            ZORGKAS,
            [sepa.Transfer("E", 12.5, FACILITY, "x")],
            r"^payment E: the amount must be a positive number of cents$",
        ),
        (
            ZORGKAS,
            [sepa.Transfer("E", 1, sepa.Party("P", "NL00ABNA0417164300"), "x")],
            r"^the IBAN of the creditor \(P\) is not valid$",
        ),
        (
            ZORGKAS,
            [sepa.Transfer("E", sepa.AMOUNT_MAX + 1, FACILITY, "x")],
            r"^payment E: 1000000000 EUR is more than one SEPA credit transfer carries "
            r"\(999999999\.99 EUR\); nothing was paid$",
        ),
        (ZORGKAS, [], r"^nothing to pay$"),
    ],
)
def test_refusals_before_anything_is_built(debtor, transfers, message):
    with pytest.raises(ConfigError, match=message):
        _build(transfers, debtor)


def test_text_in_the_sepa_character_set():
    assert sepa_text("Huisartsenpraktijk Zoë & Søn <b>", 140) == "Huisartsenpraktijk Zoe en Son b"
    assert sepa_text("x" * 200, 140) == "x" * 140


@pytest.mark.parametrize(
    ("text", "sepa"),
    [
        ("Praktijk Østergård", "Praktijk Ostergard"),
        ("Großmann & Söhne", "Grossmann en Sohne"),
        ("Łukasz", "Lukasz"),
        ("Dr. Ærø-Œuvre", "Dr. AEro-OEuvre"),
        ("Müller_Şahin @ 100% #3", "Muller-Sahin at 100 procent nr 3"),
        ('"De Linde" [Zuid]; open!', "'De Linde' (Zuid), open."),
        ("€ 5 * 3 = 15", "EUR 5 3 15"),
        ("  many    spaces  ", "many spaces"),
    ],
)
def test_transliteration_keeps_names_readable(text, sepa):
    assert sepa_text(text, 140) == sepa


def test_names_are_cut_to_70_characters_with_a_warning():
    long_name = "Huisartsenpraktijk " + "Van der Heijden-" * 6
    built = sepa.build_checked(
        "M1",
        dt.datetime(2021, 5, 28, 9, 30),
        sepa.Party("Zorggroep " + "Noorderlicht " * 8, "NL91ABNA0417164300", "ABNANL2A"),
        dt.date(2021, 6, 1),
        [sepa.Transfer("E2E-1", 100, sepa.Party(long_name, "BE89735000000085"), "x")],
    )
    doc = etree.fromstring(built.xml)
    names = [el.text for el in doc.iter(f"{{{P['p']}}}Nm")]
    assert [len(n) for n in names] == [len(names[0]), len(names[0]), 70]
    assert max(len(n) for n in names) == 70 and names[0] == names[1]
    assert names[2] == sepa_text(long_name, 70) and not names[2].endswith(" ")
    assert built.warnings == [
        "debtor: the name was shortened to 70 characters (EPC limit)",
        "creditor of payment E2E-1: the name was shortened to 70 characters (EPC limit)",
    ]
    assert (
        sepa.build_checked(
            "M1",
            dt.datetime(2021, 5, 28, 9, 30),
            sepa.Party("Zorggroep", "NL91ABNA0417164300", "ABNANL2A"),
            dt.date(2021, 6, 1),
            [sepa.Transfer("E2E-1", 100, sepa.Party("Praktijk", "BE89735000000085"), "x")],
        ).warnings
        == []
    )
    xml = _build(
        [
            sepa.Transfer(
                "E2E", 1, sepa.Party("Cabinet Ré/né", "BE89735000000085"), "Réf: " + "é" * 150
            )
        ]
    )
    doc = etree.fromstring(xml)
    assert doc.findtext(".//p:Cdtr/p:Nm", namespaces=P) == "Cabinet Re/ne"
    assert doc.findtext(".//p:Ustrd", namespaces=P) == "Ref: " + "e" * 135
