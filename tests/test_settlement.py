"""The settlement: one msgspec Struct for the writers and the reader."""

from __future__ import annotations

from efact_edit import TODAY, clean

import vsbengine
from vsbengine.formats.efact.answers import Answers
from vsbengine.formats.efact.reader import Settlement as ReadSettlement
from vsbengine.formats.efact.reader import read_answer
from vsbengine.formats.efact.settlement import Settlement


def test_what_is_written_reads_back_as_the_same_structs():
    result = vsbengine.validate(clean(900, seed=191, error_rate=0.01), today=TODAY)
    assert result.decision == "DF014"
    assert ReadSettlement is Settlement
    answer = read_answer(Answers(result).bytes("DF015"))
    assert answer.settlements == result.settlement
    *r91, r92 = result.settlement
    assert [r.record_type for r in result.settlement] == ["91"] * len(r91) + ["92"]
    # The real insurers' form: sending/month/mutuality/, no account letter.
    sending, month = result.payee.sending_number, 202610
    for r in r91:
        assert r.reference_a == r.reference_b == f"{sending:03d}/{month}/{r.mutuality:03d}/"
    assert r92.accepted == sum(r.accepted for r in r91) and r92.reference_a == ""


def test_a_technical_rejection_accepts_nothing():
    data = bytearray(clean(60, seed=192))
    data[-300:-290] = b"XXXXXXXXXX"  # record 96 unreadable
    result = vsbengine.validate(bytes(data), today=TODAY)
    assert result.technical == "DF012"
    assert result.settlement and all(r.accepted == 0 for r in result.settlement)
