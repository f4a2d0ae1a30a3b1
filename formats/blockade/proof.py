"""B1020 and R02062: the second proof table, and the SAP hospitals' list.

**B1020** (our reading of seed 002). The product proves its blockade list with
"the B1010 and B1020": B1010 counts each step; the seed describes no columns
for B1020. We read it as the detail that makes those counts checkable: one row
per action read, saying where it left the chain (the step and the B1010
measure it is counted under: not in production, no DBC, LOID unknown or not
valid, DBC closed, each ignore reason, or blocking), how many units it reached
in steps 3-4 and how many it blocks. Grouping B1020 by ``Stap`` and ``Meting``
gives exactly the action counts of B1010; a build whose B1020 does not add up
to B1010 fails (and writes nothing).

**R02062** (seed 002, 1.5: "in SAP hospitals an R02062 list is used instead of
the B0010"). With ``--list r02062`` the build writes ``R02062.csv`` in the place
of ``B0010.csv``: the same rows (one per invoice line of every unit to block),
with the invoice line first, as a SAP invoice block reads it:
``Factuurnummer``, ``Factuurregel``, ``Declarabele_eenheid``, ``Soort``,
``Debet_credit``, ``Bedrag_centen``, ``Blokkadereden``. B0025 is written as
always; B1010 counts the R02062 rows under ``R02062_regels``/``R02062_eenheden``.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from vsbengine.formats.blockade.columns import take
from vsbengine.formats.blockade.records import Count
from vsbengine.formats.blockade.steps import OUTCOMES, Chain

__all__ = ["LIST_NAMES", "b1020", "check_b1020", "r02062"]

#: The net list a build writes beside B0025: ``b0010`` (default) or ``r02062`` (SAP).
LIST_NAMES = {"b0010": "B0010", "r02062": "R02062"}


def b1020(chain: Chain) -> pa.Table:
    """One row per action: where it left the chain and the units it reached and blocks."""
    actions = chain.actions
    outcome = pa.array(chain.action_outcome)
    return pa.table(
        {
            "Actie": actions.action_id,
            "Controle": take(chain.controls.names, actions.control),
            "Stap": pa.array([s for s, _ in OUTCOMES]).take(outcome),
            "Meting": pa.array([m for _, m in OUTCOMES]).take(outcome),
            "Eenheden_bereikt": chain.action_units,
            "Eenheden_te_blokkeren": chain.action_blocked,
        }
    )


def check_b1020(chain: Chain, counts: list[Count]) -> None:
    """Refuse a B1020 whose rows do not add up to the action counts of B1010."""
    from vsbengine.formats.blockade.lists import CheckError

    per_outcome = np.bincount(chain.action_outcome, minlength=len(OUTCOMES))
    b1010 = {(c.stap, c.meting): c.aantal for c in counts}
    for (stap, meting), n in zip(OUTCOMES, per_outcome):
        if b1010.get((stap, meting)) != int(n):
            raise CheckError(
                f"B1020 does not connect to B1010: step {stap} {meting} has {int(n)} "
                f"actions in B1020 and {b1010.get((stap, meting))} in B1010"
            )
    if int(per_outcome.sum()) != b1010.get(("1", "Acties_gelezen")):
        raise CheckError("B1020 does not hold every action read")


def r02062(b0010: pa.Table) -> pa.Table:
    """The SAP list: B0010's rows, invoice line first (see the module text)."""
    return pa.table(
        {
            "Factuurnummer": b0010.column("Factuurnummer"),
            "Factuurregel": b0010.column("Factuurregel"),
            "Declarabele_eenheid": b0010.column("Eenheid"),
            "Soort": b0010.column("Soort"),
            "Debet_credit": b0010.column("Debet_credit"),
            "Bedrag_centen": b0010.column("Bedrag_centen"),
            "Blokkadereden": b0010.column("Controles"),
        }
    )
