"""What a proposal says besides its verdicts: amounts, accounts, the payment it would order."""

from __future__ import annotations

import json

import msgspec
import pytest
from efact_edit import TODAY

import vsbengine
from vsbengine import proposal as facts
from vsbengine import signoff
from vsbengine.formats.efact import payment
from vsbengine.formats.efact.generate import generate
from vsbengine.formats.efact.refs import Facility


@pytest.fixture
def made(tmp_path):
    def make(error_rate=0.004, kinds=None, seed=61):
        g = generate(
            1200, seed=seed, month=202610, references=True, error_rate=error_rate, kinds=kinds
        )
        path = tmp_path / f"s{seed}-{error_rate}.920000"
        g.write(path)
        g.write_refs(tmp_path / "refs")
        engine = vsbengine.Engine(tmp_path / "refs", today=TODAY)
        result = engine.validate(path)
        out = tmp_path / f"out-{seed}-{error_rate}"
        return engine, result, out, signoff.propose(result, out, engine.refs)

    return make


def test_an_accepted_sending_shows_its_settlement_and_payment(made):
    engine, result, out, p = made()
    assert p["proposed"] == "DF014"
    assert p["amounts"] == msgspec.to_builtins(facts.amounts(result))
    by_type = {(a["record_type"], a["mutuality"]): a for a in p["amounts"]}
    for s in result.settlement:
        a = by_type[(s.record_type, s.mutuality)]
        assert (a["requested"], a["accepted"], a["refused"]) == (s.requested, s.accepted, s.refused)
        assert a["accepted_a"] + a["accepted_b"] == a["accepted"]
        assert a["requested_a"] - a["accepted_a"] == a["refused_a"]
    total = by_type[("92", next(s.mutuality for s in result.settlement if s.record_type == "92"))]
    plan = p["payment"]
    assert plan["total"] == total["accepted"] == sum(x["amount"] for x in plan["payments"])
    assert plan["received_on"] == "2026-11-23" and plan["due_on"] == "2027-01-04"  # 42 days
    assert plan["facility"] == "Revalidatiecentrum De Generator"
    registered = engine.refs.facility(result.payee.institution)
    assert [(x["account"], x["iban"], x["bic"]) for x in plan["payments"]] == [
        ("A", registered.iban, registered.bic),
        ("B", registered.iban_b, registered.bic_b),
    ]
    assert [a["status"] for a in p["accounts"]] == ["same", "same"] and not p["account_flagged"]


def test_signing_orders_exactly_what_the_proposal_showed(made):
    engine, result, out, p = made()
    signoff.sign(out, "An Peeters", at="2026-11-24T09:00:00+00:00")
    order = json.loads((out / "DF017_payment_order.json").read_text())
    signed = {k: order.pop(k) for k in ("message", "signed_by", "signed_at")}
    assert signed == {
        "message": "DF017",
        "signed_by": "An Peeters",
        "signed_at": "2026-11-24T09:00:00+00:00",
    }
    assert order == p["payment"]
    # The page written with the decision says so.
    page = (out / "review.html").read_text()
    assert "getekend door An Peeters" in page


def test_a_rejected_sending_accepts_nothing(made):
    engine, result, out, p = made(error_rate=0.2, seed=62)
    assert p["proposed"] == "DF013" and p["rejection_type"] == "02"
    assert p["payment"] is None
    for a in p["amounts"]:
        assert a["accepted"] == a["accepted_a"] == a["accepted_b"] == 0
        assert a["refused"] == a["requested"]
    # What the settlement would have accepted is not what the proposal shows.
    assert any(s.accepted for s in result.settlement)


def test_the_plan_pays_the_registered_accounts_never_record_10s(made):
    engine, result, out, p = made()
    elsewhere = Facility("Elders", "BE71096123456769", "GKCCBEBB", "NL91ABNA0417164300", "")
    plan = payment.plan(result, engine.refs.zorgkas, elsewhere)
    assert result.payee.iban_a != "BE71096123456769"
    assert [(x.account, x.iban, x.bic) for x in plan.payments] == [
        ("A", "BE71096123456769", "GKCCBEBB"),
        ("B", "NL91ABNA0417164300", ""),
    ]
    po, xml = payment.order(result, engine.refs.zorgkas, elsewhere, "An", "2026-11-24T09:00:00")
    assert b"NL91ABNA0417164300" in xml and result.payee.iban_b.encode() not in xml


def test_the_plan_refuses_what_it_cannot_pay(made):
    from vsbengine.errors import ConfigError

    engine, result, out, p = made()
    with pytest.raises(ConfigError, match="is not in facilities.csv: no account to pay"):
        payment.plan(result, engine.refs.zorgkas, None)
    no_b = Facility("Zonder B", "BE71096123456769", "GKCCBEBB")
    with pytest.raises(ConfigError, match="has no registered account B"):
        payment.plan(result, engine.refs.zorgkas, no_b)


def test_an_older_proposal_is_not_signed_blindly(made):
    from vsbengine.errors import InputError

    engine, result, out, p = made()
    data = json.loads((out / "proposal.json").read_text())
    del data["accounts"]
    (out / "proposal.json").write_text(json.dumps(data))
    with pytest.raises(InputError, match="made by an older vsbengine"):
        signoff.sign(out, "An Peeters")
    assert not (out / "DF017_payment_order.json").exists()


def test_facility_of_a_proposal(made):
    engine, result, out, p = made()
    f = facts.facility_of(p)
    assert f == engine.refs.facility(result.payee.institution)
    assert facts.facility_of({"facility": None, "accounts": p["accounts"]}) is None
