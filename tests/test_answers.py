"""Answer messages DF011-DF015: golden files, read back with the same layout
tables, amounts that add up, determinism.

Set VSBENGINE_REGEN_GOLDEN=1 to rewrite the golden files after a deliberate
change of the writers (and review the diff).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from efact_edit import TODAY, Sending, check_digits, clean

import vsbengine
from vsbengine import outputs
from vsbengine.errors import InputError
from vsbengine.formats.efact.answers import FILE_NAMES, Answers
from vsbengine.formats.efact.generate import generate
from vsbengine.formats.efact.reader import read_answer

GOLDEN = Path(__file__).parent / "data" / "golden"
REFERENCE = 12345678901234


def _accepted() -> bytes:
    return clean(300, seed=31, error_rate=0.012)


def _blocked() -> bytes:
    return clean(120, seed=32, error_rate=0.02, kinds=("509902", "502212"))


def _broken() -> bytes:
    s = Sending(clean(60, seed=33))
    i = next(i for i, r in enumerate(s.records) if r[:2] == "96")
    s.put_at(i, 66, "00000001")
    return s.tobytes()


CASES = {"accepted": _accepted, "blocked": _blocked, "broken": _broken}


def _sending(name: str) -> bytes:
    """The stored input of a golden case (so the golden files test the writers only)."""
    path = GOLDEN / name / "sending.920000"
    if os.environ.get("VSBENGINE_REGEN_GOLDEN") == "1" and not path.exists():
        # The inputs stay as they are: a regeneration shows the writers' changes only.
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(CASES[name]())
    return path.read_bytes()


@pytest.fixture(scope="module", params=sorted(CASES))
def case(request):
    data = _sending(request.param)
    result = vsbengine.validate(data, today=TODAY)
    return request.param, data, result, Answers(result, reference=REFERENCE)


def test_case_outcomes():
    assert vsbengine.validate(_accepted(), today=TODAY).messages == ["DF011", "DF014", "DF015"]
    assert vsbengine.validate(_blocked(), today=TODAY).messages == ["DF011", "DF013"]
    assert vsbengine.validate(_broken(), today=TODAY).messages == ["DF012"]


def test_golden_files(case):
    name, _, _, answers = case
    for df in answers.names:
        got = answers.bytes(df)
        path = GOLDEN / name / FILE_NAMES[df]
        if os.environ.get("VSBENGINE_REGEN_GOLDEN") == "1":
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(got)
        assert path.read_bytes() == got, f"{name}/{df} differs from its golden file"


def test_answers_are_deterministic(case):
    _, data, result, answers = case
    again = Answers(vsbengine.validate(data, today=TODAY), reference=REFERENCE)
    for df in answers.names:
        assert answers.bytes(df) == again.bytes(df)
    # The default insurer reference is derived from the sending: stable too.
    assert Answers(result).reference == Answers(result).reference


def test_lengths(case):
    _, data, result, answers = case
    for df in answers.names:
        b = answers.bytes(df)
        if df == "DF011":
            assert len(b) == 227
        elif df == "DF012":
            assert (len(b) - 227) % 350 == 0
        else:
            assert (len(b) - 677) % 800 == 0


def _expected_echo(s: Sending, with_codes: set[int]) -> set[int]:
    """What real insurers echo (efact-format.md section 8), derived here from the records:
    records 10 and 90, each record with a code, and the records 20 and 80 of its invoice."""
    out = set()
    invoice: list[int] = []
    for r in s.records:
        rtype, seq = r[:2], int(r[2:8]) if r[:2] not in ("95", "96") else None
        if rtype in ("10", "90"):
            out.add(seq)
        if rtype == "20":
            invoice = []
        if rtype in ("20", "30", "50", "51", "52", "80"):
            invoice.append(seq)
        if rtype == "80" and with_codes & set(invoice):
            out |= with_codes & set(invoice)
            out |= {invoice[0], invoice[-1]}
    return out


def test_read_back(case):
    name, data, result, answers = case
    s = Sending(data)
    by_seq = {int(r[2:8]): r for r in s.records if r[:2] not in ("95", "96")}
    own: dict[int, list[str]] = {}
    blocked = result.rejection_type == "01"  # its answer lists the B codes only
    for e in sorted(result.errors, key=lambda e: "BFRSE".index(e.letter or "E")):
        if e.record is not None and (e.letter == "B" or not blocked):
            own.setdefault(e.record, []).append(e.code)  # B first, then F, then R
    for df in answers.names:
        a = read_answer(answers.bytes(df))
        assert a.kind == df
        assert a.insurer_reference == f"{REFERENCE:014d}"
        assert a.sender_reference == data[20:34].decode()
        if df == "DF011":
            assert a.acknowledged == "920000"
        elif df == "DF012":
            assert {(z.part, z.zone, z.code) for z in a.zone_errors} == {
                (e.record_type, e.zone, e.code[-2:]) for e in result.errors if e.phase == 1
            }
        else:
            blocking = result.rejection_type == "01"
            if df == "DF015":  # as the real settlements: 00000
                assert a.error_percentage == 0.0
            else:
                assert a.error_percentage == (100.0 if blocking else result.error_ratio)
            assert a.rejection_type == result.rejection_type
            echoed = [r.sequence for r in a.records]
            assert echoed == sorted(_expected_echo(s, set(own)))
            everything = read_answer(Answers(result, reference=REFERENCE, echo="all").bytes(df))
            assert [r.sequence for r in everything.records] == sorted(by_seq)
            for r in a.records + everything.records:
                assert r.record == by_seq[r.sequence]  # the original, untouched
                assert [x.code for x in r.slots] == own.get(r.sequence, [])[:3]
                # Zones 114/115: zero, as in real ones (amounts of prestations and
                # records 80 only: the other echoes carry none there).
                amounts = r.record_type in ("30", "50", "51", "80")
                assert r.accepted == r.refused == (0 if amounts else None)


class _Prestation:
    def __init__(self, record: str) -> None:
        self.seq = int(record[2:8])
        self.amount = int(record[88:99]) * (-1 if record[87] == "-" else 1)


def _prestations(data: bytes) -> list[_Prestation]:
    return [_Prestation(r) for r in Sending(data).records if r[:2] in ("30", "50")]


def _rejected(result) -> set[int]:
    """Sequence numbers of the records rejected (their own error, their 50's or their
    invoice's)."""
    import numpy as np

    units = np.flatnonzero(result.rejected)
    return {int(u) - 1 for u in units.tolist()}  # units 2.. are records 1..


def test_settlement_adds_up():
    data = _accepted()
    result = vsbengine.validate(data, today=TODAY)
    a = read_answer(Answers(result).bytes("DF015"))
    *r91, r92 = a.settlements
    assert [x.record_type for x in a.settlements] == ["91"] * len(r91) + ["92"]
    # Zone 501 of record 92 is 999 (the sending's total), as real settlements carry it;
    # each record 91 names its mutuality.
    assert r92.mutuality == 999 and all(x.mutuality < 999 for x in r91)
    for x in a.settlements:
        assert x.requested_a == x.accepted_a + x.refused_a
        assert x.requested_b == x.accepted_b + x.refused_b
        assert x.requested == x.accepted + x.refused
        assert x.accepted == x.accepted_a + x.accepted_b
    for field in (
        "requested_a",
        "requested_b",
        "accepted_a",
        "refused_a",
        "accepted_b",
        "refused_b",
        "accepted",
        "refused",
    ):
        assert getattr(r92, field) == sum(getattr(x, field) for x in r91)
    # Records 91/92 total the whole sending, also when only the invoices with errors
    # are echoed: the amounts of the prestations accepted and refused.
    assert r92.accepted == sum(
        x.amount for x in _prestations(data) if x.seq not in _rejected(result)
    )
    assert r92.refused > 0 and r92.accepted > 0
    assert len(a.records) < result.records_total
    # And the requested amounts are those of the records 95/96 of the sending.
    s = Sending(data)
    r96 = s.records[-1]
    assert r92.requested == int(r96[51:63]) and r92.records == int(r96[65:73])


def test_more_than_three_codes_go_to_the_comment():
    s = Sending(clean(60, seed=34))
    seq = next(
        int(r[2:8])
        for i, r in enumerate(s.records)
        if r[:2] == "50" and s.records[i + 1][:2] not in ("51", "52")
    )
    # Four record errors on one line: units sign, personal share sign, and two dates.
    ps = int(s.get(seq, 129, 9)) or 100
    s.put(seq, 108, "-")
    s.put(seq, 128, "-" + str(ps).zfill(9))
    s.put(seq, 17, "2026112420261124")
    s.resum()
    result = vsbengine.validate(s.tobytes(), today=TODAY)
    mine = [e.code for e in result.errors if e.record == seq]
    assert len(mine) > 3
    df = result.messages[1]
    rec = next(r for r in read_answer(Answers(result).bytes(df)).records if r.sequence == seq)
    # Three in the slots, the rest in the comment zone; the reader gives all of them.
    assert len(rec.comment.split()) == len(mine) - 3
    assert sorted(x.code for x in rec.slots) == sorted(mine)
    assert all(x.meaning for x in rec.slots)


def _df013_with_a_slot(letter: str, code: str) -> bytes:
    s = Sending(clean(60, seed=34))
    s.put(s.seqs("50")[0], 108, "-")
    s.resum()
    result = vsbengine.validate(s.tobytes(), today=TODAY)
    data = bytearray(Answers(result).bytes(result.messages[1]))
    rec = (
        67 + 610 + 800 * next(i for i, r in enumerate(read_answer(bytes(data)).records) if r.slots)
    )
    data[rec + 456 : rec + 463] = (letter + code).encode("latin-1")  # zones 457, 458
    return bytes(data)


def test_an_unreadable_error_slot_is_a_located_error():
    with pytest.raises(InputError) as exc:
        read_answer(_df013_with_a_slot("R", "50\xff420"))
    err = exc.value
    assert (err.zone, err.reason) == ("458", "not an error code in an error slot")
    assert err.record is not None and err.offset is not None
    with pytest.raises(InputError, match="not an error letter"):
        read_answer(_df013_with_a_slot("X", "500420"))
    slots = sum(len(r.slots) for r in read_answer(_df013_with_a_slot("R", "500420")).records)
    blank = read_answer(_df013_with_a_slot(" ", "      "))  # a blank slot: no error
    assert sum(len(r.slots) for r in blank.records) == slots - 1


def test_a_cut_answer_is_refused_where_it_ends():
    result = vsbengine.validate(_accepted(), today=TODAY)
    data = Answers(result).bytes("DF015")
    for cut in (100, 700):
        with pytest.raises(InputError) as exc:
            read_answer(data[:-cut])
        assert exc.value.offset == len(data) - 800
        assert exc.value.reason == f"the file ends inside a record: {800 - cut} of 800 characters"


def test_write_uses_the_documented_names(tmp_path):
    result = vsbengine.validate(_accepted(), today=TODAY)
    paths = Answers(result).write(tmp_path / "out")
    assert [p.name for p in paths] == ["DF011_931000.dat", "DF014_920098.dat", "DF015_920900.dat"]
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(p.name for p in paths)


def test_asking_for_an_answer_the_result_has_not():
    result = vsbengine.validate(_broken(), today=TODAY)
    with pytest.raises(ValueError, match="DF015 is not an answer of this result"):
        Answers(result).bytes("DF015")


def test_large_settlement_is_written_in_chunks(tmp_path):
    g = generate(150_000, seed=35, month=202610)
    result = vsbengine.validate(g.tobytes(), today=TODAY)
    answers = Answers(result, echo="all")
    pieces = list(answers.chunks("DF015"))
    assert len(pieces) > 2
    closing = result.size // 350 - result.records_total - 1 + 1  # records 95 and 96
    assert sum(map(len, pieces)) == 677 + 800 * (result.records_total + closing)


# -- the shape of real answers (efact-format.md section 8) ------------------------------------
def test_an_acceptance_without_errors_echoes_records_10_and_90_only():
    data = clean(120, seed=36)
    result = vsbengine.validate(data, today=TODAY)
    assert result.messages == ["DF011", "DF014", "DF015"] and not result.errors
    answers = Answers(result)
    df014 = answers.bytes("DF014")
    assert len(df014) == 2277  # 200 + extended 300 + the echoed records 10 and 90
    a = read_answer(df014)
    assert [(r.record_type, r.slots) for r in a.records] == [("10", []), ("90", [])]
    # The settlement echoes the same two records, then totals the whole sending.
    df015 = read_answer(answers.bytes("DF015"))
    assert [r.record_type for r in df015.records] == ["10", "90"]
    assert df015.settlements == result.settlement
    assert df015.settlements[-1].accepted == df015.settlements[-1].requested > 0


def test_every_record_is_echoed_when_asked():
    data = _accepted()
    result = vsbengine.validate(data, today=TODAY)
    n = result.records_total
    for df in ("DF014", "DF015"):
        got = read_answer(Answers(result, echo="all").bytes(df)).records
        assert len(got) == n
        assert [r.index for r in got] == list(range(1, n + 1))  # zone 795 runs on
    with pytest.raises(ValueError, match="echo must be one of errors, all"):
        Answers(result, echo="some")


def test_clean_invoices_are_left_out():
    data = _accepted()
    result = vsbengine.validate(data, today=TODAY)
    a = read_answer(Answers(result).bytes("DF014"))
    with_codes = {r.sequence for r in a.records if r.slots}
    assert with_codes == {e.record for e in result.errors if e.record is not None}
    # Every invoice echoed has a record with a code; it is echoed from its 20 to its 80
    # without its clean records.
    s = Sending(data)
    kinds = [r.record_type for r in a.records]
    assert kinds[0] == "10" and kinds[-1] == "90"
    assert kinds.count("20") == kinds.count("80") >= 1
    assert len(a.records) < result.records_total
    echoed = {r.sequence for r in a.records}
    for inv in s.invoices():
        seqs = [s.seq_at(i) for i in inv]
        assert (seqs[0] in echoed) == bool(with_codes & set(seqs))


def test_a_blocking_rejection_writes_its_percentage_as_10000():
    result = vsbengine.validate(_blocked(), today=TODAY)
    assert result.rejection_type == "01" and result.error_ratio < 100
    raw = Answers(result).bytes("DF013")
    assert raw[67 + 140 : 67 + 145] == b"10000"
    assert read_answer(raw).error_percentage == 100.0


def test_a_blocking_rejection_lists_its_blocking_codes_only():
    """vsb-processing.md, Outcomes: type 01 lists the blocking codes; the record with
    an R error elsewhere in the sending is not echoed (type 02 lists every code)."""
    s = Sending(_blocked())
    i = max(i for i, r in enumerate(s.records) if r[:2] == "50")
    seq_r = s.seq_at(i)
    s.put(seq_r, 108, "-")  # the sign of its units against its amount: 502212 R
    s.records[i] = s.records[i][:348] + check_digits(s.records[i])  # (the B stays)
    result = vsbengine.validate(s.tobytes(), today=TODAY)
    assert result.rejection_type == "01"
    assert {(e.letter, e.code) for e in result.errors} == {("B", "509902"), ("R", "502212")}
    answer = read_answer(Answers(result).bytes("DF013"))
    listed = {(x.letter, x.code) for r in answer.records for x in r.slots}
    assert listed == {("B", "509902")}
    assert seq_r not in {r.sequence for r in answer.records}


def test_the_settlement_writes_00000_where_the_acceptance_writes_the_ratio():
    """efact-format.md section 8: the real settlements (920900) all carry 00000."""
    data = generate(300, seed=3, month=202610, error_rate=0.02).tobytes()
    result = vsbengine.validate(data, today=TODAY)
    assert result.decision == "DF014" and result.ratio_x100 > 0
    answers = Answers(result)
    assert answers.bytes("DF014")[207:212] == f"{result.ratio_x100:05d}".encode()
    assert answers.bytes("DF015")[207:212] == b"00000"


def test_a_technical_rejection_carries_status_40_and_00_in_its_error_fields():
    result = vsbengine.validate(_broken(), today=TODAY)
    raw = Answers(result).bytes("DF012")
    assert raw[16:18] == b"40"  # segment 200, zone 203
    r96 = raw[227:577]
    assert r96[:2] == b"96" and r96[73:75] == b"20"  # the code of zone 509
    assert r96[91:93] == b"00"  # account C's error field, account C itself as sent
    s = Sending(_sending("broken"))
    assert r96[79:91] == s.records[-1][79:91].encode()


def test_a_missing_record_96_is_answered_on_one_with_its_federation_code():
    """efact-format.md 6.10 and 8: zone 501 of a record 96 is X99 (000 would be refused)
    and the replies leave account C blank with 00 in its error field."""
    data = generate(20, seed=3, month=202610).tobytes()
    assert data[-350:-348] == b"96" and data[-700:-698] == b"95"
    mutuality = data[-700 + 4 : -700 + 7]
    result = vsbengine.validate(data[:-350], today=TODAY)
    assert result.messages == ["DF012"]
    assert "960920" in {e.code for e in result.errors}
    r96 = Answers(result).bytes("DF012")[-350:]
    assert r96[:2] == b"96" and r96[4:7] == mutuality[:1] + b"99"
    assert r96[73:75] == b"20"  # the code of zone 509
    assert r96[79:91] == b" " * 12 and r96[91:93] == b"00"
    # Without any record 95 either, the federation of the whole sending: 999.
    records = [data[i : i + 350] for i in range(227, len(data), 350)]
    cut = data[:227] + b"".join(r for r in records if r[:2] not in (b"95", b"96"))
    result = vsbengine.validate(cut, today=TODAY)
    assert result.messages == ["DF012"]
    r96 = Answers(result).bytes("DF012")[-350:]
    assert r96[:2] == b"96" and r96[4:7] == b"999"


def test_the_federation_code_of_a_record_96():
    from vsbengine.formats.efact.settlement import federation

    assert federation([306, 311, 300]) == 399 and federation([b"501"]) == 599
    assert federation([306, 401]) is None and federation([]) is None


def test_record_91_payment_references_in_the_real_form():
    result = vsbengine.validate(_accepted(), today=TODAY)
    raw = Answers(result).bytes("DF015")
    r91 = [raw[i : i + 800] for i in range(677, len(raw), 800) if raw[i : i + 2] == b"91"]
    assert r91
    sending = result.payee.sending_number
    for rec in r91:
        mut = rec[4:7].decode()
        expected = f"{sending:03d}/202610/{mut}/".ljust(22).encode()
        assert rec[163:185] == expected and rec[187:209] == expected
        # Account C, where the real replies hold a third reference and 00 after it
        # (efact-format.md section 4); 212-253 and 278-800 blank.
        assert rec[253:275] == expected and rec[275:277] == b"00"
        assert rec[211:253].strip() == rec[277:].strip() == b""
    back = [x for x in read_answer(raw).settlements if x.record_type == "91"]
    assert back and all(x.reference_c == x.reference_a for x in back)


@pytest.mark.parametrize("sep", [b"\n", b"\r\n"], ids=["LF", "CRLF"])
def test_a_sending_in_lines_gets_the_same_answers_as_on_one_line(sep):
    data = _accepted()
    lines = [data[:67], data[67:227]] + [data[i : i + 350] for i in range(227, len(data), 350)]
    one = vsbengine.validate(data, today=TODAY)
    split = vsbengine.validate(sep.join(lines) + sep, today=TODAY)
    assert (one.technical, one.decision) == (split.technical, split.decision) == ("DF011", "DF014")
    for df in ("DF011", "DF014", "DF015"):
        assert Answers(split).bytes(df) == Answers(one).bytes(df), df


def test_read_prints_a_comment_that_is_not_codes(tmp_path):
    from typer.testing import CliRunner

    from vsbengine.cli.main import app

    data = bytearray(_df013_with_a_slot("R", "500420"))
    rec = (
        67 + 610 + 800 * next(i for i, r in enumerate(read_answer(bytes(data)).records) if r.slots)
    )
    data[rec + 533 : rec + 533 + 20] = b"zie onze brief      "  # zone 534, free text
    path = tmp_path / "DF014_920098.dat"
    path.write_bytes(bytes(data))
    r = CliRunner().invoke(app, ["read", str(path)])
    assert r.exit_code == 0 and "comment: zie onze brief" in r.stdout


def test_the_echo_works_out_the_values_of_the_echoed_records_only():
    """With the usual echo (records with errors, their invoices' 20/80, 10 and 90) the
    columns of the extension hold the echoed records and no others (a big sending's
    other records cost no memory), and echo="all" holds every one."""
    result = vsbengine.validate(clean(3_000, seed=77, error_rate=0.01), today=TODAY)
    assert result.messages[1] == "DF014"
    (s,) = list(result.scans)
    for echo in ("errors", "all"):
        answers = Answers(result, reference=REFERENCE, echo=echo)
        cols = answers.echo_columns(s)
        echoed = read_answer(answers.bytes("DF014")).records
        assert len(cols.units) == len(echoed)
        assert all(len(v) == len(echoed) for v in cols.values.values())
        if echo == "errors":
            assert len(echoed) < int(s.is_detail.sum()) // 2
        else:
            assert len(echoed) == int(s.is_detail.sum())


def _control_bytes(data: bytes) -> list[int]:
    return [i for i, c in enumerate(data) if c < 0x20 or c == 0x7F]


@pytest.mark.parametrize("byte", [b"\r", b"\x00", b"\x1a", b"\x7f"])
def test_an_echoed_record_carries_blanks_for_its_control_bytes(byte, tmp_path, monkeypatch):
    """A control byte in a record (a B error: the sending is rejected) is echoed as a
    blank: a line break or NUL in an answer would frame it wrongly for its reader. The
    rest of the record is echoed as it came, on both ways of writing it."""
    data = bytearray(clean(40, seed=71))
    r50 = next(i for i in range(227, len(data), 350) if data[i : i + 2] == b"50")
    at = r50 + 120  # inside the record's zones
    data[at : at + 1] = byte
    path = tmp_path / "s.920000"
    path.write_bytes(bytes(data))
    result = vsbengine.validate(path, today=TODAY)
    assert result.messages == ["DF011", "DF013"] and result.rejection_type == "01"
    answers = Answers(result)
    df013 = answers.bytes("DF013")
    assert not _control_bytes(df013)
    echoed = read_answer(df013).records
    want = bytes(data[r50 : r50 + 350]).replace(byte, b" ")
    lines = [df013[i : i + 350] for i in range(67 + 610, len(df013), 800)]
    assert want in lines and len(lines) == len(echoed)
    # The files: blocks of clean records go from the mapped file to the answer as they
    # are (Interleaved), the block with the control byte is assembled and mended.
    from vsbengine.formats.efact import answers as module

    monkeypatch.setattr(module, "BLOCK", 8)
    for echo in ("errors", "all"):
        written = outputs.write(result, tmp_path / echo, result.messages, echo=echo)
        every = Answers(result, echo=echo)
        assert [p.read_bytes() for p in written] == [every.bytes(df) for df in result.messages]
        assert not _control_bytes(written[-1].read_bytes())


def test_a_technical_rejection_echoes_its_headers_as_text():
    """A NUL and a line break where segment 200 ends (found by the property tests): the
    DF012 echoes its segments and closing records with blanks for them, and reads back
    as the answer it is."""
    base = clean(40, seed=71)
    data = base[:66] + b"\x00\r" + base[66:]
    result = vsbengine.validate(data, today=TODAY)
    assert result.messages == ["DF012"]
    df012 = Answers(result).bytes("DF012")
    assert not _control_bytes(df012)
    assert read_answer(df012).kind == "DF012"
    assert df012[67:74] == b" " + base[66:72]  # its segment 300, a blank for the "\r"
