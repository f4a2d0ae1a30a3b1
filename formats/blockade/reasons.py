"""Why an action does not block: the reasons, in the order they are tried.

An action gets the first reason that applies; code 0 means it blocks. The
order follows the product: the supplier's default exclusions first, then the
customer's own, then the control's setting, the automatic exclusion by DBC
start date, and last the action's own status.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

__all__ = ["BLOCKS", "REASONS", "Reason", "classify", "labels", "remark_texts"]

BLOCKS = 0


class Reason:
    """One reason: its code, its key in B1010, its short label and its remark text."""

    def __init__(self, code: int, key: str, label: str, remark: str) -> None:
        self.code = code
        self.key = key
        self.label = label
        self.remark = remark


REASONS = (
    Reason(
        1,
        "Genegeerd_default_uitsluiting",
        "default uitsluiting",
        "Default uitsluiting: de controle is voor alle klanten uitgesloten van blokkade",
    ),
    Reason(
        2,
        "Genegeerd_klant_uitsluiting",
        "uitsluiting klant",
        "Uitsluiting klant: de klant heeft de controle uitgesloten van blokkade",
    ),
    Reason(
        3,
        "Genegeerd_niet_blokkerend",
        "controle niet blokkerend",
        "Controle staat niet op blokkade (B0001 Blokkade NEE)",
    ),
    Reason(
        4,
        "Genegeerd_dbc_begindatum",
        "DBC begindatum",
        "Automatisch uitsluiten - DBC begindatum voor {exclude_before}",
    ),
    Reason(
        5,
        "Genegeerd_eigen_controle",
        "op eigen controle",
        "Automatisch genegeerd, geen openstaande acties",
    ),
)


def classify(
    *,
    default_excluded: np.ndarray,
    client_excluded: np.ndarray,
    not_blocking: np.ndarray,
    dbc_start_before: np.ndarray,
    ignored_status: np.ndarray,
) -> np.ndarray:
    """Reason code per action (int8), 0 where the action blocks. Masks are per action."""
    conditions = [default_excluded, client_excluded, not_blocking, dbc_start_before, ignored_status]
    return np.select(conditions, [r.code for r in REASONS], BLOCKS).astype(np.int8)


def labels() -> list[str]:
    """Suffix per reason code for an action in an explanation column ('' when it blocks)."""
    return [""] + [f" (genegeerd: {r.label})" for r in REASONS]


def remark_texts(exclude_before: dt.date) -> list[str]:
    """Remark for every set of reasons, indexed by the bit mask ``sum(1 << code)``."""
    texts = []
    for mask in range(1 << (len(REASONS) + 1)):
        parts = [
            r.remark.format(exclude_before=exclude_before.isoformat())
            for r in REASONS
            if mask & (1 << r.code)
        ]
        texts.append(" | ".join(parts))
    return texts
