"""SEPA credit-transfer files (ISO 20022 pain.001), built with lxml and checked against
the official schema shipped in the ``sepaxml`` package.

Used by the payment order of a VSB sending (DF017) and by the VIPLive payment rounds.
"""

from vsbengine.formats.sepa.credit_transfer import (
    AMOUNT_MAX,
    NAME_MAX,
    REMITTANCE_MAX,
    Built,
    Party,
    Transfer,
    build,
    build_checked,
    sepa_text,
    validate,
)

__all__ = [
    "AMOUNT_MAX",
    "NAME_MAX",
    "REMITTANCE_MAX",
    "Built",
    "Party",
    "Transfer",
    "build",
    "build_checked",
    "sepa_text",
    "validate",
]
