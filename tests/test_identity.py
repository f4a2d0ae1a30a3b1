"""Identity of a sending and the resend rules: head facts, codes, located errors."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from efact_edit import CORPUS, TODAY
from register_helpers import CREATED, Sendings, variant

import vsbengine
from vsbengine import identity
from vsbengine.errors import InputError
from vsbengine.formats.efact.catalogue import explain
from vsbengine.formats.efact.reader import read_answer
from vsbengine.identity import Earlier

OFFICIAL = Path(__file__).resolve().parents[2] / "shared" / "spec" / "official-codes.csv"


@pytest.fixture(scope="module")
def sendings(tmp_path_factory):
    return Sendings(tmp_path_factory.mktemp("identity"))


def test_head_facts(sendings, tmp_path):
    h = identity.read_head(str(sendings.write("s.920000", invoice_type=3)))
    assert h.size == len(sendings.data)
    assert (h.sending_number, h.invoiced_year, h.invoiced_month) == (sendings.number, 2026, 10)
    assert len(h.facility) == 12 and h.facility.isdigit()
    assert (h.creation_date, h.invoicing_date, h.invoice_type) == (CREATED, CREATED, 3)
    assert h.key == f"{h.facility}/2026/{sendings.number:03d}"
    # Located to the byte: segment 300 zone 301 at 67 + 8, record 10 zone 7 at 227 + 32,
    # the first record 20's zone 47 at 227 + 350 + 261.
    assert h.where["number300"] == [1, -1, 75]
    assert h.where["number"] == [2, 1, 259]
    assert h.where["invoicing"] == [3, 2, 838]


def test_head_of_a_file_with_line_breaks(sendings, tmp_path):
    data = sendings.data
    lines = data[:67] + b"\r\n" + data[67:227] + b"\r\n"
    lines += b"".join(data[i : i + 350] + b"\r\n" for i in range(227, len(data), 350))
    path = tmp_path / "lines.920000"
    path.write_bytes(lines)
    h = identity.read_head(str(path))
    flat = identity.read_head(str(sendings.write("flat.920000")))
    assert (h.facility, h.sending_number, h.creation_date, h.invoicing_date) == (
        flat.facility,
        flat.sending_number,
        flat.creation_date,
        flat.invoicing_date,
    )
    assert h.where["number"][2] == 67 + 2 + 160 + 2 + 32


def test_head_of_the_public_samples():
    h = identity.read_head(str(CORPUS / "TFAC1SC09.509E"))
    assert (h.facility, h.sending_number, h.invoiced_year, h.invoiced_month) == (
        "018334780004",
        509,
        2014,
        11,
    )
    assert h.creation_date == 20141125 and h.invoicing_date is None  # zeros before 2013
    assert h.invoice_type == 3


@pytest.mark.parametrize(
    "content,message",
    [
        (b"", "empty file: not a billing file"),
        (b"hello", "not a billing file"),
        (b"931000" + b"0" * 300, r"this is an answer message \(931000\)"),
    ],
)
def test_head_of_what_is_not_a_sending(tmp_path, content, message):
    path = tmp_path / "x"
    path.write_bytes(content)
    with pytest.raises(InputError, match=message):
        identity.read_head(str(path))
    with pytest.raises(InputError, match="no such file"):
        identity.read_head(str(tmp_path / "missing"))


def _head(**kw):
    base = dict(
        size=1,
        head="x",
        facility="000000000001",
        sending_number=5,
        invoiced_year=2026,
        creation_date=20261110,
        invoice_type=9,
        invoicing_date=20261110,
        where={k: [1, -1, 0] for k in identity.PLACES},
    )
    return identity.Head(**(base | kw))


@pytest.mark.parametrize(
    "earlier,changes,codes",
    [
        # The number belongs to an accepted sending.
        (Earlier(1, "DF014"), {}, {"100721", "030140"}),
        # After DF012: keep type and invoicing date, new creation date.
        (Earlier(1, "DF012", 20261101, 9, 20261110), {}, set()),
        (Earlier(1, "DF012", 20261110, 9, 20261110), {}, {"030250", "030150"}),
        (Earlier(1, "DF012", 20261101, 9, 20261101), {}, {"204750", "030150"}),
        (Earlier(1, "DF012", 20261101, 1, 20261110), {}, {"030850", "030150"}),
        # After DF013: keep type, new creation date and new invoicing date.
        (Earlier(1, "DF013", 20261101, 9, 20261101), {}, set()),
        (Earlier(1, "DF013", 20261101, 9, 20261110), {}, {"204751", "030150"}),
        (Earlier(1, "DF013", 20261110, 9, 20261101), {}, {"030250", "030150"}),
        (Earlier(1, "DF013", 20261101, 3, 20261101), {}, {"030850", "030150"}),
        # A fact that cannot be read is not compared.
        (Earlier(1, "DF013", 20261101, None, 20261101), {"invoice_type": None}, set()),
        (None, {}, set()),
    ],
)
def test_resend_rules(earlier, changes, codes):
    assert {c for c, _ in identity.violations(_head(**changes), earlier)} == codes


def test_codes_are_in_the_catalogue_and_official_only_where_listed():
    with open(OFFICIAL, encoding="utf-8") as fh:
        official = {r["code"]: r["letter"] for r in csv.DictReader(fh)}
    assert official["100721"] == explain("100721").letter == "B"
    for code in ("030150", "030250", "030850", "204750", "204751"):
        assert code not in official
        assert explain(code).en and explain(code).nl
    assert explain("204750").letter == explain("204751").letter == "B"
    assert explain("030140").letter == ""  # segment 300: a two-digit code, no letter


def test_a_double_number_is_a_located_technical_rejection(sendings, tmp_path):
    path = sendings.write("double.920000")
    head = identity.read_head(str(path))
    check = identity.check_for(head, Earlier(7, "DF014"))
    result = vsbengine.Engine(sendings.refs, today=TODAY).validate(path, checks=(check,))
    assert result.messages == ["DF012"]
    got = {(e.code, e.record_type, e.zone, e.record, e.offset) for e in result.errors}
    assert ("100721", "10", "7", 1, 227 + 32) in got
    assert ("030140", "300", "301", None, 67 + 8) in got
    # The DF012 carries it in the error field of segment 300 zone 301.
    from vsbengine.formats.efact.answers import Answers

    Answers(result).write(tmp_path / "out")
    answer = read_answer(tmp_path / "out" / "DF012_920999.dat")
    assert [(z.part, z.zone, z.code) for z in answer.zone_errors] == [("300", "301", "40")]


def test_a_resend_that_keeps_its_invoicing_date_after_df013_is_located(sendings):
    path = sendings.write("again.920000", created=20261110)
    head = identity.read_head(str(path))
    check = identity.check_for(head, Earlier(3, "DF013", CREATED, 9, CREATED))
    assert check is not None
    result = vsbengine.Engine(today=TODAY).validate(path, checks=(check,))
    assert result.technical == "DF012"
    e = next(e for e in result.errors if e.code == "204751")
    assert (e.letter, e.record_type, e.zone, e.record, e.offset) == ("B", "20", "47", 2, 838)
    assert variant(sendings.data) == sendings.data  # the editor keeps an unedited sending
