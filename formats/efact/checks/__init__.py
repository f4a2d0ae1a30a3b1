"""The checks of a billing file, one module per family of `efact-codes.md`.

- :mod:`.technical`: phase 1 (framing, segments 200/300, records 95/96; family 9);
- :mod:`.order`: record type, order and sequence numbers (families 1 and 2);
- :mod:`.zones`: zone formats, allowed values, mandatory and equal zones (family 3);
- :mod:`.dates`: date rules (family 4);
- :mod:`.amounts`: signs and totals (family 5);
- :mod:`.controls`: check digits and control numbers (family 6).

Propagation (family 7) is part of the decision (:mod:`vsbengine.decision`).
Every check reads columns of a :class:`~vsbengine.formats.efact.sending.Sending`
and adds errors to an :class:`~vsbengine.formats.efact.findings.ErrorBuilder`.
"""

from __future__ import annotations

from vsbengine.formats.efact.checks import amounts, controls, dates, order, technical, zones

#: Phase-2 checks that need no reference data, in the order they run on each chunk.
PREVALIDATION = (order.check, zones.check, dates.check, amounts.check, controls.check)
#: Phase-2 checks of the whole sending, on the merged summary of the chunks.
PREVALIDATION_SENDING = (zones.check_sending, amounts.check_sending, controls.check_sending)

__all__ = ["PREVALIDATION", "PREVALIDATION_SENDING", "technical"]
