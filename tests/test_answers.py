"""Answer messages DF011-DF015: golden files, read back with the same layout
tables, amounts that add up, determinism.

Set VSBENGINE_REGEN_GOLDEN=1 to rewrite the golden files after a deliberate
change of the writers (and review the diff).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from efact_edit import TODAY, Sending, clean

import vsbengine
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
    if os.environ.get("VSBENGINE_REGEN_GOLDEN") == "1":
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


def test_read_back(case):
    name, data, result, answers = case
    s = Sending(data)
    by_seq = {int(r[2:8]): r for r in s.records if r[:2] not in ("95", "96")}
    own: dict[int, list[str]] = {}
    for e in sorted(result.errors, key=lambda e: "BFRSE".index(e.letter or "E")):
        if e.record is not None:
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
            assert a.error_percentage == result.error_ratio
            assert a.rejection_type == result.rejection_type
            echoed = {r.sequence for r in a.records}
            if df == "DF015":
                assert echoed == set(by_seq)
            else:
                assert echoed == set(own)
            for r in a.records:
                assert r.record == by_seq[r.sequence]  # the original, untouched
                assert [x.code for x in r.slots] == own.get(r.sequence, [])[:3]


def test_settlement_adds_up():
    data = _accepted()
    result = vsbengine.validate(data, today=TODAY)
    a = read_answer(Answers(result).bytes("DF015"))
    *r91, r92 = a.settlements
    assert [x.record_type for x in a.settlements] == ["91"] * len(r91) + ["92"]
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
    # The amounts accepted per record (zone 114) make up the accepted total.
    prestations = [r for r in a.records if r.record_type in ("30", "50")]
    assert sum(r.accepted for r in prestations) == r92.accepted
    assert sum(r.refused for r in prestations) == r92.refused
    assert r92.refused > 0 and r92.accepted > 0
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
    assert len(rec.slots) == 3
    assert sorted([x.code for x in rec.slots] + [c[1:] for c in rec.comment.split()]) == sorted(
        mine
    )


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
    answers = Answers(result)
    pieces = list(answers.chunks("DF015"))
    assert len(pieces) > 2
    closing = result.size // 350 - result.records_total - 1 + 1  # records 95 and 96
    assert sum(map(len, pieces)) == 677 + 800 * (result.records_total + closing)
