"""Reading answers as real insurers write them: every error field, every code with a
meaning, the official texts when the list is given, leniency where real senders are."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest
from efact_edit import DAMAGE, TODAY, Sending, clean, damage, lined
from typer.testing import CliRunner

import vsbengine
from vsbengine.cli.main import app
from vsbengine.formats.efact.answers import Answers
from vsbengine.formats.efact.official import read_official_list
from vsbengine.formats.efact.reader import read_answer

runner = CliRunner()


def _put(raw: bytes, at: int, text: str) -> bytes:
    return raw[:at] + text.encode() + raw[at + len(text) :]


@pytest.fixture(scope="module")
def rejected() -> bytes:
    """A real-shaped 920099 of ours (a blocking error on one record 50)."""
    data = clean(120, seed=32, error_rate=0.02, kinds=("509902",))
    return Answers(vsbengine.validate(data, today=TODAY)).bytes("DF013")


@pytest.fixture(scope="module")
def settled() -> bytes:
    data = clean(300, seed=31, error_rate=0.012)
    return Answers(vsbengine.validate(data, today=TODAY)).bytes("DF015")


@pytest.fixture
def official(tmp_path):
    path = tmp_path / "lijst.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, delimiter=";")
        w.writerow(["Code", "Type", "Omschrijving NL", "Libellé FR"])
        w.writerow(["509902", "B", "Testtekst voor 509902", "Texte de test pour 509902"])
        w.writerow(["5014A5", "R", "Testtekst voor 5014A5", "Texte de test pour 5014A5"])
        w.writerow(["599999", "R", "Testtekst voor een code buiten onze kopie", ""])
    return path


def test_error_fields_of_the_extended_300(rejected):
    raw = _put(rejected, 67 + 11, "40")  # zone 301's error field: sent twice
    raw = _put(raw, 67 + 13 + 8, "30")  # zone 302's
    raw = _put(raw, 67 + 145, "20")  # zone 310's error field
    a = read_answer(raw)
    got = {(z.part, z.zone, z.code): z.meaning for z in a.zone_errors}
    assert got[("300", "301", "40")].startswith("Segment 300: billing file sent twice")
    assert got[("300", "302", "30")] == "Segment 300, zone 302 (Creation date): error 30"
    assert got[("300", "310", "20")] == (
        "Segment 300, zone 310 (Error percentage (two implied decimals)): value not allowed"
    )


def test_error_field_of_the_931000_stub():
    data = clean(60, seed=21)
    raw = _put(Answers(vsbengine.validate(data, today=TODAY)).bytes("DF011"), 67 + 6, "20")
    a = read_answer(raw)
    assert a.acknowledged == "920000"
    assert [(z.part, z.zone, z.code, z.meaning) for z in a.zone_errors] == [
        (
            "300",
            "300",
            "20",
            "Segment 300 (acknowledgement), zone 300 (Name of the acknowledged message): "
            "value not allowed",
        )
    ]


def test_error_fields_of_records_91_and_92(settled):
    at = next(i for i in range(677, len(settled), 800) if settled[i : i + 2] == b"91")
    raw = _put(settled, at + 73, "20")  # zone 409's error field
    a = read_answer(raw)
    assert [(z.part, z.zone, z.code) for z in a.zone_errors] == [("91", "409", "20")]
    assert a.zone_errors[0].meaning == "Record 91, zone 409 (Number of records): value not allowed"


def test_every_code_read_has_a_meaning(rejected):
    """An official code the engine does not emit, an alphanumeric one, a code of no list:
    each has a meaning (built from the layouts)."""
    seq_at = 677 + 800  # the second echoed record
    raw = _put(rejected, seq_at + 456, "R501920R5014A5F509999")
    a = read_answer(raw)
    slots = {s.code: s for r in a.records for s in r.slots}
    assert slots["501920"].meaning == "Record 50, zone 19 (Insurance amount): error 20"
    assert slots["5014A5"].meaning == "Record 50, zone 14 (Place of service): error A5"
    assert slots["509999"].meaning == "Record 50, zone 99 (Record check digits): error 99"
    assert all(s.meaning for r in a.records for s in r.slots)


def test_official_texts_of_the_codes(rejected, official):
    raw = _put(rejected, 677 + 800 + 463, "R5014A5")
    a = read_answer(raw, read_official_list(official))
    slots = {s.code: s for r in a.records for s in r.slots}
    assert slots["509902"].official_nl == "Testtekst voor 509902"
    assert slots["509902"].official_fr == "Texte de test pour 509902"
    assert slots["5014A5"].official_nl == "Testtekst voor 5014A5"
    assert slots["509902"].meaning == "Record check digits wrong"  # the engine's own words


def test_a_record_95_among_the_echoes_is_read_as_350(rejected):
    r95 = "95" + "00" + "131" + "20" + " " * 341
    raw = rejected[:677] + r95.encode() + rejected[677:]
    a = read_answer(raw)
    assert [r.record_type for r in a.records] == [
        r.record_type for r in read_answer(rejected).records
    ]
    assert ("95", "401", "20") in {(z.part, z.zone, z.code) for z in a.zone_errors}


def test_blank_error_fields_and_slots_mean_no_error(rejected):
    from vsbengine.formats.efact.compiled import LAYOUTS, REPLY_LAYOUTS

    raw = bytearray(rejected)
    for base, layout in ((0, LAYOUTS.layout("200")), (67, REPLY_LAYOUTS["300x"])):
        for z in layout.zones:
            if z.is_error_field:
                raw[base + z.start : base + z.end] = b"  "
    raw[677 + 456 : 677 + 477] = b" " * 21  # the slots of the first echoed record
    a = read_answer(bytes(raw))
    assert a.zone_errors == [] and a.records[0].slots == []
    assert a.rejection_type == "01"


def test_cli_read_prints_a_meaning_for_every_code(rejected, official, tmp_path):
    path = tmp_path / "answer.dat"
    path.write_bytes(_put(rejected, 677 + 800 + 463, "R501920"))
    r = runner.invoke(app, ["read", str(path)])
    assert r.exit_code == 0, r.output
    assert "R501920  Record 50, zone 19 (Insurance amount): error 20" in r.output
    assert "B509902  Record check digits wrong" in r.output
    r = runner.invoke(app, ["read", str(path), "--codes", str(official)])
    assert "      official: Testtekst voor 509902" in r.output
    r = runner.invoke(app, ["read", str(path), "--codes", str(official), "--lang", "fr"])
    assert "      official: Texte de test pour 509902" in r.output
    r = runner.invoke(app, ["read", str(path), "--codes", str(official), "--json"])
    slots = [s for rec in json.loads(r.stdout)["records"] for s in rec["slots"]]
    assert {s["code"]: s["official_fr"] for s in slots}["509902"] == "Texte de test pour 509902"
    r = runner.invoke(app, ["read", str(path), "--codes", str(tmp_path / "none.xls")])
    assert r.exit_code == 2 and "none.xls" in r.stderr


def test_cli_official_list_from_the_zorgkas_settings(rejected, official, tmp_path):
    refs = tmp_path / "refs"
    refs.mkdir()
    (refs / "zorgkas.toml").write_text(
        '[zorgkas]\nname = "X"\niban = "BE71096123456769"\nbic = "GKCCBEBB"\n'
        f'[codes]\nofficial_list = "{official}"\n'
    )
    path = tmp_path / "answer.dat"
    path.write_bytes(rejected)
    r = runner.invoke(app, ["read", str(path), "--refs", str(refs)])
    assert "      official: Testtekst voor 509902" in r.output
    r = runner.invoke(app, ["explain", "599999", "--refs", str(refs), "--json"])
    got = json.loads(r.stdout)
    assert got["emitted"] is False and got["letter"] == "R"
    assert got["official_nl"] == "Testtekst voor een code buiten onze kopie"


def test_cli_explain_with_the_official_list(official):
    r = runner.invoke(app, ["explain", "509902", "--codes", str(official)])
    assert r.exit_code == 0, r.output
    assert "official nl: Testtekst voor 509902" in r.output
    assert "official fr: Texte de test pour 509902" in r.output
    r = runner.invoke(app, ["explain", "501920"])  # listed, not emitted
    assert "letter R (rejects the record and its group); in the insurers' list" in r.output
    assert "en: Record 50, zone 19 (Insurance amount): error 20" in r.output
    r = runner.invoke(app, ["explain", "509950"])
    assert r.exit_code == 2 and "neither vsbengine nor the insurers' list has it" in r.stderr


def test_our_answers_read_back_with_a_meaning_everywhere():
    """Every code of every answer the engine writes for a sending with errors."""
    s = Sending(clean(200, seed=37, error_rate=0.05))
    s.records[-1] = s.records[-1][:65] + "00000001" + s.records[-1][73:]  # a DF012 too
    for data in (clean(200, seed=37, error_rate=0.05), s.tobytes()):
        result = vsbengine.validate(data, today=TODAY)
        for df in result.messages:
            a = read_answer(Answers(result).bytes(df))
            assert all(z.meaning for z in a.zone_errors)
            assert all(x.meaning for r in a.records for x in r.slots)


def test_codes_of_records_95_say_whose_they_are(tmp_path):
    """A DF012 with codes on two records 95: read back, each code with the mutuality of
    its record (the JSON's ``mutuality``, the text's "95 (mutuality 306)")."""
    s = Sending(clean(200, seed=37))
    closing = [i for i, r in enumerate(s.records) if r[:2] == "95"][:2]
    for i in closing:
        r = s.records[i]
        s.records[i] = r[:75] + f"{(int(r[75:77]) % 96) + 1:02d}" + r[77:]  # a wrong control
    result = vsbengine.validate(s.tobytes(), today=TODAY)
    assert result.messages == ["DF012"]
    path = tmp_path / "DF012_920999.dat"
    path.write_bytes(Answers(result).bytes("DF012"))
    a = read_answer(path.read_bytes())
    got = [(z.part, z.mutuality, z.zone) for z in a.zone_errors if z.part == "95"]
    assert got == [("95", s.records[i][4:7], "410") for i in closing]
    r = runner.invoke(app, ["read", str(path)])
    assert r.exit_code == 0
    for i in closing:
        assert f"  95 (mutuality {s.records[i][4:7]}) zone 410: code 20" in r.output
    assert "records echoed" not in r.output


@pytest.mark.parametrize("kind", DAMAGE)
def test_our_answers_to_damaged_sendings_read_back(kind):
    """Whatever a facility sends, every answer the engine writes to it reads back."""
    rng = np.random.default_rng(DAMAGE.index(kind))
    base = clean(300, seed=38, error_rate=0.04)
    for data in (base, lined(base)):
        for n in (1, 5, 30):
            result = vsbengine.validate(damage(data, kind, rng, n), today=TODAY)
            for echo in ("errors", "all"):
                for df in result.messages:
                    a = read_answer(Answers(result, echo=echo).bytes(df))
                    assert all(x.meaning for r in a.records for x in r.slots)


# -- unreadable answers: located errors, bounded memory ----------------------------------


@pytest.mark.parametrize(
    "at, where",
    [
        (67 + 141, "byte 208, zone 310"),  # the error percentage of segment 300
        # Accepted and refused of the echoed record 50 (third) and 80 (fourth): the
        # echoes of records 10 and 20 carry no amounts there.
        (677 + 1600 + 350 + 128, "byte 2755, record 3, zone 114"),
        (677 + 2400 + 350 + 140, "byte 3567, record 4, zone 115"),
    ],
)
def test_a_latin_1_superscript_digit_is_a_located_error(rejected, at, where):
    """'²' is a digit to str.isdigit but not to int(): the error names the place."""
    raw = rejected[:at] + "²".encode("latin-1") + rejected[at + 1 :]
    with pytest.raises(vsbengine.InputError) as info:
        read_answer(raw)
    assert str(info.value) == f"{where}: not a number: '²' is not a digit 0-9"


def test_an_echoed_sequence_that_is_no_number_is_the_sendings_not_the_answers(rejected):
    """The echoed record is the facility's as it was sent: a sequence number that is no
    number reads as None (the answer is fine); our own DF013 of such a sending reads."""
    raw = rejected[: 677 + 800 + 3] + "²".encode("latin-1") + rejected[677 + 800 + 4 :]
    assert read_answer(raw).records[1].sequence is None
    assert read_answer(rejected).records[1].sequence is not None
    s = Sending(clean(200, seed=37, error_rate=0.05))
    i = next(i for i, r in enumerate(s.records) if r[:2] == "50")
    s.put_at(i, 3, "00A012")
    result = vsbengine.validate(s.tobytes(), today=TODAY)
    assert result.messages == ["DF011", "DF013"]
    for echo in ("errors", "all"):
        got = read_answer(Answers(result, echo=echo).bytes("DF013"))
        assert None in {r.sequence for r in got.records}


def test_a_superscript_in_an_error_field_is_no_code(rejected):
    raw = rejected[: 67 + 145] + "2²".encode("latin-1") + rejected[67 + 147 :]
    assert read_answer(raw).zone_errors == read_answer(rejected).zone_errors


@pytest.mark.parametrize("df", ["DF011", "DF012", "DF013"])
def test_trailing_nuls_after_the_last_record_are_an_error(df):
    data = clean(120, seed=32, error_rate=0.02, kinds=("509902",))
    s = Sending(data)
    if df == "DF012":
        s.records[-1] = s.records[-1][:65] + "00000001" + s.records[-1][73:]
        data = s.tobytes()
    raw = Answers(vsbengine.validate(data, today=TODAY)).bytes(df)
    read_answer(raw + b"\r\n  \n")  # blanks and line breaks at the end are fine
    with pytest.raises(vsbengine.InputError) as info:
        read_answer(raw + b"\0" * 5000)
    assert str(info.value).startswith(
        f"byte {len(raw)}: 5,000 bytes after the last record (NUL bytes), expected "
    )


def test_an_answer_past_the_limit_is_refused_before_it_is_read(rejected, tmp_path, monkeypatch):
    from vsbengine.formats.efact import reader

    path = tmp_path / "big.dat"
    with open(path, "wb") as fh:  # sparse: 5 GB that take no disk
        fh.write(rejected)
        fh.truncate(5 * 10**9)
    with pytest.raises(vsbengine.InputError) as info:
        read_answer(path)
    assert str(info.value) == (
        f"{path}: 5,000,000,000 bytes, more than the 1,073,741,824 an answer message may "
        "have (reading one takes about three times its size in memory)"
    )
    monkeypatch.setattr(reader, "MAX_ANSWER_BYTES", len(rejected) - 1)
    with pytest.raises(vsbengine.InputError, match="more than the"):
        read_answer(rejected)  # bytes too


def test_cli_read_of_garbage_is_one_line_exit_2(rejected, tmp_path):
    path = tmp_path / "answer.dat"
    path.write_bytes(rejected[:3567] + "²".encode("latin-1") + rejected[3568:])
    r = runner.invoke(app, ["read", str(path)])
    assert r.exit_code == 2
    assert (
        r.stderr
        == f"vsbengine: error: {path}, byte 3567, record 4, zone 115: not a number: '²' is not a digit 0-9\n"
    )


def test_strided_buffers_read_as_their_bytes(rejected):
    import numpy as np

    wide = np.repeat(np.frombuffer(rejected, dtype=np.uint8), 2)
    assert read_answer(memoryview(wide)[::2]) == read_answer(rejected)


def test_the_filler_of_echoed_records_10_and_90_is_no_comment_nor_amount(rejected, tmp_path):
    """Real insurers fill the extension of an echoed record 10 with 1s and of a record
    90 with 9s (efact-format.md section 3): no comment, no amounts (zones 114/115 are
    for the echoes of prestations and records 80), no record "with codes"."""
    raw = bytearray(rejected)
    starts = [677 + 800 * i for i in range((len(raw) - 677) // 800)]
    echoed = {bytes(raw[at : at + 2]).decode(): at for at in starts}
    for rtype, digit in (("10", b"1"), ("90", b"9")):
        at = echoed[rtype]
        raw[at + 370 : at + 456] = digit * 86  # 371-456: what readers do not decode
        raw[at + 477 : at + 794] = digit * 317  # 478-794: zones 114-118, result, comment
    a = read_answer(bytes(raw))
    ends = [r for r in a.records if r.record_type in ("10", "90")]
    assert [(r.comment, r.accepted, r.refused, r.slots) for r in ends] == [("", None, None, [])] * 2
    path = tmp_path / "reply.dat"
    path.write_bytes(bytes(raw))
    r = runner.invoke(app, ["read", str(path)])
    assert r.exit_code == 0 and "comment" not in r.stdout and "1111" not in r.stdout
