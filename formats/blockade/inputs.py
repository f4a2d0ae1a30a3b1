"""The five inputs of the blockade side, read and checked against each other.

Every check is vectorised; the first problem found raises an
:class:`~vsbengine.errors.InputError` naming the file, the line and the column.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from vsbengine.formats.blockade.columns import TEXT_MARK, take
from vsbengine.formats.blockade.csvin import (
    CODE,
    DATE,
    INT,
    KEY,
    NO_DATE,
    Col,
    CsvInput,
    first_duplicate,
    read_csv,
)

__all__ = [
    "Actions",
    "Controls",
    "InvoiceLines",
    "Loids",
    "Run",
    "is_zp",
    "read_actions",
    "read_controls",
    "read_lines",
    "read_loids",
    "read_run",
]

JA_NEE = ("NEE", "JA")  # code 1 is JA, so codes read as booleans
STATUS = ("open", "ignored")
UNIT_KIND = ("OZP", "ZP")  # code 1 is ZP
LINE_KIND = ("debit", "credit")
OPEN_END = np.iinfo(np.int32).max  # an empty valid_to or dbc_closed: no end
JA_COLUMNS = ("blocking", "default_excluded", "client_excluded", "in_production")

CONTROL_COLS = (
    Col("control", nonempty=True),
    Col("description"),
    Col("blocking", CODE, allowed=JA_NEE),
    Col("default_excluded", CODE, allowed=JA_NEE),
    Col("client_excluded", CODE, allowed=JA_NEE),
    Col("in_production", CODE, required=False, allowed=JA_NEE, default="JA"),
)
ACTION_COLS = (
    Col("action_id", nonempty=True),
    Col("control", KEY, nonempty=True),
    Col("dbc"),
    Col("loid"),
    Col("action_date", DATE, nonempty=True),
    Col("dbc_start", DATE),
    Col("dbc_closed", DATE),
    Col("status", CODE, allowed=STATUS),
    Col("remark"),
    Col("related"),
)
LOID_COLS = (
    Col("loid", nonempty=True),
    Col("valid_from", DATE, nonempty=True),
    Col("valid_to", DATE),
    Col("unit", nonempty=True),
    Col("unit_kind", CODE, allowed=UNIT_KIND),
)
LINE_COLS = (
    Col("unit", nonempty=True),
    Col("line_id", nonempty=True),
    Col("invoice_number", nonempty=True),
    Col("kind", CODE, allowed=LINE_KIND),
    Col("amount", INT, nonempty=True),
)
RUN_COLS = (
    Col("unit", nonempty=True),
    Col("invoice_number", nonempty=True),
    Col("line_id", nonempty=True),
)

_RELATED_ITEM = r"^(?P<unit>[^@|]+)@(?P<activity>[^@|]+)$"


def is_zp(units: pa.Array) -> np.ndarray:
    """A unit is a ZP when its code is 9 digits; any other code is an OZP."""
    return np.asarray(pc.match_substring_regex(units, r"^[0-9]{9}$").fill_null(False))


def _refuse_duplicates(src: CsvInput, column: str, values: pa.Array, what: str) -> None:
    found = first_duplicate(values)
    if found is not None:
        row, first = found
        raise src.error(row, column, f"duplicate {what}: already on line {src.line(first)}")


@dataclass(frozen=True)
class Controls:
    """The controls and norms, sorted by id (their order everywhere downstream)."""

    names: pa.Array
    descriptions: pa.Array
    blocking: np.ndarray
    default_excluded: np.ndarray
    client_excluded: np.ndarray
    in_production: np.ndarray

    @property
    def blocks(self) -> np.ndarray:
        """Blokkade JA: set to block and excluded neither by default nor by the client."""
        return self.blocking & ~self.default_excluded & ~self.client_excluded


def read_controls(path) -> Controls:
    src = read_csv(path, "controls", CONTROL_COLS)
    names = src.columns["control"]
    _refuse_duplicates(src, "control", names, "control")
    order = pc.sort_indices(names).to_numpy(zero_copy_only=False)
    flag = {n: src.columns[n][order].astype(bool) for n in JA_COLUMNS}
    return Controls(
        names=take(names, order),
        descriptions=take(src.columns["description"], order),
        **flag,
    )


@dataclass(frozen=True)
class Actions:
    """The actions (signals of controls), in file order.

    ``control`` indexes :attr:`Controls.names`; dates are int32 days, an empty
    ``dbc_start`` is ``NO_DATE`` and an empty ``dbc_closed`` is ``OPEN_END``.
    The related units are flattened: item ``k`` belongs to action
    ``related_action[k]``.
    """

    action_id: pa.Array
    control: np.ndarray
    has_dbc: np.ndarray
    loid: pa.Array
    dbc_start: np.ndarray
    dbc_closed: np.ndarray
    ignored: np.ndarray
    remark: pa.Array
    related_action: np.ndarray
    related_unit: pa.Array
    related_activity: pa.Array

    def __len__(self) -> int:
        return len(self.action_id)


def read_actions(path, controls: Controls) -> Actions:
    src = read_csv(path, "actions", ACTION_COLS)
    col = src.columns
    _refuse_duplicates(src, "action_id", col["action_id"], "action_id")

    keyed = col["control"]
    known = pc.index_in(keyed.values, value_set=controls.names).fill_null(-1)
    lookup = known.to_numpy(zero_copy_only=False).astype(np.int32)
    control = lookup[keyed.indices]
    unknown = np.flatnonzero(control < 0)
    if unknown.size:
        row = int(unknown[0])
        raise src.error(
            row, "control", f"unknown control {keyed.values[int(keyed.indices[row])].as_py()!r}"
        )

    has_dbc = np.asarray(pc.greater(pc.binary_length(col["dbc"]), 0))
    dbc_start = col["dbc_start"]
    no_start = np.flatnonzero(has_dbc & (dbc_start == NO_DATE))
    if no_start.size:
        raise src.error(int(no_start[0]), "dbc_start", "a value is required for an action on a DBC")
    closed = np.where(col["dbc_closed"] == NO_DATE, OPEN_END, col["dbc_closed"]).astype(np.int32)

    rel_action, rel_unit, rel_activity = _related(src, col["related"])
    return Actions(
        action_id=col["action_id"],
        control=control,
        has_dbc=has_dbc,
        loid=col["loid"],
        dbc_start=dbc_start,
        dbc_closed=closed,
        ignored=col["status"] == STATUS.index("ignored"),
        remark=col["remark"],
        related_action=rel_action,
        related_unit=rel_unit,
        related_activity=rel_activity,
    )


def _related(src: CsvInput, related: pa.Array):
    """Split ``UNIT@ACTIVITY|UNIT@ACTIVITY`` into one item per related unit."""
    rows = np.flatnonzero(np.asarray(pc.greater(pc.binary_length(related), 0)))
    parts = pc.split_pattern(take(related, rows), "|")
    items = pc.list_flatten(parts)
    owner = rows[pc.list_parent_indices(parts).to_numpy(zero_copy_only=False)]
    pairs = pc.extract_regex(items, _RELATED_ITEM)
    if len(items):
        # Blanks around '|' and '@' are not part of the unit or the activity.
        unit = pc.utf8_trim_whitespace(pc.struct_field(pairs, "unit"))
        activity = pc.utf8_trim_whitespace(pc.struct_field(pairs, "activity"))
    else:
        unit = activity = pa.array([], pa.string())
    empty = pc.or_(pc.equal(pc.binary_length(unit), 0), pc.equal(pc.binary_length(activity), 0))
    bad = np.flatnonzero(np.asarray(empty.fill_null(True)))
    if bad.size:
        k = int(bad[0])
        raise src.error(
            int(owner[k]),
            "related",
            f"{items[k].as_py()!r} is not UNIT@ACTIVITY (items separated by '|')",
        )
    _refuse_marked_units(src, "related", unit, owner)
    return owner.astype(np.int64), unit, activity


@dataclass(frozen=True)
class Loids:
    """The LOID translation table: a LOID reaches ``unit`` on DBC start dates in
    [``valid_from``, ``valid_to``] (both inclusive; an empty ``valid_to`` has no end)."""

    loid: pa.Array
    valid_from: np.ndarray
    valid_to: np.ndarray
    unit: pa.Array


def _refuse_marked_units(src: CsvInput, column: str, units: pa.Array, rows=None) -> None:
    """A unit code may not start with ``'`` (in every input that names units): the lists
    mark formula-like text so, and a list read back must give the unit it wrote; a run
    or invoice line naming ``'990000002`` would not match the unit it means."""
    marked = np.flatnonzero(np.asarray(pc.starts_with(units, TEXT_MARK).fill_null(False)))
    if marked.size:
        row = int(marked[0] if rows is None else rows[marked[0]])
        raise src.error(row, column, f"a unit code cannot start with {TEXT_MARK!r}")


def read_loids(path) -> Loids:
    src = read_csv(path, "loids", LOID_COLS)
    col = src.columns
    _refuse_marked_units(src, "unit", col["unit"])
    valid_to = np.where(col["valid_to"] == NO_DATE, OPEN_END, col["valid_to"]).astype(np.int32)
    backwards = np.flatnonzero(valid_to < col["valid_from"])
    if backwards.size:
        raise src.error(int(backwards[0]), "valid_to", "valid_to lies before valid_from")
    zp = is_zp(col["unit"])
    mismatch = np.flatnonzero(zp != (col["unit_kind"] == UNIT_KIND.index("ZP")))
    if mismatch.size:
        row = int(mismatch[0])
        said = UNIT_KIND[int(col["unit_kind"][row])]
        raise src.error(
            row,
            "unit_kind",
            f"unit_kind {said} does not fit unit {col['unit'][row].as_py()!r} "
            "(a ZP has a 9-digit code, an OZP any other code)",
        )
    return Loids(
        loid=col["loid"], valid_from=col["valid_from"], valid_to=valid_to, unit=col["unit"]
    )


@dataclass(frozen=True)
class InvoiceLines:
    """Invoice lines waiting in the hospital system, one per ``line_id``."""

    unit: pa.Array
    line_id: pa.Array
    invoice_number: pa.Array
    kind: np.ndarray
    amount: np.ndarray


def read_lines(path) -> InvoiceLines:
    src = read_csv(path, "invoice lines", LINE_COLS)
    col = src.columns
    _refuse_marked_units(src, "unit", col["unit"])
    _refuse_duplicates(src, "line_id", col["line_id"], "line_id")
    return InvoiceLines(
        unit=col["unit"],
        line_id=col["line_id"],
        invoice_number=col["invoice_number"],
        kind=col["kind"],
        amount=col["amount"],
    )


@dataclass(frozen=True)
class Run:
    """The invoice lines one invoicing run sent."""

    unit: pa.Array
    invoice_number: pa.Array
    line_id: pa.Array


def read_run(path) -> Run:
    src = read_csv(path, "run", RUN_COLS)
    col = src.columns
    _refuse_marked_units(src, "unit", col["unit"])
    _refuse_duplicates(src, "line_id", col["line_id"], "line_id")
    return Run(unit=col["unit"], invoice_number=col["invoice_number"], line_id=col["line_id"])
