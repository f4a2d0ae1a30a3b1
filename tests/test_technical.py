"""Phase 1: framing, segments 200/300, records 95/96 (family 9), and line separators."""

from __future__ import annotations

import pytest
from efact_edit import TODAY, Sending, clean, codes, signed

import vsbengine


def run(data: bytes, today=TODAY):
    return vsbengine.validate(data, today=today)


@pytest.fixture
def data() -> bytes:
    return clean(60, seed=21)


def technical(r) -> set:
    return {(e.record_type, e.zone, e.code) for e in r.errors if e.phase == 1}


# -- line separators -----------------------------------------------------------------


@pytest.mark.parametrize("sep", [b"\n", b"\r\n"])
def test_line_separated_files_read_like_single_line(data, sep):
    parts = [data[:67], data[67:227]] + [data[i : i + 350] for i in range(227, len(data), 350)]
    one = run(data)
    for trailing in (b"", sep):
        r = run(sep.join(parts) + trailing)
        assert r.messages == one.messages == ["DF011", "DF014", "DF015"]
        assert r.records_total == one.records_total and r.problems == []


def test_line_separated_file_with_errors_gives_the_same_codes():
    d = clean(60, seed=21, error_rate=0.1)
    lined = b"\r\n".join([d[:67], d[67:227]] + [d[i : i + 350] for i in range(227, len(d), 350)])
    assert codes(run(lined)) == codes(run(d)) != set()


# -- framing -----------------------------------------------------------------------------


def test_truncated_file(data):
    r = run(data[:-10])
    assert r.technical == "DF012" and r.decision is None
    assert ("96", "509", "960920") in technical(r) or not any(
        e.record_type == "96" for e in r.errors
    )
    p = r.problems[0]
    assert p.offset == len(data) - 350 and "ends inside a record: 340 of 350" in p.message


@pytest.mark.parametrize(
    "tail, what",
    [
        (b"\x1a", "1 byte that is no record (an end-of-file mark 0x1A (Ctrl-Z))"),
        (b"\r\n\x1a", "1 byte that is no record (an end-of-file mark 0x1A (Ctrl-Z))"),
        (b"   ", "3 bytes that are no record (blanks)"),
        (b"\0" * 100, "100 bytes that are no record (NUL bytes)"),
    ],
)
def test_filler_after_the_last_record_is_named(data, tail, what):
    """What some producers leave at the end (a DOS end-of-file mark, blanks, NULs) is
    a framing problem still (the spec's framing knows line breaks only), named for what
    it is, not as a record cut short."""
    r = run(data + tail)
    assert r.technical == "DF012"
    assert [(p.offset, p.message) for p in r.problems] == [
        (len(data) + (2 if tail.startswith(b"\r\n") else 0), f"after the last record: {what}")
    ]


def test_record_cut_short_in_a_line_file(data):
    lines = [data[:67], data[67:227]] + [data[i : i + 350] for i in range(227, len(data), 350)]
    lines[4] = lines[4][:300]
    r = run(b"\n".join(lines))
    assert r.technical == "DF012"
    [p] = [p for p in r.problems if "line of" in p.message]
    assert p.record == 3 and p.message == "line of 300 characters where record needs 350"
    assert p.offset == 67 + 1 + 160 + 1 + 2 * 351


def test_lines_cut_short_one_after_the_other_are_each_located(data):
    lines = [data[:67], data[67:227]] + [data[i : i + 350] for i in range(227, len(data), 350)]
    for i in (4, 5, 6):
        lines[i] = lines[i][:349]
    lines[8] = lines[8] + b"XY"
    r = run(b"\n".join(lines))
    found = [(p.record, p.message) for p in r.problems if "line of" in p.message]
    assert found == [
        (3, "line of 349 characters where record needs 350"),
        (4, "line of 349 characters where record needs 350"),
        (5, "line of 349 characters where record needs 350"),
        (7, "line of 352 characters where record needs 350"),
    ]
    starts = [sum(len(x) + 1 for x in lines[:i]) for i in (4, 5, 6)]
    assert [p.offset for p in r.problems if "349 characters" in p.message] == starts


def test_line_too_long(data):
    lines = [data[:67], data[67:227]] + [data[i : i + 350] for i in range(227, len(data), 350)]
    lines[3] = lines[3] + b"XYZ"
    r = run(b"\n".join(lines))
    [p] = [p for p in r.problems if "line of" in p.message]
    assert p.message == "line of 353 characters where record needs 350" and p.record == 2


def _same_reading(r, one) -> None:
    """Read like the single-line file: the same records, errors (by record and zone)
    and messages."""
    assert r.problems == [] and r.messages == one.messages
    assert r.records_total == one.records_total and r.records_rejected == one.records_rejected
    assert [(e.record, e.zone, e.code) for e in r.errors] == [
        (e.record, e.zone, e.code) for e in one.errors
    ]


@pytest.mark.parametrize("sep", [b"\n", b"\r\n"])
def test_a_line_of_whole_records_is_read_record_by_record(sep):
    """A line break after a part is optional, in a file with line breaks too: a line
    that holds whole records (or segment 300 and whole records) is read record by
    record, none lost, whatever the breaks elsewhere."""
    d = clean(60, seed=21, error_rate=0.1)
    recs = [d[i : i + 350] for i in range(227, len(d), 350)]
    one = run(d)
    assert one.errors
    every_record_on_one_line = d[:67] + sep + d[67:227] + sep + b"".join(recs) + sep
    segment_300_and_records = d[:67] + sep + d[67:]
    some_breaks = (
        d[:67]
        + sep
        + d[67:227]
        + sep
        + b"".join(r + (b"" if i % 3 else sep) for i, r in enumerate(recs))
    )
    single_line_with_a_few = d[:227] + b"".join(
        r + (sep if i == 4 else b"") for i, r in enumerate(recs)
    )
    for variant in (
        every_record_on_one_line,
        segment_300_and_records,
        some_breaks,
        single_line_with_a_few,
    ):
        _same_reading(run(variant), one)


def test_a_line_longer_than_whole_records_is_still_located(data):
    """Records without their breaks and a byte too many on the line: that line is one
    located problem (its length), the lines after it are read."""
    lines = [data[:67], data[67:227]] + [data[i : i + 350] for i in range(227, len(data), 350)]
    lines[3:5] = [lines[3] + lines[4] + b"X"]
    r = run(b"\n".join(lines))
    assert r.technical == "DF012"
    [p] = [p for p in r.problems if "line of" in p.message]
    assert p.message == "line of 701 characters where record needs 350" and p.record == 2
    assert p.offset == 67 + 1 + 160 + 1 + 351
    assert r.records_total == run(data).records_total - 1


def test_unknown_record_type(data):
    d = bytearray(data)
    d[227 + 350 * 2 : 227 + 350 * 2 + 2] = b"77"
    r = run(bytes(d))
    assert r.technical == "DF012"
    [p] = r.problems
    assert p.message == "record type '77' is not a record of message 920000"
    assert (p.offset, p.record, p.zone) == (227 + 700, 3, "1")


def test_missing_record_96_is_answered_on_a_blank_one(data):
    from vsbengine.formats.efact.answers import Answers
    from vsbengine.formats.efact.reader import read_answer

    r = run(data[:-350])
    assert r.technical == "DF012"
    [p] = [p for p in r.problems if p.message == "no record 96 closes the file"]
    # Located where it was due: the end of the file, the record after the last.
    records = (len(data) - 350 - 227) // 350
    assert (p.offset, p.record) == (len(data) - 350, records + 1)
    answer = read_answer(Answers(r).bytes("DF012"))
    assert [(z.part, z.zone, z.code) for z in answer.zone_errors] == [("96", "509", "20")]


@pytest.mark.parametrize("after", [b"", b"\n" * 5000, b"\r\n" * 3])
def test_a_file_of_segments_only_says_it_holds_no_records(data, after):
    r = run(data[:67] + b"\n" + data[67:227] + after)
    assert r.technical == "DF012" and r.records_total == 0
    [p] = r.problems
    assert p.message == "the file holds no records after segments 200 and 300"
    assert (p.offset, p.record) == (228 + len(after), 1)


def test_records_after_96(data):
    s = Sending(data)
    s.records.append(s.records[-1])
    r = run(s.tobytes())
    assert "more than one record 96" in [p.message for p in r.problems]


def test_bytes_outside_latin1_text_are_located(data):
    s = Sending(data)
    s.put(2, 141, "\x07")  # record 20, sender's reference (zone 28, text)
    s.fix_checks()
    r = run(s.tobytes())
    [e] = r.errors
    assert (e.code, e.record, e.zone, e.offset) == ("202809", 2, "28", 227 + 350 + 137)


def test_latin1_letters_are_text(data):
    s = Sending(data)
    s.put(2, 138, "Zoë Crèche".ljust(25))
    s.fix_checks()
    assert run(s.tobytes()).errors == []


# -- segments 200 and 300 ----------------------------------------------------------------


@pytest.mark.parametrize(
    "start,text,expected",
    [
        (1, "920001", ("200", "200", "020022")),
        (13, "13", ("200", "202", "020220")),
        (9, "AB", ("200", "201", "020111")),
    ],
)
def test_segment_200(data, start, text, expected):
    s = Sending(data)
    s.put_header(start, text)
    assert technical(run(s.tobytes())) == {expected}


@pytest.mark.parametrize(
    "where,start,text,expected",
    [
        ("header", 35, "12", ("200", "204", "020411")),  # error field of zone 204
        ("header", 37, "00000000000001", ("200", "205", "020511")),  # the insurer's
        ("header", 53, "1", ("200", "206", "020611")),  # reserved
        ("header", 67 + 135, "20", ("300", "308", "030811")),  # error field of zone 308
        ("header", 67 + 141, "1", ("300", "310", "031011")),  # reserved
        ("95", 36, "20", ("95", "404", "950411")),  # error field of zone 404
        ("96", 10, "000000000001", ("96", "502", "960211")),  # not used
        ("96", 22, " 1", ("96", "502", "960211")),  # its error field: neither 00 nor blank
    ],
)
def test_zones_a_sender_leaves_zero(data, where, start, text, expected):
    """In a sending the error fields (xxx1) are 00, the insurer's reference and the
    reserved or unused zones zeros: anything else is the zone's format error (11)."""
    s = Sending(data)
    if where == "header":
        s.put_header(start, text)
    else:
        s.put_at(_closing(s, where), start, text)
    assert technical(run(s.tobytes())) == {expected}


@pytest.mark.parametrize("start", [35, 53, 67 + 135])
def test_error_fields_and_reserved_zones_may_be_blank(data, start):
    s = Sending(data)
    s.put_header(start, " " * (15 if start == 53 else 2))
    assert technical(run(s.tobytes())) == set()


@pytest.mark.parametrize(
    "start,text,expected",
    [
        (68 + 13, "20261124", {("300", "302", "030220"), ("300", "302", "030220")}),
        (68 + 13, "20261131", {("300", "302", "030211")}),
        (68 + 38, "9991999", {("300", "304", "030421"), ("300", "304", "030420")}),
        (68 + 8, "123", {("300", "301", "030120")}),
        (68, "202609", {("300", "300", "030020")}),
        (68 + 132, "05", {("300", "308", "030820")}),
    ],
)
def test_segment_300(data, start, text, expected):
    s = Sending(data)
    s.put_header(start, text)
    assert technical(run(s.tobytes())) == expected


@pytest.mark.parametrize(
    "invoice_type,mode,expected",
    [
        ("09", "03", {("300", "309", "030920")}),  # the generic "not allowed"
        ("03", "03", {("300", "309", "030930")}),  # not 1, 2 or 5 with invoice type 3
        ("03", "05", set()),
        ("01", "02", set()),
        ("03", "00", {("300", "309", "030910")}),
    ],
)
def test_segment_300_invoicing_mode(data, invoice_type, mode, expected):
    s = Sending(data)
    s.put_header(68 + 132, invoice_type)  # zone 308
    s.put_header(68 + 136, mode)  # zone 309
    assert technical(run(s.tobytes())) == expected


# -- records 95 and 96 -------------------------------------------------------------------


def _closing(s: Sending, rtype: str) -> int:
    return next(i for i, r in enumerate(s.records) if r[:2] == rtype)


@pytest.mark.parametrize(
    "start,change,expected",
    [
        # Account A of a record 95 also breaks its total; the record 96, which adds up
        # the prestations, is not blamed for it.
        (
            24,
            lambda v: signed(int(v) + 1, 12),
            {("95", "404", "950441"), ("95", "408", "950820")},
        ),
        (
            38,
            lambda v: signed(int(v) + 1, 12),
            {("95", "406", "950641"), ("95", "408", "950820")},
        ),
        (52, lambda v: signed(int(v) + 1, 12), {("95", "408", "950820")}),
        (66, lambda v: f"{int(v) + 1:08d}", {("95", "409", "950920")}),
        (76, lambda v: f"{int(v) % 97 + 1:02d}", {("95", "410", "951020")}),
        # An unreadable amount is only a sign error: nothing is compared with it.
        (24, lambda v: "*" + v[1:], {("95", "404", "950440")}),
    ],
)
def test_record_95(data, start, change, expected):
    s = Sending(data)
    i = _closing(s, "95")
    width = {24: 12, 38: 12, 52: 12, 66: 8, 76: 2}[start]
    s.put_at(i, start, change(s.records[i][start - 1 : start - 1 + width]))
    assert technical(run(s.tobytes())) == expected


def _counts_without_52(s: Sending, less: int = 0) -> tuple[int, int]:
    """Rewrite the counts of every record 95 and of record 96 without the records 52
    (minus ``less`` more); return how many records 52 the sending holds and the new
    record 96 count."""
    mutuality = None
    per: dict[str, int] = {}
    for r in s.records:
        if r[:2] == "20":
            mutuality = r[84:87]
        if r[:2] == "52":
            per[mutuality] = per.get(mutuality, 0) + 1
    for i, r in enumerate(s.records):
        if r[:2] == "95":
            s.put_at(i, 66, f"{int(r[65:73]) - per.get(r[4:7], 0) - less:08d}")
    i = _closing(s, "96")
    n = int(s.records[i][65:73]) - sum(per.values()) - less
    s.put_at(i, 66, f"{n:08d}")
    return sum(per.values()), n


def test_record_counts_with_or_without_the_records_52(data):
    """Convention 3: a count is accepted with the records 52 (what the engine writes) or
    without them (what real insurers accepted); any other count is wrong."""
    s = Sending(data)
    assert technical(run(s.tobytes())) == set()
    n52, _ = _counts_without_52(s)
    assert n52 > 0
    assert technical(run(s.tobytes())) == set()
    s = Sending(data)
    _counts_without_52(s, less=1)
    got = technical(run(s.tobytes()))
    assert ("96", "509", "960920") in got and ("95", "409", "950920") in got


def test_record_95_for_an_unknown_mutuality(data):
    s = Sending(data)
    i = _closing(s, "95")
    s.put_at(i, 5, "999")
    r = run(s.tobytes())
    assert ("95", "401", "950121") in technical(r)
    [p] = [p for p in r.problems if p.message.startswith("no record 95 for destination")]
    # Located where it was due: before the record 96.
    i96 = _closing(s, "96")
    assert (p.offset, p.record, p.zone) == (227 + 350 * i96, i96 + 1, "401")


def test_second_record_95_for_the_same_mutuality(data):
    s = Sending(data)
    i = _closing(s, "95")
    s.records.insert(i + 1, s.records[i])
    assert ("95", "401", "950120") in technical(run(s.tobytes()))


@pytest.mark.parametrize(
    "start,change,code",
    [
        (5, lambda v: "299", ("96", "501", "960120")),
        (24, lambda v: signed(int(v) + 1, 12), ("96", "504", "960420")),
        (52, lambda v: signed(int(v) + 1, 12), ("96", "508", "960820")),
        (66, lambda v: f"{int(v) + 1:08d}", ("96", "509", "960920")),
        (76, lambda v: f"{int(v) % 97 + 1:02d}", ("96", "510", "961020")),
    ],
)
def test_record_96(data, start, change, code):
    s = Sending(data)
    i = _closing(s, "96")
    width = {5: 3, 24: 12, 52: 12, 66: 8, 76: 2}[start]
    s.put_at(i, start, change(s.records[i][start - 1 : start - 1 + width]))
    got = technical(run(s.tobytes()))
    assert code in got


def test_technical_rejection_counts_every_record_rejected(data):
    s = Sending(data)
    i = _closing(s, "96")
    s.put_at(i, 66, "00000001")
    r = run(s.tobytes())
    assert r.messages == ["DF012"]
    assert r.records_rejected == r.records_total and r.records_accepted == 0
    assert r.error_ratio == 100.0


def test_a_utf8_letter_that_breaks_the_framing_is_named_where_it_is(data):
    """A name written in UTF-8 (é in two bytes) pushes every later position one on: the
    problems are where records no longer frame, and the first says what and where the
    cause is; the same name in Latin-1 is fine."""
    s = Sending(data)
    i = next(k for k, r in enumerate(s.records) if r[:2] == "20")
    at = 227 + 350 * i + 137  # record 20 zone 28, the sender's reference
    utf8 = data[:at] + "Café".encode() + data[at + 4 :]
    r = run(utf8)
    assert r.technical == "DF012"
    first = r.problems[0]
    assert (first.offset, first.record) == (at + 3, None)
    assert first.message.startswith("a character in UTF-8 (one letter in two bytes or more")
    assert not run(data[:at] + "Café".encode("latin-1") + data[at + 4 :]).problems
