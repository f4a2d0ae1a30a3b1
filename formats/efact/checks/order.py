"""Families 1 and 2: record type, record order and sequence numbers."""

from __future__ import annotations

import numpy as np

from vsbengine.formats.efact.findings import Context, Findings
from vsbengine.formats.efact.sending import Sending

#: Which record types may come right before each record type (records 10 to 90).
FOLLOWS = {
    10: (),
    20: (10, 80),
    30: (20, 30, 50, 51, 52),
    50: (20, 30, 50, 51, 52),
    51: (50,),
    52: (50, 51, 52),
    80: (30, 50, 51, 52),
    90: (80,),
}
#: The code given to a record that follows a record it may not follow.
OUT_OF_ORDER = {
    10: "100110",
    20: "200110",
    30: "300110",
    50: "500110",
    51: "510110",
    52: "520110",
    80: "800110",
    90: "900110",
}
#: The code of a sequence number that is not the previous one plus one.
SEQUENCE = {
    20: "200210",
    30: "300210",
    50: "500210",
    51: "510210",
    52: "520210",
    80: "800210",
    90: "900210",
}

SEQUENCE_MODULUS = 1_000_000

# Allowed (previous, current) pairs, indexed by previous * 256 + current.
_ALLOWED = np.zeros(256 * 256, dtype=bool)
for _cur, _prevs in FOLLOWS.items():
    _ALLOWED[np.array(_prevs, dtype=np.int64) * 256 + _cur] = True


def _zone1(s: Sending, rtype: int) -> int:
    return s.zone_index(str(rtype), "1")


def check(s: Sending, ctx: Context) -> Findings:
    """Record order and sequence numbers of one chunk."""
    found = Findings()
    errs = found.errors
    d = s.detail
    if len(d) == 0:
        errs.add(-1, "900104", s.zone_index("90", "1"))
        return found
    t = s.rtype[d]
    if t[0] != 10:
        errs.add(d[0], "100104", _zone1(s, 10))
    pair = (t[:-1].astype(np.uint16) << 8) | t[1:]
    bad = np.flatnonzero(~_ALLOWED[pair]) + 1
    for rt, code in OUT_OF_ORDER.items():
        errs.add(d[bad[t[bad] == rt]], code, _zone1(s, rt))
    r90 = np.flatnonzero(t == 90)
    if len(r90) == 0:
        if s.last:
            errs.add(d[-1], "900104", _zone1(s, 90))
    else:
        errs.add(d[r90[r90 < len(t) - 1]], "900111", _zone1(s, 90))

    seq = s.col("sequence")[d]
    unreadable = np.zeros(len(d), dtype=bool)
    for rt in FOLLOWS:
        unreadable |= s.finding_mask(str(rt), "2")[d]
    if t[0] == 10 and not unreadable[0] and seq[0] != 1:
        errs.add(d[0], "100203", s.zone_index("10", "2"))
    # Six digits: after 999999 the numbering wraps to 000000 (our choice, for
    # sendings of a million records and more).
    gap = (
        np.flatnonzero(
            (seq[1:] != (seq[:-1] + 1) % SEQUENCE_MODULUS) & ~unreadable[1:] & ~unreadable[:-1]
        )
        + 1
    )
    for rt, code in SEQUENCE.items():
        errs.add(d[gap[t[gap] == rt]], code, s.zone_index(str(rt), "2"))
    return found
