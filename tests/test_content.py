"""Content checks against reference data (family 8), each with its exact codes."""

from __future__ import annotations

import datetime as dt

import pytest
from efact_edit import TODAY, Sending, refers_to

import vsbengine
from vsbengine.formats.efact.answers import Answers
from vsbengine.formats.efact.chunks import chunk_size
from vsbengine.formats.efact.generate import CONTRACTED, generate


@pytest.fixture
def case(tmp_path):
    g = generate(1500, seed=131, month=202610, references=True)
    g.write_refs(tmp_path)
    return Sending(g.tobytes()), tmp_path


def run(s: Sending, folder, **kw):
    return vsbengine.Engine(folder, today=TODAY, **kw).validate(s.tobytes())


def codes(r):
    return {(e.record, e.code) for e in r.errors}


def lines_of(s: Sending, kind: str):
    """(invoice, [records 50]) of invoices of an invoice type ('1', '3' or '5')."""
    for inv in s.invoices():
        if s.records[inv[0]][49] == kind:
            yield inv, [i for i in inv if s.records[i][:2] == "50"]


def group(s: Sending, i: int) -> set:
    out, j = set(), i + 1
    while s.records[j][:2] in ("51", "52"):
        out.add((s.seq_at(j), s.records[j][:2] + "0119"))
        j += 1
    return out


def rewrite(folder, name, fn):
    path = folder / name
    path.write_text(fn(path.read_text()))


def test_clean_with_references(case):
    s, folder = case
    assert run(s, folder).errors == []


def test_content_checks_are_skipped_without_references(case):
    s, folder = case
    rewrite(folder, "tariffs.csv", lambda t: t.replace(",2200,", ",2222,"))
    assert vsbengine.validate(s.tobytes(), today=TODAY).errors == []
    assert run(s, folder).errors != []


def test_the_contracted_price_wins(case):
    s, folder = case
    rewrite(folder, "tariffs.csv", lambda t: t.replace(f",{CONTRACTED[1]},", ",2222,"))
    hits = [
        i for i, r in enumerate(s.records) if r[:2] == "50" and r[9:16] == f"{CONTRACTED[0]:07d}"
    ]
    assert hits
    expected = set()
    for i in hits:
        expected |= {(s.seq_at(i), "501940")} | group(s, i)
    assert codes(run(s, folder)) == expected


def test_related_prestation_missing(case):
    s, folder = case
    needs, related = "0771152", "0771012"
    rewrite(
        folder,
        "codes.csv",
        lambda t: t.replace(f"{needs},prestation,,", f"{needs},prestation,{related},"),
    )
    expected = set()
    for inv in s.invoices():
        billed = {
            (s.records[i][16:24], s.records[i][9:16]) for i in inv if s.records[i][:2] == "50"
        }
        for i in inv:
            r = s.records[i]
            if r[:2] == "50" and r[9:16] == needs and (r[16:24], related) not in billed:
                expected |= {(s.seq_at(i), "501740")} | group(s, i)
    assert expected
    assert codes(run(s, folder)) == expected


def _not_insured_after(s: Sending, r50: list, mid: str) -> set:
    """The codes of the records 50 after ``mid`` (YYYYMMDD) not insured: 500540 and
    500640 on each, and its 51/52 dragged along."""
    expected = set()
    for i in r50:
        if s.records[i][16:24] > mid:
            expected |= {(s.seq_at(i), "500540"), (s.seq_at(i), "500640")} | group(s, i)
    assert expected
    return expected


def test_not_insured_from_the_middle_of_the_month(case):
    s, folder = case
    inv, r50 = next(
        (inv, r50) for inv, r50 in lines_of(s, "3") if len({s.records[i][16:24] for i in r50}) > 1
    )
    insz = s.records[inv[0]][37:48]
    mid = sorted(s.records[i][16:24] for i in r50)[0]
    end = f"{mid[:4]}-{mid[4:6]}-{mid[6:]}"
    rewrite(
        folder,
        "members.csv",
        lambda t: (
            "\n".join(
                (
                    line.replace(",,", f",{end},", 1)
                    if line.startswith(insz) and line.count(",,")
                    else line
                )
                for line in t.splitlines()
            )
            + "\n"
        ),
    )
    assert codes(run(s, folder)) == _not_insured_after(s, r50, mid)


def test_beneficiary_at_another_mutuality(case):
    s, folder = case
    inv = s.invoices()[0]
    insz = s.records[inv[0]][37:48]
    rewrite(
        folder,
        "members.csv",
        lambda t: (
            "\n".join(
                (
                    line.split(",")[0] + ",999," + ",".join(line.split(",")[2:])
                    if line.startswith(insz)
                    else line
                )
                for line in t.splitlines()
            )
            + "\n"
        ),
    )
    r = run(s, folder)
    assert codes(r) == {(s.seq_at(inv[0]), "200742")}
    assert r.invoices_rejected == 1


def test_insured_at_the_invoice_s_mutuality_on_the_dates(case):
    """The member moved to another mutuality from the middle of the month: the records
    after the move are not insured at the invoice's mutuality (500540, 500640); the
    invoice itself is known there (its earlier period), so no F error rejects it."""
    s, folder = case
    inv, r50 = next(
        (inv, r50) for inv, r50 in lines_of(s, "3") if len({s.records[i][16:24] for i in r50}) > 1
    )
    insz, mutuality = s.records[inv[0]][37:48], s.records[inv[0]][32:35]  # zone 7
    other = "999" if mutuality != "999" else "998"
    mid = sorted(s.records[i][16:24] for i in r50)[0]
    end = f"{mid[:4]}-{mid[4:6]}-{mid[6:]}"
    following = (dt.date.fromisoformat(end) + dt.timedelta(days=1)).isoformat()

    def moved(text: str) -> str:
        out = []
        for line in text.splitlines():
            f = line.split(",")
            if f[0] == insz:
                out.append(",".join([insz, f[1], f[2], end, f[4]]))
                out.append(",".join([insz, other, following, "", f[4]]))
            else:
                out.append(line)
        return "\n".join(out) + "\n"

    rewrite(folder, "members.csv", moved)
    assert codes(run(s, folder)) == _not_insured_after(s, r50, mid)


def test_prestation_outside_the_admission(case):
    s, folder = case
    inv, r50 = next(
        (inv, r50) for inv, r50 in lines_of(s, "3") if len({s.records[i][16:24] for i in r50}) > 1
    )
    number = int(s.records[inv[0]][87:99])
    later = max(s.records[i][16:24] for i in r50)
    iso = f"{later[:4]}-{later[4:6]}-{later[6:]}"
    rewrite(
        folder,
        "admissions.csv",
        lambda t: (
            "\n".join(
                (
                    ",".join(p[:4] + [iso] + p[5:])
                    if (p := line.split(","))[1] == str(number)
                    else line
                )
                for line in t.splitlines()
            )
            + "\n"
        ),
    )
    expected = set()
    for i in r50:
        if s.records[i][16:24] < later:
            expected |= {(s.seq_at(i), "500526")} | group(s, i)
    assert codes(run(s, folder)) == expected


def test_revalidation_approval_date_differs(case):
    s, folder = case
    inv, _ = next(lines_of(s, "5"))
    number = int(s.records[inv[0]][87:99])
    rewrite(
        folder,
        "admissions.csv",
        lambda t: (
            "\n".join(
                (
                    ",".join(p[:6] + ["2019-01-01"])
                    if (p := line.split(","))[1] == str(number)
                    else line
                )
                for line in t.splitlines()
            )
            + "\n"
        ),
    )
    r = run(s, folder)
    assert codes(r) == {(s.seq_at(inv[0]), "202020")}
    assert r.errors[0].letter == "S" and r.records_rejected == 0 and r.accepted


def test_a_duplicate_across_chunks_drags_its_record_51(tmp_path):
    """The last invoice bills a line of the first again for the same person: found on the
    whole sending, its record 51 is rejected with it, in one piece or in chunks."""
    g = generate(60_000, seed=132, month=202610, references=True)
    g.write_refs(tmp_path)
    s = Sending(g.tobytes())
    invs = s.invoices()
    last = next(
        inv
        for inv in reversed(invs)
        if s.records[inv[0]][49] in "13"
        and any(s.records[i][:2] == "50" and s.records[i + 1][:2] == "51" for i in inv)
    )
    dst = next(i for i in last if s.records[i][:2] == "50" and s.records[i + 1][:2] == "51")
    # The first invoice of the same destination mutuality (invoices stay sorted by it),
    # whose person is a member there as the member file says.
    mutuality = s.records[last[0]][84:87]
    first = next(
        inv
        for inv in invs
        if s.records[inv[0]][49] in "13" and s.records[inv[0]][84:87] == mutuality
    )
    assert (last[0] - first[0]) * 350 > chunk_size(64 << 20)  # in different chunks
    src = next(i for i in first if s.records[i][:2] == "50")
    person = s.records[first[0]][35:48]
    for i in last:
        s.put_at(i, 36, person)
        if s.records[i][:2] in ("20", "80"):
            s.put_at(i, 33, s.records[first[0]][32:35])  # the person's holder mutuality
    # The admission of the last invoice belongs to the person too.
    number = int(s.records[last[0]][87:99])
    rewrite(
        tmp_path,
        "admissions.csv",
        lambda t: (
            "\n".join(
                (
                    ",".join(p[:2] + [person[2:]] + p[3:])
                    if (p := line.split(","))[1] == str(number)
                    else line
                )
                for line in t.splitlines()
            )
            + "\n"
        ),
    )
    r = s.records[src]
    s.put_at(dst, 10, r[9:16])  # code
    s.put_at(dst, 17, r[16:32])  # dates
    s.put_at(dst, 88, r[87:99])  # amount
    s.put_at(dst, 108, r[107:112])  # units
    s.put_at(dst, 128, r[127:137])  # personal share
    s.put_at(dst, 51, r[50])  # account
    s.put_at(dst + 1, 10, r[9:16])  # its record 51 keeps the same code
    s.put_at(dst + 1, 17, r[16:24])
    s.put_at(dst + 1, 36, person)
    s.put_at(dst + 1, 88, r[87:99])  # and the same amount
    s.resum()
    one = run(s, tmp_path)
    assert {(x.record, x.code) for x in one.errors} >= {
        (s.seq_at(dst), "500423"),
        (s.seq_at(dst + 1), "510119"),
    }
    many = run(s, tmp_path, memory_limit=64 << 20)
    assert many.report() == one.report()
    for df in one.messages:
        assert Answers(many).bytes(df) == Answers(one).bytes(df)


@pytest.mark.parametrize(
    "table, expected",
    [
        ("members", {"200820"}),
        ("admissions", {"200520"}),
        ("codes", {"300420", "500420", "510420", "520119"}),
        ("tariffs", {"300454", "500454", "510119", "520119"}),
        ("facilities", {"101420"}),  # the payer is not known: nothing is paid
    ],
)
def test_an_empty_reference_table_is_checked_against(case, table, expected):
    """A header and no rows is valid data: nothing is found in it (no IndexError)."""
    s, folder = case
    path = folder / f"{table}.csv"
    path.write_text(path.read_text().splitlines()[0] + "\n")
    r = run(s, folder)
    assert {e.code for e in r.errors} == expected  # x0119: records 51/52 of a rejected 50
    if table == "members":  # every invoice names a beneficiary nobody knows
        assert sum(e.code == "200820" for e in r.errors) == r.invoices_total


# -- the compiled joins against the numpy lookups they replace ---------------------------


def _content_errors(data, refs, today=20261123):
    import reference_rules as reference

    from vsbengine.formats.efact.checks import content
    from vsbengine.formats.efact.findings import Context
    from vsbengine.formats.efact.sending import Sending

    s = Sending(data, today=today)
    fused = content.check(s, Context(today, content.Lookups(refs)))
    ref = reference.content_check(s, Context(today, reference.ContentLookups(refs)))
    listed = lambda f: list(
        zip(*(getattr(f.errors.table(), c).tolist() for c in ("unit", "code", "zone")))
    )
    keys = lambda f: (
        sorted(zip(f.prestations.unit.tolist(), f.prestations.key1.tolist(),
                   f.prestations.key2.tolist()))
    )  # fmt: skip
    edges = lambda f: sorted(
        (a, b, c)
        for e in f.edges
        for a, b, c in zip(e.src.tolist(), e.dst.tolist(), e.code.tolist())
    )
    return (listed(fused), keys(fused), edges(fused)), (listed(ref), keys(ref), edges(ref))


@pytest.mark.parametrize("seed", range(6))
def test_compiled_joins_find_what_the_numpy_lookups_find(tmp_path, seed):
    import numpy as np
    from test_rules import corrupt

    from vsbengine.formats.efact.generate import CONTENT_KINDS, KINDS
    from vsbengine.formats.efact.refs import load

    g = generate(800, seed=300 + seed, month=202610, references=True, error_rate=0.06,
                 kinds=CONTENT_KINDS if seed % 2 else tuple(KINDS))  # fmt: skip
    g.write_refs(tmp_path / "refs")
    refs = load(tmp_path / "refs")
    data = g.tobytes()
    if seed >= 3:
        data = corrupt(data, np.random.default_rng(seed), 30)
    fused, ref = _content_errors(data, refs)
    assert fused == ref
    assert fused[0]  # the injected kinds are found


@pytest.mark.parametrize("seed", range(6))
def test_repeated_pairs_are_found_by_a_hash_as_by_a_sort(seed):
    """_core.repeated (one pass over a hash of the pairs) gives the rows after the first
    of each pair of keys, as a sort finds them: ties of order broken by the row, few or
    many repeats, keys of any sign; with slots of 4 bytes (below 2**24 - 1 rows) as with
    those of 8 (``wide``, what more rows take)."""
    import numpy as np

    from vsbengine import _core

    rng = np.random.default_rng(seed)
    for n in (0, 1, 2, 3, 17, 1000, 30_000):
        spread = (2, 50, 10**9)[seed % 3]
        k1 = rng.integers(-spread, spread, n) << int(rng.integers(0, 24))
        k2 = rng.integers(-spread, spread, n)
        order = rng.integers(0, max(n // (1 + seed), 1), n)  # ties of order too
        got = _core.repeated(k1, k2, order)
        assert got.dtype == np.int64
        assert _core.repeated(k1, k2, order, wide=True).tolist() == got.tolist()
        by = np.lexsort((np.arange(n), order, k2, k1))
        again = np.zeros(n, dtype=bool)
        again[1:] = (k1[by][1:] == k1[by][:-1]) & (k2[by][1:] == k2[by][:-1])
        assert got.tolist() == sorted(by[again].tolist())
    with pytest.raises(ValueError, match="differ in length"):
        _core.repeated([1, 2], [1, 2], [0])
    with pytest.raises(ValueError, match="differ in length"):
        _core.repeated([1, 2], [1], [0, 1])


@pytest.mark.parametrize("seed", range(4))
def test_compiled_joins_find_what_the_numpy_lookups_find_with_altered_references(tmp_path, seed):
    """The same comparison with reference data altered so that every join finds
    something: other mutualities, admissions on other days, related codes that are not
    billed, other tariffs, people deceased or insured for part of the month."""
    import numpy as np
    from test_rules import corrupt

    from vsbengine.formats.efact.generate import CONTENT_KINDS
    from vsbengine.formats.efact.refs import load

    g = generate(1200, seed=400 + seed, month=202610, references=True, error_rate=0.03,
                 kinds=CONTENT_KINDS)  # fmt: skip
    g.write_refs(tmp_path / "refs")
    refs = load(tmp_path / "refs")
    rng = np.random.default_rng(seed)
    m = refs.members
    pick = rng.random(len(m)) < 0.1
    m.mutuality[pick] = 999
    m.deceased[rng.random(len(m)) < 0.05] = 46300  # 2026-10-06 or so
    m.reach[rng.random(len(m)) < 0.05] = 46305
    a = refs.admissions.columns
    shift = rng.random(len(a["admitted_on"])) < 0.1
    a["admitted_on"][shift] += 1
    a["approval_date"][rng.random(len(a["approval_date"])) < 0.1] = 46299
    a["discharged_on"][rng.random(len(a["discharged_on"])) < 0.1] = 46301
    c = refs.codes.columns
    c["related_code"][rng.random(len(c["code"])) < 0.5] = int(c["code"][0])
    t = refs.tariffs.columns
    t["unit_amount"][rng.random(len(t["code"])) < 0.3] += 1
    data = g.tobytes()
    if seed >= 2:
        data = corrupt(data, np.random.default_rng(seed), 20)
    fused, ref = _content_errors(data, refs)
    assert fused == ref
    found = {code for _, code, _ in fused[0]}
    every_join = {200520, 200742, 200820, 202020, 300490, 500526, 500540, 500549, 500640}
    assert every_join | {500420, 501740, 501940, 502741} <= found


# -- the compiled kernels on their own, with hostile input -------------------------------


def _day_count(k: int) -> int:
    """The March-based day count of a YYYYMMDD value, in Python integers."""
    if k <= 0:
        return -1
    y, m, d = k // 10000, (k // 100) % 100, k % 100
    a = 1 if m <= 2 else 0
    yy, mm = y - a, m + 12 * a - 3
    return 365 * yy + yy // 4 - yy // 100 + yy // 400 + (153 * mm + 2) // 5 + d - 693902


def test_days_by_the_month_table_are_the_day_count():
    import numpy as np

    from vsbengine import _core

    rng = np.random.default_rng(3)
    values = np.r_[
        rng.integers(-(10**6), 10**9, 20_000),
        rng.integers(1, 10**18, 500),
        np.arange(18991201, 20810131, 37),
        [0, 1, 99, 100, 101, 10101, 229, 19000229, 20791231, 20800101, 19000001, 19001300],
        [2**62, -(2**63), 2**63 - 1],
        # Around the table's edges and where k / 100 by a multiplication stops.
        [18999999, 19000000, 19000100, 19001232, 20791299, 20799999, 20800000],
        [2**32 - 1, 2**32, 2**32 + 101, 2**33 + 20261015, 429496729500, 4294967295 * 100],
        np.arange(2**32 - 40_000, 2**32 + 40_000, 7),
    ]
    assert _core.days(values).tolist() == [_day_count(int(v)) for v in values]
    assert _core.days(np.zeros(0, np.int64)).tolist() == []


def test_key_index_finds_each_keys_rows():
    import numpy as np

    from vsbengine import _core

    keys = np.array([0, 0, 3, 7, 7, 7, 2**62 - 1], dtype=np.int64)
    index = _core.KeyIndex(keys)
    lo, hi = index.find([0, 3, 7, 2**62 - 1, 1, -1, -(2**62), -(2**63), 2**63 - 1])
    assert lo.tolist() == [0, 2, 3, 6, 0, 0, 0, 0, 0]
    assert hi.tolist() == [2, 3, 6, 7, 0, 0, 0, 0, 0]
    empty = _core.KeyIndex(np.zeros(0, np.int64))
    assert empty.rows == 0
    assert [a.tolist() for a in empty.find([0, 5, -(2**62)])] == [[0, 0, 0], [0, 0, 0]]
    assert [a.tolist() for a in index.find([])] == [[], []]
    rng = np.random.default_rng(1)  # many keys: every one found, absent ones not
    many = np.sort(rng.integers(0, 2**40, 100_000))
    index = _core.KeyIndex(many)
    lo, hi = index.find(many)
    assert (many[lo] == many).all() and (hi > lo).all()
    assert (np.searchsorted(many, many, side="right") == hi).all()
    absent = np.setdiff1d(rng.integers(0, 2**40, 1000), many)
    assert (index.find(absent)[1] == 0).all()
    with pytest.raises(ValueError, match="sorted"):
        _core.KeyIndex([3, 1])
    with pytest.raises(ValueError, match="negative"):
        _core.KeyIndex([-1, 1])


def _members_packed(rows):
    """(index, packed rows) of members given as (insz, from, reach, mutuality, dead)."""
    import numpy as np

    from vsbengine import _core

    rows = sorted(rows)
    insz = np.array([r[0] for r in rows], dtype=np.int64)
    pack = np.array([f | (r << 16) | (m << 32) | (d << 48) for _, f, r, m, d in rows],
                    dtype=np.uint64).view(np.int64)  # fmt: skip
    return _core.KeyIndex(insz), pack


def _invoices(**cols):
    import numpy as np

    n = len(next(iter(cols.values())))
    base = dict(insz=[0] * n, unread=[0] * n, affiliation=[0] * n, number=[0] * n,
                institution=[0] * n, invoice_type=[1] * n, admitted=[0] * n,
                approval=[0] * n)  # fmt: skip
    base.update(cols)
    return {k: np.asarray(v, dtype=np.int64) for k, v in base.items()}


def _admissions(rows):
    """(institutions, admissions, columns) of admissions (institution, number, insz,
    kind, from, to, approval), as the Lookups hash them."""
    import numpy as np

    from vsbengine import _core

    rows = sorted(rows)
    inst = np.array([r[0] for r in rows], dtype=np.int64)
    uniq = np.unique(inst)
    rank = np.searchsorted(uniq, inst)
    number = np.array([r[1] for r in rows], dtype=np.int64)
    cols = {
        name: np.array([r[i] for r in rows], dtype=np.int64)
        for i, name in enumerate(("insz", "kind", "from", "to", "approval"), 2)
    }
    return _core.KeyIndex(uniq), _core.KeyIndex(rank * 10**12 + number), cols


def test_content_invoices_checks_each_invoice():
    from vsbengine import _core

    m_index, pack = _members_packed(
        [(5, 100, 200, 131, 65535), (5, 300, 400, 132, 65535), (9, 0, 65535, 131, 350)]
    )
    inst, adm, cols = _admissions([(70, 1, 5, 1, 45000, 45100, 45010), (70, 2, 8, 0, 1, 2, 3)])
    inv = _invoices(
        insz=[5, 5, 9, 4, 5, 0, -7, 2**62, 9],
        unread=[0, 0, 0, 0, 1, 0, 0, 0, 0],
        affiliation=[132, 101, 131, 131, 131, 131, 131, 131, 131],
        number=[1, 1, 2, 0, 0, 0, 0, 0, 3],
        institution=[70, 70, 70, 0, 0, 0, 0, 0, 70],
        admitted=[20230322, 20230323, 0, 0, 0, 0, 0, 0, 0],
        approval=[20230401, 0, 0, 0, 0, 0, 0, 0, 0],
    )
    cols["from"][0] = _day_count(20230322)  # the day of admission of invoice 0
    out = _core.content_invoices(inv, m_index, pack, inst, adm, cols, 65535, 1)
    # bits: 1 not a member, 2 another mutuality, 4 admission unknown, 8 approval differs
    assert out["bits"].tolist() == [8, 2 | 4, 4, 1, 0, 0, 0, 1, 4]
    assert out["known"].tolist() == [1, 1, 1, 0, 0, 0, 0, 0, 1]
    assert out["good"].tolist() == [1, 0, 0, 0, 0, 0, 0, 0, 0]
    assert out["deceased"].tolist()[:3] == [65535, 65535, 350]
    lo, hi = out["period_lo"], out["period_hi"]
    # The periods at the invoice's mutuality (invoice 0: at 132, only its period there);
    # every period when the person has none there (invoice 1, with its error 2).
    assert [out["period_from"][lo[i] : hi[i]].tolist() for i in range(3)] == [
        [300], [100, 300], [0]
    ]  # fmt: skip
    assert [out["period_reach"][lo[i] : hi[i]].tolist() for i in range(3)] == [
        [400], [200, 400], [65535]
    ]  # fmt: skip
    # Nothing at all: no invoices, no members, no admissions.
    e_index, e_pack = _members_packed([])
    e_inst, e_adm, e_cols = _admissions([])
    empty = _core.content_invoices(_invoices(insz=[]), e_index, e_pack, e_inst, e_adm,
                                   e_cols, 65535, 1)  # fmt: skip
    assert all(len(v) == 0 for v in empty.values())
    some = _core.content_invoices(inv, e_index, e_pack, e_inst, e_adm, e_cols, 65535, 1)
    assert some["bits"].tolist() == [1 | 4, 1 | 4, 1 | 4, 1, 0, 0, 0, 1, 1 | 4]
    with pytest.raises(ValueError, match="differ in length"):
        _core.content_invoices(inv, m_index, pack[:1], inst, adm, cols, 65535, 1)
    with pytest.raises(ValueError, match="not 9"):
        _core.content_invoices({**inv, "number": inv["number"][:3]}, m_index, pack, inst,
                               adm, cols, 65535, 1)  # fmt: skip
    with pytest.raises(ValueError, match="not 2"):
        _core.content_invoices(inv, m_index, pack, inst, adm, {**cols, "kind": [1]}, 65535, 1)


def _prestation_case(rng, n30, n50, n_inv, *, dates, codes=8):
    """Random input of content_prestations: prestations of random invoices, codes whose
    category is ``code % 4`` (valid from day -5, so that a prestation without a date has
    one) and related code ``code - 1`` when ``code % 3 == 0``."""
    import numpy as np

    from vsbengine import _core

    n = n30 + n50
    units = np.sort(rng.choice(3 * n + 5, n30, replace=False)).tolist()
    rest = sorted(set(range(3 * n + 5)) - set(units))
    units = np.array(units + sorted(rng.choice(rest, n50, replace=False).tolist()), np.int64)
    invoice = rng.integers(0, max(n_inv, 1), 3 * n + 5).astype(np.int32)
    rows = (rng.permutation(n30 + 3)[:n30], rng.permutation(n50 + 2)[:n50])
    cols = []
    for size in (n30 + 3, n50 + 2):
        cols.append((
            rng.integers(1, codes + 1, size).astype(np.int32),     # code
            rng.choice(dates, size).astype(np.int32),              # first date
            rng.choice(np.r_[dates, 0], size).astype(np.int32),    # last date
            rng.integers(0, 3, size).astype(np.int32),             # units
            rng.integers(0, 300, size).astype(np.int64),           # amount
            rng.integers(0, 30, size).astype(np.int32),            # personal share
        ))  # fmt: skip
    code_keys = np.arange(1, codes + 1, dtype=np.int64)
    codes_t = dict(
        **{"from": np.full(codes, -5, np.int64)},
        reach=np.full(codes, 1 << 40, np.int64),
        category=code_keys % 4,
        related=np.where(code_keys % 3 == 0, code_keys - 1, -1),
    )
    inv = dict(
        institution=rng.integers(0, 3, n_inv), insz=rng.integers(1, 10**11, n_inv),
        known=np.zeros(n_inv, np.uint8), good=np.zeros(n_inv, np.uint8),
        arow=np.zeros(n_inv, np.int64), period_lo=np.zeros(n_inv, np.int64),
        period_hi=np.zeros(n_inv, np.int64), deceased=np.full(n_inv, 65535, np.int64),
        period_from=np.zeros(0, np.int64), period_reach=np.zeros(0, np.int64),
    )  # fmt: skip
    empty = dict(**{"from": np.zeros(0, np.int64)}, to=np.zeros(0, np.int64),
                 amount=np.zeros(0, np.int64), share=np.zeros(0, np.int64))  # fmt: skip
    args = [units, invoice, n30, rows, tuple(cols), inv, _core.KeyIndex(code_keys), codes_t,
            _core.KeyIndex([]), empty, {"from": np.zeros(0, np.int64),
                                        "to": np.zeros(0, np.int64)}, 65535, 0, 1]  # fmt: skip
    return args


def _between_model(args):
    """The checks between prestations as the numpy checks made them: the related
    prestation (bit 256), the VSB pair rule (bit 512) and the day groups' edges."""
    import numpy as np

    from vsbengine import _core

    units, invoice, n30, rows, cols = args[:5]
    pick = lambda c: np.r_[cols[0][c][rows[0]], cols[1][c][rows[1]]].astype(np.int64)
    inv = invoice[units].astype(np.int64)
    code, d1 = pick(0), _core.days(pick(1))
    category = np.where(d1 >= -5, code % 4, 255)
    related = np.where((d1 >= -5) & (code % 3 == 0), code - 1, -1)
    bits = np.zeros(len(units), np.uint16)
    have = set(((inv << 40) | (d1 << 24) | code).tolist())
    for i in np.flatnonzero(related > 0):
        if int((inv[i] << 40) | (d1[i] << 24) | related[i]) not in have:
            bits[i] |= 256
    day_key = (inv << 16) | d1
    r30 = np.arange(len(units)) < n30
    days_billed = set(day_key[r30 & (category == 0)].tolist())
    for i in np.flatnonzero(r30 & (category == 1)):
        if int(day_key[i]) not in days_billed:
            bits[i] |= 512
    trigger = r30 & ((category == 0) | (category == 1))
    with_days = set(inv[trigger].tolist())
    edges = []
    for i in np.flatnonzero(trigger):
        for j in range(len(units)):
            if j != i and int(inv[j]) in with_days and day_key[j] == day_key[i]:
                edges.append((i, j))
    return bits, sorted(edges)


@pytest.mark.parametrize("seed", range(8))
def test_content_prestations_between_prestations_as_the_numpy_checks(seed):
    """The related prestation, the pair rule and the day groups of content_prestations
    against a plain model, with duplicates, prestations without a date (their day key
    is -1 whatever their invoice) and dates past 2079 (their day overflows into the
    invoice's bits of the day key: the groups are the day keys all the same)."""
    import numpy as np

    from vsbengine import _core

    rng = np.random.default_rng(seed)
    dates = np.array([20261001, 20261002, 20261003, 21000101, 21000102, 99991231, 0])
    if seed % 2:
        dates = dates[:3]  # few days: big groups
    args = _prestation_case(rng, int(rng.integers(0, 60)), int(rng.integers(0, 60)),
                            int(rng.integers(1, 6)), dates=dates)  # fmt: skip
    out = _core.content_prestations(*args)
    bits, edges = _between_model(args)
    assert (out["bits"] & 0x300).tolist() == bits.tolist()
    assert sorted(zip(out["edge_from"].tolist(), out["edge_to"].tolist())) == edges
    n = len(args[0])
    assert len(out["key1"]) == len(out["key2"]) == len(out["bits"]) == n


@pytest.mark.parametrize("seed", range(3))
def test_content_prestations_reads_columns_of_every_width_and_every_row(seed):
    """The same output whatever the width of each column (read a block at a time with
    its width switched on once), over several blocks, and with rows None (every row in
    order, read without an index) as with the rows listed."""
    import numpy as np

    from vsbengine import _core

    rng = np.random.default_rng(seed)
    dates = np.array([20261001, 20261002, 20261003, 21000101, 0])
    args = _prestation_case(rng, 300 + seed, 200, 7, dates=dates)
    want = _core.content_prestations(*args)

    def same(changed):
        out = _core.content_prestations(*changed)
        assert out.keys() == want.keys()
        for name in want:
            assert out[name].dtype == want[name].dtype
            assert out[name].tolist() == want[name].tolist(), name

    for width in (np.int8, np.int16, np.int32, np.int64):
        info = np.iinfo(width)
        cols = tuple(
            tuple(c.astype(width) if info.min <= c.min() and c.max() <= info.max else c
                  for c in cs)
            for cs in args[4]
        )  # fmt: skip
        assert any(c.dtype == width for cs in cols for c in cs)
        changed = list(args)
        changed[4] = cols
        same(changed)
    # The columns of the prestations only, in order: the rows of each are every row.
    rows, cols = args[3], args[4]
    in_order = tuple(tuple(c[r] for c in cs) for r, cs in zip(rows, cols))
    for listed in ((None, None), (None, np.arange(len(rows[1]))), (np.arange(len(rows[0])), None)):
        changed = list(args)
        changed[3], changed[4] = listed, in_order
        same(changed)
    with pytest.raises(ValueError, match="rows differ"):
        changed = list(args)
        changed[3] = (None, rows[1])  # the columns have rows no prestation has
        _core.content_prestations(*changed)


def test_content_prestations_refuses_what_it_cannot_read():
    import numpy as np

    from vsbengine import _core

    rng = np.random.default_rng(0)
    args = _prestation_case(rng, 4, 3, 2, dates=np.array([20261001]))
    ok = _core.content_prestations(*args)
    assert len(ok["bits"]) == 7
    nothing = _prestation_case(rng, 0, 0, 0, dates=np.array([20261001]))
    out = _core.content_prestations(*nothing)
    assert all(len(v) == 0 for v in out.values())

    def bad(i, value, match):
        wrong = list(args)
        wrong[i] = value
        with pytest.raises(ValueError, match=match):
            _core.content_prestations(*wrong)

    units, invoice, n30, rows, cols, inv = args[:6]
    bad(0, np.r_[units[:-1], 10**9], "outside the units")
    bad(0, np.r_[-1, units[1:]], "outside the units")
    bad(1, np.full(len(invoice), 2, np.int32), "outside the invoices")
    bad(1, np.full(len(invoice), -1, np.int32), "outside the invoices")
    bad(2, 5, "rows differ")
    bad(2, -1, "rows differ")
    bad(3, (rows[0], rows[1][:1]), "rows differ")
    bad(3, (np.r_[rows[0][:-1], 10**6], rows[1]), "outside the columns")
    bad(4, (cols[0][:5], cols[1]), "the six")
    bad(4, (cols[0], cols[1][:5] + (cols[1][5][:1],)), "has 1 values")
    bad(5, {**inv, "arow": inv["arow"][:1]}, "differ in length")
    bad(5, {**inv, "good": np.ones(2, np.uint8), "arow": np.array([0, 5])}, "outside")
    bad(5, {**inv, "known": np.ones(2, np.uint8), "period_hi": np.array([1, 1])}, "outside")
    codes = dict(args[7])
    codes["related"] = codes["related"][:2]
    bad(7, codes, "differ from their index")
    # Columns of any integer type are read as they are; other types are converted.
    floats = (tuple(c.astype(np.float64) for c in cols[0]), cols[1])
    again = list(args)
    again[4] = floats
    assert _core.content_prestations(*again)["bits"].tolist() == ok["bits"].tolist()


def _negated(rec: str) -> str:
    """A prestation record 50 of a credit note: its signed zones (amount 19, units 22,
    personal share 27, supplement 30,31) negative."""
    for start in (88, 108, 128, 165):
        if rec[start - 1] == "+" and rec[start:].lstrip("0")[:1] not in ("", " "):
            rec = rec[: start - 1] + "-" + rec[start:]
    return rec


def _with_number(rec: str, number: int) -> str:
    return rec[:114] + f"{number:012d}" + rec[126:]  # invoice number, records 20 and 80


def test_a_credit_note_takes_a_prestation_back_so_it_may_be_billed_again(case):
    """An invoice, its credit note (invoicing type 3, the same prestations negative) and
    the invoice again, corrected, in one sending: no prestation is billed twice net, so
    none is "already billed" (500423); a third billing without a credit note is."""
    s, folder = case
    inv = next(
        inv
        for inv, r50 in lines_of(s, "1")
        if all(s.records[i][:2] in ("20", "50", "80") for i in inv)
    )
    base = [s.records[i] for i in inv]
    head = refers_to(base[0], int(base[0][114:126]), 1, int(base[0][84:87]))
    credit = [_with_number(head, 990001)]
    credit += [_negated(r) for r in base[1:-1]] + [_with_number(base[-1], 990001)]
    rebill = [_with_number(base[0], 990002)] + base[1:-1] + [_with_number(base[-1], 990002)]
    again = [_with_number(base[0], 990003)] + base[1:-1] + [_with_number(base[-1], 990003)]
    at = inv[-1] + 1
    s.records[at:at] = credit + rebill
    s.renumber()
    s.resum()
    r = run(s, folder)
    assert r.errors == [], [(e.record, e.code) for e in r.errors]
    # The credit note first (the invoice it takes back is in an earlier sending), then
    # the rebill, then the invoice a second time: only the last one is a repeat.
    s.records[inv[0] : inv[-1] + 1] = []
    at = next(i for i, x in enumerate(s.records) if x[:2] == "20" and x[114:126] == "000000990002")
    end = at + len(rebill)
    s.records[end:end] = again
    s.renumber()
    s.resum()
    r = run(s, folder)
    last = [s.seq_at(i) for i in range(end + 1, end + len(again) - 1)]
    assert {(e.record, e.code) for e in r.errors} == {(q, "500423") for q in last}


def test_a_repeated_revalidation_day_rejects_only_the_repeat(case):
    """A revalidation-day record 30 billed twice: the second is the repeat (300423), and
    it drags nothing of the day it repeats (its first billing and the personal share
    stand: a repeat is the one too many, not a wrong day)."""
    s, folder = case
    day = next(
        i
        for i, r in enumerate(s.records)
        if r[:2] == "30" and r[9:16] == "0791012" and s.records[i + 1][9:16] == "0791034"
    )
    s.records[day + 2 : day + 2] = [s.records[day]]
    s.renumber()
    s.resum()
    r = run(s, folder)
    assert codes(r) == {(s.seq_at(day + 2), "300423")}
    assert r.records_rejected == 1


def _extended(s: Sending, i: int, days: int) -> str:
    """Record ``i`` (a record 50 of one day) made to run ``days`` more days (its last
    date, zone 6a,6b); returns its first date, ISO."""
    first = dt.date(int(s.records[i][16:20]), int(s.records[i][20:22]), int(s.records[i][22:24]))
    last = first + dt.timedelta(days=days)
    s.put_at(i, 25, last.strftime("%Y%m%d"))
    s.resum()
    return first.isoformat()


@pytest.mark.parametrize("rule", ["death", "discharge"])
def test_a_prestation_of_several_days_is_checked_on_all_of_them(case, rule):
    """A record 50 from day 1 to day 10: a death on day 5 (500549: it bills days after
    it), a discharge on day 5 (500526: days outside the admission), though its first
    day is fine."""
    s, folder = case
    inv, r50 = next(
        (inv, r50) for inv, r50 in lines_of(s, "3") if len({s.records[i][16:24] for i in r50}) > 1
    )
    i = max(r50, key=lambda j: s.records[j][16:24])  # the invoice's last day
    first = _extended(s, i, 9)
    day5 = (dt.date.fromisoformat(first) + dt.timedelta(days=4)).isoformat()
    if rule == "death":
        insz = s.records[inv[0]][37:48]
        rewrite(folder, "members.csv", lambda t: "\n".join(
            (",".join(f[:4] + [day5]) if (f := line.split(","))[0] == insz else line)
            for line in t.splitlines()) + "\n")  # fmt: skip
        code = "500549"
    else:
        number = int(s.records[inv[0]][87:99])
        rewrite(folder, "admissions.csv", lambda t: "\n".join(
            (",".join(p[:5] + [day5] + p[6:]) if (p := line.split(","))[1] == str(number)
             else line) for line in t.splitlines()) + "\n")  # fmt: skip
        code = "500526"
    got = codes(run(s, folder))
    assert (s.seq_at(i), code) in got
    assert {c for _, c in got} <= {code, "510119", "520119"}
