"""SEPA credit-transfer files (ISO 20022 pain.001), built with lxml and checked against
the official schema shipped in the ``sepaxml`` package.

Used by the payment order of a VSB sending (DF017) and by the VIPLive payment rounds.
"""

from vsbengine.formats.sepa.credit_transfer import Party, Transfer, build, validate

__all__ = ["Party", "Transfer", "build", "validate"]
