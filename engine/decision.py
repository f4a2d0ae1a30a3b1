"""The decision on a sending that passed the technical phase.

Type letters act as `vsb-processing.md` says:

- **B** rejects the sending (DF013, rejection type ``01``);
- **F** rejects the invoice: all its records, 20 through 80;
- **R** rejects the record and the records that depend on it: the records 51/52
  after a rejected record 50 (codes ``510119``/``520119`` on them). It does not
  run upwards: a rejected 51 or 52 leaves its 50 standing, as in the real reply
  of `vsb-processing.md` (records 10, 20, 50, 51, 80, 90, one rejected
  prestation: 16.66 %). A last date before the first date (``x00612``) also
  rejects the whole invoice (``200140`` on its record 20);
- **S** and **E** reject nothing.

The ratio is rejected records over records 10 to 90, compared exactly:
``rejected * 100 <= total * 5`` is acceptable (DF014 then DF015), anything
above is DF013 with rejection type ``02``. Records that carry a B error count
as rejected too.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vsbengine.formats.efact.findings import ErrorBuilder, ErrorTable
from vsbengine.formats.efact.sending import Sending

LIMIT_PERCENT = 5

#: Codes whose presence rejects the whole invoice, with the code put on its record 20.
_INVOICE_TRIGGERS = {300612: "200140", 500612: "200140"}


@dataclass(frozen=True)
class Propagated:
    """The letters of one chunk applied to its records."""

    errors: ErrorTable            # with the propagated codes
    rejected: np.ndarray          # per unit: rejected by its own or a propagated error
    invoice_rejected: np.ndarray  # per invoice (index in ``Sending.invoices``)


@dataclass(frozen=True)
class Decision:
    """Outcome of the pre-validation of a sending."""

    outcome: str                 # "DF013" or "DF014"
    rejection_type: str | None   # "01", "02" or None
    records_total: int
    records_rejected: int
    #: Percentage with two implied decimals, rounded half up (1667 = 16.67 %).
    ratio_x100: int


def percent_x100(part: int, total: int) -> int:
    """``part / total * 100`` with two implied decimals, rounded half up (exact)."""
    if total <= 0:
        return 0
    return (part * 20000 + total) // (2 * total)


def propagate(s: Sending, table: ErrorTable) -> Propagated:
    """Apply the letters within a chunk (invoices and record groups never span chunks)."""
    errs = ErrorBuilder()
    errs.add_table(table)
    unit = table.unit

    # x00612 rejects the invoice: 200140 on its record 20.
    for trigger, code in _INVOICE_TRIGGERS.items():
        hit = unit[table.code == trigger]
        heads = np.unique(s.head20[hit])
        errs.add(heads[heads >= 0], code, s.zone_index("20", "1"))
    table = errs.table()
    letter, unit = table.letter, table.unit

    invoice_rejected = np.zeros(len(s.invoices), dtype=bool)
    f_units = unit[(letter == ord("F")) & (unit >= 0)]
    inv = s.invoice_of[f_units]
    invoice_rejected[inv[inv >= 0]] = True

    rejected = np.zeros(s.n_units, dtype=bool)
    on_unit = unit >= 0
    rejected[unit[on_unit & _REJECTING[letter]]] = True
    inside = s.in_invoice
    rejected[inside] |= invoice_rejected[s.invoice_of[inside]]

    # Records 51/52 depend on their record 50.
    r_units = unit[on_unit & (letter == ord("R"))]
    bad50 = np.zeros(s.n_units, dtype=bool)
    bad50[r_units[s.rtype[r_units] == 50]] = True
    head = s.head50
    dragged = (head >= 0) & bad50[np.maximum(head, 0)] & ~rejected
    errs.add(np.flatnonzero(dragged & (s.rtype == 51)), "510119", s.zone_index("51", "1"))
    errs.add(np.flatnonzero(dragged & (s.rtype == 52)), "520119", s.zone_index("52", "1"))
    rejected |= dragged
    return Propagated(errs.table(), rejected & s.is_detail, invoice_rejected)


def decide(records_total: int, records_rejected: int, blocking: bool) -> Decision:
    """The outcome: B errors reject the sending (type 01); above 5 % rejected records
    too (type 02), compared exactly; otherwise it is accepted."""
    if blocking:
        outcome, rtype = "DF013", "01"
    elif records_rejected * 100 > records_total * LIMIT_PERCENT:
        outcome, rtype = "DF013", "02"
    else:
        outcome, rtype = "DF014", None
    return Decision(outcome, rtype, records_total, records_rejected,
                    percent_x100(records_rejected, records_total))


_REJECTING = np.zeros(256, dtype=bool)
_REJECTING[[ord("B"), ord("F"), ord("R")]] = True
