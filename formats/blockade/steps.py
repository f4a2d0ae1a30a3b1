"""Steps 1 to 5.1 of the chain: from actions to the (unit, action) entries of R03271.

Everything is whole-column work: the LOID translation is an interval join done
with a sort, ``bincount`` and ``repeat``; the reasons are one ``np.select``; the
entries are ordered with one multi-key sort. Every action ends up counted in
exactly one outcome of every step (see :func:`run_chain`), which B1010 shows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from vsbengine.formats.blockade.columns import positions, run_starts, take
from vsbengine.formats.blockade.inputs import Actions, Controls, Loids, is_zp
from vsbengine.formats.blockade.reasons import BLOCKS, REASONS, classify
from vsbengine.formats.blockade.records import Count

__all__ = ["OUTCOMES", "Chain", "run_chain"]


@dataclass(frozen=True)
class Chain:
    """What steps 1 to 5.1 leave: the entries of R03271 and the counts so far.

    An *entry* is one action on one unit, reached through the action's LOID or
    named as a related unit. Entries are sorted by unit, control, action id,
    the LOID entry before a related one, and only actions whose DBC was not
    closed before the date remain.
    """

    controls: Controls
    actions: Actions
    unit_names: pa.Array
    unit_zp: np.ndarray
    entry_unit: np.ndarray
    entry_action: np.ndarray
    entry_related: np.ndarray
    entry_reason: np.ndarray
    blocking_action: np.ndarray
    counts: list[Count]
    action_outcome: np.ndarray  # per action: index into OUTCOMES (where it left the chain)
    action_units: np.ndarray  # per action: units reached in steps 3-4
    action_blocked: np.ndarray  # per action: units it blocks (step 5.1)


#: Where an action leaves the chain, as (step, measure of B1010): every action has one.
OUTCOMES = (
    ("1", "Uitgevallen_controle_niet_in_productie"),
    ("1", "Uitgevallen_geen_dbc"),
    ("2", "Uitgevallen_loid_onbekend"),
    ("2", "Uitgevallen_loid_niet_geldig"),
    ("5.0", "Uitgevallen_dbc_gesloten"),
    *(("5.0", r.key) for r in REASONS),
    ("5.0", "Blokkerend"),
)


class _Counts(list):
    def add(self, stap: str, meting: str, aantal, omschrijving: str) -> None:
        self.append(Count(stap, meting, int(aantal), omschrijving))


def run_chain(
    controls: Controls, actions: Actions, loids: Loids, *, date: int, exclude_before: int
) -> Chain:
    """Run steps 1 to 5.1; ``date`` and ``exclude_before`` are int32 days since 1970-01-01."""
    n = len(actions)
    counts = _Counts()

    # Step 1: actions of controls in production that concern a DBC.
    in_production = controls.in_production[actions.control]
    step1 = in_production & actions.has_dbc
    counts.add("1", "Acties_gelezen", n, "acties in het actiebestand")
    counts.add(
        "1",
        "Uitgevallen_controle_niet_in_productie",
        np.count_nonzero(~in_production),
        "acties van een controle die niet in productie is",
    )
    counts.add(
        "1",
        "Uitgevallen_geen_dbc",
        np.count_nonzero(in_production & ~actions.has_dbc),
        "acties die geen DBC betreffen",
    )
    counts.add(
        "1", "Acties", np.count_nonzero(step1), "acties op een DBC van controles in productie"
    )

    # Step 2: through the LOID table, on the DBC start date.
    pair_action, pair_row, known = _translate(actions, loids, step1)
    translated = np.zeros(n, dtype=bool)
    translated[pair_action] = True
    n_translated = np.count_nonzero(translated)
    counts.add("2", "Acties_in", np.count_nonzero(step1), "acties uit stap 1")
    counts.add(
        "2",
        "Uitgevallen_loid_onbekend",
        np.count_nonzero(step1 & ~known),
        "LOID leeg of niet in de LOID-tabel",
    )
    counts.add(
        "2",
        "Uitgevallen_loid_niet_geldig",
        np.count_nonzero(step1 & known & ~translated),
        "LOID niet geldig op de begindatum van de DBC",
    )
    counts.add("2", "Acties", n_translated, "acties vertaald naar een LOID")

    # Steps 3 and 4: to ZPs and OZPs, plus the related units the actions name.
    names, loid_unit, related_unit = _unit_codes(loids.unit, actions.related_unit)
    zp = is_zp(names)
    with_owner = np.flatnonzero(translated[actions.related_action])
    entry_action = np.concatenate([pair_action, actions.related_action[with_owner]])
    entry_unit = np.concatenate([loid_unit[pair_row], related_unit[with_owner]])
    entry_related = np.concatenate([np.full(pair_action.size, -1, np.int64), with_owner])
    order = _entry_order(actions, entry_unit, entry_action)
    entry_action, entry_unit, entry_related = (
        entry_action[order],
        entry_unit[order],
        entry_related[order],
    )
    counts.add("3-4", "Acties_in", n_translated, "acties uit stap 2")
    counts.add(
        "3-4",
        "Regels_loid",
        np.count_nonzero(entry_related < 0),
        "actie-eenheid-regels via de LOID",
    )
    counts.add(
        "3-4",
        "Regels_verwant",
        np.count_nonzero(entry_related >= 0),
        "actie-eenheid-regels voor verwante eenheden",
    )
    _count_units(counts, "3-4", entry_unit, zp, "eenheden bereikt")

    # Step 5.0: which actions lead to a unit to block in this run.
    ctl = actions.control
    reason = classify(
        default_excluded=controls.default_excluded[ctl],
        client_excluded=controls.client_excluded[ctl],
        not_blocking=~controls.blocking[ctl],
        dbc_start_before=actions.dbc_start < exclude_before,
        ignored_status=actions.ignored,
    )
    closed = actions.dbc_closed < date
    live = translated & ~closed
    blocking = live & (reason == BLOCKS)
    counts.add("5.0", "Acties_in", n_translated, "acties uit stap 3-4")
    counts.add(
        "5.0",
        "Uitgevallen_dbc_gesloten",
        np.count_nonzero(translated & closed),
        "DBC gesloten voor de verwerkingsdatum",
    )
    per_reason = np.bincount(reason[live], minlength=len(REASONS) + 1)
    for r in REASONS:
        counts.add("5.0", r.key, per_reason[r.code], f"genegeerd: {r.label}")
    counts.add("5.0", "Blokkerend", per_reason[BLOCKS], "acties die tot blokkade leiden")

    # Step 5.1: drop what does not apply to this run.
    reached = np.bincount(entry_action, minlength=n)
    keep = live[entry_action]
    entry_action, entry_unit, entry_related = (
        entry_action[keep],
        entry_unit[keep],
        entry_related[keep],
    )
    entry_reason = reason[entry_action]
    blocking_entry = entry_reason == BLOCKS
    counts.add("5.1", "Acties", np.count_nonzero(blocking), "blokkerende acties")
    counts.add(
        "5.1",
        "Regels",
        np.count_nonzero(blocking_entry),
        "actie-eenheid-regels van blokkerende acties",
    )
    _count_units(
        counts, "5.1", entry_unit[blocking_entry], zp, "te blokkeren eenheden", "Totaal_zp_ozp"
    )
    # Where each action left the chain: its reason's outcome, overridden by the earlier
    # steps (the first that applies wins, so they are written last to first).
    by_code = np.full(len(REASONS) + 1, len(OUTCOMES) - 1, dtype=np.int8)
    for r in REASONS:
        by_code[r.code] = OUTCOMES.index(("5.0", r.key))
    outcome = by_code[reason]
    left = (~in_production, ~actions.has_dbc, ~known, ~translated, closed)
    for index in reversed(range(len(left))):
        outcome[left[index]] = index
    return Chain(
        controls=controls,
        actions=actions,
        unit_names=names,
        unit_zp=zp,
        entry_unit=entry_unit,
        entry_action=entry_action,
        entry_related=entry_related,
        entry_reason=entry_reason,
        blocking_action=blocking,
        counts=counts,
        action_outcome=outcome,
        action_units=reached,
        action_blocked=np.bincount(entry_action[blocking_entry], minlength=n),
    )


def _count_units(
    counts: _Counts, stap: str, units: np.ndarray, zp: np.ndarray, what: str, total="Eenheden"
) -> None:
    """Distinct units of a sorted unit column, in total and per kind."""
    distinct = units[run_starts(units)]
    n_zp = np.count_nonzero(zp[distinct])
    counts.add(stap, total, distinct.size, f"{what} (ZP en OZP, uniek)")
    counts.add(stap, "ZP", n_zp, f"{what}: ZP")
    counts.add(stap, "OZP", distinct.size - n_zp, f"{what}: OZP")


def _translate(actions: Actions, loids: Loids, step1: np.ndarray):
    """Interval join of actions to LOID rows valid on the DBC start date.

    Returns the matching (action, LOID row) pairs and, per action, whether its
    LOID is in the table at all. Memory is the number of candidate pairs: for
    each action, the rows its LOID has.
    """
    encoded = pc.dictionary_encode(loids.loid)
    loid_code = encoded.indices.to_numpy(zero_copy_only=False)
    action_code = positions(actions.loid, encoded.dictionary)
    known = action_code >= 0
    by_loid = np.argsort(loid_code, kind="stable")
    per_loid = np.bincount(loid_code, minlength=len(encoded.dictionary))
    first = np.cumsum(per_loid) - per_loid
    candidates = np.flatnonzero(step1 & known)
    width = per_loid[action_code[candidates]]
    pair_action = np.repeat(candidates, width)
    # Position of each pair inside its LOID's block of rows, then the row itself.
    shift = first[action_code[candidates]] - (np.cumsum(width) - width)
    pair_row = by_loid[np.repeat(shift, width) + np.arange(pair_action.size)]
    start = actions.dbc_start[pair_action]
    valid = (loids.valid_from[pair_row] <= start) & (start <= loids.valid_to[pair_row])
    return pair_action[valid], pair_row[valid], known


def _unit_codes(loid_units: pa.Array, related_units: pa.Array):
    """One sorted dictionary of every unit; codes of the LOID table's and the related units."""
    pool = pa.concat_arrays([loid_units, related_units.cast(loid_units.type)])
    encoded = pc.dictionary_encode(pool)
    order = pc.sort_indices(encoded.dictionary).to_numpy(zero_copy_only=False)
    rank = np.empty(order.size, dtype=np.int32)
    rank[order] = np.arange(order.size, dtype=np.int32)
    codes = rank[encoded.indices.to_numpy(zero_copy_only=False)]
    return take(encoded.dictionary, order), codes[: len(loid_units)], codes[len(loid_units) :]


def _entry_order(actions: Actions, unit: np.ndarray, action: np.ndarray) -> np.ndarray:
    """Sort entries by unit, control, action id; keep one per (unit, action).

    The entries come LOID ones first, related ones after, and the sort is
    stable, so when an action reaches a unit both ways its LOID entry is kept.
    """
    n_controls = int(actions.control.max()) + 1 if actions.control.size else 1
    unit_control = unit.astype(np.int64) * n_controls + actions.control[action]
    keys = pa.table({"unit_control": unit_control, "action_id": take(actions.action_id, action)})
    order = pc.sort_indices(
        keys, sort_keys=[("unit_control", "ascending"), ("action_id", "ascending")]
    ).to_numpy(zero_copy_only=False)
    return order[run_starts(unit[order], action[order])]
