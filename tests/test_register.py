"""The register's database: opening, schema and migrations, refusals, recovery, and a
property test over random interleavings of receive, sign, confirm and crashes."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule
from register_helpers import TODAY, Sendings
from typer.testing import CliRunner

from vsbengine import receive, register_schema, staging
from vsbengine import register as register_mod
from vsbengine.cli.main import app
from vsbengine.errors import InputError
from vsbengine.register import SCHEMA_VERSION, Register

runner = CliRunner()


def test_created_with_its_schema(tmp_path):
    path = tmp_path / "r.register"
    with Register(path) as reg:
        assert reg.schema_version == SCHEMA_VERSION == 2
        assert reg.root == tmp_path / "r.register.sendings" and reg.root.is_dir()
    con = sqlite3.connect(path)
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert con.execute("PRAGMA application_id").fetchone()[0] == register_schema.APPLICATION_ID
    tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"sendings", "events", "runs", "inputs", "settings"} <= tables


def test_a_migration_brings_an_older_register_up_to_date(tmp_path, monkeypatch):
    path = tmp_path / "r.register"
    Register(path).close()
    v3 = "ALTER TABLE sendings ADD COLUMN remark TEXT"
    monkeypatch.setattr(register_schema, "MIGRATIONS", register_schema.MIGRATIONS + (v3,))
    monkeypatch.setattr(register_schema, "SCHEMA_VERSION", 3)
    with Register(path) as reg:
        assert reg.schema_version == 3
        columns = [r[1] for r in reg.con.execute("PRAGMA table_info(sendings)")]
        assert "remark" in columns


@pytest.mark.parametrize(
    "make,message",
    [
        (lambda p: p.write_text("hello"), "not a vsbengine register (not an SQLite database)"),
        (
            lambda p: sqlite3.connect(p).execute("CREATE TABLE t (a)"),
            "not a vsbengine register (an SQLite database of something else)",
        ),
        (
            lambda p: (Register(p).close(), sqlite3.connect(p).execute("PRAGMA user_version = 7")),
            "the register has schema version 7, newer than this vsbengine knows (2): "
            "upgrade vsbengine",
        ),
        (lambda p: p.mkdir(), "is a folder, not a register"),
    ],
)
def test_what_is_not_a_usable_register_is_one_located_line(tmp_path, make, message):
    path = tmp_path / "r.register"
    make(path)
    with pytest.raises(InputError) as info:
        Register(path)
    assert str(info.value) == f"{path}: {message}"
    r = runner.invoke(app, ["inbox", str(path)])
    assert r.exit_code == 2 and r.stderr == f"vsbengine: error: {path}: {message}\n"


def test_a_missing_register_for_the_inbox(tmp_path):
    r = runner.invoke(app, ["inbox", str(tmp_path / "nothing")])
    assert r.exit_code == 2 and r.stderr.endswith("nothing: no register here\n")


def test_a_locked_register(tmp_path, monkeypatch):
    path = tmp_path / "r.register"
    Register(path).close()
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    try:
        monkeypatch.setattr(register_mod, "TIMEOUT", 0.2)
        with pytest.raises(InputError, match=r"the register is locked by another process \(waited"):
            Register(path)
        r = runner.invoke(app, ["inbox", str(path)])
        assert r.exit_code == 2
        assert r.stderr == (
            f"vsbengine: error: {path}: the register is locked by another process (waited 0.2 s)\n"
        )
    finally:
        other.execute("ROLLBACK")


def _immutable(path, on: bool) -> bool:
    """Make a file read-only even for root (chattr), or say it cannot be done."""
    if os.geteuid() != 0:
        os.chmod(path, 0o444 if on else 0o644)
        return True
    done = subprocess.run(["chattr", "+i" if on else "-i", str(path)], capture_output=True)
    return done.returncode == 0


def test_a_read_only_register(tmp_path):
    path = tmp_path / "r.register"
    Register(path).close()
    if not _immutable(path, True):
        pytest.skip("no way to make a file read-only for this user")
    try:
        with pytest.raises(InputError, match="the register is read-only"):
            Register(path)
        r = runner.invoke(app, ["receive", str(path), "--register", str(path)])
        assert r.exit_code == 2 and "the register is read-only" in r.stderr
        assert r.stderr.count("\n") == 1
        # Only looking at it works.
        r = runner.invoke(app, ["inbox", str(path), "--all", "--json"])
        assert r.exit_code == 0 and r.stdout.strip() == "[]"
    finally:
        _immutable(path, False)


def test_a_dead_claim_is_abandoned_and_received_again(tmp_path):
    s = Sendings(tmp_path / "in")
    a = s.write("a.920000")
    path = tmp_path / "r.register"
    # A process claims the file and dies before its check ends.
    script = f"""
import os, signal
from vsbengine import identity
from vsbengine.register import Register
reg = Register({str(path)!r})
run = reg.begin_run("receive")
reg.claim(run, {str(a)!r}, identity.read_head({str(a)!r}), received_on={TODAY})
os.kill(os.getpid(), signal.SIGKILL)
"""
    subprocess.run([sys.executable, "-c", script], check=False)
    with Register(path) as reg:
        (first,) = reg.con.execute("SELECT id, state FROM sendings").fetchall()
        assert tuple(first) == (1, "abandoned")
        assert reg.runs()[0].status == "crashed"
        out = receive.receive(reg, [str(a)], refs=s.refs, today=TODAY)
        assert out.files[0].outcome == "waiting" and out.files[0].sending == 2
        assert [e.id for e in reg.inbox("all")] == [2]
        assert [e.state for e in reg.events(1)] == ["received", "abandoned"]


def test_run_locks_tell_the_living_from_the_dead(tmp_path):
    lock = staging.RunLock.fresh(tmp_path)
    assert staging.alive(lock.path)
    with pytest.raises(BlockingIOError):
        staging.RunLock(lock.path)
    lock.release()
    assert not staging.alive(lock.path)
    child = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from vsbengine import staging; "
            f"staging.RunLock({str(tmp_path / 'c.lock')!r}); print('ok', flush=True); "
            "time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
    )
    assert child.stdout.readline() == b"ok\n"
    assert staging.alive(tmp_path / "c.lock")
    child.kill()
    child.wait()
    child.stdout.close()
    assert not staging.alive(tmp_path / "c.lock")


def test_a_fresh_run_lock_is_held_before_it_has_its_name(tmp_path, monkeypatch):
    """Another run's recovery removes lock files that no live process holds: a new run's
    lock must never be found under its name unlocked (that run was then taken for dead,
    its claims abandoned while it checked them: found by test_receive's two runs)."""
    seen = []
    rename = os.rename

    def watch(src, dst):
        seen.append((Path(dst).name, staging.alive(src), Path(dst).exists()))
        rename(src, dst)

    monkeypatch.setattr(staging.os, "rename", watch)
    lock = staging.RunLock.fresh(tmp_path)
    assert seen == [(lock.path.name, True, False)]  # locked, then named
    assert staging.alive(lock.path) and lock.path.read_text() == f"{os.getpid()}\n"
    assert [p.name for p in tmp_path.iterdir()] == [lock.path.name]
    lock.release()
    assert list(tmp_path.iterdir()) == []


def test_recovery_removes_what_a_killed_run_left_of_its_lock(tmp_path):
    reg = Register(tmp_path / "r.register")
    runs = reg.root / ".runs"
    runs.mkdir(parents=True, exist_ok=True)
    old, new = runs / ".0123456789abcdef.making", runs / ".00000000000000aa.making"
    old.write_text("")
    os.utime(old, (os.path.getmtime(old) - 3600,) * 2)
    new.write_text("")  # being made now, for all recovery knows: left alone
    (runs / "fedcba9876543210.lock").write_text("")
    held = staging.RunLock.fresh(runs)
    reg.recover()
    assert sorted(p.name for p in runs.iterdir()) == sorted([held.path.name, new.name])
    held.release()
    reg.close()


# -- random interleavings -------------------------------------------------------------------

NAMES = [
    "ok",
    "ok_copy",
    "ok_resend",
    "other",
    "rejected",
    "rejected_resend",
    "broken",
    "broken_resend",
]


@pytest.fixture(scope="module")
def pool(tmp_path_factory):
    """Files of one facility: an acceptable one (twice, and resent), another number, a
    rejected one and its resend, a broken one and its resend."""
    s = Sendings(tmp_path_factory.mktemp("pool"), records=60)
    files = {
        "ok": s.write("ok.920000"),
        "ok_copy": s.write("ok_copy.920000"),
        "ok_resend": s.write("ok_resend.920000", created=20261110),
        "other": s.write("other.920000", number=s.number + 1),
        "rejected": s.write("rejected.920000", s.rejected_data, number=s.number + 2),
        "rejected_resend": s.write(
            "rejected_resend.920000", number=s.number + 2, created=20261110, invoicing=20261105
        ),
        "broken": s.write("broken.920000", number=s.number + 3, broken=True),
        "broken_resend": s.write("broken_resend.920000", number=s.number + 3, created=20261110),
    }
    return s, files


def _in_a_child(point: str, work) -> None:
    """Run ``work`` in a forked process that dies (SIGKILL) at ``point`` of the protocol."""
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        try:
            os.environ["VSBENGINE_CRASH_AT"] = point
            work()
        finally:
            os._exit(0)
    os.waitpid(pid, 0)


class Interleavings(RuleBasedStateMachine):
    """Receive, sign, confirm and kill -9 at any step, in any order: one sending per
    content, at most one accepted sending per number, states that follow the documented
    graph, a folder with its messages for every state that says they are out."""

    s: Sendings
    files: dict

    def __init__(self) -> None:
        super().__init__()
        import tempfile

        self.tmp = tempfile.mkdtemp()
        self.path = os.path.join(self.tmp, "r.register")
        self.reg = Register(self.path)
        self.received: set[str] = set()

    def teardown(self) -> None:
        self.reg.close()
        staging.remove_tree(self.tmp)

    def _receive(self, which, sign) -> None:
        with Register(self.path) as reg:
            receive.receive(
                reg,
                [str(self.files[w]) for w in which],
                refs=self.s.refs,
                today=TODAY,
                sign_as="robot" if sign else None,
            )

    def _decide(self, pick) -> None:
        with Register(self.path) as reg:
            waiting = reg.inbox("waiting")
            if waiting:
                e = waiting[pick % len(waiting)]
                with contextlib.suppress(InputError):
                    reg.decide(e.id, "sign" if e.proposed == "DF014" else "confirm", "An")

    @rule(
        which=st.lists(st.sampled_from(NAMES), min_size=1, max_size=3),
        sign=st.booleans(),
        crash=st.sampled_from((None,) + register_mod.CRASH_POINTS[:5]),
    )
    def receive(self, which, sign, crash) -> None:
        if crash is None:
            self._receive(which, sign)
        else:
            _in_a_child(crash, lambda: self._receive(which, sign))
        self.received.update(str(self.files[w]) for w in which)

    @rule(
        pick=st.integers(0, 20),
        crash=st.sampled_from([None, "decision-staged", "decision-recorded"]),
    )
    def decide(self, pick, crash) -> None:
        if crash is None:
            self._decide(pick)
        else:
            _in_a_child(crash, lambda: self._decide(pick))

    @rule()
    def reopen(self) -> None:
        self.reg.close()
        self.reg = Register(self.path)  # finishes what a dead process left

    @invariant()
    def consistent(self) -> None:
        self.reg.recover()
        rows = self.reg.con.execute("SELECT * FROM sendings").fetchall()
        digests = [r["digest"] for r in rows if r["digest"]]
        assert len(digests) == len(set(digests))
        accepted = [
            r["claim_key"]
            for r in rows
            if r["proposed"] == "DF014" and r["state"] in ("proposed", "payment_due")
        ]
        assert len(accepted) == len(set(accepted))
        assert {r["state"] for r in rows} <= {"proposed", "answered", "payment_due", "abandoned"}
        for r in rows:
            assert r["pending"] is None
            folder = self.reg.root / r["folder"] if r["folder"] else None
            names = set(os.listdir(folder)) if folder else set()
            assert not {n for n in names if n.endswith((".part", ".tmp"))}
            if r["state"] == "payment_due":
                assert {"DF014_920098.dat", "DF015_920900.dat", "DF017_payment_order.xml"} <= names
                assert r["due_on"] == "2027-01-04"
            elif r["state"] == "answered":
                assert (
                    "DF012_920999.dat" if r["technical"] == "DF012" else "DF013_920099.dat"
                ) in (names)
            elif r["state"] == "proposed":
                assert not {n for n in names if n.startswith(register_helpers_released)}
        area = self.reg.root / ".staging"
        assert not area.exists() or not list(area.iterdir())


register_helpers_released = ("DF013", "DF014", "DF015", "DF016", "DF017")


@pytest.mark.slow
def test_random_interleavings(pool):
    s, files = pool
    Interleavings.s, Interleavings.files = s, files
    case = Interleavings.TestCase
    case.settings = settings(
        max_examples=25,
        stateful_step_count=8,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    case().runTest()


def test_kept_by_names_the_register_and_the_sending_of_its_folders(tmp_path):
    from vsbengine.register import folders_of, kept_by

    reg = tmp_path / "night.register"
    root = folders_of(reg)
    assert root == tmp_path / "night.register.sendings"
    assert kept_by(root / "000042" / "checked") == (reg, 42)
    assert kept_by(root / "000042" / "decided") == (reg, 42)
    assert kept_by(root / "000042" / "checked" / "review.html") == (reg, None)
    assert kept_by(root / "runs" / "000001.html") == (reg, None)
    assert kept_by(tmp_path / "answers" / "checked") is None


@pytest.mark.parametrize("name", ["٠٠٠٠٤٢", "００００４２", "00004²"])
def test_a_folder_named_in_other_digits_is_no_sendings_folder(tmp_path, name):
    """The register names a sending's folder in ASCII digits (``000042``); ``int`` would
    read Arabic-Indic or fullwidth digits as sending 42."""
    from vsbengine.register import folders_of, kept_by

    reg = tmp_path / "night.register"
    assert kept_by(folders_of(reg) / name / "checked") == (reg, None)


def test_an_empty_file_is_no_register_to_look_in_or_decide(tmp_path):
    """inbox and sign are given an empty file (a typo, a file truncated by a tool): it
    is refused, not made a register (only receive and bulk --register create one)."""
    from typer.testing import CliRunner

    from vsbengine.cli.main import app

    empty = tmp_path / "e"
    empty.write_bytes(b"")
    for args in (["inbox", str(empty)], ["sign", str(empty), "1", "--by", "An Peeters"]):
        r = CliRunner().invoke(app, args)
        assert r.exit_code == 2, r.output
        assert r.stderr == f"vsbengine: error: {empty}: not a vsbengine register (empty)\n"
    assert empty.stat().st_size == 0 and not (tmp_path / "e.sendings").exists()
