"""The public CIN test sendings of ../shared/corpus give the verdicts its README states.

Their record check digits use the (sum + 10) mod 97 variant that the insurers
refuse: every record 10-90 carries its RR9902 code and nothing else is wrong,
except the record counts of 95/96 in TFAC1SC13 and TFAC1SC15.
"""

from __future__ import annotations

import pytest
from efact_edit import CORPUS

import vsbengine
from vsbengine.formats.efact.answers import Answers
from vsbengine.formats.efact.reader import read_answer

FILES = {
    "TFAC1SC09.509E": ("10", "20", "50", "51", "80", "90"),
    "TFAC1SC11.510E": ("10", "20", "50", "51", "80", "90"),
    "TFAC1SC12.518E": ("10", "20", "50", "51", "80", "90"),
    "TFAC1SC13.519E": ("10", "20", "50", "80", "90"),
    "TFAC1SC15.520E": ("10", "20", "50", "80", "90"),
}
COUNTS_WRONG = {"TFAC1SC13.519E", "TFAC1SC15.520E"}

pytestmark = pytest.mark.skipif(
    not CORPUS.is_dir(), reason="../shared/corpus not beside the repository"
)


@pytest.mark.parametrize("name", sorted(FILES))
def test_corpus_verdicts(name):
    r = vsbengine.validate(CORPUS / name, today=20260101)
    types = FILES[name]
    check_errors = [(e.record, e.code) for e in r.errors if e.phase == 2]
    assert check_errors == [(i + 1, f"{t}9902") for i, t in enumerate(types)]
    assert all(e.letter == "B" for e in r.errors if e.phase == 2)
    technical = {(e.record_type, e.zone, e.code) for e in r.errors if e.phase == 1}
    assert r.records_total == len(types)
    if name in COUNTS_WRONG:
        assert r.messages == ["DF012"]
        assert technical == {("95", "409", "950920"), ("96", "509", "960920")}
    else:
        assert r.messages == ["DF011", "DF013"]
        assert technical == set() and r.rejection_type == "01"
    assert r.problems == []


@pytest.mark.parametrize("name", sorted(FILES))
def test_corpus_zones_are_read(name):
    """Every zone is read: the values the corpus README and the format spec name."""
    from vsbengine.formats.efact.sending import Sending

    s = Sending((CORPUS / name).read_bytes())
    r10, r90 = s.record10, s.record90
    assert s.col("sending_number")[r10] == int(name.split(".")[1][:3])  # sending number
    assert (
        s.col("invoiced_year")[r10],
        s.col("invoiced_month")[r10],
        s.col("creation_date")[r10],
    ) == (2014, 11, 20141125)
    assert s.col("institution")[r10] == 18334780004
    r20 = s.invoices[0]
    assert (
        s.col("affiliation")[r20],
        s.col("destination")[r20],
        s.col("identification_flag")[r20],
    ) == (131, 131, 1)
    r50 = s.units_of(50)[0]
    assert s.col("code")[r50] == 101032 and s.col("units")[r50] == 1
    end = s.invoice_end[0]
    assert s.col("amount_a")[end] == s.col("amount")[r50] == s.col("amount_a")[r90]
    expected_control = 13 if "51" in FILES[name] else 55
    assert s.col("control_number")[end] == s.col("control_number")[r90] == expected_control


def test_corpus_answers_read_back(tmp_path):
    r = vsbengine.validate(CORPUS / "TFAC1SC09.509E", today=20260101)
    answers = Answers(r)
    df013 = read_answer(answers.bytes("DF013"))
    assert len(answers.bytes("DF013")) == 5477  # the length of such real replies
    assert [(x.sequence, [s.code for s in x.slots]) for x in df013.records] == [
        (1, ["109902"]),
        (2, ["209902"]),
        (3, ["509902"]),
        (4, ["519902"]),
        (5, ["809902"]),
        (6, ["909902"]),
    ]
    assert df013.error_percentage == 100.0 and df013.rejection_type == "01"
