"""Families 1 and 2: record type, record order and sequence numbers.

The rules are tables (:data:`STEPS`) that the core runs in its scan; the first and
last detail record of a chunk are looked at here."""

from __future__ import annotations

from vsbengine.formats.efact.findings import Context, Findings
from vsbengine.formats.efact.rules import FollowedBy, Order, Sequence, family_errors
from vsbengine.formats.efact.sending import Sending

#: Which record types may come right before each record type (records 10 to 90).
FOLLOWS = {
    10: (),
    20: (10, 80),
    30: (20, 30, 50, 51, 52),
    50: (20, 30, 50, 51, 52),
    51: (50,),
    52: (50, 51),  # one eID reading per prestation: not after another 52 (520110)
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
#: Which record types may come right after each record type: the same pairs as
#: :data:`FOLLOWS`, seen from the first record (a record 90 is the last).
PRECEDES = {rt: tuple(n for n, after in FOLLOWS.items() if rt in after) for rt in FOLLOWS}
#: The code given to a record that a record it may not precede follows, or that ends
#: the detail records although it must be followed (``x00111``: "must be followed by";
#: ``900111``: the record 90 is not the last).
NOT_FOLLOWED = {
    10: "100111",
    20: "200111",
    30: "300111",
    50: "500111",
    51: "510111",
    52: "520111",
    80: "800111",
    90: "900111",
}

#: The family's steps in the order its errors are listed (the rules run in the core;
#: the codes named as strings are decided here, once per chunk).
STEPS = (
    "100104",
    *(Order(str(rt), "1", code, FOLLOWS[rt]) for rt, code in OUT_OF_ORDER.items()),
    "900104",
    *(FollowedBy(str(rt), "1", code, PRECEDES[rt]) for rt, code in NOT_FOLLOWED.items()),
    "x00111",
    # The first record 10's sequence number is not 000001: the official 100110 says
    # "record 10 must open the file" (efact-codes.md), as for a record before it.
    "100110",
    # Six digits: after 999999 the numbering wraps to 000000 (our choice, for
    # sendings of a million records and more).
    *(Sequence(str(rt), "2", code, SEQUENCE_MODULUS) for rt, code in SEQUENCE.items()),
)


def _zone1(s: Sending, rtype: int) -> int:
    return s.zone_index(str(rtype), "1")


def check(s: Sending, ctx: Context) -> Findings:
    """Record order and sequence numbers of one chunk (the rules ran in the scan)."""
    found = Findings()
    ends = [
        (int(u[0]), int(u[-1]))
        for rt in FOLLOWS
        if len(u := s.scan.units[s.compiled.index[str(rt)]])
    ]
    if not ends:
        found.errors.add(-1, "900104", _zone1(s, 90))
        return found
    first = min(a for a, _ in ends)
    last = max(b for _, b in ends)
    extra = []
    if s.rtype[first] != 10:
        extra.append((first, "100104", _zone1(s, 10), "100104"))
    if s.count_of(90) == 0 and s.last:
        extra.append((last, "900104", _zone1(s, 90), "900104"))
    # The chunk's last detail record against the record after it (the scan saw the
    # pairs inside the chunk): nothing after the file's last one (records 95/96 end
    # the detail records), or the first record of the next chunk.
    nxt = s.next_type
    lt = int(s.rtype[last])
    if last >= s.own_first or s.first_chunk:
        if s.last or nxt in (95, 96):
            wrong = lt != 90
        else:
            wrong = nxt in PRECEDES and nxt not in PRECEDES[lt]
        if wrong:
            extra.append((last, NOT_FOLLOWED[lt], _zone1(s, lt), "x00111"))
    readable = s.rtype[first] == 10 and not s.finding_mask("10", "2")[first]
    if readable and int(s.value_at("sequence", [first])[0]) != 1:
        extra.append((first, "100110", _zone1(s, 10), "100110"))
    found.errors.add_table(family_errors(s, "order", extra))
    return found
