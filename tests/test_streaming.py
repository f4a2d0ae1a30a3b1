"""Big files: chunks cut at invoice boundaries give the one-shot result, in bounded memory."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from efact_edit import DAMAGE, TODAY, Sending, clean, damage, lined

import vsbengine
from vsbengine.formats.efact import chunks
from vsbengine.formats.efact.answers import Answers
from vsbengine.formats.efact.generate import generate

SMALL = 64 << 20
HEADER = 227  # segments 200 and 300  # the smallest memory limit: chunks of about a megabyte


def both(data, **kw):
    one = vsbengine.validate(data, today=TODAY)
    many = vsbengine.validate(data, today=TODAY, memory_limit=SMALL, **kw)
    return one, many


def assert_same(one, many):
    assert many.report() == one.report()
    for df in one.messages:
        for echo in ("errors", "all"):
            assert Answers(many, echo=echo).bytes(df) == Answers(one, echo=echo).bytes(df), df


@pytest.fixture(scope="module")
def big() -> bytes:
    return generate(30_000, seed=91, month=202610, error_rate=0.03).tobytes()


def test_the_plan_cuts_after_records_80(big):
    plan = chunks.plan(chunks.Reader(big), chunk_bytes=1 << 20)
    assert len(plan.chunks) > 5
    assert all(c.units > 0 for c in plan.chunks)
    assert [c.first_unit for c in plan.chunks] == list(
        2 + __import__("numpy").cumsum([0] + [c.units for c in plan.chunks[:-1]])
    )
    for c in plan.chunks[:-1]:
        assert big[c.end - 350 : c.end - 348] == b"80"
        assert c.end - c.start <= 2 << 20
    assert plan.chunks[-1].end == len(big)


@pytest.mark.parametrize("threads", [1, 2])
def test_chunks_give_the_one_shot_result(big, threads):
    one, many = both(big, threads=threads)
    assert one.errors and one.messages == ["DF011", "DF013"]
    assert_same(one, many)


def test_checks_across_chunk_boundaries(big):
    s = Sending(big)
    invs = s.invoices()
    first, last = invs[0], invs[-1]
    # The last invoice reuses the number of the first (far away, another chunk),
    # and a middle invoice has a lower destination mutuality than the one before.
    number = s.records[first[0]][114:126]
    for i in last:
        if s.records[i][:2] in ("20", "80"):
            s.put_at(i, 115, number)
    mid = invs[len(invs) // 2]
    low = int(s.records[invs[0][0]][84:87]) - 1
    for i in mid:
        if s.records[i][:2] in ("20", "80"):
            s.put_at(i, 85, f"{low:03d}")
    s.resum()
    one, many = both(s.tobytes())
    codes = {e.code for e in one.errors}
    assert {"202420", "201812"} <= codes
    assert_same(one, many)


def test_line_separated_and_truncated_files(big):
    with_breaks = lined(big)
    assert_same(*both(with_breaks))
    broken = bytearray(with_breaks)
    cut = len(broken) * 3 // 4
    del broken[cut : cut + 7]
    one, many = both(bytes(broken))
    assert one.technical == "DF012" and one.problems
    assert_same(one, many)


def test_records_after_an_invoice_end_are_of_no_invoice_in_one_piece_and_in_chunks(big):
    """A record 50 right after the record 80 where a chunk is cut: a chunk starts with
    it, outside every invoice; one scan of the whole file sees it the same way (an
    order error on it, and its amount is no part of the invoice that ended)."""
    cuts = [c.start for c in chunks.plan(chunks.Reader(big), chunks.chunk_size(SMALL, 1)).chunks]
    d = bytearray(big)
    for cut in reversed(cuts[1:]):
        assert d[cut - 350 : cut - 348] == b"80"
        j = cut - 700
        while d[j : j + 2] != b"50":
            j -= 350
        d[cut:cut] = d[j : j + 350]
    one, many = both(bytes(d))
    assert_same(one, many)
    strays = [cut + 350 * k for k, cut in enumerate(cuts[1:])]
    codes = {}
    for e in one.errors:
        codes.setdefault(e.offset - (e.offset - HEADER) % 350, set()).add(e.code)
    before = {}
    for e in vsbengine.validate(big, today=TODAY).errors:
        before.setdefault(e.offset - (e.offset - HEADER) % 350, set()).add(e.code)
    for k, at in enumerate(strays):
        assert "500110" in codes[at]  # a record 50 after a record 80
        # The invoice that ended before it has the errors it had (its totals add up
        # without the stray's amount), and its record 80 is not followed by a 20 or 90.
        assert codes.get(at - 350, set()) == before.get(cuts[k + 1] - 350, set()) | {"800111"}


def test_the_records_of_an_invoice_are_its_records_20_to_80_by_type(big):
    """A record 50 turned into a record 10 inside an invoice is no record of it: the
    record 95 of its mutuality counts one record more than its invoices hold (950920),
    in one scan and in chunks alike."""
    plan = chunks.plan(chunks.Reader(big), chunks.chunk_size(SMALL, 1))
    at = plan.chunks[2].start
    while big[at : at + 2] != b"50":
        at += 350
    changed = big[:at] + b"10" + big[at + 2 :]
    assert "950920" not in {e.code for e in vsbengine.validate(big, today=TODAY).errors}
    one, many = both(changed)
    assert "950920" in {e.code for e in one.errors}
    assert_same(one, many)


def test_a_short_line_after_the_record_10_is_copied_with_it_not_the_file(big):
    """The unit after a broken record 10 starts past the first bytes the plan frames:
    the copy before each chunk is that record (and the line), not the rest of the file."""
    broken = big[:577] + b"X" * 303 + b"\n" + big[577:]
    plan = chunks.plan(chunks.Reader(broken), chunks.chunk_size(SMALL, 1))
    assert len(plan.chunks) > 3 and plan.record10 == (227, 881)
    one, many = both(broken)
    assert one.technical == "DF012" and one.problems
    assert_same(one, many)


@pytest.mark.parametrize("lines", [False, True])
@pytest.mark.parametrize("kind", DAMAGE)
def test_corrupted_files_give_the_one_shot_result_in_chunks(big, kind, lines):
    """Files damaged five ways, with and without line breaks: the chunks (one thread
    and two) add up to the one scan."""
    rng = np.random.default_rng(DAMAGE.index(kind) * 2 + lines)
    d = damage(lined(big) if lines else big, kind, rng, int(rng.choice([3, 40, 400])))
    one, many = both(d)
    assert_same(one, many)
    assert_same(one, vsbengine.validate(d, today=TODAY, memory_limit=SMALL, threads=2))


def test_lines_of_whole_records_across_chunk_boundaries(big):
    """Line breaks after some records only, lines of up to thousands of records (longer
    than a chunk): the chunks give the one scan, which reads every record as the
    single-line file has them."""
    rng = np.random.default_rng(5)
    recs = [big[i : i + 350] for i in range(HEADER, len(big), 350)]
    lines, i = [big[:67], big[67:HEADER]], 0
    while i < len(recs):
        k = int(rng.choice([1, 2, 7, 4000]))
        lines.append(b"".join(recs[i : i + k]))
        i += k
    mixed = b"\r\n".join(lines)
    plan = chunks.plan(chunks.Reader(mixed), chunks.chunk_size(SMALL, 1))
    assert len(plan.chunks) > 5
    one, many = both(mixed)
    assert_same(one, many)
    single = vsbengine.validate(big, today=TODAY)
    assert one.problems == [] and one.records_total == single.records_total
    assert [(e.record, e.code) for e in one.errors] == [(e.record, e.code) for e in single.errors]


def test_damaged_files_with_reference_data_give_the_one_shot_result_in_chunks(tmp_path):
    """The content checks too (the joins, the deferred places of what errors name), on
    the sending as generated (content errors in every chunk) and damaged."""
    g = generate(20_000, seed=17, month=202610, error_rate=0.03, references=True)
    g.write_refs(tmp_path / "refs")
    one = vsbengine.Engine(tmp_path / "refs", today=TODAY)
    many = vsbengine.Engine(tmp_path / "refs", today=TODAY, memory_limit=SMALL, threads=2)
    data = g.tobytes()
    assert len(chunks.plan(chunks.Reader(data), chunks.chunk_size(SMALL, 2)).chunks) > 3
    first = one.validate(data)
    assert first.technical == "DF011" and len({e.code for e in first.errors}) > 10
    assert_same(first, many.validate(data))
    for k, kind in enumerate(DAMAGE):
        d = damage(data, kind, np.random.default_rng(k), 5)
        assert_same(one.validate(d), many.validate(d))


def test_small_file_is_one_chunk():
    data = clean(100, seed=92)
    plan = chunks.plan(chunks.Reader(data))
    assert len(plan.chunks) == 1 and plan.chunks[0].start == 0


def test_memory_limit_is_checked():
    with pytest.raises(ValueError, match="at least 64 MB"):
        vsbengine.Engine(memory_limit=1 << 20)


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/status")
def test_a_file_twice_the_memory_limit_stays_within_it(tmp_path):
    """Peak memory of a process that validates a 220 MB file under a 110 MB limit.

    The peak is the address space's high-water mark (VmHWM): getrusage's maxrss
    would carry over the parent's, which generated the file.
    """
    path = tmp_path / "big.920000"
    generate(630_000, seed=93, month=202610).write(path)
    assert path.stat().st_size > 2 * (105 << 20)
    script = textwrap.dedent(f"""
        import vsbengine
        r = vsbengine.validate({str(path)!r}, today={TODAY}, memory_limit=110 << 20)
        assert r.messages == ["DF011", "DF014", "DF015"], r.messages
        with open("/proc/self/status") as fh:
            print(next(line.split()[1] for line in fh if line.startswith("VmHWM")))
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    peak_kb = int(out.stdout.split()[-1])
    assert peak_kb * 1024 <= 110 << 20, f"peak {peak_kb // 1024} MB"


def test_framing_problems_are_capped_the_same_in_chunks():
    """Every third record's type broken: thousands of framing problems over several
    chunks list the same first 1,000 and count the rest, as one scan does."""
    g = generate(30_000, seed=94, month=202610)
    body = g.body.copy()
    body[5::3, 0:2] = ord("X")
    one, many = both(g.header + body.tobytes())
    assert len(chunks.plan(chunks.Reader(g.header + body.tobytes()), 1 << 20).chunks) > 3
    assert many.problems == one.problems
    assert len(one.problems) == 1000 + 2
    assert one.problems[1000].message == "9001 more framing problems not listed"


def test_capped_folds_the_chunks_counts():
    from vsbengine.formats.efact.findings import Problem
    from vsbengine.pipeline import capped

    located = [Problem(i, i, "1", "x") for i in range(5)]
    parts = [*located[:3], Problem(None, None, None, "7 more framing problems not listed")]
    parts += [*located[3:], Problem(None, None, "401", "no record 95")]
    assert capped(parts, cap=2) == [
        *located[:2],
        Problem(None, None, None, "10 more framing problems not listed"),
        Problem(None, None, "401", "no record 95"),
    ]
    assert capped(located, cap=5) == located


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/status")
def test_a_file_five_times_the_limit_is_refused_within_it(tmp_path):
    """A file whose own working memory is past the limit is refused before it is read:
    the process stays within the limit (sparse: 320 MB that take no disk)."""
    path = tmp_path / "big.920000"
    with open(path, "wb") as fh:
        fh.write(clean(60, seed=3))
        fh.truncate(5 * SMALL)
    script = textwrap.dedent(f"""
        import vsbengine
        try:
            vsbengine.validate({str(path)!r}, today={TODAY}, memory_limit={SMALL})
        except vsbengine.InputError as exc:
            print(exc)
        with open("/proc/self/status") as fh:
            print(next(line.split()[1] for line in fh if line.startswith("VmHWM")))
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    message, peak_kb = out.stdout.splitlines()
    m = re.fullmatch(
        re.escape(f"{path}: 335,544,320 bytes need about ")
        + r"(\d+) MB to validate \(0\.15 byte per byte, what is kept of every record, and "
        r"(\d+) MB for the process and a chunk\), more than the memory limit of 64 MB: "
        r"give a limit of (\d+) MB or more",
        message,
    )
    assert m, message
    need, held, asked = (int(x) for x in m.groups())
    assert need == asked and held >= 46 and need >= 48 + held  # 0.15 x 320 MB kept
    assert int(peak_kb) * 1024 <= SMALL


def test_a_mapped_file_of_many_chunks_without_a_limit_gives_the_one_shot_result(
    big, tmp_path, monkeypatch
):
    """Past the default chunk (512 MB; 1 MB here) a mapped file is checked chunk by
    chunk without a limit too: the same result and answers (the writers scan it again:
    the chunks' copies are not kept)."""
    path = tmp_path / "big.920000"
    path.write_bytes(big)
    one = vsbengine.validate(path, today=TODAY)
    monkeypatch.setattr(chunks, "DEFAULT_CHUNK", 1 << 20)
    many = vsbengine.validate(path, today=TODAY)
    assert many.__dict__["_scans"].kept is None
    assert_same(one, many)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/status")
@pytest.mark.parametrize("chunk", [512 << 20, 4 << 20])
def test_a_mapped_file_gives_its_pages_back(tmp_path, chunk):
    """In one piece and in chunks: the scan, the framing of the plan and the copies of
    the chunks give the map's pages back, and no check maps them in again (the bytes
    of a zone of every record 20 would): the file is not resident whole (RssFile), nor
    held in copies (RssAnon)."""
    path = tmp_path / "big.920000"
    generate(150_000, seed=95, month=202610).write(path)
    size = path.stat().st_size
    script = textwrap.dedent(f"""
        import threading, time
        import vsbengine
        from vsbengine.formats.efact import chunks
        chunks.DEFAULT_CHUNK = {chunk}
        peak = {{}}
        def poll():
            while True:
                for line in open("/proc/self/status"):
                    if line.startswith(("RssFile", "RssAnon")):
                        k, v = line.split(":")
                        peak[k] = max(peak.get(k, 0), int(v.split()[0]) * 1024)
                time.sleep(0.002)
        threading.Thread(target=poll, daemon=True).start()
        time.sleep(0.05)
        base = dict(peak)
        r = vsbengine.validate({str(path)!r}, today={TODAY})
        time.sleep(0.05)
        print(peak["RssFile"] - base["RssFile"], peak["RssAnon"] - base["RssAnon"])
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    file_growth, anon_growth = (int(x) for x in out.stdout.split())
    assert file_growth < size // 2, (file_growth >> 20, size >> 20)
    assert anon_growth < size, (anon_growth >> 20, size >> 20)


def _shrinking(monkeypatch, module, name):
    """Another process truncates the file right after it was mapped."""
    made = getattr(module, name)

    def mapped_then_cut(source, *args):
        out = made(source, *args)
        fd = source if isinstance(source, int) else None
        if fd is None:
            os.truncate(source, 100_000)
        else:
            os.ftruncate(fd, 100_000)
        return out

    monkeypatch.setattr(module, name, mapped_then_cut)


def test_a_file_that_shrinks_while_it_is_read_is_refused_not_a_crash(big, tmp_path, monkeypatch):
    """The pages past the new end of a mapped file are a SIGBUS when touched: the map is
    guarded, they read as zeros, and the validation refuses the file (nothing of it
    concluded, no answer written)."""
    from vsbengine import source

    path = tmp_path / "s.920000"
    path.write_bytes(big)
    _shrinking(monkeypatch, source, "open_reader")
    with pytest.raises(vsbengine.InputError, match="the file shrank while it was read"):
        vsbengine.validate(path, today=TODAY)


def test_a_sending_that_shrinks_while_it_is_signed_is_refused(tmp_path, monkeypatch):
    from vsbengine import signoff

    g = generate(20_000, seed=7, month=202610, references=True)
    path = tmp_path / "s.920000"
    g.write(path)
    g.write_refs(tmp_path / "refs")
    engine = vsbengine.Engine(tmp_path / "refs", today=TODAY)
    signoff.propose(engine.validate(path), tmp_path / "out", engine.refs)
    _shrinking(monkeypatch, signoff, "map_file")
    with pytest.raises(vsbengine.InputError, match="changed or moved since it was validated"):
        signoff.sign(tmp_path / "out", "An Peeters")
    assert not (tmp_path / "out" / "DF017_payment_order.json").exists()
