"""Phase 1, technical validation: framing, segments 200/300, records 95 and 96.

Errors are the two-digit codes of the zones' error fields (family 9), named
with six digits (see :mod:`vsbengine.formats.efact.catalogue`). Framing
problems (a truncated file, a line of the wrong length, an unknown record
type, closing records out of place) belong to no zone: they are reported on
record 96, zone 509 (our choice) and, located to the byte, in the problems
list of the engine's report.
"""

from __future__ import annotations

import numpy as np

from vsbengine import _core
from vsbengine.formats.efact.checks.common import (
    code_sums, control_number, core_errors,
)
from vsbengine.formats.efact.findings import ErrorBuilder, Problem
from vsbengine.formats.efact.sending import Sending

_FR = _core.FRAMING
_WHAT = {0: ("segment 200", 67), 1: ("segment 300", 160)}


def _unit_name(unit: int) -> tuple[str, int]:
    return _WHAT.get(unit, ("record", 350))


def _position(unit: int) -> int | None:
    return unit - 1 if unit >= 2 else None


def framing_problems(s: Sending) -> list[Problem]:
    """The core's framing findings, and closing records out of place, as located problems."""
    sc = s.scan
    out: list[Problem] = []
    for kind, off, length, unit in zip(
        sc["fr_kind"].tolist(), sc["fr_offset"].tolist(), sc["fr_length"].tolist(),
        sc["fr_unit"].tolist(),
    ):
        what, need = _unit_name(unit)
        pos = _position(unit)
        if kind == _FR["SHORT_FILE"]:
            msg = (f"the file ends before {what} is complete: {length} of {need} characters"
                   if length else f"the file ends before {what}")
        elif kind == _FR["SHORT_LINE"]:
            msg = f"line of {length} characters where {what} needs {need}"
        elif kind == _FR["LONG_LINE"]:
            msg = f"line of {length} characters where {what} needs {need}"
        elif kind == _FR["TRUNCATED"]:
            msg = f"the file ends inside a record: {length} of {need} characters"
        else:
            shown = bytes(s.buf[off:off + 2]).decode("latin-1")
            msg = f"record type {shown!r} is not a record of message 920000"
            out.append(Problem(off, pos, "1", msg))
            continue
        out.append(Problem(off, pos, None, msg))
    extra = sc["fr_total"] - len(sc["fr_kind"])
    if extra > 0:
        out.append(Problem(None, None, None, f"{extra} more framing problems not listed"))

    # Closing records: any 95s, then exactly one 96, after the last detail record.
    closing = s.units_of(95, 96)
    detail = s.detail
    if len(closing) and len(detail) and detail[-1] > closing[0]:
        u = int(closing[0])
        out.append(Problem(int(s.offsets[u]), _position(u), "1",
                           "record 95 or 96 before the end of the detail records"))
    r96 = s.units_of(96)
    if len(r96) == 0:
        out.append(Problem(None, None, None, "no record 96 closes the file"))
    else:
        if len(r96) > 1:
            u = int(r96[1])
            out.append(Problem(int(s.offsets[u]), _position(u), "1", "more than one record 96"))
        after = closing[closing > r96[0]]
        after = after[s.rtype[after] != 96]
        if len(after):
            u = int(after[0])
            out.append(Problem(int(s.offsets[u]), _position(u), "1",
                               "records after record 96"))
    return out


def check(s: Sending, errs: ErrorBuilder, today: int) -> list[Problem]:
    """Run phase 1. Adds the family-9 errors to ``errs``; returns the framing problems."""
    problems = framing_problems(s)
    summary_units = s.type_mask(95, 96).copy()
    summary_units[:2] = True
    core = core_errors(s)
    errs.add_table(core.select(summary_units[core.unit] if len(core) else np.zeros(0, bool)))

    r96 = s.units_of(96)
    u96 = int(r96[0]) if len(r96) else -1
    _segments(s, errs, today)
    problems += _closing(s, errs, u96)
    if problems:
        errs.add(u96, "960920", s.zone_index("96", "509"))
    return problems


def _segments(s: Sending, errs: ErrorBuilder, today: int) -> None:
    if s.n_units < 2 or s.offsets[1] < 0:
        return
    seg = 1
    ok = {z: not s.finding_mask("300", z)[seg] for z in ("300", "301", "302", "304")}
    s302 = int(s.col("s302")[seg])
    if ok["302"]:
        if s302 > today:
            errs.add(seg, "030220", s.zone_index("300", "302"))
        elif s302 < 20020101:
            errs.add(seg, "030221", s.zone_index("300", "302"))
    if ok["304"] and s.offsets[0] >= 0 and not s.finding_mask("200", "202")[0]:
        test = int(s.col("s202")[0]) == 92
        if test != (int(s.col("s304")[seg]) == 9991999):
            errs.add(seg, "030421", s.zone_index("300", "304"))
    r10 = s.record10
    if r10 < 0:
        return
    pairs = (
        ("300", "s300", int(s.col("z22")[r10]) * 100 + int(s.col("z23")[r10]), "030020",
         ("22", "23")),
        ("301", "s301", int(s.col("z7")[r10]), "030120", ("7",)),
        ("302", "s302", int(s.col("z25")[r10]), "030220", ("25,26",)),
        ("304", "s304", int(s.col("z4")[r10]), "030420", ("4",)),
    )
    for zone, col, expect, code, r10_zones in pairs:
        if not ok[zone] or any(s.finding_mask("10", z)[r10] for z in r10_zones):
            continue
        if int(s.col(col)[seg]) != expect:
            errs.add(seg, code, s.zone_index("300", zone))


def _closing(s: Sending, errs: ErrorBuilder, u96: int) -> list[Problem]:
    """Records 95 and 96 against the detail; returns problems for missing records 95."""
    problems: list[Problem] = []
    inv = s.invoices
    end = s.invoice_end
    dest = s.destination
    has_end = end >= 0
    ends = end[has_end]
    # Amounts of each invoice's record 80 (unreadable ones make the mutuality unverifiable).
    a = np.zeros(len(inv), dtype=np.int64)
    b = np.zeros(len(inv), dtype=np.int64)
    a[has_end] = s.col("z19")[ends]
    b[has_end] = s.col("z15")[ends]
    bad_amount = np.ones(len(inv), dtype=bool)
    bad_amount[has_end] = s.finding_mask("80", "19")[ends] | s.finding_mask("80", "15")[ends]
    # Records 20 to 80 of each invoice (contiguous from its record 20 to its record 80).
    if has_end.all():
        counts = (end - inv + 1).astype(np.int64)
    else:
        counts = np.bincount(s.invoice_of[s.in_invoice], minlength=len(inv)).astype(np.int64)
    code_per_inv, code_total = code_sums(s)
    bad_code = np.zeros(len(inv), dtype=bool)
    for rec in ("30", "50", "51", "52"):
        if s.has_findings(rec, "4"):
            bad_code |= s.per_invoice_sum(s.finding_mask(rec, "4"), s.in_invoice) > 0

    r95 = s.units_of(95)
    seen: set[int] = set()
    z = {name: s.zone_index("95", name) for name in ("401", "404", "406", "408", "409", "410")}
    for u in r95.tolist():
        if s.finding_mask("95", "401")[u]:
            continue
        mut = int(s.col("z401")[u])
        if mut in seen:
            errs.add(u, "950120", z["401"])
            continue
        seen.add(mut)
        sel = dest == mut
        if not sel.any():
            errs.add(u, "950121", z["401"])
            continue
        fine = {k: not s.finding_mask("95", k)[u] for k in ("404", "406", "408", "409", "410", "412")}
        v404, v406 = int(s.col("z404")[u]), int(s.col("z406")[u])
        if not bad_amount[sel].any():
            if fine["404"] and v404 != int(a[sel].sum()):
                errs.add(u, "950441", z["404"])
            if fine["406"] and v406 != int(b[sel].sum()):
                errs.add(u, "950641", z["406"])
        if fine["404"] and fine["406"] and fine["408"] and fine["412"]:
            if int(s.col("z408")[u]) != v404 + v406 + int(s.col("z412")[u]):
                errs.add(u, "950820", z["408"])
        if fine["409"] and int(s.col("z409")[u]) != int(counts[sel].sum()) + 2:
            errs.add(u, "950920", z["409"])
        if fine["410"] and not bad_code[sel].any():
            if int(s.col("z410")[u]) != int(control_number(code_per_inv[sel].sum())):
                errs.add(u, "951020", z["410"])
    for mut in sorted(set(dest.tolist()) - seen):
        problems.append(Problem(None, None, "401",
                                f"no record 95 for destination mutuality {mut:03d}"))

    if u96 < 0:
        return problems
    z = {name: s.zone_index("96", name) for name in ("501", "504", "506", "508", "509", "510")}
    fine = {k: not s.finding_mask("96", k)[u96] for k in ("501", "504", "506", "508", "509", "510", "512")}
    firsts = {m // 100 for m in dest.tolist()}
    if fine["501"] and len(firsts) >= 1:
        if len(firsts) > 1 or int(s.col("z401")[u96]) != firsts.pop() * 100 + 99:
            errs.add(u96, "960120", z["501"])
    r90 = s.record90
    v504, v506 = int(s.col("z404")[u96]), int(s.col("z406")[u96])
    r95_ok = not any(s.finding_mask("95", k)[r95].any() for k in ("404", "406"))
    for zone, col95, col90, code in (("504", "z404", "z19", "960420"), ("506", "z406", "z15", "960620")):
        if not fine[zone]:
            continue
        value = int(s.col(col95)[u96])
        wrong = r95_ok and len(r95) and value != int(s.col(col95)[r95].sum())
        if r90 >= 0 and not s.finding_mask("90", col90[1:])[r90]:
            wrong = wrong or value != int(s.col(col90)[r90])
        if wrong:
            errs.add(u96, code, z[zone])
    if fine["504"] and fine["506"] and fine["508"] and fine["512"]:
        if int(s.col("z408")[u96]) != v504 + v506 + int(s.col("z412")[u96]):
            errs.add(u96, "960820", z["508"])
    if fine["509"] and int(s.col("z409")[u96]) != int(s.is_detail.sum()) + 2:
        errs.add(u96, "960920", z["509"])
    if fine["510"] and not bad_code.any():
        if int(s.col("z410")[u96]) != int(control_number(code_total)):
            errs.add(u96, "961020", z["510"])
    return problems
