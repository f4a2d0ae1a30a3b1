"""Content checks against reference data (family 8), each with its exact codes."""

from __future__ import annotations

import pytest
from efact_edit import TODAY, Sending

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
    expected = set()
    for i in r50:
        if s.records[i][16:24] > mid:
            expected |= {(s.seq_at(i), "500540"), (s.seq_at(i), "500640")} | group(s, i)
    assert expected
    assert codes(run(s, folder)) == expected


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


def test_repeated_pairs_are_found_by_a_hash_as_by_a_sort():
    """_core.repeated: the rows after the first of each pair of keys (first by order)."""
    import numpy as np

    from vsbengine import _core

    rng = np.random.default_rng(5)
    for n in (0, 1, 2, 1000, 50_000):
        k1 = rng.integers(0, 40, n) * (1 << 40)  # few distinct keys: many repeats
        k2 = rng.integers(0, 30, n) - 3
        order = rng.permutation(n) * 3
        got = _core.repeated(k1, k2, order)
        by = np.lexsort((order, k2, k1))
        again = np.zeros(n, dtype=bool)
        again[1:] = (k1[by][1:] == k1[by][:-1]) & (k2[by][1:] == k2[by][:-1])
        assert got.tolist() == sorted(by[again].tolist())
    with pytest.raises(ValueError, match="differ in length"):
        _core.repeated([1, 2], [1], [0, 1])
