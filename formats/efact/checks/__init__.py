"""The checks of a billing file, one module per family of `efact-codes.md`.

- :mod:`.technical`: phase 1 (framing, segments 200/300, records 95/96; family 9);
- :mod:`.order`: record type, order and sequence numbers (families 1 and 2);
- :mod:`.zones`: zone formats, allowed values, mandatory and equal zones (family 3);
- :mod:`.dates`: date rules (family 4);
- :mod:`.amounts`: signs and totals (family 5);
- :mod:`.controls`: check digits and control numbers (family 6);
- :mod:`.accounts`: record 10's bank accounts (their check digits; with reference
  data, the facility's registered accounts);
- :mod:`.content`: against the zorgkas's reference data (family 8).

Propagation (family 7) is part of the decision (:mod:`vsbengine.decision`).

Every check has one of two signatures (:class:`~.findings.ChunkCheck`,
:class:`~.findings.SendingCheck`): ``check(sending, context) -> Findings`` on each
scanned chunk, ``check_sending(summary, context) -> Findings`` on the merged summary
of a whole sending. A check returns what it found (errors, dependency edges, keys);
it never changes the sending.
"""

from __future__ import annotations

from vsbengine.formats.efact.checks import (
    accounts,
    amounts,
    content,
    controls,
    dates,
    order,
    technical,
    zones,
)
from vsbengine.formats.efact.findings import ChunkCheck, SendingCheck

#: Checks of each chunk, in the order they run (their errors keep that order).
CHUNK_CHECKS: tuple[ChunkCheck, ...] = (
    technical.check,
    order.check,
    zones.check,
    dates.check,
    amounts.check,
    controls.check,
)
#: Checks of the whole sending, on the merged summary of the chunks.
SENDING_CHECKS: tuple[SendingCheck, ...] = (
    technical.check_sending,
    zones.check_sending,
    amounts.check_sending,
    controls.check_sending,
    accounts.check_sending,
)
#: The content checks (they need reference data), after the others.
CONTENT_CHECKS: tuple[ChunkCheck, ...] = (content.check,)
CONTENT_SENDING_CHECKS: tuple[SendingCheck, ...] = (content.check_sending,)


def chosen(with_content: bool) -> tuple[tuple[ChunkCheck, ...], tuple[SendingCheck, ...]]:
    """The checks of an engine: per chunk and per sending, with or without content."""
    if with_content:
        return CHUNK_CHECKS + CONTENT_CHECKS, SENDING_CHECKS + CONTENT_SENDING_CHECKS
    return CHUNK_CHECKS, SENDING_CHECKS


__all__ = [
    "CHUNK_CHECKS",
    "CONTENT_CHECKS",
    "CONTENT_SENDING_CHECKS",
    "SENDING_CHECKS",
    "chosen",
]
