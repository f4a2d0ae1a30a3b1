"""The lists a build writes: R03271, B0010, B0025, B0001 and B1010, as pyarrow tables.

Columns are built whole: explanations are per-entry strings joined per unit
through a list array; no Python object is made per row.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from vsbengine.errors import VsbEngineError
from vsbengine.formats.blockade.columns import (
    NotSorted,
    distinct_sorted,
    join_per_group,
    positions,
    run_starts,
    run_sums,
    take,
    words,
)
from vsbengine.formats.blockade.inputs import JA_NEE, LINE_KIND, UNIT_KIND, InvoiceLines
from vsbengine.formats.blockade.reasons import BLOCKS, labels, remark_texts
from vsbengine.formats.blockade.records import Count
from vsbengine.formats.blockade.steps import Chain

__all__ = ["CheckError", "Lists", "check_units", "make_lists"]


class CheckError(VsbEngineError):
    """The lists do not connect (a broken invariant): nothing is written."""


@dataclass(frozen=True)
class Lists:
    """The output tables of one build and the counts of B1010 (steps 1 to 6)."""

    r03271: pa.Table
    b0010: pa.Table  # the net list: B0010, or R02062 for SAP hospitals
    net_name: str
    b1020: pa.Table
    b0025: pa.Table
    b0001: pa.Table
    b1010: pa.Table
    counts: list[Count]
    blocked_units: pa.Array

    @property
    def units_blocked(self) -> int:
        return len(self.blocked_units)


def make_lists(
    chain: Chain, lines: InvoiceLines, *, exclude_before: dt.date, net_list: str = "b0010"
) -> Lists:
    """Build every list from the chain and the invoice lines; check that they connect.

    ``net_list`` is ``b0010`` or ``r02062`` (the SAP list written instead of B0010).
    """
    from vsbengine.formats.blockade.proof import LIST_NAMES, b1020, check_b1020, r02062

    name = LIST_NAMES[net_list]
    units = _Units.of(chain, exclude_before)
    r03271 = units.r03271()
    b0010, b0025, n_lines, n_bare = _blocked_lines(chain, units, lines)
    counts = list(chain.counts)
    add = _adder(counts, "6")
    add("R03271_eenheden", r03271.num_rows, "regels (eenheden) op de R03271")
    add("R03271_genegeerd", np.count_nonzero(units.ignored), "waarvan genegeerd")
    add("R03271_niet_genegeerd", units.blocked.size, "waarvan niet genegeerd (te blokkeren)")
    add("Factuurregels", n_lines, "factuurregels van te blokkeren eenheden")
    add("Eenheden_zonder_factuurregel", n_bare, "te blokkeren eenheden zonder factuurregel")
    distinct = check_units(r03271, b0010, b0025)
    add(f"{name}_regels", b0010.num_rows, f"regels op de {name} (factuurregels + eenheden zonder)")
    add(f"{name}_eenheden", distinct["B0010"], f"unieke eenheden op de {name}")
    add("B0025_regels", b0025.num_rows, "regels op de B0025")
    add("B0025_eenheden", distinct["B0025"], "unieke eenheden op de B0025")
    add("Aansluiting", 1, f"1: unieke eenheden R03271 (niet genegeerd) = {name} = B0025")
    check_b1020(chain, counts)
    return Lists(
        r03271=r03271,
        b0010=b0010 if net_list == "b0010" else r02062(b0010),
        net_name=name,
        b1020=b1020(chain),
        b0025=b0025,
        b0001=_b0001(chain),
        b1010=_b1010(counts),
        counts=counts,
        blocked_units=take(chain.unit_names, units.blocked),
    )


def _adder(counts: list[Count], stap: str):
    def add(meting: str, aantal, omschrijving: str) -> None:
        counts.append(Count(stap, meting, int(aantal), omschrijving))

    return add


# -- per unit ---------------------------------------------------------------------------------


class _Units:
    """The units of R03271 (sorted) with what their entries say, aggregated."""

    def __init__(self, chain: Chain, exclude_before: dt.date) -> None:
        self.chain = chain
        self.exclude_before = exclude_before
        unit = chain.entry_unit
        self.starts = run_starts(unit)
        self.codes = unit[self.starts]
        self.entry_blocks = chain.entry_reason == BLOCKS
        self.n_blocking = run_sums(self.entry_blocks, self.starts)
        self.ignored = self.n_blocking == 0
        self.blocked = self.codes[~self.ignored]
        self.names = take(chain.unit_names, self.codes)
        self.action_tokens = _action_tokens(chain)

    @classmethod
    def of(cls, chain: Chain, exclude_before: dt.date) -> _Units:
        return cls(chain, exclude_before)

    def kinds(self, codes: np.ndarray) -> pa.Array:
        return words(UNIT_KIND, self.chain.unit_zp[codes])

    def r03271(self) -> pa.Table:
        chain = self.chain
        unit = chain.entry_unit
        bits = np.where(self.entry_blocks, 0, 1 << chain.entry_reason.astype(np.int64))
        mask = np.bitwise_or.reduceat(bits, self.starts) if bits.size else bits
        remark = pa.array(remark_texts(self.exclude_before)).take(pa.array(mask))
        remark = pc.if_else(pa.array(self.ignored), remark, pa.nulls(len(remark), pa.string()))
        related = chain.entry_related >= 0
        rel = np.flatnonzero(related)
        actions = chain.actions
        remarks = np.flatnonzero(
            np.asarray(pc.greater(pc.binary_length(actions.remark), 0))[chain.entry_action]
        )
        return pa.table(
            {
                "Eenheid": self.names,
                "Soort": self.kinds(self.codes),
                "Genegeerd": words(JA_NEE, self.ignored),
                "Opmerking_VC": remark,
                "Aantal_acties": np.diff(np.append(self.starts, unit.size)),
                "Toelichting": join_per_group(unit, self.action_tokens, self.codes, ", "),
                "Toelichting_extra_blokkade": join_per_group(
                    unit[rel], _related_tokens(chain, rel), self.codes, "; "
                ),
                "Opmerking_actie": join_per_group(
                    unit[remarks], _remark_tokens(chain, remarks), self.codes, " | "
                ),
            }
        )

    def blocking_columns(self) -> dict[str, pa.Array]:
        """Per blocked unit: the controls and the actions that block it."""
        chain = self.chain
        rows = np.flatnonzero(self.entry_blocks)
        unit = chain.entry_unit[rows]
        control = chain.actions.control[chain.entry_action[rows]]
        # Entries are sorted by unit then control: one per (unit, control) is the first of a run.
        firsts = rows[run_starts(unit, control)]
        names = take(chain.controls.names, chain.actions.control[chain.entry_action[firsts]])
        return {
            "Controles": join_per_group(chain.entry_unit[firsts], names, self.blocked, ", "),
            "Toelichting": join_per_group(unit, take(self.action_tokens, rows), self.blocked, ", "),
        }


def _action_tokens(chain: Chain) -> pa.Array:
    """``CONTROL:ACTION`` per entry, with the reason when the action is ignored."""
    actions = chain.actions
    control = take(chain.controls.names, actions.control[chain.entry_action])
    action_id = take(actions.action_id, chain.entry_action)
    suffix = pa.array(labels()).take(pa.array(chain.entry_reason))
    return pc.binary_join_element_wise(control, ":", action_id, suffix, "")


def _related_tokens(chain: Chain, rows: np.ndarray) -> pa.Array:
    """``CONTROL zorgactiviteit ACTIVITY (actie ACTION)`` per related entry."""
    actions = chain.actions
    action = chain.entry_action[rows]
    control = take(chain.controls.names, actions.control[action])
    activity = take(actions.related_activity, chain.entry_related[rows])
    action_id = take(actions.action_id, action)
    return pc.binary_join_element_wise(
        control, " zorgactiviteit ", activity, " (actie ", action_id, ")", ""
    )


def _remark_tokens(chain: Chain, rows: np.ndarray) -> pa.Array:
    """``ACTION: remark`` per entry whose action carries a remark."""
    actions = chain.actions
    action = chain.entry_action[rows]
    return pc.binary_join_element_wise(
        take(actions.action_id, action), take(actions.remark, action), ": "
    )


# -- B0010 / B0025 ------------------------------------------------------------------------------


def _blocked_lines(chain: Chain, units: _Units, lines: InvoiceLines):
    """One row per invoice line of every blocked unit; a unit without lines gets one bare row.

    Rows are sorted by unit, then line id. Returns B0010, B0025, the number of
    invoice lines taken and the number of bare units.
    """
    blocked_names = take(chain.unit_names, units.blocked)
    position = positions(lines.unit, blocked_names)
    taken = np.flatnonzero(position >= 0)
    keys = pa.table({"unit": position[taken], "line_id": take(lines.line_id, taken)})
    order = pc.sort_indices(
        keys, sort_keys=[("unit", "ascending"), ("line_id", "ascending")]
    ).to_numpy(zero_copy_only=False)
    line_unit, line_row = position[taken][order], taken[order]
    has_line = np.zeros(units.blocked.size, dtype=bool)
    has_line[line_unit] = True
    bare = np.flatnonzero(~has_line)
    # Merge the bare units into the sorted lines (a stable sort keeps lines in order).
    unit_pos = np.concatenate([line_unit, bare])
    row = np.concatenate([line_row, np.full(bare.size, -1, np.int64)])
    merged = np.argsort(unit_pos, kind="stable")
    unit_pos, row = unit_pos[merged], row[merged]
    picked = pa.array(row, mask=row < 0)
    per_unit = units.blocking_columns()
    unit = take(blocked_names, unit_pos)
    line_id = take(lines.line_id, picked)
    invoice = take(lines.invoice_number, picked)
    b0010 = pa.table(
        {
            "Eenheid": unit,
            "Soort": units.kinds(units.blocked[unit_pos]),
            "Factuurregel": line_id,
            "Factuurnummer": invoice,
            "Debet_credit": pa.array(LINE_KIND).take(pa.array(lines.kind).take(picked)),
            "Bedrag_centen": pa.array(lines.amount).take(picked),
            # Per-unit text repeated on every line: dictionary-encoded, not copied per line.
            "Controles": _repeat_per_line(per_unit["Controles"], unit_pos),
            "Toelichting": _repeat_per_line(per_unit["Toelichting"], unit_pos),
        }
    )
    b0025 = pa.table({"Eenheid": unit, "Factuurregel": line_id, "Factuurnummer": invoice})
    return b0010, b0025, taken.size, bare.size


def _repeat_per_line(per_unit: pa.Array, unit_pos: np.ndarray) -> pa.DictionaryArray:
    return pa.DictionaryArray.from_arrays(pa.array(unit_pos.astype(np.int32)), per_unit)


def check_units(r03271: pa.Table, b0010: pa.Table, b0025: pa.Table) -> dict[str, int]:
    """Refuse lists whose distinct units differ: R03271 not ignored, B0010 and B0025.

    Works on the tables as they will be written, and needs them sorted by unit.
    Returns the number of distinct units of each list.
    """
    blocked = r03271.filter(pc.equal(r03271.column("Genegeerd"), "NEE")).column("Eenheid")
    found = {}
    for name, column in (
        ("R03271", blocked),
        ("B0010", b0010.column("Eenheid")),
        ("B0025", b0025.column("Eenheid")),
    ):
        try:
            found[name] = distinct_sorted(column)
        except NotSorted:
            raise CheckError(f"{name} is not sorted by unit") from None
    if len(found["R03271"]) != len(blocked):
        raise CheckError("R03271 lists a unit more than once")
    sizes = {name: len(units) for name, units in found.items()}
    reference = found["R03271"]
    for name in ("B0010", "B0025"):
        units = found[name]
        if not _same_values(units, reference):
            raise CheckError(
                "the blockade lists do not connect: distinct units "
                + ", ".join(f"{k} {v}" for k, v in sizes.items())
                + f" (R03271 not ignored); {name} differs from R03271"
            )
    return sizes


def _same_values(a: pa.Array, b: pa.Array) -> bool:
    return len(a) == len(b) and bool(pc.all(pc.equal(a, b), min_count=0).as_py())


# -- B0001 / B1010 ------------------------------------------------------------------------------


def _b0001(chain: Chain) -> pa.Table:
    """The controls in production, with Blokkade JA/NEE and their actions counted."""
    controls, actions = chain.controls, chain.actions
    n = len(controls.names)
    per_control = np.bincount(actions.control, minlength=n)
    blocking = np.bincount(actions.control[chain.blocking_action], minlength=n)
    keep = pa.array(controls.in_production)
    table = pa.table(
        {
            "Controle": controls.names,
            "Omschrijving": controls.descriptions,
            "Blokkade": words(JA_NEE, controls.blocks),
            "Ingesteld_blokkerend": words(JA_NEE, controls.blocking),
            "Default_uitsluiting": words(JA_NEE, controls.default_excluded),
            "Klant_uitsluiting": words(JA_NEE, controls.client_excluded),
            "Acties": per_control,
            "Blokkerende_acties": blocking,
        }
    )
    return table.filter(keep)


def _b1010(counts: list[Count]) -> pa.Table:
    return pa.table(
        {
            "Stap": [c.stap for c in counts],
            "Meting": [c.meting for c in counts],
            "Aantal": pa.array([c.aantal for c in counts], pa.int64()),
            "Omschrijving": [c.omschrijving for c in counts],
        }
    )
