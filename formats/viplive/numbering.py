"""Invoice numbers and payment descriptions.

``DBC/<chain>/Q<n>/<yy>/<invoice number>``, for instance ``DBC/DM/Q2/21/20211-1-1``:
the invoice number is ``<year><chain number>-<round>-<sequence>``, where the
round is the payment round within the quarter (1 = first round, 2 = first
follow-up, ...) and the sequence numbers that chain's payments in that round
(by AGB code, so the same input always gives the same numbers).
"""

from __future__ import annotations

from vsbengine.errors import ConfigError
from vsbengine.formats.viplive.quarters import Quarter

__all__ = ["END_TO_END_MAX", "REMITTANCE_MAX", "description", "invoice_number"]

#: SEPA: unstructured remittance text (Ustrd) and end-to-end id limits.
REMITTANCE_MAX = 140
END_TO_END_MAX = 35


def invoice_number(quarter: Quarter, chain_number: int, round_no: int, sequence: int) -> str:
    """``20211-1-1``: year, chain number, round, sequence."""
    if chain_number < 1 or round_no < 1 or sequence < 1:
        raise ValueError("chain number, round and sequence start at 1")
    return f"{quarter.year}{chain_number}-{round_no}-{sequence}"


def description(chain: str, quarter: Quarter, invoice: str) -> str:
    """``DBC/DM/Q2/21/20211-1-1``; it is also the payment's end-to-end id, so it must
    fit in 35 characters (and therefore in the 140 of the remittance text)."""
    text = f"DBC/{chain}/Q{quarter.number}/{quarter.yy}/{invoice}"
    if len(text) > min(REMITTANCE_MAX, END_TO_END_MAX):
        raise ConfigError(
            f"payment description {text} is longer than {END_TO_END_MAX} "
            "characters: use a shorter chain code"
        )
    return text
