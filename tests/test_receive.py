"""Receiving into the register: duplicates, sending numbers, resends, sign-off, runs."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from subprocess import PIPE

import pytest
from efact_edit import Sending
from register_helpers import CREATED, TODAY, TODAY_ISO, Sendings, variant
from typer.testing import CliRunner

from vsbengine import bulk, receive, signoff
from vsbengine import register as register_mod
from vsbengine.cli.main import app
from vsbengine.errors import ConfigError, InputError
from vsbengine.register import Register

runner = CliRunner()
RELEASED = ("DF013", "DF014", "DF015", "DF016", "DF017")


@pytest.fixture
def s(tmp_path):
    return Sendings(tmp_path / "in")


@pytest.fixture
def reg(tmp_path):
    with Register(tmp_path / "night.register") as r:
        yield r


def got(summary):
    return {os.path.basename(o.path): o for o in summary.files}


def read_json(folder, name):
    return json.loads(Path(folder, name).read_bytes())


def names(folder) -> list[str]:
    return sorted(os.listdir(folder)) if folder else []


def released(reg) -> list[str]:
    """Every answer of DF013 to DF017 anywhere under the register's folder."""
    found = []
    for _root, _, files in os.walk(reg.root):
        found += [f for f in files if f.startswith(RELEASED)]
    return found


def test_the_same_content_twice_is_received_once(s, reg):
    a = s.write("a.920000")
    b = s.write("b.920000")  # the same bytes under another name
    out = got(receive.receive(reg, [str(a), str(b)], refs=s.refs, today=TODAY))
    assert out["a.920000"].outcome == "waiting" and out["a.920000"].sending == 1
    skipped = out["b.920000"]
    assert skipped.outcome == "skipped" and skipped.sending == 1
    assert skipped.reason == "same content as sending 1 (a.920000)"
    assert skipped.previous.outcome == "waiting" and skipped.previous.error_ratio == 0.0
    assert [e.id for e in reg.inbox("all")] == [1]
    # Again in a later run: the same, with the outcome it has now.
    reg.sign(1, "An Peeters")
    again = got(receive.receive(reg, [str(b)], refs=s.refs, today=TODAY))["b.920000"]
    assert again.outcome == "skipped" and again.previous.outcome == "accepted"
    assert again.previous.state == "payment_due"
    assert len(reg.inbox("all")) == 1


def test_a_claim_given_up_while_it_was_checked_is_interrupted_not_a_crash(s, reg, monkeypatch):
    """Another run took this one for dead and abandoned its claim (the lock race that
    made it so is fixed; the outcome stays defined): the input is interrupted, nothing
    of it was decided, and the same command again receives it."""
    a = s.write("a.920000")
    commit = Register.commit_check

    def abandoned_meanwhile(self, run, sending, checked, staged):
        with Register(self.path) as other, other.write() as con:
            other._abandon(con, other._row(con, sending), "taken for a dead run's")
        return commit(self, run, sending, checked, staged)

    monkeypatch.setattr(Register, "commit_check", abandoned_meanwhile)
    first = receive.receive(reg, [str(a)], refs=s.refs, today=TODAY)
    assert got(first)["a.920000"].outcome == "interrupted" and first.counts["interrupted"] == 1
    assert released(reg) == []
    monkeypatch.setattr(Register, "commit_check", commit)
    again = got(receive.receive(reg, [str(a)], refs=s.refs, today=TODAY))["a.920000"]
    assert again.outcome == "waiting"


def test_nothing_leaves_before_a_sign_off(s, reg):
    paths = [
        s.write("ok.920000"),
        s.write("rejected.920000", s.rejected_data, number=s.number + 1),
        s.nobody_known("nobody.920000", number=s.number + 2),
    ]
    out = got(receive.receive(reg, [str(p) for p in paths], refs=s.refs, today=TODAY))
    assert {k: (o.outcome, o.proposed, o.waiting_for) for k, o in out.items()} == {
        "ok.920000": ("waiting", "DF014", "signature"),
        "rejected.920000": ("waiting", "DF013", "confirmation"),
        "nobody.920000": ("waiting", "DF013", "confirmation (every prestation rejected)"),
    }
    assert released(reg) == []
    for o in out.values():
        assert names(o.output) == [
            "DF011_931000.dat",
            "proposal.json",
            "report.json",
            "result.json",
            "result.npz",
            "review.html",
        ]
    assert [e.id for e in reg.inbox("waiting")] == [1, 2, 3]


def test_a_registers_folder_is_decided_through_the_register_only(s, reg, tmp_path):
    out = got(receive.receive(reg, [str(s.write("ok.920000"))], refs=s.refs, today=TODAY))
    folder = Path(out["ok.920000"].output)
    assert folder.name == "checked" and folder.parent.name == "000001"
    r = runner.invoke(app, ["sign", str(folder), "--by", "Behind the register"])
    assert r.exit_code == 2
    assert r.stderr == (
        f"vsbengine: error: {folder}: belongs to the register {reg.path} (sending 1): "
        f"decide it there: vsbengine sign {reg.path} 1 --by NAME\n"
    )
    with pytest.raises(InputError, match="belongs to the register"):
        signoff.confirm(folder, "Someone")
    # A copy of the folder elsewhere: its proposal names the register's sending.
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(folder, copy)
    r = runner.invoke(app, ["sign", str(copy), "--by", "Behind the register"])
    assert r.exit_code == 2
    assert r.stderr == (
        f"vsbengine: error: {copy}: is a copy of a proposal of the register {reg.path} "
        f"(sending 1): decide it there: vsbengine sign {reg.path} 1 --by NAME\n"
    )
    assert released(reg) == [] and [e.id for e in reg.inbox("waiting")] == [1]
    reg.sign(1, "An Peeters")  # the register's own way still works
    assert [e.state for e in reg.inbox("all")] == ["payment_due"]
    assert sorted(f for f in released(reg) if f.startswith("DF017")) == [
        "DF017_payment_order.json",
        "DF017_payment_order.xml",
    ]


def test_unattended_sign_off_except_when_every_prestation_is_rejected(s, reg):
    paths = [
        s.write("ok.920000"),
        s.write("rejected.920000", s.rejected_data, number=s.number + 1),
        s.nobody_known("nobody.920000", number=s.number + 2),
    ]
    out = got(
        receive.receive(reg, [str(p) for p in paths], refs=s.refs, today=TODAY, sign_as="nightly")
    )
    ok, rejected, nobody = out["ok.920000"], out["rejected.920000"], out["nobody.920000"]
    assert (ok.outcome, ok.state) == ("accepted", "payment_due")
    assert {"DF014_920098.dat", "DF015_920900.dat", "DF017_payment_order.json"} <= set(
        ok.messages + names(ok.output)
    )
    assert (rejected.outcome, rejected.state) == ("rejected_sending", "answered")
    assert "DF013_920099.dat" in rejected.messages
    assert (nobody.outcome, nobody.waiting_for) == (
        "waiting",
        "confirmation (every prestation rejected)",
    )
    entry = reg.entry(ok.sending)
    assert entry.decided_by == "nightly" and entry.due_on == "2027-01-04"  # + 42 days
    # Only a person confirms the last one.
    reg.confirm(nobody.sending, "A person")
    assert reg.entry(nobody.sending).state == "answered"


def test_an_unattended_receive_scans_each_sending_once(s, reg):
    from vsbengine import _core

    a = s.write("a.920000")
    receive.receive(reg, [str(s.write("warm.920000", number=1))], refs=s.refs, today=TODAY)
    before = _core.scan_counts().scans
    out = receive.receive(reg, [str(a)], refs=s.refs, today=TODAY, sign_as="nightly")
    assert out.files[0].outcome == "accepted"
    assert _core.scan_counts().scans - before == 1  # checks and every answer


def test_a_sending_number_used_by_an_accepted_sending_is_refused(s, reg):
    first = s.write("first.920000")
    receive.receive(reg, [str(first)], refs=s.refs, today=TODAY)
    # Another content with the same number (a new creation date): a double number.
    other = s.write("other.920000", created=20261110)
    o = got(receive.receive(reg, [str(other)], refs=s.refs, today=TODAY))["other.920000"]
    assert (o.outcome, o.messages) == ("rejected_technical", ["DF012_920999.dat"])
    e = reg.entry(o.sending)
    assert e.identity_codes == ["100721", "030140"] and e.resend_of == 1
    report = read_json(o.output, "report.json")
    where = {(x["code"], x["record_type"], x["zone"], x["offset"]) for x in report["errors"]}
    assert {("100721", "10", "7", 259), ("030140", "300", "301", 75)} <= where
    r = runner.invoke(app, ["receive", str(other), "--register", str(reg.path)])
    assert "skipped: same content as sending 2 (other.920000): rejected technical" in r.stdout
    other2 = s.write("other2.920000", created=20261111)
    r = runner.invoke(app, ["receive", str(other2), "--register", str(reg.path), "--refs",
                            str(s.refs), "--today", "2026-11-23"])  # fmt: skip
    assert r.exit_code == 0
    assert (
        "sending 3: rejected technically (DF012): DF012_920999.dat; 100721, 030140: Sending "
        "number used already by this facility in the same year (double number)"
    ) in r.stdout
    # A sending of another year or another number is not a double.
    fine = s.write("fine.920000", number=s.number + 1)
    assert got(receive.receive(reg, [str(fine)], refs=s.refs, today=TODAY))[
        "fine.920000"
    ].outcome == ("waiting")


def test_resend_after_df012(s, reg):
    broken = s.write("broken.920000", broken=True)
    o = got(receive.receive(reg, [str(broken)], refs=s.refs, today=TODAY))["broken.920000"]
    assert o.outcome == "rejected_technical" and reg.entry(o.sending).identity_codes == []
    # Same creation date: refused (030250); a new invoicing date: refused (204750).
    same = s.write("same.920000")
    o = got(receive.receive(reg, [str(same)], refs=s.refs, today=TODAY))["same.920000"]
    assert o.outcome == "rejected_technical"
    assert reg.entry(o.sending).identity_codes == ["030250", "030150"]
    moved = s.write("moved.920000", created=20261110, invoicing=20261110)
    o = got(receive.receive(reg, [str(moved)], refs=s.refs, today=TODAY))["moved.920000"]
    assert reg.entry(o.sending).identity_codes == ["204750", "030150"]
    report = read_json(o.output, "report.json")
    e = next(x for x in report["errors"] if x["code"] == "204750")
    assert (e["record_type"], e["zone"], e["record"], e["offset"]) == ("20", "47", 2, 838)
    # Another invoice type: refused (030850).
    typed = s.write("typed.920000", created=20261110, invoice_type=1)
    o = got(receive.receive(reg, [str(typed)], refs=s.refs, today=TODAY))["typed.920000"]
    assert reg.entry(o.sending).identity_codes == ["030850", "030150"]
    # The right resend: a new creation date only.
    right = s.write("right.920000", created=20261110)
    o = got(receive.receive(reg, [str(right)], refs=s.refs, today=TODAY))["right.920000"]
    assert (o.outcome, o.proposed) == ("waiting", "DF014")
    assert reg.entry(o.sending).resend_of == 1  # measured against the first refusal


def test_resend_after_df013(s, reg):
    rejected = s.write("rejected.920000", s.rejected_data)
    o = got(receive.receive(reg, [str(rejected)], refs=s.refs, today=TODAY, sign_as="robot"))
    assert o["rejected.920000"].outcome == "rejected_sending"
    # New creation date but the same invoicing date: refused (204751).
    kept = s.write("kept.920000", created=20261110)
    o = got(receive.receive(reg, [str(kept)], refs=s.refs, today=TODAY))["kept.920000"]
    assert reg.entry(o.sending).identity_codes == ["204751", "030150"]
    # Same creation date: refused (030250).
    same = s.write("same.920000", invoicing=20261105)
    o = got(receive.receive(reg, [str(same)], refs=s.refs, today=TODAY))["same.920000"]
    assert reg.entry(o.sending).identity_codes == ["030250", "030150"]
    # Both new: the resend is checked like any sending, and accepted.
    right = s.write("right.920000", created=20261110, invoicing=20261105)
    o = got(receive.receive(reg, [str(right)], refs=s.refs, today=TODAY))["right.920000"]
    assert (o.outcome, o.proposed) == ("waiting", "DF014")
    e = reg.entry(o.sending)
    assert e.identity_codes == [] and e.resend_of == 1
    assert (e.creation_date, e.invoicing_date) == ("2026-11-10", "2026-11-05")
    assert CREATED == 20261101


def test_a_file_refused_technically_leaves_the_waiting_acceptance_to_sign(s, reg):
    """The facility heard nothing and sent the sending again: the resend is refused
    (100721, the number is held), and the acceptance it answers nothing of stays the
    one to sign and pay (a DF012 answers that file only)."""
    first = s.write("first.920000")
    got(receive.receive(reg, [str(first)], refs=s.refs, today=TODAY))
    again = s.write("again.920000", created=20261110)
    o = got(receive.receive(reg, [str(again)], refs=s.refs, today=TODAY))["again.920000"]
    assert o.outcome == "rejected_technical"
    assert [e.id for e in reg.inbox("waiting")] == [1]
    assert reg.sign(1, "An Peeters").state == "payment_due"


def test_a_rejection_not_confirmed_is_no_answer_a_resend_is_measured_against(s, reg):
    """A DF013 still waiting for its confirmation was never sent: a resend with the same
    invoicing date is no breach of the rules after a DF013 (204751); it is checked like
    any sending, and the waiting rejection is superseded by it."""
    rejected = s.write("rejected.920000", s.rejected_data)
    got(receive.receive(reg, [str(rejected)], refs=s.refs, today=TODAY))
    resent = s.write("resent.920000", created=20261110)
    o = got(receive.receive(reg, [str(resent)], refs=s.refs, today=TODAY))["resent.920000"]
    assert (o.outcome, o.proposed) == ("waiting", "DF014")
    e = reg.entry(o.sending)
    assert e.identity_codes == [] and e.resend_of is None
    assert [x.id for x in reg.inbox("waiting")] == [o.sending]
    with pytest.raises(InputError, match="superseded"):
        reg.confirm(1, "An Peeters")


def test_register_records_runs_inputs_and_events(s, reg, tmp_path):
    a = s.write("a.920000")
    notes = tmp_path / "notes.txt"
    notes.write_text("not a billing file")
    summary = receive.receive(reg, [str(a), str(notes)], refs=s.refs, today=TODAY)
    assert summary.run == 1 and summary.counts["unreadable"] == 1
    run = reg.runs()[0]
    assert (run.command, run.status) == ("receive", "finished")
    assert run.counts["waiting"] == 1 and run.started_at <= run.ended_at
    assert [
        (i["path"].endswith(n), i["outcome"])
        for i, n in zip(reg.inputs(1), ("a.920000", "notes.txt"))
    ] == [
        (True, "waiting"),
        (True, "unreadable"),
    ]
    reg.sign(1, "An Peeters", at="2026-11-24T09:00:00+00:00")
    assert [(e.state, e.by) for e in reg.events(1)] == [
        ("received", None),
        ("DF011", None),
        ("proposed", None),
        ("signed", "An Peeters"),
        ("payment_due", None),
    ]
    e = reg.entry(1)
    assert (e.received_on, e.decided_at, e.due_on) == (
        TODAY_ISO,
        "2026-11-24T09:00:00+00:00",
        "2027-01-04",
    )
    assert e.amount_accepted == e.amount_requested > 0
    assert [x.id for x in reg.inbox("due", due=__import__("datetime").date(2027, 1, 3))] == []
    assert [x.id for x in reg.inbox("due", due=__import__("datetime").date(2027, 1, 4))] == [1]


def test_payment_days_of_the_zorgkas(s, reg):
    toml = s.refs / "zorgkas.toml"
    toml.write_text(toml.read_text().replace("payment_days = 42", "payment_days = 30"))
    a = s.write("a.920000")
    receive.receive(reg, [str(a)], refs=s.refs, today=20261201, sign_as="robot")
    e = reg.entry(1)
    assert (e.received_on, e.due_on) == ("2026-12-01", "2026-12-31")
    order = read_json(e.folder, "DF017_payment_order.json")
    assert (order["received_on"], order["due_on"]) == ("2026-12-01", "2026-12-31")


def test_decisions_that_do_not_fit_are_refused(s, reg):
    a = s.write("a.920000")
    b = s.write("b.920000", broken=True, number=s.number + 2)
    r = s.write("r.920000", s.rejected_data, number=s.number + 1)
    out = got(receive.receive(reg, [str(a), str(b), str(r)], refs=s.refs, today=TODAY))
    assert [out[n].sending for n in ("a.920000", "b.920000", "r.920000")] == [1, 2, 3]
    from vsbengine.errors import InputError

    with pytest.raises(InputError, match="sending 1 is a proposed acceptance: sign it"):
        reg.confirm(1, "An")
    with pytest.raises(InputError, match="sending 3 is a proposed rejection: confirm it"):
        reg.sign(3, "An")
    with pytest.raises(InputError, match="sending 2 was refused technically"):
        reg.sign(2, "An")
    with pytest.raises(InputError, match="no sending 9 in this register"):
        reg.sign(9, "An")
    with pytest.raises(ConfigError, match="say who decides"):
        reg.sign(1, " ")
    reg.sign(1, "An")
    with pytest.raises(InputError, match=r"sending 1 is decided already \(accepted by An"):
        reg.sign(1, "Someone else")
    assert [x.command for x in reg.runs()] == ["receive", "sign"]


def test_the_register_keeps_its_own_copy(s, reg):
    a = s.write("a.920000")
    receive.receive(reg, [str(a)], refs=s.refs, today=TODAY)
    a.unlink()  # the inbox is emptied after the night: the sign-off still works
    e = reg.sign(1, "An")
    assert e.state == "payment_due"
    assert os.path.getsize(reg.folder_of(1) / receive.SENDING) == len(s.data)


def test_bulk_with_a_register_on_a_pool_and_on_dask(s, tmp_path):
    files = [s.write(f"n{i}.920000", number=s.number + i) for i in range(4)]
    s.write("copy.920000", number=s.number)  # the same content as n0
    path = tmp_path / "pool.register"
    inputs = [str(s.folder / "*.920000")]
    summary = bulk.run_local(inputs, register=str(path), workers=2, refs=str(s.refs), today=TODAY)
    by = got(summary)
    assert summary.counts["waiting"] == 4 and summary.counts["skipped"] == 1
    assert by["n0.920000"].outcome == "waiting" or by["copy.920000"].outcome == "waiting"
    with Register(path) as reg:
        assert len(reg.inbox("all")) == 4 and released(reg) == []
    pytest.importorskip("dask.distributed")
    dpath = tmp_path / "dask.register"
    d = bulk.run_dask(
        [str(p) for p in files],
        register=str(dpath),
        local_workers=2,
        refs=str(s.refs),
        today=TODAY,
        sign_as="nightly",
    )
    assert d.counts["accepted"] == 4 and d.run == 1
    with Register(dpath) as reg:
        assert {e.state for e in reg.inbox("all")} == {"payment_due"}


def test_the_same_command_again_finishes_a_stopped_sign_off_once(s, tmp_path, monkeypatch):
    a, b = s.write("a.920000"), s.write("b.920000")  # the same content twice
    path = str(tmp_path / "r.register")

    def stop(name):
        if name == "published":  # checked and published, not signed yet
            raise KeyboardInterrupt

    monkeypatch.setattr(receive, "crash_point", stop)
    with pytest.raises(KeyboardInterrupt):
        receive.receive(path, [str(a)], refs=s.refs, today=TODAY, sign_as="robot")
    monkeypatch.undo()
    with Register(path) as reg:
        assert reg.entry(1).state == "proposed" and reg.runs()[0].status == "interrupted"
    again = got(
        bulk.run_local(
            [str(a), str(b)],
            register=path,
            workers=2,
            refs=str(s.refs),
            today=TODAY,
            sign_as="robot",
        )
    )
    assert sorted(o.outcome for o in again.values()) == ["accepted", "skipped"]
    with Register(path) as reg:
        assert [e.state for e in reg.events(1)].count("signed") == 1
        assert reg.entry(1).state == "payment_due"


def test_bulk_refuses_out_with_register(s, tmp_path):
    with pytest.raises(ConfigError, match="--out and --register cannot go together"):
        bulk.run_local([str(s.folder)], str(tmp_path / "o"), register=str(tmp_path / "r"))
    with pytest.raises(ConfigError, match="--reference names the answers of one sending"):
        receive.receive(
            tmp_path / "r", [str(s.write("a")), str(s.write("b", number=1))], reference=5
        )


def test_reference_in_every_answer(s, reg):
    a = s.write("a.920000")
    receive.receive(reg, [str(a)], refs=s.refs, today=TODAY, reference=12345678901234)
    e = reg.sign(1, "An")
    for name in ("DF011_931000.dat", "DF014_920098.dat", "DF015_920900.dat"):
        data = Path(e.folder, name).read_bytes()
        assert data[36:50] == b"12345678901234", name


def test_cli(s, tmp_path):
    path = tmp_path / "cli.register"
    a, b = s.write("a.920000"), s.write("b.920000")
    r = runner.invoke(
        app,
        [
            "receive",
            str(a),
            str(b),
            "--register",
            str(path),
            "--refs",
            str(s.refs),
            "--today",
            "2026-11-23",
        ],
    )
    assert r.exit_code == 0, r.output
    assert f"DF014 waits for a signature: vsbengine sign {path} 1 --by NAME" in r.stdout
    assert "sending 1: waiting for a sign-off (0.00 % rejected): DF011_931000.dat" in r.stdout
    assert "b.920000: skipped: same content as sending 1 (a.920000): waiting, 0.00 % rejected" in (
        r.stdout
    )
    r = runner.invoke(app, ["inbox", str(path)])
    assert r.exit_code == 0 and "signature" in r.stdout and "a.920000" in r.stdout
    r = runner.invoke(app, ["inbox", str(path), "--json"])
    rows = json.loads(r.stdout)
    assert [(x["id"], x["state"], x["waiting_for"], x["outcome"]) for x in rows] == [
        (1, "proposed", "signature", "waiting")
    ]
    r = runner.invoke(app, ["confirm", str(path), "1", "--by", "An"])
    assert r.exit_code == 2 and "sending 1 is a proposed acceptance: sign it" in r.stderr
    r = runner.invoke(app, ["sign", str(path), "1", "--by", "An Peeters"])
    assert r.exit_code == 0 and "sending 1: signed by An Peeters" in r.stdout
    assert "payment due on 2027-01-04" in r.stdout
    r = runner.invoke(app, ["sign", str(path), "--by", "An"])
    assert r.exit_code == 2 and "give the folder of a proposal, or a register" in r.stderr
    r = runner.invoke(app, ["inbox", str(path), "--due", "2027-01-04", "--json"])
    assert [x["id"] for x in json.loads(r.stdout)] == [1]
    r = runner.invoke(app, ["inbox", str(path), "--all", "--due", "2027-01-04"])
    assert r.exit_code == 2 and "give one" in r.stderr
    r = runner.invoke(app, ["receive", str(a), "--register", str(path), "--json"])
    summary = json.loads(r.stdout)
    assert summary["counts"]["skipped"] == 1 and summary["files"][0]["previous"]["outcome"] == (
        "accepted"
    )
    r = runner.invoke(
        app, ["bulk", str(s.folder / "*.920000"), "--register", str(path), "--workers", "1"]
    )
    assert r.exit_code == 0 and "skipped (processed before)" in r.stdout
    assert "accepted 2" in r.stdout  # what the skipped files had


def test_receive_prints_a_name_with_a_line_break_on_its_line(s, tmp_path):
    a = s.write("a\nb.920000")
    path = tmp_path / "odd.register"
    args = ["receive", str(a), "--register", str(path), "--today", "2026-11-23"]
    r = runner.invoke(app, args)
    assert r.exit_code == 0, r.output
    assert r.stdout.splitlines()[0].startswith(f"{s.folder}/a?b.920000: sending 1: ")
    again = runner.invoke(app, args)
    assert again.stdout.splitlines()[0].startswith(f"{s.folder}/a?b.920000: skipped: ")


# -- real processes: at the same time, and killed -------------------------------------------

CLI = [sys.executable, "-m", "vsbengine.cli.main"]


@pytest.fixture(scope="module")
def night(tmp_path_factory):
    """A night's inbox: six sendings of one facility (two numbers resent), a copy of
    one under another name, a technically broken one."""
    s = Sendings(tmp_path_factory.mktemp("night"), records=80)
    files = [s.write(f"n{i}.920000", number=s.number + i) for i in range(5)]
    files.append(s.write("n0-copy.920000", number=s.number))
    files.append(s.write("n5-broken.920000", number=s.number + 5, broken=True))
    files.append(s.write("n5-resend.920000", number=s.number + 5, created=20261110))
    files.append(s.write("n6-rejected.920000", s.rejected_data, number=s.number + 6))
    return s, [str(f) for f in files]


def contents(files) -> int:
    return len({Path(f).read_bytes() for f in files})


def check_register(path, files) -> list:
    """Every content once, in a final state with its messages; nothing half-written."""
    with Register(path) as reg:
        rows = reg.con.execute("SELECT * FROM sendings WHERE state != 'abandoned'").fetchall()
        assert len(rows) == contents(files)
        assert len({r["digest"] for r in rows}) == len(rows)
        for r in rows:
            assert r["state"] in ("proposed", "answered", "payment_due") and r["pending"] is None
            folder = reg.root / r["folder"]
            names = set(os.listdir(folder))
            if r["state"] == "payment_due":
                assert {
                    "DF011_931000.dat",
                    "DF014_920098.dat",
                    "DF015_920900.dat",
                    "DF017_payment_order.json",
                    "DF017_payment_order.xml",
                    "decision.json",
                } <= names
            if r["state"] == "proposed":
                assert not [n for n in names if n.startswith(RELEASED)]
        for root, dirs, found in os.walk(reg.root):
            dirs[:] = [d for d in dirs if d != ".runs"]
            assert not [f for f in found if f.endswith((".part", ".tmp"))], root
        for sid in os.listdir(reg.root):
            if sid.isdigit():
                assert set(os.listdir(reg.root / sid)) <= {"sending.920000", "checked", "decided"}
        area = reg.root / ".staging"
        assert not area.exists() or not os.listdir(area)
        return rows


def test_two_runs_at_the_same_time_never_process_a_sending_twice(night, tmp_path):
    s, files = night
    path = tmp_path / "r.register"
    common = ["--register", str(path), "--refs", str(s.refs), "--today", "2026-11-23", "--json"]
    runs = [
        subprocess.Popen(
            [*CLI, "bulk", *files, "--workers", "2", *common], stdout=PIPE, stderr=PIPE
        ),
        subprocess.Popen([*CLI, "receive", *reversed(files), *common], stdout=PIPE, stderr=PIPE),
    ]
    outs = [p.communicate(timeout=120) for p in runs]
    assert [p.returncode for p in runs] == [0, 0], [err.decode()[-2000:] for _, err in outs]
    summaries = [json.loads(out) for out, _ in outs]
    check_register(path, files)
    # Each input has one outcome in each run; each content was processed by one run.
    processed = []
    for summary in summaries:
        assert sorted(f["path"] for f in summary["files"]) == sorted(files)
        assert summary["counts"]["unreadable"] == summary["counts"]["interrupted"] == 0
        processed += [f["hash"] for f in summary["files"] if f["outcome"] != "skipped"]
    assert len(processed) == len(set(processed)) == contents(files)


def nightly(command: str, path, s, files) -> list[str]:
    """The nightly run: every file into the register, signed off at once."""
    return [
        *CLI,
        command,
        *files,
        "--register",
        str(path),
        "--refs",
        str(s.refs),
        "--today",
        "2026-11-23",
        "--sign-as",
        "nightly",
        "--json",
    ]


def _run(args, env=None, timeout=120):
    return subprocess.run(
        args, capture_output=True, text=True, timeout=timeout, env={**os.environ, **(env or {})}
    )


@pytest.mark.slow
@pytest.mark.parametrize(
    "command,point",
    [("receive", p) for p in register_mod.CRASH_POINTS]
    + [("bulk", "published"), ("bulk", "decision-recorded")],
)
def test_kill_9_at_each_step_then_the_same_command_again(night, tmp_path, command, point):
    s, files = night
    path = tmp_path / "r.register"
    cmd = nightly(command, path, s, files) + (["--workers", "2"] if command == "bulk" else [])
    if point.startswith("decision-staged"):
        # A sign-off by hand is killed; the nightly run did not sign (it was asked not to).
        first = _run([a for a in cmd if a not in ("--sign-as", "nightly")])
        assert first.returncode == 0
        waiting = json.loads(first.stdout)["files"]
        sid = next(f["sending"] for f in waiting if f["outcome"] == "waiting")
        killed = _run(
            [*CLI, "sign", str(path), str(sid), "--by", "An"], {"VSBENGINE_CRASH_AT": point}
        )
        assert killed.returncode == -signal.SIGKILL
        again = _run([*CLI, "sign", str(path), str(sid), "--by", "An"])
        assert again.returncode == 0, again.stderr
        rows = check_register(path, files)
        assert {r["id"]: r["state"] for r in rows}[sid] == "payment_due"
        return
    killed = _run(cmd, {"VSBENGINE_CRASH_AT": point})
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    again = _run(cmd)
    assert again.returncode == 0, again.stderr
    rows = check_register(path, files)
    summary = json.loads(again.stdout)
    assert len(summary["files"]) == len(files)
    # Every input ends with one outcome: the sending it became, in a final state.
    states = {r["id"]: (r["state"], r["technical"], r["proposed"]) for r in rows}
    for f in summary["files"]:
        assert f["outcome"] in ("accepted", "rejected_technical", "rejected_sending", "skipped")
        state = states[f["sending"]]
        assert state[0] in ("payment_due", "answered"), (f, state)
    with Register(path) as reg:
        assert [r.status for r in reg.runs()][:1] == ["crashed"]


@pytest.mark.slow
def test_kill_9_at_random_moments(night, tmp_path):
    s, files = night

    def command(path):
        return nightly("bulk", path, s, files) + ["--workers", "2"]

    def events(path) -> int:
        try:
            con = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
            try:
                return con.execute("SELECT count(*) FROM events").fetchone()[0]
            finally:
                con.close()
        except sqlite3.Error:
            return 0  # not created yet

    crashed = 0
    # Kill when the run has recorded this many state changes (it goes on meanwhile: the
    # kill lands at whatever it does then).
    for i, target in enumerate((1, 3, 6, 10, 15, 21, 28, 36)):
        path = tmp_path / f"r{i}.register"
        p = subprocess.Popen(
            command(path),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        while p.poll() is None and events(path) < target:
            time.sleep(0.002)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(p.pid, signal.SIGKILL)  # the run and its workers
        p.wait()
        with Register(path) as reg:
            crashed += [r.status for r in reg.runs()] == ["crashed"]
        again = _run(command(path))
        summary = json.loads(again.stdout)
        assert again.returncode == 0, [f for f in summary["files"] if f["outcome"] == "unreadable"]
        check_register(path, files)
        assert sorted(f["path"] for f in summary["files"]) == sorted(files)
    assert crashed >= 6  # the kills landed while the run was working


def test_two_sign_offs_at_the_same_time(night, tmp_path):
    s, files = night
    path = tmp_path / "r.register"
    assert (
        _run(
            [
                *CLI,
                "receive",
                files[0],
                "--register",
                str(path),
                "--refs",
                str(s.refs),
                "--today",
                "2026-11-23",
            ]
        ).returncode
        == 0
    )
    both = [
        subprocess.Popen(
            [*CLI, "sign", str(path), "1", "--by", who],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for who in ("An", "Jan")
    ]
    results = [(p.wait(timeout=60), p.communicate()[1]) for p in both]
    assert sorted(code for code, _ in results) == [0, 2]
    assert "is decided already" in next(err for code, err in results if code == 2)
    with Register(path) as reg:
        assert [e.state for e in reg.events(1)].count("signed") == 1


@pytest.mark.parametrize(
    "args,message",
    [
        (["receive", "{s}", "--register", "{t}"], "is a folder, not a register"),
        (["receive", "{s}", "--register", "{t}/no/r"], "no such folder for the register"),
        (["receive", "{s}", "--register", "{r}", "--reference", "-5"], "at most 14 digits"),
        (["receive", "{s}", "--register", "{r}", "--today", "2026-13-01"], "--today must be"),
        (["sign", "{r}", "99999999999999999999", "--by", "X"], "no sending 99999999999999999999"),
        (["confirm", "{r}", "7", "--by", "X"], "no sending 7 in this register"),
        (["sign", "{r}", "1", "--by", " "], "say who decides (--by NAME)"),
        (["inbox", "{r}", "--due", "someday"], "--due must be a date YYYY-MM-DD"),
        (["inbox", "{s}"], "not a vsbengine register (not an SQLite database)"),
        (["bulk", "{s}", "--register", "{r}", "--force"], "--force is for --out"),
        (["bulk", "{s}"], "say where the answers go: --out DIR or --register PATH"),
    ],
)
def test_hostile_arguments_are_one_line(s, tmp_path, args, message):
    sending = s.write("a.920000")
    path = tmp_path / "r.register"
    Register(path).close()
    fill = {"s": str(sending), "t": str(tmp_path), "r": str(path)}
    r = runner.invoke(app, [a.format(**fill) for a in args])
    assert r.exit_code == 2, r.output
    assert message in r.stderr and r.stderr.count("\n") == 1 and "Traceback" not in r.stderr


@pytest.mark.parametrize("command", ["receive", "bulk-register", "bulk-out"])
def test_bad_reference_data_is_one_error_before_anything_is_claimed(s, tmp_path, command):
    sending = s.write("a.920000")
    (s.refs / "zorgkas.toml").unlink()  # the payer of DF017 is unknown
    path = tmp_path / "r.register"
    target = {
        "receive": ["receive", str(sending), "--register", str(path)],
        "bulk-register": ["bulk", str(sending), "--register", str(path), "--workers", "1"],
        "bulk-out": ["bulk", str(sending), "--out", str(tmp_path / "o"), "--workers", "1"],
    }[command]
    for refs in (s.refs, tmp_path / "nothere"):
        r = runner.invoke(app, [*target, "--refs", str(refs), "--today", TODAY_ISO])
        assert r.exit_code == 2, r.output
        assert r.stderr.count("\n") == 1 and str(refs) in r.stderr, r.stderr
        assert "a.920000" not in r.stderr  # not an unreadable input
    if path.exists():
        with Register(path) as reg:
            assert reg.inbox("all") == [] and reg.runs() == []
    assert not (tmp_path / "o").exists() or not any((tmp_path / "o").iterdir())


def test_the_reference_data_is_loaded_once_per_run_in_one_process(s, reg, monkeypatch):
    from vsbengine.formats.efact import refs as refs_mod

    loads = []
    real = refs_mod.load

    def counted(source):
        if not isinstance(source, refs_mod.References):  # a loaded one is returned as is
            loads.append(source)
        return real(source)

    monkeypatch.setattr(refs_mod, "load", counted)
    monkeypatch.setattr(bulk, "_ENGINES", {})
    paths = [str(s.write("a.920000")), str(s.write("b.920000", number=s.number + 1))]
    out = got(receive.receive(reg, paths, refs=str(s.refs), today=TODAY))
    assert {o.outcome for o in out.values()} == {"waiting"}
    assert loads == [str(s.refs)]  # checked before the run, then used by its engine


def test_a_named_pipe_is_unreadable_not_waited_on(s, reg, tmp_path):
    a = s.write("a.920000")
    os.mkfifo(tmp_path / "in" / "f.920000")
    out = got(receive.receive(reg, [str(a), str(tmp_path / "in" / "f.920000")], today=TODAY))
    assert out["f.920000"].outcome == "unreadable"
    assert out["f.920000"].reason == "not a regular file but a named pipe: not read"
    assert out["a.920000"].outcome != "unreadable"


def test_a_proposal_superseded_by_a_resend_is_not_decided(s, reg):
    """A rejection still waiting for its confirmation, then the facility sends the
    sending again and the resend is signed: confirming the old rejection now would
    answer a paid number with a DF013. It is refused, naming the later sending."""
    rejected = s.write("rejected.920000", s.rejected_data)
    first = got(receive.receive(reg, [str(rejected)], refs=s.refs, today=TODAY))
    assert (first["rejected.920000"].outcome, first["rejected.920000"].proposed) == (
        "waiting",
        "DF013",
    )
    right = s.write("right.920000", created=20261110, invoicing=20261105)
    o = got(receive.receive(reg, [str(right)], refs=s.refs, today=TODAY))["right.920000"]
    # Not waiting any more: the later one is (and the full list says why the first is not).
    assert [e.id for e in reg.inbox("waiting")] == [o.sending]
    first_entry = reg.inbox("all")[0]
    assert (first_entry.id, first_entry.state, first_entry.waiting_for) == (
        1,
        "proposed",
        f"nothing: superseded by sending {o.sending}",
    )
    reg.sign(o.sending, "An Peeters")
    assert reg.inbox("waiting") == []
    r = runner.invoke(app, ["confirm", str(reg.path), "1", "--by", "An Peeters"])
    assert r.exit_code == 2
    assert r.stderr == (
        f"vsbengine: error: {reg.path}: sending 1 was sent again since (sending "
        f"{o.sending}, payment due): this proposal is superseded; decide the later one\n"
    )
    assert [f for f in released(reg) if f.startswith("DF013")] == []


def test_an_empty_inbox_is_a_run_that_received_nothing(tmp_path):
    """A night's receive over an inbox where nothing arrived: exit 0, said plainly."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    r = runner.invoke(app, ["receive", str(inbox), "--register", str(tmp_path / "r.db")])
    assert r.exit_code == 0, r.output
    assert r.stdout == "run 1: no files (nothing to receive)\n"


def test_a_resend_after_a_confirmed_rejection_is_signed_in_the_register(s, reg):
    """The register's own resends: sending 1 rejected (DF013 confirmed), its resend of
    the same number accepted and signed: a sending number decided twice in the register
    is the register's to judge (bulk outputs' guard does not apply there)."""
    rejected = s.write("rejected.920000", s.rejected_data)
    o = got(receive.receive(reg, [str(rejected)], refs=s.refs, today=TODAY, sign_as="robot"))
    assert o["rejected.920000"].outcome == "rejected_sending"
    right = s.write("right.920000", created=20261110, invoicing=20261105)
    o = got(receive.receive(reg, [str(right)], refs=s.refs, today=TODAY))["right.920000"]
    e = reg.sign(o.sending, "An Peeters")
    assert e.state == "payment_due"
    assert not (reg.root / signoff.DECIDED_INDEX).exists()


def test_an_unattended_run_needs_the_reference_data(s, tmp_path):
    """--sign-as without --refs: an accepted sending could be signed but not paid (no
    account of the zorgkas): refused before anything is received, no register made."""
    a = str(s.write("a.920000"))
    with pytest.raises(ConfigError, match="--sign-as needs --refs"):
        receive.receive(tmp_path / "R", [a], sign_as="nightly", today=TODAY)
    r = runner.invoke(app, ["receive", a, "--register", str(tmp_path / "R"), "--sign-as", "x"])
    assert r.exit_code == 2 and "--sign-as needs --refs" in r.stderr
    assert not (tmp_path / "R").exists()


def test_an_acceptance_received_without_reference_data_is_not_signed(s, reg):
    """Without --refs nothing names the zorgkas's account: signing is refused, said of
    the register's sending (not of the copy it was staged in), and nothing leaves."""
    a = s.write("a.920000")
    got(receive.receive(reg, [str(a)], today=TODAY))
    r = runner.invoke(app, ["sign", str(reg.path), "1", "--by", "An Peeters"])
    assert r.exit_code == 2
    assert r.stderr.startswith(
        f"vsbengine: error: {reg.path}: sending 1: this acceptance was proposed without the "
        "zorgkas's account"
    )
    assert released(reg) == [] and reg.entry(1).state == "proposed"


def _invoice_numbers(data: bytes) -> list[str]:
    text = data.decode("latin-1")
    return [text[i + 114 : i + 126] for i in range(227, len(text), 350) if text[i : i + 2] == "20"]


def _same_invoices(s, name: str, number: int):
    """The sending under another number (and creation date), its invoices the same."""
    again = bytearray(variant(s.data, created=20261110))
    again[67 + 8 : 67 + 11] = f"{number:03d}".encode()  # segment 300 zone 301
    for rec in range(227, len(again), 350):  # records 10 and 90: zone 7
        if again[rec : rec + 2] in (b"10", b"90"):
            again[rec + 32 : rec + 35] = f"{number:03d}".encode()
    fixed = Sending(bytes(again))
    fixed.fix_checks()
    assert _invoice_numbers(fixed.tobytes()) == _invoice_numbers(s.data)
    path = s.folder / name
    path.write_bytes(fixed.tobytes())
    return path


def test_invoices_billed_again_under_another_sending_number_are_refused(s, reg):
    """The facility sends the invoices of an accepted sending again under a new sending
    number (everything else the same): each is refused (202420, B: its number is not
    unique), so the sending is rejected and nothing is paid twice. After a rejection
    the same invoices may come again; other invoices are no repeat."""
    first = got(receive.receive(reg, [str(s.write("a.920000"))], refs=s.refs, today=TODAY))
    reg.sign(first["a.920000"].sending, "An Peeters")
    path = _same_invoices(s, "again.920000", s.number + 1)
    o = got(receive.receive(reg, [str(path)], refs=s.refs, today=TODAY))["again.920000"]
    assert (o.outcome, o.proposed) == ("waiting", "DF013")
    report = read_json(o.output, "report.json")
    assert report["rejection_type"] == "01"
    hits = [e for e in report["errors"] if e["code"] == "202420"]
    assert len(hits) == len(_invoice_numbers(s.data)) and {e["letter"] for e in hits} == {"B"}
    # Another sending of the facility, with its own invoices: accepted.
    other = s.write("other.920000", number=s.number + 2)
    o = got(receive.receive(reg, [str(other)], refs=s.refs, today=TODAY))["other.920000"]
    assert (o.outcome, o.proposed) == ("waiting", "DF014")


def test_invoices_of_a_rejected_sending_may_come_again(s, reg):
    rejected = s.write("rejected.920000", s.rejected_data)
    out = got(receive.receive(reg, [str(rejected)], refs=s.refs, today=TODAY, sign_as="robot"))
    assert out["rejected.920000"].outcome == "rejected_sending"
    right = s.write("right.920000", created=20261110, invoicing=20261105)
    o = got(receive.receive(reg, [str(right)], refs=s.refs, today=TODAY))["right.920000"]
    assert (o.outcome, o.proposed) == ("waiting", "DF014")
    assert "202420" not in {e["code"] for e in read_json(o.output, "report.json")["errors"]}


def test_two_sendings_of_the_same_invoices_in_one_parallel_run_are_not_both_accepted(s, tmp_path):
    """Checked on two workers at once, neither would see the other's invoices: one
    sending of a facility is checked at a time, so the second is measured against the
    first (202420) however the workers run."""
    a = s.write("a.920000")
    b = _same_invoices(s, "b.920000", s.number + 1)
    summary = bulk.run_local([str(a), str(b)], register=str(tmp_path / "R"), workers=2,
                             refs=str(s.refs), today=TODAY)  # fmt: skip
    assert sorted(o.proposed for o in summary.files) == ["DF013", "DF014"]
