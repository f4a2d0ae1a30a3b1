"""The streaming rules run in the core's scan (formats/efact/rules.py): they find what
the vectorised numpy rules (tests/reference_rules.py, the implementation they
replace) find, error for error and in the same order, on generated sendings with
every injected error kind, on sendings corrupted at random, in chunks under a
memory limit and with every classification kernel."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import reference_rules as reference
from efact_edit import TODAY

import vsbengine
from vsbengine import _core
from vsbengine.formats.efact import rules
from vsbengine.formats.efact.checks import amounts, content, controls, dates, order, zones
from vsbengine.formats.efact.compiled import LAYOUTS, Compiled
from vsbengine.formats.efact.findings import Context
from vsbengine.formats.efact.generate import KINDS, generate
from vsbengine.formats.efact.layouts import SENDING
from vsbengine.formats.efact.sending import Sending, core_tables, rule_params

FUSED = {
    "order": order.check,
    "zones": zones.check,
    "dates": dates.check,
    "amounts": amounts.check,
    "controls": controls.check,
}
HEADER = 227


def listed(table):
    """The errors as the checks list them: (unit, code, zone), in order."""
    return list(zip(table.unit.tolist(), table.code.tolist(), table.zone.tolist()))


def differences(data: bytes, today: int = TODAY) -> dict:
    """Per family, what the fused rules and the reference list differently."""
    s = Sending(data, today=today)
    ctx = Context(today)
    out = {}
    for family, check in FUSED.items():
        fused = listed(check(s, ctx).errors.table())
        ref = listed(reference.FAMILIES[family](s, ctx).errors.table())
        if fused != ref:
            out[family] = (fused[:10], ref[:10])
    return out


def corrupt(data: bytes, rng: np.random.Generator, n: int) -> bytes:
    """``n`` random changes: digits, bytes, signs, swapped records, record types,
    blanks, zeros, zones copied from other records, dates around the limits."""
    d = bytearray(data)
    records = (len(d) - HEADER) // 350
    dates_ = [b"20261124", b"20261015", b"20250101", b"20261301", b"00000000", b"20240229"]
    types = [b"10", b"20", b"30", b"50", b"51", b"52", b"80", b"90", b"95", b"99"]
    for _ in range(n):
        at = HEADER + int(rng.integers(0, records)) * 350
        other = HEADER + int(rng.integers(0, records)) * 350
        p = int(rng.integers(2, 340))
        kind = int(rng.integers(0, 9))
        if kind == 0:
            d[at + p] = ord("0") + int(rng.integers(0, 10))
        elif kind == 1:
            d[at + int(rng.integers(0, 350))] = int(rng.integers(0, 256))
        elif kind == 2:
            d[at + int(rng.choice([87, 107, 127, 164, 67]))] = ord("-")
        elif kind == 3:
            a, b = bytes(d[at : at + 350]), bytes(d[other : other + 350])
            d[at : at + 350], d[other : other + 350] = b, a
        elif kind == 4:
            d[at : at + 2] = types[int(rng.integers(0, len(types)))]
        elif kind == 5:
            d[at + p : at + p + 8] = b" " * 8
        elif kind == 6:
            d[at + p : at + p + 6] = b"000000"
        elif kind == 7:
            d[at + p : at + p + 10] = d[other + p : other + p + 10]
        else:
            d[at + p : at + p + 8] = dates_[int(rng.integers(0, len(dates_)))]
    return bytes(d)


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_fused_rules_find_what_the_reference_finds_for_every_injected_kind(kind):
    g = generate(500, seed=int(kind) % 1000, month=202610, kinds=(kind,), error_rate=0.08)
    assert g.injected  # the kind is in the file
    assert differences(g.tobytes()) == {}


@pytest.mark.parametrize("seed", range(24))
def test_fused_rules_find_what_the_reference_finds_in_corrupted_sendings(seed):
    rng = np.random.default_rng(seed)
    g = generate(250, seed=seed, month=202610, error_rate=0.05, kinds=tuple(KINDS))
    data = corrupt(g.tobytes(), rng, int(rng.integers(1, 40)))
    today = int(rng.choice([TODAY, 20261015, 20270301]))
    assert differences(data, today) == {}


def test_fused_rules_find_what_the_reference_finds_in_a_line_separated_file():
    g = generate(300, seed=5, month=202610, error_rate=0.05, kinds=tuple(KINDS))
    data = corrupt(g.tobytes(), np.random.default_rng(5), 15)
    head, body = data[:HEADER], data[HEADER:]
    lines = head[:67] + b"\r\n" + head[67:] + b"\r\n"
    lines += b"".join(body[i : i + 350] + b"\n" for i in range(0, len(body), 350))
    assert Sending(lines).lines
    assert differences(lines) == {}


def _engine(refs, limit, threads, checks):
    engine = vsbengine.Engine(refs, today=TODAY, memory_limit=limit, threads=threads)
    if checks == "reference":
        engine._checks = reference.CHUNK_CHECKS + (
            (content.check,) if engine._look is not None else ()
        )
    return engine


def _verdict(r):
    return (
        r.technical,
        r.decision,
        r.records_rejected,
        r.invoices_rejected,
        r.prestations_rejected,
        [(e.record, e.code, e.letter, e.zone, e.offset) for e in r.errors],
        r.problems,
        r.settlement,
    )


@pytest.mark.parametrize("with_refs", [False, True])
def test_chunked_validation_under_a_memory_limit_keeps_the_results(tmp_path, with_refs):
    g = generate(9000, seed=44, month=202610, references=True, error_rate=0.01, kinds=tuple(KINDS))
    data = corrupt(g.tobytes(), np.random.default_rng(44), 12)
    path = tmp_path / "s.920000"
    path.write_bytes(data)
    refs = None
    if with_refs:
        g.write_refs(tmp_path / "refs")
        refs = tmp_path / "refs"
    whole = _verdict(_engine(refs, None, 1, "fused").validate(path))
    assert whole == _verdict(_engine(refs, None, 1, "reference").validate(path))
    for threads in (1, 2):
        engine = _engine(refs, 64 << 20, threads, "fused")
        result = engine.validate(path)
        assert len(result.scans.plan.chunks) > 1
        assert _verdict(result) == whole
        assert _verdict(_engine(refs, 64 << 20, threads, "reference").validate(path)) == whole


def _scan_view(data):
    offset, params = rule_params(data, LAYOUTS, TODAY)
    s = _core.scan(data, core_tables(), params=params, first10=offset)
    return (
        s.finding_unit.tolist(),
        s.finding_zone.tolist(),
        s.finding_kind.tolist(),
        s.rule_unit.tolist(),
        s.rule_id.tolist(),
        [a.tolist() for a in s.slots],
        s.inv_sums.tolist(),
    )


@pytest.mark.parametrize("kernel", _core.available_kernels())
def test_every_classification_kernel_scans_alike(kernel):
    g = generate(400, seed=9, month=202610, error_rate=0.05, kinds=tuple(KINDS))
    data = corrupt(g.tobytes(), np.random.default_rng(9), 60)
    # Bytes of every class in every position: control bytes, Latin-1, the C1 range.
    rng = np.random.default_rng(10)
    noisy = bytearray(data)
    for at in rng.integers(HEADER, len(noisy), 400).tolist():
        noisy[at] = int(rng.integers(0, 256))
    expected = None
    before = _core.kernel()
    try:
        for name in ("portable", kernel):
            _core.use_kernel(name)
            got = (_scan_view(data), _scan_view(bytes(noisy)))
            expected = expected or got
            assert got == expected
    finally:
        _core.use_kernel(before)


def test_use_kernel_refuses_what_it_does_not_know():
    with pytest.raises(ValueError, match="unknown kernel 'sse9'"):
        _core.use_kernel("sse9")
    assert _core.kernel() in _core.available_kernels()


def test_a_rule_is_a_table_row(monkeypatch):
    """A new rule for a zone is one more row: here, records 50 must not be dated after
    the 15th of a month (in a layout set of its own)."""
    compiled = Compiled(dict(SENDING))
    steps = rules._family_steps()
    extra = rules.Compare("50", "5", "500516", "first_date", ">", 20261015)
    monkeypatch.setattr(
        rules, "_family_steps", lambda: {**steps, "dates": steps["dates"] + (extra,)}
    )
    table = rules.compile_rules(compiled)
    tables = _core.CoreTables(compiled, table)
    g = generate(200, seed=3, month=202610)
    data = g.tobytes()
    s = _core.scan(data, tables, params=np.array([TODAY, 202610, 202611, 0]))
    mine = table.rank[table.code == 500516].max()  # the new row ranks after the old one
    fired = s.rule_unit[(table.code[s.rule_id] == 500516) & (table.rank[s.rule_id] == mine)]
    r50 = s.units[compiled.index["50"]]
    first = s.slots[compiled.slot("50", "first_date")]
    assert sorted(fired.tolist()) == r50[first > 20261015].tolist()
    assert len(fired) > 0


def test_rules_name_their_codes_zones_and_families():
    table = rules.rule_table()
    coded = table.code > 0
    assert set(table.family[coded].tolist()) == set(range(len(rules.FAMILIES)))
    # Every code of a rule is in the catalogue, with its letter.
    from vsbengine.formats.efact.findings import letter_of

    for code, letter in zip(table.code[coded].tolist(), table.letter[coded].tolist()):
        assert (chr(letter) if letter else "") == letter_of(f"{code:06d}")
    # Every rule names a zone of the layouts (the totals: their record 80's).
    assert (table.zone[coded] >= 0).all() and (table.zone[coded] < len(LAYOUTS.zones)).all()


def test_a_rule_must_name_a_catalogued_code(monkeypatch):
    steps = rules._family_steps()
    extra = rules.Compare("50", "5", "509999", "first_date", ">", 20261015)
    monkeypatch.setattr(
        rules, "_family_steps", lambda: {**steps, "dates": steps["dates"] + (extra,)}
    )
    with pytest.raises(KeyError, match="509999"):
        rules.compile_rules(Compiled(dict(SENDING)))


def test_a_bad_rule_table_is_refused():
    compiled = Compiled(dict(SENDING))
    table = rules.compile_rules(compiled)
    with pytest.raises(ValueError, match="rules must have"):
        _core.CoreTables(compiled, dataclasses.replace(table, rules=table.rules[:, :3]))
    with pytest.raises(KeyError, match="layout 50 has no column no_such"):
        rules._Builder(compiled).spec(rules.Compare("50", "5", "509999", "no_such", ">", 1), 0, 0)
