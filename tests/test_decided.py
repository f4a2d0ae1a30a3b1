"""A decision into its proposal folder under kill -9: ``vsbengine sign FOLDER`` and
``confirm`` are killed at every step that changes a file, then run again. Never a
payment order without its recorded decision, never a decision without its messages,
never a second payment order."""

from __future__ import annotations

import json
import re
import shutil
import signal

import killpoints
import pytest
from typer.testing import CliRunner

import vsbengine
from vsbengine import decided, signoff
from vsbengine.cli.main import app
from vsbengine.errors import InputError
from vsbengine.formats.efact.generate import generate
from vsbengine.fsio import is_temporary

TODAY = 20261123
AT = "2026-11-24T09:00:00+00:00"
PAYMENT = ("DF017_payment_order.json", "DF017_payment_order.xml")


def _killed_at(step: int, args: list[str]) -> int | None:
    return killpoints.killed_at(step, args, timeout=60)


@pytest.fixture(scope="module")
def proposals(tmp_path_factory):
    """A proposal folder waiting for a signature, one waiting for a confirmation."""
    tmp = tmp_path_factory.mktemp("decided")
    out = {}
    for kind, kw in (("sign", {}), ("confirm", {"error_rate": 0.5})):
        g = generate(300, seed=171, month=202610, references=True, **kw)
        g.write(tmp / f"{kind}.920000")
        g.write_refs(tmp / "refs")
        engine = vsbengine.Engine(tmp / "refs", today=TODAY)
        result = engine.validate(tmp / f"{kind}.920000")
        signoff.propose(result, tmp / kind, engine.refs)
        out[kind] = tmp / kind
    assert json.loads((out["sign"] / "proposal.json").read_text())["proposed"] == "DF014"
    assert json.loads((out["confirm"] / "proposal.json").read_text())["proposed"] == "DF013"
    return out


def _after_the_crash(folder):
    """Whatever the moment of the kill: a payment order only beside its decision."""
    names = {p.name for p in folder.iterdir()}
    if names & set(PAYMENT) or names & {"DF013_920099.dat", "DF014_920098.dat"}:
        assert "decision.json" in names, "a message is in place without its decision"


def _settled(folder, action):
    """After the re-run: the decision, all its messages, nothing left over."""
    names = {p.name for p in folder.iterdir()}
    decision = json.loads((folder / "decision.json").read_text())
    assert "publishing" not in decision
    assert decision["action"] == action
    assert set(decision["messages"]) <= names, "a decision without all its messages"
    assert not [n for n in names if n.startswith(".decision-") or is_temporary(n)], names
    proposal = json.loads((folder / "proposal.json").read_text())
    assert proposal["decided"] == decision and proposal["waiting_for"] is None
    if action == "signed":
        assert set(PAYMENT) <= names and set(PAYMENT) <= set(decision["messages"])
        order = json.loads((folder / PAYMENT[0]).read_text())
        assert order["signed_at"] == decision["at"]  # the one decision's order, once
    else:
        assert not names & set(PAYMENT)


@pytest.mark.parametrize("command", ["sign", "confirm"])
def test_kill_9_at_every_step_then_the_same_command_again(proposals, tmp_path, command):
    action = {"sign": "signed", "confirm": "confirmed"}[command]
    crashed, committed = 0, 0
    for step in range(1, 200):
        folder = tmp_path / f"p{step}"
        shutil.copytree(proposals[command], folder)
        code = _killed_at(step, [command, str(folder), "--by", "An Peeters"])
        if code != -signal.SIGKILL:
            assert code == 0
            _settled(folder, action)
            break
        crashed += 1
        _after_the_crash(folder)
        again = CliRunner().invoke(app, [command, str(folder), "--by", "Jan Janssens"])
        if again.exit_code == 2:  # decided before the kill: finished now, not twice
            assert f"already {action} by An Peeters at " in again.stderr, again.stderr
            committed += 1
        else:
            assert again.exit_code == 0, again.stderr
        _settled(folder, action)
    else:
        pytest.fail("the command never ran to its end")
    # The kills landed before the commit (the re-run decided) and after it (it finished).
    assert crashed - committed >= 5 and committed >= 3, (crashed, committed)


def test_a_second_sign_off_while_one_decides_is_refused(proposals, tmp_path):
    folder = tmp_path / "p"
    shutil.copytree(proposals["sign"], folder)
    from vsbengine import staging

    busy = pytest.raises(InputError, match="another sign-off is deciding this sending now")
    with staging.RunLock(folder / decided.LOCK), busy:
        signoff.sign(folder, "Jan")
    assert signoff.sign(folder, "Jan", at=AT)["by"] == "Jan"
    with pytest.raises(InputError, match=re.escape(f"already signed by Jan at {AT}")):
        signoff.sign(folder, "An")


def test_a_staged_decision_of_a_dead_process_is_removed(proposals, tmp_path):
    folder = tmp_path / "p"
    shutil.copytree(proposals["sign"], folder)
    (folder / ".decision-0badf00d").mkdir()
    (folder / ".decision-0badf00d" / PAYMENT[0]).write_text("{}")
    (folder / ".report.json.123-abcd.tmp").write_text("half")
    with decided.deciding(folder):
        pass
    assert sorted(p.name for p in folder.iterdir() if p.name.startswith(".")) == []


def test_a_committed_decision_is_published_by_the_next_process(proposals, tmp_path):
    """Killed between the commit and the renames: the next sign-off finishes them."""
    folder = tmp_path / "p"
    shutil.copytree(proposals["sign"], folder)
    page = (folder / "review.html").read_bytes()  # the page while it waits
    real = decided._finish
    decided._finish = lambda folder, commit: None  # the process "dies" after the commit
    try:
        decision = signoff.sign(folder, "An", at=AT)
    finally:
        decided._finish = real
    (folder / "review.html").write_bytes(page)  # ... before the page was made again
    commit = json.loads((folder / "decision.json").read_text())
    assert commit["publishing"].startswith(".decision-")
    assert b'class="decided"' not in page
    assert not (folder / PAYMENT[0]).exists()
    with pytest.raises(InputError, match=re.escape(f"already signed by An at {AT}")):
        signoff.sign(folder, "Jan")
    _settled(folder, "signed")
    assert json.loads((folder / "decision.json").read_text()) == decision
    assert 'class="decided"' in (folder / "review.html").read_text()  # shows the decision
