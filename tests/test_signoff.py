"""Sign-off before sending; DF016 and DF017 add up with DF015; reading the answers back."""

from __future__ import annotations

import json
import os
from collections import defaultdict

import pytest
from efact_edit import TODAY, Sending
from lxml import etree
from typer.testing import CliRunner

import vsbengine
from vsbengine import signoff
from vsbengine.cli.main import app
from vsbengine.errors import InputError
from vsbengine.formats import sepa
from vsbengine.formats.efact.generate import generate
from vsbengine.formats.efact.reader import read_answer

runner = CliRunner()


@pytest.fixture
def made(tmp_path):
    def make(seed=141, error_rate=0.01, kinds=None, edit=None):
        g = generate(
            2500, seed=seed, month=202610, references=True, error_rate=error_rate, kinds=kinds
        )
        path = tmp_path / f"s{seed}.920000"
        data = g.tobytes()
        if edit:
            data = edit(data)
        path.write_bytes(data)
        g.write_refs(tmp_path / "refs")
        engine = vsbengine.Engine(tmp_path / "refs", today=TODAY)
        return engine, engine.validate(path), tmp_path / "out"

    return make


def test_nothing_leaves_before_the_signature(made):
    engine, result, out = made()
    proposal = signoff.propose(result, out, engine.refs)
    assert proposal["proposed"] == "DF014" and proposal["waiting_for"] == "signature"
    assert sorted(p.name for p in out.iterdir()) == [
        "DF011_931000.dat",
        "proposal.json",
        "report.json",
        "result.json",
        "result.npz",
        "review.html",
    ]
    with pytest.raises(InputError, match="this proposal is an acceptance: sign it"):
        signoff.confirm(out, "Jan")
    decision = signoff.sign(out, "An Peeters", at="2026-11-24T09:00:00+00:00")
    assert decision["by"] == "An Peeters" and decision["at"] == "2026-11-24T09:00:00+00:00"
    names = sorted(p.name for p in out.iterdir())
    assert {
        "DF014_920098.dat",
        "DF015_920900.dat",
        "DF017_payment_order.json",
        "DF017_payment_order.xml",
        "decision.json",
    } <= set(names)
    assert json.loads((out / "decision.json").read_text())["action"] == "signed"
    assert json.loads((out / "proposal.json").read_text())["waiting_for"] is None
    with pytest.raises(InputError, match="already signed by An Peeters"):
        signoff.sign(out, "Someone else")


def test_the_zorgkas_setting_chooses_which_records_the_answers_echo(made, tmp_path):
    engine, result, out = made()
    assert signoff.propose(result, out, engine.refs)["echo"] == "errors"
    signoff.sign(out, "An Peeters")
    few = read_answer(out / "DF015_920900.dat").records
    assert 2 <= len(few) < result.records_total
    toml = tmp_path / "refs" / "zorgkas.toml"
    toml.write_text(toml.read_text() + '\n[answers]\necho = "all"\n')
    engine = vsbengine.Engine(tmp_path / "refs", today=TODAY)
    result = engine.validate(result.source)
    assert signoff.propose(result, tmp_path / "all", engine.refs)["echo"] == "all"
    signoff.sign(tmp_path / "all", "An Peeters")
    assert len(read_answer(tmp_path / "all" / "DF015_920900.dat").records) == result.records_total
    # The command line's --echo wins over the setting.
    r = runner.invoke(
        app,
        ["validate", str(result.source), "--refs", str(tmp_path / "refs"), "--out",
         str(tmp_path / "cli"), "--today", "2026-11-23", "--echo", "errors", "--sign-as", "An"],
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    assert len(read_answer(tmp_path / "cli" / "DF015_920900.dat").records) == len(few)


def test_df016_and_df017_add_up_with_df015(made):
    engine, result, out = made(error_rate=0.02)
    signoff.propose(result, out, engine.refs)
    signoff.sign(out, "An Peeters", at="2026-11-24T09:00:00+00:00")
    df015 = read_answer(out / "DF015_920900.dat")
    *r91, r92 = df015.settlements
    per_mut = defaultdict(lambda: [0, 0, 0])
    for f in out.glob("DF016_*.jsonl"):
        for line in f.read_text().splitlines():
            n = json.loads(line)
            per_mut[n["mutuality"]][0 if n["account"] == "A" else 1] += n["amount"]
            per_mut[n["mutuality"]][2] += 1
            assert len(n["beneficiary"]) == 11 and len(n["code"]) == 7
    assert sorted(int(f.stem.split("_")[1]) for f in out.glob("DF016_*.jsonl")) == sorted(
        r.mutuality for r in r91
    )
    for r in r91:
        assert per_mut[r.mutuality][:2] == [r.accepted_a, r.accepted_b]
    assert (
        sum(v[2] for v in per_mut.values())
        == result.prestations_total - result.prestations_rejected
    )
    po = json.loads((out / "DF017_payment_order.json").read_text())
    assert po["total"] == r92.accepted == sum(p["amount"] for p in po["payments"])
    assert po["due_on"] == "2027-01-04" and po["received_on"] == "2026-11-23"  # + 42 days
    assert po["signed_by"] == "An Peeters"
    xml = (out / "DF017_payment_order.xml").read_bytes()
    sepa.validate(xml)
    doc = etree.fromstring(xml)
    ns = {"p": sepa.credit_transfer.NS}
    assert (
        doc.findtext("p:CstmrCdtTrfInitn/p:GrpHdr/p:CtrlSum", namespaces=ns)
        == f"{po['total'] // 100}.{po['total'] % 100:02d}"
    )
    assert doc.findtext(".//p:Dbtr/p:Nm", namespaces=ns) == "Zorgkas Voorbeeld"


def _credit(data: bytes, account: str | None) -> bytes:
    """Every prestation on ``account`` ("0" A, "1" B; None: all) turned into a credit:
    the signs of its amounts flipped, the totals recomputed."""
    from vsbengine.formats.efact.compiled import LAYOUTS

    s = Sending(data)
    signed = {
        rt: [(z.start + 1, z.length) for z in LAYOUTS.layout(rt).zones if z.kind == "S"]
        for rt in ("30", "50", "51")  # a record 51 repeats its record 50's amount
    }
    turned = False  # the prestation a record 51 completes is turned: so is it
    for i, r in enumerate(s.records):
        if r[:2] != "51":
            turned = r[:2] in signed and (account is None or r[50] == account)
        if turned:
            for start, n in signed[r[:2]]:
                v = s.records[i][start - 1 : start - 1 + n]
                if v.strip("+- 0"):
                    s.put_at(i, start, ("-" if v[0] == "+" else "+") + v[1:])
    s.resum()
    return s.tobytes()


def test_a_negative_account_is_to_recover_not_paid_nor_netted(made):
    """Credit notes outweigh the invoices on account B: DF017 pays account A its
    accepted total, and lists what the facility owes on B (not netted against A)."""
    engine, result, out = made(error_rate=0, edit=lambda d: _credit(d, "1"))
    assert result.decision == "DF014"
    r92 = next(r for r in result.settlement if r.record_type == "92")
    assert r92.accepted_a > 0 > r92.accepted_b
    signoff.propose(result, out, engine.refs)
    plan = json.loads((out / "proposal.json").read_text())["payment"]
    assert [p["account"] for p in plan["payments"]] == ["A"]
    reference = f"{result.payee.sending_number:03d}/202610/B"
    assert plan["to_recover"] == [
        {"account": "B", "amount": -r92.accepted_b, "reference": reference}
    ]
    assert plan["total"] == r92.accepted_a
    assert 'class="recover"' in (out / "review.html").read_text()
    signoff.sign(out, "An Peeters", at="2026-11-24T09:00:00+00:00")
    po = json.loads((out / "DF017_payment_order.json").read_text())
    assert po["total"] == r92.accepted_a and po["accepted"] == r92.accepted_a + r92.accepted_b
    assert po["to_recover"][0]["amount"] == -r92.accepted_b
    sepa.validate((out / "DF017_payment_order.xml").read_bytes())


def test_a_sending_of_credit_notes_only_is_signed_and_transfers_nothing(made, tmp_path):
    """Nothing to pay is no error: the sending is proposed and signed as any other; its
    DF017 lists what the facility owes and no pain.001 is written. The register keeps it
    too (it is no unreadable file)."""
    engine, result, out = made(error_rate=0, edit=lambda d: _credit(d, None))
    assert result.decision == "DF014"
    r92 = next(r for r in result.settlement if r.record_type == "92")
    assert r92.accepted_a < 0 and r92.accepted_b <= 0
    refs, path = tmp_path / "refs", result.source
    r = runner.invoke(
        app,
        ["validate", path, "--refs", str(refs), "--out", str(out), "--today", "2026-11-23"]
        + ["--sign-as", "An Peeters"],
    )
    assert r.exit_code == 0, r.stderr
    po = json.loads((out / "DF017_payment_order.json").read_text())
    assert po["payments"] == [] and po["total"] == 0
    assert sum(x["amount"] for x in po["to_recover"]) == -r92.accepted
    assert not (out / "DF017_payment_order.xml").exists()
    r = runner.invoke(
        app,
        ["receive", path, "--register", str(tmp_path / "reg"), "--refs", str(refs)]
        + ["--today", "2026-11-23", "--sign-as", "An Peeters"],
    )
    assert r.exit_code == 0, r.stdout + r.stderr
    assert "unreadable" not in r.stdout


def test_rejection_waits_for_a_confirmation(made):
    engine, result, out = made(error_rate=0.2)
    assert result.decision == "DF013"
    proposal = signoff.propose(result, out, engine.refs)
    assert proposal["waiting_for"] == "confirmation"
    with pytest.raises(InputError, match="this proposal is a rejection: confirm it"):
        signoff.sign(out, "An")
    signoff.confirm(out, "An")
    assert (out / "DF013_920099.dat").exists() and not (out / "DF015_920900.dat").exists()


def test_every_prestation_rejected_waits_even_unattended(made):
    def wrong_mutuality(data: bytes) -> bytes:
        s = Sending(data)
        # Every invoice's beneficiary is unknown: every prestation is rejected.
        for inv in s.invoices():
            for i in inv:
                s.put_at(i, 36, "0011111111111")
        s.resum()
        return s.tobytes()

    engine, result, out = made(error_rate=0.0, edit=wrong_mutuality)
    assert result.prestations_rejected == result.prestations_total > 0
    proposal = signoff.propose(result, out, engine.refs)
    assert proposal["every_prestation_rejected"]
    assert signoff.settle(out, "robot") is None
    assert not (out / "DF013_920099.dat").exists()
    signoff.confirm(out, "A person")
    assert (out / "DF013_920099.dat").exists()


def test_a_changed_sending_cannot_be_signed(made):
    engine, result, out = made()
    signoff.propose(result, out, engine.refs)
    with open(result.source, "ab") as fh:
        fh.write(b"\n")
    with pytest.raises(InputError, match="changed or moved since it was validated"):
        signoff.sign(out, "An")


def test_cli_flow(made, tmp_path):
    engine, result, out = made()
    refs, path = tmp_path / "refs", result.source
    r = runner.invoke(
        app, ["validate", path, "--refs", str(refs), "--out", str(out), "--today", "2026-11-23"]
    )
    assert r.exit_code == 0 and "waits for a signature" in r.stdout
    r = runner.invoke(app, ["sign", str(out), "--by", "An Peeters", "--json"])
    assert r.exit_code == 0 and json.loads(r.stdout)["action"] == "signed"
    r = runner.invoke(app, ["sign", str(out), "--by", "An Peeters"])
    assert r.exit_code == 2 and "already signed" in r.stderr
    r = runner.invoke(app, ["read", str(out / "DF015_920900.dat")])
    assert r.exit_code == 0 and "92 sending: requested" in r.stdout
    r = runner.invoke(app, ["read", str(out / "DF015_920900.dat"), "--json"])
    assert json.loads(r.stdout)["kind"] == "DF015"
    unattended = tmp_path / "unattended"
    r = runner.invoke(
        app,
        [
            "validate",
            path,
            "--refs",
            str(refs),
            "--out",
            str(unattended),
            "--today",
            "2026-11-23",
            "--sign-as",
            "nightly",
        ],
    )
    assert r.exit_code == 0 and "decision: signed by nightly" in r.stdout
    r = runner.invoke(app, ["validate", path, "--sign-as", "nightly"])
    assert r.exit_code == 2 and "--sign-as needs --refs and --out" in r.stderr


def test_read_refuses_a_sending(made):
    _, result, _ = made()
    r = runner.invoke(app, ["read", result.source])
    assert r.exit_code == 2 and "not an answer message" in r.stderr


def test_a_decided_folder_is_not_proposed_again(made):
    engine, result, out = made()
    signoff.propose(result, out, engine.refs)
    signoff.sign(out, "An")
    with pytest.raises(InputError, match="holds a decision already"):
        signoff.propose(result, out, engine.refs)


def test_the_reference_goes_into_every_answer_with_reference_data(made, tmp_path):
    _, result, out = made()
    r = runner.invoke(
        app,
        [
            "validate",
            result.source,
            "--refs",
            str(tmp_path / "refs"),
            "--out",
            str(out),
            "--today",
            "2026-11-23",
            "--reference",
            "12345678901234",
        ],
    )
    assert r.exit_code == 0, r.output
    assert json.loads((out / "proposal.json").read_text())["reference"] == 12345678901234
    assert runner.invoke(app, ["sign", str(out), "--by", "An"]).exit_code == 0
    for name in ("DF011_931000.dat", "DF014_920098.dat", "DF015_920900.dat"):
        assert (out / name).read_bytes()[36:50] == b"12345678901234", name
    assert read_answer(out / "DF014_920098.dat").insurer_reference == "12345678901234"


@pytest.mark.parametrize(
    "again", [[], ["--refs", "REFS"], ["--refs", "REFS", "--sign-as", "Night2"]]
)
def test_validating_into_a_decided_folder_is_refused_and_changes_nothing(made, tmp_path, again):
    _, result, out = made()
    refs, path = str(tmp_path / "refs"), result.source
    first = ["validate", path, "--refs", refs, "--out", str(out), "--today", "2026-11-23"]
    assert runner.invoke(app, [*first, "--sign-as", "Night1"]).exit_code == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    assert "decision.json" in before and "DF017_payment_order.xml" in before
    extra = [refs if a == "REFS" else a for a in again]
    r = runner.invoke(app, ["validate", path, "--out", str(out), "--today", "2026-11-23", *extra])
    assert r.exit_code == 2
    assert r.stderr == (
        f"vsbengine: error: {out}: holds a decision already (decision.json): a decided "
        "sending is not answered again; use an empty folder to check the file once more\n"
    )
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before  # nothing paid twice
    r = runner.invoke(app, ["sign", str(out), "--by", "Someone else"])
    assert r.exit_code == 2 and "already signed" in r.stderr


def test_a_proposal_made_with_a_relative_path_is_signed_from_elsewhere(made, tmp_path, monkeypatch):
    _, result, out = made()
    monkeypatch.chdir(tmp_path)
    rel = os.path.relpath(result.source, tmp_path)
    args = ["validate", rel, "--refs", "refs", "--out", "answers", "--today", "2026-11-23"]
    assert runner.invoke(app, args).exit_code == 0
    proposal = json.loads((tmp_path / "answers" / "proposal.json").read_text())
    assert proposal["file"] == str(tmp_path / rel)
    monkeypatch.chdir("/")  # the signer works elsewhere
    r = runner.invoke(app, ["sign", str(tmp_path / "answers"), "--by", "An Peeters"])
    assert r.exit_code == 0, r.stderr


@pytest.mark.parametrize("text", ["<html>not json", "[1, 2]", '{"proposed": "DF014"}'])
def test_a_damaged_proposal_is_a_located_error(made, text):
    engine, result, out = made()
    signoff.propose(result, out, engine.refs)
    (out / "proposal.json").write_text(text)
    r = runner.invoke(app, ["sign", str(out), "--by", "An"])
    assert r.exit_code == 2
    assert r.stderr.startswith(f"vsbengine: error: {out / 'proposal.json'}: is not a proposal")
    assert r.stderr.count("\n") == 1 and not (out / "DF017_payment_order.json").exists()


def test_validate_again_finishes_a_publication_a_kill_interrupted(made, tmp_path):
    """The process dies right after it committed the decision (decision.json says what
    is publishing) and before the messages were in place: the next validate on the
    folder puts them there (and still refuses to answer the sending again)."""
    import subprocess
    import sys
    import textwrap

    engine, result, out = made(error_rate=0)
    args = ["validate", str(result.source), "--refs", str(tmp_path / "refs"), "--out", str(out),
            "--today", "2026-11-23", "--sign-as", "An Peeters"]  # fmt: skip
    script = textwrap.dedent(f"""
        import os, sys
        from vsbengine import decided
        decided._finish = lambda folder, commit: os._exit(9)  # dies after the commit
        from vsbengine.cli.main import main
        sys.argv = ["vsbengine", *{args!r}]
        main()
    """)
    died = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert died.returncode == 9, died.stderr
    assert not (out / "DF017_payment_order.json").exists()
    assert any(p.name.startswith(".decision-") for p in out.iterdir())
    r = runner.invoke(app, args)
    assert r.exit_code == 2 and "holds a decision already" in r.stderr
    assert (out / "DF017_payment_order.json").exists() and (out / "DF014_920098.dat").exists()
    assert not any(p.name.startswith(".decision-") for p in out.iterdir())
    assert "publishing" not in json.loads((out / "decision.json").read_text())


def test_a_proposal_edited_by_hand_is_signed_as_checked_and_its_page_refused(made):
    """proposal.json's payment edited to nonsense: the payment order is made from the
    sending as checked (never from the file), the signature stands; the review page
    that cannot be made from that proposal is a clear error, not an internal one."""
    engine, result, out = made()
    signoff.propose(result, out, engine.refs)
    path = out / "proposal.json"
    proposal = json.loads(path.read_text())
    proposal["payment"] = 5
    path.write_text(json.dumps(proposal))
    r = runner.invoke(app, ["sign", str(out), "--by", "An Peeters"])
    assert r.exit_code == 0, r.output
    po = json.loads((out / "DF017_payment_order.json").read_text())
    r92 = next(x for x in result.settlement if x.record_type == "92")
    assert po["total"] == r92.accepted
    r = runner.invoke(app, ["review", str(out)])
    assert r.exit_code == 2
    assert r.stderr.startswith(f"vsbengine: error: {path}: is not a proposal this vsbengine")
