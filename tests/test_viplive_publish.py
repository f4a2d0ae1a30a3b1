"""Commit, then publish, under kill -9: ``viplive pay`` is killed at every step that
changes a file or the ledger, then run again. Never a payment file without its booked
round, never a booked round without its files, nothing paid twice."""

import hashlib
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from viplive_helpers import row, write_config, write_csv

from vsbengine.fsio import is_temporary

KILL = Path(__file__).with_name("killpoints.py")
ROUNDS = (("2021-06-01", "2021-05-27", "1.000,00"), ("2021-06-15", "2021-06-10", "1.250,00"))
PRACTICES = range(1, 41)


def _exports(tmp):
    files = []
    for day, downloaded, amount in ROUNDS:
        rows = [row("DM", practice=n, amount=amount, day=downloaded) for n in PRACTICES]
        rows += [row("COPD", practice=n, amount="75,00", day=downloaded) for n in PRACTICES[:5]]
        files.append((day, write_csv(tmp / f"export-{day}.csv", rows)))
    return files


def _pay(tmp, export, day, kill_at=None):
    args = [
        "viplive", "pay", str(export), "--round-date", day, "--ledger", str(tmp / "l.sqlite"),
        "--out", str(tmp / "out"), "--config", str(tmp / "config.toml"),
    ]  # fmt: skip
    cmd = [sys.executable, str(KILL), str(kill_at or 10**9), *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60)


def _state(tmp):
    """Booked rounds (message ids) and the files they own, and what lies in ``out``."""
    ledger, out = tmp / "l.sqlite", tmp / "out"
    if not ledger.exists():
        return set(), {}, {}, 0
    with sqlite3.connect(ledger) as con:
        tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master")}
        if "round_files" not in tables:
            return set(), {}, {}, 0
        booked = {r[0] for r in con.execute("SELECT message_id FROM rounds")}
        owned = {
            name: (mid, sha)
            for mid, name, sha in con.execute("SELECT message_id, name, sha256 FROM round_files")
        }
        (paid,) = con.execute("SELECT COALESCE(SUM(amount), 0) FROM payments").fetchone()
    on_disk = {p.name: p for p in out.iterdir()} if out.exists() else {}
    return booked, owned, on_disk, paid


def _no_file_without_its_round(tmp):
    booked, owned, on_disk, _ = _state(tmp)
    for name, path in on_disk.items():
        if is_temporary(name):
            continue  # a temporary name is no payment file; the next run removes it
        assert name in owned, f"{name} is on disk but no booked round owns it"
        mid, sha = owned[name]
        assert mid in booked
        assert hashlib.sha256(path.read_bytes()).hexdigest() == sha, name


def _every_round_has_its_files(tmp):
    booked, owned, on_disk, _ = _state(tmp)
    assert {mid for mid, _ in owned.values()} == booked
    assert set(on_disk) == set(owned), "a booked file is missing, or a leftover remains"


def _pay_here(tmp, export, day):
    """The re-run, in this process (nothing kills it)."""
    import datetime as dt

    from vsbengine.formats.viplive import load_config, pay

    config = load_config(tmp / "config.toml")
    return pay([export], dt.date.fromisoformat(day), tmp / "l.sqlite", tmp / "out", config=config)


_PAID = (40 * 100000 + 5 * 7500, 40 * 125000 + 5 * 7500)


@pytest.mark.slow
@pytest.mark.parametrize("killed_round", [0, 1])
def test_kill_minus_9_at_every_step_of_pay_then_run_again(tmp_path, killed_round):
    k = 0
    while True:
        k += 1
        tmp = tmp_path / f"k{k}"
        tmp.mkdir()
        write_config(tmp)
        exports = _exports(tmp)
        for day, export in exports[:killed_round]:
            _pay_here(tmp, export, day)
        day, export = exports[killed_round]
        r = _pay(tmp, export, day, kill_at=k)
        if r.returncode != -signal.SIGKILL:
            assert r.returncode == 0, r.stderr
            break
        _no_file_without_its_round(tmp)  # right after the kill
        for day, export in exports[killed_round:]:
            _pay_here(tmp, export, day)  # finishes what the kill left, then pays what is left
            _no_file_without_its_round(tmp)
            _every_round_has_its_files(tmp)
        paid = _state(tmp)[3]
        assert paid == _PAID[len(exports) - 1], f"kill at step {k}: paid {paid}"
        again = _pay_here(tmp, *reversed(exports[-1]))
        assert again.payments == [] and _state(tmp)[3] == paid  # nothing paid twice
    assert k > 12, f"only {k - 1} steps were killed"
