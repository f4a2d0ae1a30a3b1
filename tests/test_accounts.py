"""Record 10's accounts: their check digits and forms, and the facility's registered ones."""

from __future__ import annotations

import json

import pytest
from efact_edit import TODAY, Sending

import vsbengine
from vsbengine import signoff
from vsbengine.formats.efact.checks.accounts import bic_error, iban_error
from vsbengine.formats.efact.generate import generate

# Record 10 (and record 90, which repeats them) positions, 1-based: BIC A 167, IBAN A 179,
# BIC B 219, IBAN B 271.
ZONES = {"31": 167, "36": 179, "43a": 219, "49": 271}
WIDTH = {"31": 11, "36": 34, "43a": 11, "49": 34}
OTHER_IBAN = "BE71096123456769"  # valid, not the facility's
BAD_CHECK = "BE38001662524628"  # BE37... with wrong check digits


@pytest.fixture
def case(tmp_path):
    g = generate(300, seed=23, month=202610, references=True)
    g.write_refs(tmp_path / "refs")
    return Sending(g.tobytes()), tmp_path


def put_account(s: Sending, zone: str, text: str, record90: bool = True) -> None:
    """Write an account zone in record 10, and in record 90 (it must equal record 10's)."""
    s.put(1, ZONES[zone], text.ljust(WIDTH[zone]))
    if record90:
        s.put(s.seqs("90")[0], ZONES[zone], text.ljust(WIDTH[zone]))
    s.resum()


def validate(s: Sending, folder=None):
    engine = vsbengine.Engine(folder, today=TODAY) if folder is not None else None
    data = s.tobytes()
    return engine.validate(data) if engine else vsbengine.validate(data, today=TODAY)


def located(r) -> list[tuple]:
    return [(e.code, e.letter, e.record, e.record_type, e.zone, e.offset) for e in r.errors]


@pytest.mark.parametrize(
    "text, wrong",
    [
        ("BE37001662524628", None),
        ("be37 0016 6252 4628", None),  # separators and case forgiven
        ("NL91ABNA0417164300", None),
        (BAD_CHECK, "check"),
        ("BE3700166252462", "format"),  # one digit short: not correct, not only check
        ("XX37001662524628", "country"),
        ("BE48001662524627", "format"),  # IBAN check digits right, Belgian ones wrong
        # Check digits right, both of them, but bank code 539 is not in python-stdnum's
        # registry of Belgian banks (it lags behind the banks): a correct IBAN.
        ("BE68539007547034", None),
        ("BE68539007547035", "format"),  # the same bank code, national digits wrong
        ("BE69539007547034", "check"),
        ("BE37-0016-62?4628", "format"),
    ],
)
def test_iban_error(text, wrong):
    assert iban_error(text) == wrong


def test_bic_error():
    assert not bic_error("GKCCBEBB") and not bic_error("GKCCBEBBXXX")
    assert bic_error("GKCC1EBB") and bic_error("GKCCBEB")


def test_a_clean_sending_has_no_account_errors(case):
    s, folder = case
    assert validate(s).errors == []
    assert validate(s, folder / "refs").errors == []


@pytest.mark.parametrize(
    "zone, text, code",
    [
        ("36", BAD_CHECK, "103602"),
        ("36", "XX37001662524628", "103603"),
        ("36", "BE3700166252462", "103605"),
        ("31", "GKCC1EBB", "103103"),
        ("49", BAD_CHECK, "104902"),
        ("49", "XX37001662524628", "104903"),
        ("49", "BE3700166252462", "104905"),
        ("43a", "GKCC1EBB", "104303"),
    ],
)
def test_a_bad_account_is_a_located_error_at_validation(case, zone, text, code):
    """Without reference data too: a rejection type 01, never a stuck proposal."""
    s, _ = case
    put_account(s, zone, text)
    r = validate(s)
    record10 = 227  # the header is 227 bytes: record 10 starts there
    assert located(r) == [(code, "B", 1, "10", zone, record10 + ZONES[zone] - 1)]
    assert (r.technical, r.decision, r.rejection_type) == ("DF011", "DF013", "01")


def test_characters_the_core_refuses_are_reported_once(case):
    s, _ = case
    put_account(s, "36", "BE37\x01016625246", record90=False)
    assert {e.code for e in validate(s).errors} == {"103609", "903612"}  # not 103605 too


@pytest.mark.parametrize(
    "zone, text, code",
    [
        ("36", OTHER_IBAN, "103620"),
        ("31", "KREDBEBB", "103120"),
        ("49", OTHER_IBAN, "104920"),
        ("43a", "KREDBEBB", "104320"),
    ],
)
def test_an_account_that_is_not_the_registered_one(case, zone, text, code):
    s, folder = case
    put_account(s, zone, text)
    assert validate(s).errors == []  # a valid account: only the reference data can tell
    r = validate(s, folder / "refs")
    assert [(e.code, e.letter, e.record, e.zone) for e in r.errors] == [(code, "B", 1, zone)]
    assert (r.decision, r.rejection_type) == ("DF013", "01")


def test_bics_compare_on_their_bank_and_branch(case):
    s, folder = case
    put_account(s, "31", "GKCCBEBBXXX")  # facilities.csv says GKCCBEBB: the same office
    assert validate(s, folder / "refs").errors == []


def test_an_unknown_facility_is_not_paid(case):
    s, folder = case
    refs = folder / "refs" / "facilities.csv"
    refs.write_text(refs.read_text().splitlines()[0] + "\n")
    r = validate(s, folder / "refs")
    assert [(e.code, e.letter, e.record, e.zone) for e in r.errors] == [("101420", "B", 1, "14")]
    assert r.decision == "DF013"


def test_account_b_needs_a_registered_account_b(case):
    s, folder = case
    refs = folder / "refs" / "facilities.csv"
    head, row = refs.read_text().splitlines()
    refs.write_text(",".join(head.split(",")[:4]) + "\n" + ",".join(row.split(",")[:4]) + "\n")
    r = validate(s, folder / "refs")
    assert [(e.code, e.zone) for e in r.errors] == [("104920", "49")]
    # Account B left blank in the sending, but money asked on it (records with account 1):
    # missing although required, with or without reference data.
    put_account(s, "49", "")
    assert [(e.code, e.zone) for e in validate(s, folder / "refs").errors] == [("104910", "49")]
    assert [(e.code, e.zone) for e in validate(s).errors] == [("104910", "49")]


def test_a_blank_iban_with_money_asked_on_it_is_refused(case, tmp_path):
    """The payee account is record 10's (vsb-processing.md, DF017): a blank IBAN A on a
    sending that asks money on account A is 103610 (missing although required, B), with
    or without reference data; the proposal says so and nothing is paid."""
    s, folder = case
    put_account(s, "36", "")
    r = validate(s)
    assert [(e.code, e.letter, e.record_type, e.zone) for e in r.errors] == [
        ("103610", "B", "10", "36")
    ]
    assert r.errors[0].offset == 227 + ZONES["36"] - 1 and r.decision == "DF013"
    engine = vsbengine.Engine(folder / "refs", today=TODAY)
    path = tmp_path / "blank.920000"
    path.write_bytes(s.tobytes())
    result = engine.validate(path)
    assert [e.code for e in result.errors] == ["103610"] and result.payee.iban_a == ""
    proposal = signoff.propose(result, tmp_path / "out", engine.refs)
    assert proposal["accounts"][0]["status"] == "missing"
    assert proposal["accounts"][0]["codes"] == ["103610"]
    assert proposal["proposed"] == "DF013" and proposal["rejection_type"] == "01"


def test_a_blank_iban_on_an_account_asked_nothing_is_not_checked(case):
    """Account B blank and no prestation on it: nothing to pay there, no error."""
    s, folder = case
    for i, rec in enumerate(s.records):
        if rec[:2] in ("30", "50") and rec[50] == "1":  # zone 11 (position 51): account B
            s.put_at(i, 51, "0")
    s.resum()
    put_account(s, "49", "")
    put_account(s, "43a", "")
    r = validate(s, folder / "refs")
    assert r.errors == [] and r.payee.iban_b == ""


def test_a_flagged_account_waits_for_a_person_even_unattended(case, tmp_path):
    s, folder = case
    put_account(s, "36", OTHER_IBAN)
    engine = vsbengine.Engine(folder / "refs", today=TODAY)
    path = tmp_path / "other.920000"
    path.write_bytes(s.tobytes())
    result = engine.validate(path)
    proposal = signoff.propose(result, tmp_path / "out", engine.refs)
    assert proposal["account_flagged"] is True and not proposal["every_prestation_rejected"]
    a = proposal["accounts"][0]
    assert (a["status"], a["iban"], a["codes"]) == ("differs", OTHER_IBAN, ["103620"])
    assert a["registered_iban"] != OTHER_IBAN
    assert (proposal["proposed"], proposal["waiting_for"]) == ("DF013", "confirmation")
    assert proposal["payment"] is None
    assert signoff.settle(tmp_path / "out", "robot", result=result) is None
    assert not (tmp_path / "out" / "DF013_920099.dat").exists()
    # A person confirms the rejection: the facility gets DF013 with 103620.
    decision = signoff.confirm(tmp_path / "out", "An Peeters", result=result)
    assert decision["messages"] == ["DF013_920099.dat"]
    assert b"103620" in (tmp_path / "out" / "DF013_920099.dat").read_bytes()


def test_account_b_columns_from_sqlite(case):
    import sqlite3

    from vsbengine.formats.efact import refs as refs_mod

    s, folder = case
    csv_refs = refs_mod.load(folder / "refs")
    db = folder / "refs.db"
    con = sqlite3.connect(db)
    for name in ("members", "admissions", "codes", "tariffs", "facilities"):
        lines = (folder / "refs" / f"{name}.csv").read_text().splitlines()
        cols = lines[0].split(",")
        con.execute(f"create table {name} ({', '.join(cols)})")
        con.executemany(
            f"insert into {name} values ({', '.join('?' * len(cols))})",
            [[v or None for v in line.split(",")] for line in lines[1:]],
        )
    con.commit()
    con.close()
    (folder / "zorgkas.toml").write_text((folder / "refs" / "zorgkas.toml").read_text())
    assert refs_mod.load(db).facilities == csv_refs.facilities
    assert next(iter(csv_refs.facilities.values())).iban_b  # account B came through


def test_a_bad_registered_account_b_is_refused_when_loading(case):
    from vsbengine.errors import ReferenceDataError
    from vsbengine.formats.efact import refs as refs_mod

    s, folder = case
    path = folder / "refs" / "facilities.csv"
    head, row = path.read_text().splitlines()
    cells = row.split(",")
    cells[4] = BAD_CHECK
    path.write_text(head + "\n" + ",".join(cells) + "\n")
    with pytest.raises(ReferenceDataError) as err:
        refs_mod.load(folder / "refs")
    assert (err.value.line, err.value.zone, err.value.reason) == (2, "iban_b", "not a valid IBAN")


# -- through the command line and the register -----------------------------------------------


def _cli(*args: str):
    from typer.testing import CliRunner

    from vsbengine.cli.main import app

    return CliRunner().invoke(app, [*args])


def test_a_foreign_account_through_validate_sign_and_confirm(case, tmp_path):
    s, folder = case
    put_account(s, "36", OTHER_IBAN)
    path = tmp_path / "other.920000"
    path.write_bytes(s.tobytes())
    out = tmp_path / "out"
    # Unattended: it is not confirmed by the robot, it waits for a person.
    r = _cli("validate", str(path), "--refs", str(folder / "refs"), "--out", str(out),
             "--sign-as", "robot", "--today", "2026-11-23")  # fmt: skip
    assert r.exit_code == 1, r.output
    assert "103620" in r.stdout
    assert "waits for a confirmation (record 10's account is not the registered one)" in r.stdout
    assert not list(out.glob("DF013*")) and not list(out.glob("DF017*"))
    proposal = json.loads((out / "proposal.json").read_text())
    assert proposal["account_flagged"] and proposal["waiting_for"] == "confirmation"
    assert 'id="account-flag"' in (out / "review.html").read_text("utf-8")
    # It cannot be signed (nothing is paid to the foreign account), only confirmed.
    r = _cli("sign", str(out), "--by", "An Peeters")
    assert r.exit_code == 2 and "this proposal is a rejection" in r.stderr
    assert not list(out.glob("DF017*"))
    r = _cli("confirm", str(out), "--by", "An Peeters")
    assert r.exit_code == 0, r.output
    assert b"103620" in (out / "DF013_920099.dat").read_bytes()


def test_a_bad_iban_is_refused_at_validation_and_never_stuck(case, tmp_path):
    s, folder = case
    put_account(s, "36", BAD_CHECK)
    path = tmp_path / "bad.920000"
    path.write_bytes(s.tobytes())
    out = tmp_path / "out"
    r = _cli("validate", str(path), "--refs", str(folder / "refs"), "--out", str(out),
             "--json", "--today", "2026-11-23")  # fmt: skip
    assert r.exit_code == 1, r.output
    (error,) = json.loads(r.stdout)["errors"]
    assert (error["code"], error["record"], error["zone"], error["offset"]) == (
        "103602",
        1,
        "36",
        227 + 178,  # segments 200 and 300, then zone 36 of record 10 (position 179)
    )
    r = _cli("confirm", str(out), "--by", "An Peeters")
    assert r.exit_code == 0, r.output
    assert b"103602" in (out / "DF013_920099.dat").read_bytes()


def test_a_foreign_account_waits_in_the_register_also_with_sign_as(case, tmp_path):
    from vsbengine import receive
    from vsbengine.register import Register

    s, folder = case
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "clean.920000").write_bytes(s.tobytes())  # signed by the robot
    s.put_header(76, "777")  # another sending of the facility (segment 300 zone 301)
    s.put(1, 33, "777")  # record 10 zone 7
    for i, r in enumerate(s.records):  # with its own invoices (numbers once each)
        if r[:2] in ("20", "80"):
            s.put_at(i, 115, f"{int(r[114:126]) + 77_700_000:012d}")
    put_account(s, "36", OTHER_IBAN)
    (tmp_path / "in" / "other.920000").write_bytes(s.tobytes())
    reg = tmp_path / "r.register"
    receive.receive(str(reg), [str(tmp_path / "in")], refs=str(folder / "refs"),
                    sign_as="robot", today=TODAY)  # fmt: skip
    with Register(str(reg), readonly=True) as book:
        waiting = book.inbox("waiting")
        assert [(e.file_name, e.waiting_for) for e in waiting] == [("other.920000", "confirmation")]
        number = waiting[0].id
    r = _cli("sign", str(reg), str(number), "--by", "An Peeters")
    assert r.exit_code == 2 and "rejection" in r.stderr
    r = _cli("confirm", str(reg), str(number), "--by", "An Peeters")
    assert r.exit_code == 0, r.output
    with Register(str(reg), readonly=True) as book:
        assert book.inbox("waiting") == []
        states = {e.file_name: e.state for e in book.inbox("all")}
    assert states == {"clean.920000": "payment_due", "other.920000": "answered"}


def test_the_chunked_path_finds_the_same_account_errors(tmp_path, monkeypatch):
    from vsbengine.formats.efact import chunks

    g = generate(8_000, seed=23, month=202610, references=True)
    g.write_refs(tmp_path / "refs")
    s = Sending(g.tobytes())
    put_account(s, "36", BAD_CHECK)
    put_account(s, "49", OTHER_IBAN)
    path = tmp_path / "big.920000"
    path.write_bytes(s.tobytes())
    one = vsbengine.Engine(tmp_path / "refs", today=TODAY).validate(str(path))
    # Chunks of a megabyte whatever the process holds: three of them.
    monkeypatch.setattr(chunks, "chunk_size", lambda *a, **k: 1 << 20)
    assert len(chunks.plan(chunks.Reader(s.tobytes()), chunk_bytes=1 << 20).chunks) == 3
    many = vsbengine.Engine(tmp_path / "refs", today=TODAY, memory_limit=64 << 20)
    assert (
        located(many.validate(str(path)))
        == located(one)
        == [
            ("103602", "B", 1, "10", "36", 227 + 178),
            ("104920", "B", 1, "10", "49", 227 + 270),
        ]
    )
