"""The streaming rules: the rule tables of the checks, compiled for the core.

The checks of records 10 to 90 that need only a little running state per record
(record order and sequence numbers, equal zones against the record 10, 20 or 50
that governs a record, dates, signs, invoice totals and control numbers,
identification numbers) are declared as tables in their check modules
(:mod:`.checks.order`, :mod:`.checks.zones`, :mod:`.checks.dates`,
:mod:`.checks.amounts`, :mod:`.checks.controls`), with the specs below. The core
runs them in its one pass over the file (``_core.scan``) and reports which rule
fired on which record; :func:`family_errors` turns that into coded errors.

Adding a rule is a table edit: a row such as
``Compare("50", "5", "500510", "first_date", ">", "today")``.

Operands name a column of the record itself (``"first_date"``), of the record 20
of its invoice (``"20.admission_date"``, 0 outside an invoice), of the sending's
record 10 (``"10.creation_date"``) or of the record 50 a record 51/52 completes
(``"50.code"``), a parameter of the scan (:data:`PARAMS`), or a number;
``month(...)`` takes the YYYYMM of a date, ``div100(...)`` the hundreds.

Every rule has a rank: its place among the checks of the pre-validation, in the
order their errors are listed for a record (the order in which the checks add
them); the steps a check keeps in Python (one record per sending) rank among them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from vsbengine import _core
from vsbengine.formats.efact.compiled import LAYOUTS, Compiled

#: The scan's parameters, by index: today, the sending's invoiced month (record 10,
#: YYYYMM), the month after it, and its creation date when readable (else 0).
PARAMS = ("today", "billed", "next_billed", "created")

_RC = _core.RuleColumn
_OPS = {
    ">": _core.RuleOp.OP_GT,
    "<": _core.RuleOp.OP_LT,
    ">=": _core.RuleOp.OP_GE,
    "<=": _core.RuleOp.OP_LE,
    "==": _core.RuleOp.OP_EQ,
    "!=": _core.RuleOp.OP_NE,
    "in": _core.RuleOp.OP_IN,
    "not in": _core.RuleOp.OP_NOT_IN,
}
_GOVERNING = {
    "20": _core.RuleSource.SRC_GOV20,
    "10": _core.RuleSource.SRC_GOV10,
    "50": _core.RuleSource.SRC_GOV50,
}
_WRAP = re.compile(r"^(month|div100)\((.+)\)$")


# -- the specs ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Compare:
    """``left op right`` on every record of a type (``when`` holds, the ``readable``
    zones could be read: ``"20.47"`` names zone 47 of the invoice's record 20, and the
    sides named in ``present`` are not 0). The finding
    goes on the record (``on="self"``) or on the record 20 of its invoice
    (``on="20"``), naming ``zone`` of ``zone_of`` (default: the record)."""

    record: str
    zone: str
    code: str
    left: str
    op: str
    right: str | int
    when: tuple | None = None
    readable: tuple[str, ...] = ()
    present: str = ""
    on: str = "self"
    zone_of: str | None = None


@dataclass(frozen=True)
class Sign:
    """``left`` and ``right`` are both non-zero and have different signs."""

    record: str
    zone: str
    code: str
    left: str
    right: str


@dataclass(frozen=True)
class Ident:
    """The check digits of an identification number (``kind``: ``"insz"`` or
    ``"nihii"``) in a non-zero ``column``: the finding when they are wrong (``fire=
    "invalid"``) or right (``"valid"``)."""

    record: str
    zone: str
    code: str
    column: str
    kind: str
    fire: str = "invalid"
    when: tuple | None = None
    readable: tuple[str, ...] = ()


@dataclass(frozen=True)
class Equal:
    """A zone holds the same as the same zone of the record that governs it (``of``:
    ``"10"`` the sending's record 10, ``"20"`` the invoice's record 20, ``"50"`` the
    record 50 a record 51/52 completes), ``when`` holds."""

    record: str
    zone: str
    of: str
    code: str
    when: tuple | None = None


@dataclass(frozen=True)
class Order:
    """The detail record before this one is of one of the types ``after``."""

    record: str
    zone: str
    code: str
    after: tuple[int, ...]


@dataclass(frozen=True)
class Sequence:
    """The sequence number is the one of the detail record before it plus one (modulo
    ``modulus``), both readable."""

    record: str
    zone: str
    code: str
    modulus: int


@dataclass(frozen=True)
class FollowedBy:
    """The detail record after one of this type is of one of the types ``before`` (none:
    no detail record may follow it). The finding goes on this record."""

    record: str
    zone: str
    code: str
    before: tuple[int, ...]


@dataclass(frozen=True)
class Ascending:
    """``column`` is not below its value in the record of this type before it; in a
    chunk, the record before the chunk (of type ``seed_record``, its ``seed_column``)
    counts as that one."""

    record: str
    zone: str
    code: str
    column: str
    seed_record: str
    seed_column: str


@dataclass(frozen=True)
class Total:
    """At the end of an invoice: ``column`` of its (first) record 80 against the sum of
    ``summed`` over its records of the types ``of`` (where ``where`` holds), or its
    control number (``mode="control"``: sum mod 97, 97 for 0). With ``guard``, an
    unreadable zone among ``unreadable`` in those records leaves the total alone;
    ``readable``: zones of the record 80 that must be readable. ``code`` None: a total
    the summary reads (``name``), no check."""

    name: str
    zone: str
    code: str | None
    column: str
    summed: str
    of: tuple[int, ...]
    where: tuple | None = None
    unreadable: tuple[str, ...] = ()
    guard: bool = True
    mode: str = "sum"
    readable: tuple[str, ...] = ()
    record: str = "80"


Spec = Compare | Sign | Ident | Equal | Order | Sequence | FollowedBy | Ascending | Total

#: Totals of each invoice that the summary reads (no check of their own).
AGGREGATES = (
    # What the settlement adds up: the prestations of account A (anything but 1) and B.
    Total("prestations_a", "19", None, "amount_a", "amount", (30, 50), ("account", "!=", 1)),
    Total("prestations_b", "15", None, "amount_b", "amount", (30, 50), ("account", "==", 1)),
)


# -- compiling --------------------------------------------------------------------------------


class _Builder:
    def __init__(self, compiled: Compiled) -> None:
        self.c = compiled
        self.rows: list[np.ndarray] = []
        self.layout: list[int] = []
        self.code: list[int] = []
        self.zone: list[int] = []
        self.rank: list[int] = []
        self.family: list[int] = []
        self.sets: list[int] = []
        self.totals: list[str] = []
        self.summed: dict[tuple, int] = {}
        self.alias: dict[str, int] = {}

    def operand(self, spec, record: str) -> tuple[int, int, int, int]:
        """(source, index, transform, constant) of an operand."""
        x = _core.RuleTransform.X_NONE
        if isinstance(spec, (int, np.integer)):
            return _core.RuleSource.SRC_CONST, 0, x, int(spec)
        m = _WRAP.match(spec)
        if m:
            src, idx, _, k = self.operand(m.group(2), record)
            return src, idx, _core.RuleTransform.X_DIV100, k
        if spec in PARAMS:
            return _core.RuleSource.SRC_PARAM, PARAMS.index(spec), x, 0
        layout, _, column = spec.rpartition(".")
        if layout:
            return _GOVERNING[layout], self.c.local_slot(layout, column), x, 0
        return _core.RuleSource.SRC_SELF, self.c.local_slot(record, column), x, 0

    def need(self, record: str, zones) -> int:
        """The bits of ``zones`` of ``record`` (the record's own zones only)."""
        bits = 0
        for z in zones:
            if "." in z:
                raise ValueError(f"{z}: a governing record's zone is for a Compare only")
            bits |= self.c.zone_bit(record, z)
        return bits

    def need_both(self, record: str, zones) -> tuple[int, int]:
        """The bits of the record's own ``zones`` and of the ``20.``-prefixed ones of its
        invoice's record 20."""
        own = [z for z in zones if not z.startswith("20.")]
        of20 = [z[3:] for z in zones if z.startswith("20.")]
        return self.need(record, own), self.need("20", of20)

    def set_of(self, values) -> tuple[int, int]:
        first = len(self.sets)
        self.sets += [int(v) for v in values]
        return first, len(values)

    def when(self, row: np.ndarray, when, record: str) -> None:
        if when is None:
            return
        operand, op, value = when
        src, idx, x, _ = self.operand(operand, record)
        row[_RC.RC_C_SRC], row[_RC.RC_C], row[_RC.RC_C_X] = src, idx, x
        row[_RC.RC_C_OP] = _OPS[op]
        if op in ("in", "not in"):
            row[_RC.RC_SET_FIRST], row[_RC.RC_SET_COUNT] = self.set_of(value)
        else:
            row[_RC.RC_C_CONST] = int(value)

    def add(self, kind, record: str, code, zone_layout: str, zone: str, rank: int, family: int):
        row = np.zeros(_core.RuleColumn.RC_FIELDS, dtype=np.int64)
        row[_RC.RC_KIND] = kind
        row[_RC.RC_LAYOUT] = self.c.index[record]
        self.rows.append(row)
        self.layout.append(self.c.index[record])
        self.code.append(int(code) if code else 0)
        self.zone.append(self.c.zone_index(zone_layout, zone) if zone else -1)
        self.rank.append(rank)
        self.family.append(family)
        return row

    def spec(self, s: Spec, rank: int, family: int) -> None:
        k = _core.RuleKind
        if isinstance(s, Compare):
            row = self.add(k.RK_CMP, s.record, s.code, s.zone_of or s.record, s.zone, rank, family)
            a = self.operand(s.left, s.record)
            b = self.operand(s.right, s.record)
            row[_RC.RC_A_SRC], row[_RC.RC_A], row[_RC.RC_A_X] = a[:3]
            row[_RC.RC_B_SRC], row[_RC.RC_B], row[_RC.RC_B_X], row[_RC.RC_B_CONST] = b
            row[_RC.RC_OP] = _OPS[s.op]
            flags = 0
            if "a" in s.present:
                flags |= _core.RuleFlag.RF_A_PRESENT
            if "b" in s.present:
                flags |= _core.RuleFlag.RF_B_PRESENT
            if s.on == "20":
                flags |= _core.RuleFlag.RF_TARGET_GOV20
            row[_RC.RC_FLAGS] = flags
            row[_RC.RC_NEED], row[_RC.RC_NEED20] = self.need_both(s.record, s.readable)
            self.when(row, s.when, s.record)
        elif isinstance(s, Sign):
            row = self.add(k.RK_SIGN, s.record, s.code, s.record, s.zone, rank, family)
            row[_RC.RC_A] = self.c.local_slot(s.record, s.left)
            row[_RC.RC_B] = self.c.local_slot(s.record, s.right)
        elif isinstance(s, Ident):
            row = self.add(k.RK_IDENT, s.record, s.code, s.record, s.zone, rank, family)
            row[_RC.RC_A] = self.c.local_slot(s.record, s.column)
            row[_RC.RC_OP] = {"insz": _core.IdentKind.ID_INSZ, "nihii": _core.IdentKind.ID_NIHII}[
                s.kind
            ]
            row[_RC.RC_FLAGS] = _core.RuleFlag.RF_FIRE_VALID if s.fire == "valid" else 0
            row[_RC.RC_NEED] = self.need(s.record, s.readable)
            self.when(row, s.when, s.record)
        elif isinstance(s, Equal):
            row = self.add(k.RK_EQUAL, s.record, s.code, s.record, s.zone, rank, family)
            mine, theirs = self.c.layout(s.record).zone(s.zone), self.c.layout(s.of).zone(s.zone)
            row[_RC.RC_B_SRC] = _GOVERNING[s.of]
            if mine.column and mine.column == theirs.column:
                # Digit zones of one column: equal values means equal bytes.
                row[_RC.RC_FLAGS] = _core.RuleFlag.RF_BY_VALUE
                row[_RC.RC_A] = self.c.local_slot(s.record, mine.column)
                row[_RC.RC_B] = self.c.local_slot(s.of, theirs.column)
            else:
                if mine.length != theirs.length:
                    raise ValueError(f"zone {s.zone} of records {s.record} and {s.of} differ")
                row[_RC.RC_A_START], row[_RC.RC_B_START] = mine.start, theirs.start
                row[_RC.RC_LENGTH] = mine.length
            self.when(row, s.when, s.record)
        elif isinstance(s, Order):
            row = self.add(k.RK_ORDER, s.record, s.code, s.record, s.zone, rank, family)
            row[_RC.RC_SET_FIRST], row[_RC.RC_SET_COUNT] = self.set_of(s.after)
        elif isinstance(s, Sequence):
            row = self.add(k.RK_SEQ, s.record, s.code, s.record, s.zone, rank, family)
            row[_RC.RC_B_CONST] = s.modulus
        elif isinstance(s, FollowedBy):
            row = self.add(k.RK_NOT_LAST, s.record, s.code, s.record, s.zone, rank, family)
            row[_RC.RC_SET_FIRST], row[_RC.RC_SET_COUNT] = self.set_of(s.before)
        elif isinstance(s, Ascending):
            row = self.add(k.RK_ASCENDING, s.record, s.code, s.record, s.zone, rank, family)
            row[_RC.RC_A] = self.c.local_slot(s.record, s.column)
            seed = self.add(k.RK_ASCENDING_SEED, s.seed_record, None, "", "", rank, family)
            seed[_RC.RC_A] = self.c.local_slot(s.seed_record, s.seed_column)
        elif isinstance(s, Total):
            self.total(s, rank, family)
        else:
            raise TypeError(f"not a rule: {s!r}")

    def total(self, s: Total, rank: int, family: int) -> None:
        k = _core.RuleKind
        what = (s.summed, s.of, s.where)
        if s.code is None and what in self.summed:
            # A total the summary reads that a rule sums already: the same one.
            self.alias[s.name] = self.summed[what]
            return
        index = len(self.totals)
        self.totals.append(s.name)
        self.summed.setdefault(what, index)
        row = self.add(k.RK_TOTAL, s.record, s.code, s.record, s.zone, rank, family)
        row[_RC.RC_A] = self.c.local_slot(s.record, s.column)
        row[_RC.RC_OP] = (
            _core.TotalMode.TM_NONE
            if s.code is None
            else {"sum": _core.TotalMode.TM_SUM, "control": _core.TotalMode.TM_CONTROL}[s.mode]
        )
        row[_RC.RC_FLAGS] = _core.RuleFlag.RF_GUARD if s.guard else 0
        row[_RC.RC_NEED] = self.need(s.record, s.readable)
        row[_RC.RC_TOTAL] = index
        for rtype in s.of:
            rec = str(rtype)
            acc = self.add(k.RK_ACCUM, rec, None, "", "", -1, family)
            acc[_RC.RC_A] = self.c.local_slot(rec, s.summed)
            acc[_RC.RC_NEED] = self.need(rec, s.unreadable)
            acc[_RC.RC_TOTAL] = index
            self.when(acc, s.where, rec)


@dataclass(frozen=True)
class RuleTable:
    """The compiled rules: the table the core walks (rows sorted by layout), and per
    row its code (0 for none), the global zone its finding names, its rank and its
    family (index into :data:`FAMILIES`); the totals by name."""

    rules: np.ndarray
    rule_sets: np.ndarray
    rule_first: np.ndarray
    rule_count: np.ndarray
    #: Per layout and rule kind (``layout * kinds + kind``), where its rows start.
    kind_first: np.ndarray
    n_totals: int
    totals: dict[str, int]
    code: np.ndarray
    letter: np.ndarray
    zone: np.ndarray
    rank: np.ndarray
    family: np.ndarray
    #: Rank of each step a check keeps in Python, by its code (or name).
    steps: dict[str, int]

    def rank_of(self, step: str) -> int:
        return self.steps[step]


#: The families of streaming rules, in the order their checks run.
FAMILIES = ("order", "zones", "dates", "amounts", "controls")


def _family_steps():
    from vsbengine.formats.efact.checks import amounts, controls, dates, order, zones

    return {
        "order": order.STEPS,
        "zones": zones.STEPS,
        "dates": dates.STEPS,
        "amounts": amounts.STEPS,
        "controls": controls.STEPS,
    }


def compile_rules(compiled: Compiled = LAYOUTS) -> RuleTable:
    """Compile the rule tables of the checks for a layout set."""
    b = _Builder(compiled)
    steps: dict[str, int] = {}
    rank = 0
    for family, items in _family_steps().items():
        fam = FAMILIES.index(family)
        for item in items:
            if isinstance(item, str):
                steps[item] = rank
            else:
                b.spec(item, rank, fam)
            rank += 1
    for agg in AGGREGATES:
        b.total(agg, -1, -1)
    layout = np.array(b.layout, dtype=np.int64)
    n_lay = len(compiled.layouts)
    raw = np.stack(b.rows) if b.rows else np.zeros((0, _core.RuleColumn.RC_FIELDS), np.int64)
    # The core walks a record's rules kind by kind, and rules that share a condition
    # one after the other (it tests the condition once): sort by layout, kind, condition.
    guard = [_RC.RC_NEED, _RC.RC_SET_COUNT, _RC.RC_SET_FIRST, _RC.RC_C_CONST, _RC.RC_C_OP]
    guard += [_RC.RC_C_X, _RC.RC_C, _RC.RC_C_SRC]
    keys = tuple(raw[:, c] for c in guard) + (raw[:, _RC.RC_KIND], layout)
    order = np.lexsort(keys) if len(raw) else np.zeros(0, np.int64)
    rules = raw[order]
    n_kinds = max(int(k) for k in _core.RuleKind) + 1
    slot_of = layout[order] * n_kinds + rules[:, _RC.RC_KIND]
    kind_first = np.searchsorted(slot_of, np.arange(n_lay * n_kinds + 1)).astype(np.int32)
    # RK_TOTAL rows name their totals; RK_NOT_LAST and RK_ASCENDING_SEED rows point
    # nowhere else: rows keep their meaning when sorted.
    letter = np.zeros(len(order), dtype=np.uint8)
    codes = np.array(b.code, dtype=np.int32)[order]
    from vsbengine.formats.efact.findings import letter_of

    for i, c in enumerate(codes.tolist()):
        if c:
            lt = letter_of(f"{c:06d}")
            letter[i] = ord(lt) if lt else 0
    return RuleTable(
        rules=rules,
        rule_sets=np.array(b.sets or [0], dtype=np.int64),
        rule_first=np.searchsorted(layout[order], np.arange(n_lay)).astype(np.int32),
        kind_first=kind_first,
        rule_count=np.bincount(layout, minlength=n_lay).astype(np.int32),
        n_totals=len(b.totals),
        totals={**{name: i for i, name in enumerate(b.totals)}, **b.alias},
        code=codes,
        letter=letter,
        zone=np.array(b.zone, dtype=np.int32)[order],
        rank=np.array(b.rank, dtype=np.int32)[order],
        family=np.array(b.family, dtype=np.int8)[order],
        steps=steps,
    )


_TABLES: dict[int, RuleTable] = {}


def rule_table(compiled: Compiled = LAYOUTS) -> RuleTable:
    """The compiled rules of a layout set (compiled once)."""
    key = id(compiled)
    table = _TABLES.get(key)
    if table is None:
        table = _TABLES[key] = compile_rules(compiled)
    return table


@lru_cache(maxsize=1)
def _family_index() -> dict[str, int]:
    return {name: i for i, name in enumerate(FAMILIES)}


def family_errors(s, family: str, extra=(), tables=()):
    """The errors of one family of rules on a scanned sending, with the steps its check
    keeps in Python (``extra``: ``(units, code, zone, step)``; ``tables``: ``(ErrorTable,
    step)``), listed by record, then in the order of the family's steps.

    Returns an :class:`~vsbengine.formats.efact.findings.ErrorTable`."""
    from vsbengine.formats.efact.findings import ErrorTable, letter_of

    table = rule_table(s.compiled)
    fam = _family_index()[family]
    sc = s.scan
    rid = sc.rule_id
    mine = table.family[rid] == fam if len(rid) else np.zeros(0, bool)
    units = [sc.rule_unit[mine].astype(np.int64)]
    rules = rid[mine]
    code = [table.code[rules]]
    letter = [table.letter[rules]]
    zone = [table.zone[rules]]
    rank = [table.rank[rules]]
    for u, c, z, step in extra:
        u = np.atleast_1d(np.asarray(u, dtype=np.int64))
        if len(u) == 0:
            continue
        lt = letter_of(c)
        units.append(u)
        code.append(np.full(len(u), int(c), np.int32))
        letter.append(np.full(len(u), ord(lt) if lt else 0, np.uint8))
        zone.append(np.full(len(u), z, np.int32))
        rank.append(np.full(len(u), table.rank_of(step), np.int32))
    for t, step in tables:
        units.append(t.unit.astype(np.int64))
        code.append(t.code)
        letter.append(t.letter)
        zone.append(t.zone)
        rank.append(np.full(len(t), table.rank_of(step), np.int32))
    unit = np.concatenate(units)
    n = len(unit)
    if n == 0:
        return ErrorTable.empty()
    rk = np.concatenate(rank)
    order = np.lexsort((rk, unit))
    return ErrorTable(
        unit[order],
        np.concatenate(code)[order],
        np.concatenate(letter)[order],
        np.concatenate(zone)[order],
        np.full(n, -1, np.int64),
        np.zeros(n, np.int16),
        np.full(n, -1, np.int64),
    )
