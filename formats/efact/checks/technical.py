"""Phase 1, technical validation: framing, segments 200/300, records 95 and 96.

Errors are the two-digit codes of the zones' error fields (family 9), named
with six digits (see :mod:`vsbengine.formats.efact.catalogue`). Framing
problems (a truncated file, a line of the wrong length, an unknown record
type, closing records out of place, a missing record 95) belong to no zone:
they are reported on record 96, zone 509 (our choice) and, located to the
byte, in the problems list of the engine's report.

:func:`check` runs on each chunk (the core's findings, the segments);
:func:`check_sending` on the whole sending (records 95 and 96 against the
totals of all chunks).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from vsbengine import _core
from vsbengine.formats.efact.checks.common import control_number, core_errors
from vsbengine.formats.efact.compiled import LAYOUTS
from vsbengine.formats.efact.findings import Context, ErrorBuilder, Findings, Problem
from vsbengine.formats.efact.sending import Sending
from vsbengine.formats.efact.settlement import federation

if TYPE_CHECKING:
    from vsbengine.formats.efact.summary import Summary

_FR = _core.FramingKind
#: The invoicing modes of segment 300 zone 309.
INVOICING_MODES = (1, 2, 5)
_WHAT = {0: ("segment 200", 67), 1: ("segment 300", 160)}


def _unit_name(unit: int) -> tuple[str, int]:
    return _WHAT.get(unit, ("record", 350))


def _short_lines(s: Sending) -> np.ndarray:
    """Per framing finding the core kept: a line too short to be a record, in the
    chunk's own bytes. Such a line is no unit: the records after it stand one line
    further than their unit says."""
    sc = s.scan
    return (
        (np.asarray(sc.framing_kind) == _FR.FR_SHORT_LINE)
        & (np.asarray(sc.framing_unit) >= 2)
        & (np.asarray(sc.framing_offset) >= s.own_offset)
    )


def short_lines(s: Sending) -> int:
    """The lines too short to be records among the chunk's framing problems listed
    (:attr:`Summary.short_lines`: what places the problems of the chunks after it)."""
    return int(np.count_nonzero(_short_lines(s)))


def framing_problems(s: Sending) -> list[Problem]:
    """The core's framing findings in the chunk's own bytes (after the copies put
    before it), placed in the whole file (the record a problem names counts the short
    lines before it in this chunk; :func:`~vsbengine.formats.efact.summary.merge` adds
    those of the chunks before)."""
    sc = s.scan
    own_from, offset_base = s.own_offset, s.offset_base
    out: list[Problem] = []
    short = _short_lines(s)
    before = (np.cumsum(short) - short).tolist()
    for kind, off, length, unit, dropped in zip(
        sc.framing_kind.tolist(),
        sc.framing_offset.tolist(),
        sc.framing_length.tolist(),
        sc.framing_unit.tolist(),
        before,
    ):
        if off < own_from:
            continue
        what, need = _unit_name(unit)
        g = unit if unit < 2 else s.unit_base + unit - s.own_first
        pos = g - 1 + dropped if g >= 2 else None
        where = off + offset_base
        if kind == _FR.FR_SHORT_FILE:
            msg = (
                f"the file ends before {what} is complete: {length} of {need} characters"
                if length
                else f"the file ends before {what}"
            )
        elif kind in (_FR.FR_SHORT_LINE, _FR.FR_LONG_LINE):
            # (A line of whole parts is no problem: the core reads it part by part.)
            msg = f"line of {length} characters where {what} needs {need}"
        elif kind == _FR.FR_TRUNCATED:
            msg = _tail(bytes(s.buf[off : off + length])) or (
                f"the file ends inside a record: {length} of {need} characters"
            )
        else:
            shown = bytes(s.buf[off : off + 2]).decode("latin-1")
            out.append(
                Problem(where, pos, "1", f"record type {shown!r} is not a record of message 920000")
            )
            continue
        out.append(Problem(where, pos, None, msg))
    extra = sc.framing_total - len(sc.framing_kind)
    if extra > 0:
        out.append(Problem(None, None, None, f"{extra} more framing problems not listed"))
    own = [off for off in sc.framing_offset.tolist() if off >= own_from]
    hint = _utf8_hint(s, min(own)) if own else None
    return [hint, *out] if hint is not None else out


def _utf8_hint(s: Sending, first: int) -> Problem | None:
    """Where the chunk holds, before its first framing problem (at ``first``), a
    character written in UTF-8 (a letter in two bytes or more: é as C3 A9): the usual
    cause of records that no longer frame, said where it is."""
    b = s.buf[s.own_offset : min(len(s.buf), first + 2)]
    if len(b) < 2:
        return None
    hit = np.flatnonzero((b[:-1] >= 0xC2) & (b[:-1] <= 0xF4) & (b[1:] >= 0x80) & (b[1:] <= 0xBF))
    if not len(hit):
        return None
    return Problem(
        s.offset_base + s.own_offset + int(hit[0]),
        None,
        None,
        "a character in UTF-8 (one letter in two bytes or more, such as é): a sending has "
        "one byte per position (ASCII or Latin-1), so every position after it shifts",
    )


#: Bytes some producers leave after the last record, by what a person calls them.
_FILLER_NAMES = {0x1A: "an end-of-file mark 0x1A (Ctrl-Z)", 0x00: "NUL bytes", 0x20: "blanks"}


def _tail(rest: bytes) -> str | None:
    """What the bytes after the last record are, when they are only filler (none of a
    record): the message then says so instead of "a record of N characters"."""
    kinds = set(rest) - {0x0A, 0x0D}
    if not rest or not kinds <= set(_FILLER_NAMES):
        return None
    what = " and ".join(_FILLER_NAMES[b] for b in sorted(kinds, reverse=True))
    n = len(rest)
    that = "bytes that are" if n > 1 else "byte that is"
    return f"after the last record: {n} {that} no record ({what})"


def check(s: Sending, ctx: Context) -> Findings:
    """Per chunk: the framing problems, the core's findings on segments 200/300 and
    records 95/96, and the segments against record 10."""
    found = Findings(problems=framing_problems(s))
    summary_units = s.type_mask(95, 96).copy()
    summary_units[:2] = True
    core = core_errors(s)
    if len(core):
        found.errors.add_table(core.select(summary_units[core.unit]))
    _segments(s, found.errors, ctx.today)
    return found


def _segments(s: Sending, errs: ErrorBuilder, today: int) -> None:
    if s.n_units < 2 or s.offsets[1] < 0:
        return
    seg = 1
    ok = {z: not s.finding_mask("300", z)[seg] for z in ("300", "301", "302", "304", "308", "309")}
    col = lambda name, unit: int(s.value_at(name, [unit])[0])  # noqa: E731
    if ok["309"] and col("invoicing_mode", seg) not in INVOICING_MODES:
        # 30: not 1, 2 or 5 although the invoice type (zone 308) is 3; else 20.
        third = ok["308"] and col("file_invoice_type", seg) == 3
        errs.add(seg, "030930" if third else "030920", s.zone_index("300", "309"))
    s302 = col("creation_date", seg)
    if ok["302"]:
        if s302 > today:
            errs.add(seg, "030220", s.zone_index("300", "302"))
        elif s302 < 20020101:
            errs.add(seg, "030221", s.zone_index("300", "302"))
    if ok["304"] and s.offsets[0] >= 0 and not s.finding_mask("200", "202")[0]:
        test = col("environment", 0) == 92
        if test != (col("instructions_version", seg) == 9991999):
            errs.add(seg, "030421", s.zone_index("300", "304"))
    r10 = s.record10
    if r10 < 0:
        return
    pairs = (
        (
            "300",
            "invoiced_year_month",
            col("invoiced_year", r10) * 100 + col("invoiced_month", r10),
            "030020",
            ("22", "23"),
        ),
        ("301", "sending_number", col("sending_number", r10), "030120", ("7",)),
        ("302", "creation_date", col("creation_date", r10), "030220", ("25,26",)),
        ("304", "instructions_version", col("instructions_version", r10), "030420", ("4",)),
    )
    for zone, column, expect, code, r10_zones in pairs:
        if not ok[zone] or any(s.finding_mask("10", z)[r10] for z in r10_zones):
            continue
        if col(column, seg) != expect:
            errs.add(seg, code, s.zone_index("300", zone))


def _zone(rtype: int, key: str) -> int:
    zone = key if rtype == 95 else str(int(key) + 100)
    return LAYOUTS.zone_index(str(rtype), zone)


def _add(errs: ErrorBuilder, rec, code: str, key: str) -> None:
    zi = _zone(rec.rtype, key)
    errs.add(rec.unit, code, zi, rtype=rec.rtype, offset=rec.offset + LAYOUTS.zones[zi].start)


def record_counts(records: int, records52: int) -> tuple[int, int]:
    """The counts accepted in zone 409/509 (project convention 3): the records covered
    + 2, with the records 52 (the CIN form, the one the engine writes) or without them
    (what real insurers accepted)."""
    return records + 2, records - records52 + 2


def _sum_count_control(
    errs: ErrorBuilder, rec, records: int, records52: int, codes, codes_bad: bool
) -> None:
    """The zones records 95 and 96 share, with codes 9x0820, 9x0920 and 9x1020: amount
    408 = 404 + 406 + 412, count 409 = the detail records it covers + 2 (with or without
    its records 52), control 410 = the control number of its codes."""
    v, ok, family = rec.values, rec.readable, str(rec.rtype)
    readable = ok["404"] and ok["406"] and ok["408"] and ok["412"]
    if readable and v["408"] != v["404"] + v["406"] + v["412"]:
        _add(errs, rec, f"{family}0820", "408")
    if ok["409"] and v["409"] not in record_counts(records, records52):
        _add(errs, rec, f"{family}0920", "409")
    if ok["410"] and not codes_bad and v["410"] != int(control_number(codes)):
        _add(errs, rec, f"{family}1020", "410")


def check_sending(sm: Summary, ctx: Context) -> Findings:
    """The whole sending: records 95/96 against the totals of all chunks, and their
    place at the end of the file (missing or misplaced closing records are problems)."""
    found = Findings()
    errs, problems = found.errors, found.problems
    closing = sm.closing
    if closing and sm.last_detail > closing[0].unit:
        c = closing[0]
        problems.append(
            Problem(
                c.offset, c.unit - 1, "1", "record 95 or 96 before the end of the detail records"
            )
        )
    r96 = [c for c in closing if c.rtype == 96]
    if not r96:
        # Located where it was due: at the end of the file, as the record after the last.
        what = "no record 96 closes the file"
        if sm.units <= 2:
            what = "the file holds no records after segments 200 and 300"
        problems.append(Problem(sm.end, sm.units - 1, None, what))
    else:
        if len(r96) > 1:
            problems.append(Problem(r96[1].offset, r96[1].unit - 1, "1", "more than one record 96"))
        after = [c for c in closing if c.unit > r96[0].unit and c.rtype != 96]
        if after:
            problems.append(
                Problem(after[0].offset, after[0].unit - 1, "1", "records after record 96")
            )

    r95 = [c for c in closing if c.rtype == 95]
    seen: set[int] = set()
    for c in r95:
        if not c.readable["401"]:
            continue
        mut = c.values["401"]
        if mut in seen:
            _add(errs, c, "950120", "401")
            continue
        seen.add(mut)
        m = sm.mutualities.get(mut)
        if m is None:
            _add(errs, c, "950121", "401")
            continue
        v, ok = c.values, c.readable
        # Against the detail (its prestations), not the records 80: a wrong record 80 is
        # that invoice's error (801910), not one of a record 95 that adds up.
        if not m.bad_detail:
            if ok["404"] and v["404"] != m.detail_a:
                _add(errs, c, "950441", "404")
            if ok["406"] and v["406"] != m.detail_b:
                _add(errs, c, "950641", "406")
        _sum_count_control(errs, c, m.records, m.records52, m.codes, m.bad_code)
    # A missing record 95 was due before the record 96 (else at the end of the file).
    due = (r96[0].offset, r96[0].unit - 1) if r96 else (sm.end, sm.units - 1)
    for mut in sorted(set(sm.mutualities) - seen):
        problems.append(Problem(*due, "401", f"no record 95 for destination mutuality {mut:03d}"))

    if r96:
        c = r96[0]
        v, ok = c.values, c.readable
        if ok["401"] and sm.mutualities and v["401"] != federation(sm.mutualities):
            _add(errs, c, "960120", "401")
        # The whole sending's prestations (a wrong record 90 is its own 901910).
        whole = sm.all_mutualities
        detail = {"404": whole.detail_a, "406": whole.detail_b}
        for key, code in (("404", "960420"), ("406", "960620")):
            if ok[key] and not whole.bad_detail and v[key] != detail[key]:
                _add(errs, c, code, key)
        _sum_count_control(errs, c, sm.detail, sm.detail52, sm.codes, sm.codes_bad)
    if problems or sm.problems:
        if r96:
            _add(errs, r96[0], "960920", "409")
        else:
            # No byte of the file to point at: the problem "no record 96" says where.
            errs.add(-1, "960920", LAYOUTS.zone_index("96", "509"), rtype=96)
    return found
