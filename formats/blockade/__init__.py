"""Blockade lists: from control signals to the units a hospital must not invoice,
and the daily proof that the list held.

``build`` turns controls, actions, the LOID table and the invoice lines into a
dated list folder (R03271, B0010, B0025, B0001, B1010, optionally a delta, and
``manifest.json``); ``reconcile`` checks an invoicing run against the list in
force (B1000, B1001). Both write CSV, or JSON Lines with ``output_format="jsonl"``,
and read a list folder of either. Both need pyarrow (``pip install 'vsbengine[blockade]'``).
"""

from vsbengine.formats.blockade._deps import MissingDependencyError  # first: clear error
from vsbengine.formats.blockade.build import DEFAULT_EXCLUDE_BEFORE, build
from vsbengine.formats.blockade.lists import CheckError
from vsbengine.formats.blockade.reconcile import find_list, reconcile
from vsbengine.formats.blockade.records import (
    Count,
    DeltaCounts,
    Manifest,
    OutputFile,
    Reconciliation,
)

__all__ = [
    "DEFAULT_EXCLUDE_BEFORE",
    "CheckError",
    "Count",
    "DeltaCounts",
    "Manifest",
    "MissingDependencyError",
    "OutputFile",
    "Reconciliation",
    "build",
    "find_list",
    "reconcile",
]
