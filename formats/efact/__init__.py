"""The Belgian eFact flat format (message 920000) and the VSB answer messages.

The public names are bound here (``from vsbengine.formats.efact import Answers``);
each is imported from its module when first used, so that importing one part of the
format does not load the others::

    Answers, FILE_NAMES, MESSAGE       the answer messages DF011..DF015 (answers)
    read_answer, Answer, EchoedRecord  reading any insurer's answer back (reader)
    Settlement, Record10, Envelope     the facts the answers carry (settlement)
    Notification                       a line of DF016 (notify)
    PaymentOrder, Payment, Account     DF017 (payment)
    generate, Generated                synthetic sendings (generate)
    References, load_references        the zorgkas's reference data (refs)
    catalogue, explain, Entry          the error codes (catalogue)
    LAYOUTS, REPLY_LAYOUTS, Layout, Zone   the layout tables, compiled (compiled)
    Sending                            one scanned sending or chunk (sending)
    ErrorTable, Problem, Findings, Context the checks' findings (findings)
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

#: Public name -> (module, name in that module).
_PUBLIC = {
    "Answers": ("answers", "Answers"),
    "FILE_NAMES": ("answers", "FILE_NAMES"),
    "MESSAGE": ("answers", "MESSAGE"),
    "read_answer": ("reader", "read_answer"),
    "Answer": ("reader", "Answer"),
    "EchoedRecord": ("reader", "EchoedRecord"),
    "Slot": ("reader", "Slot"),
    "ZoneError": ("reader", "ZoneError"),
    "Settlement": ("settlement", "Settlement"),
    "Record10": ("settlement", "Record10"),
    "Envelope": ("settlement", "Envelope"),
    "Notification": ("notify", "Notification"),
    "PaymentOrder": ("payment", "PaymentOrder"),
    "Payment": ("payment", "Payment"),
    "Account": ("payment", "Account"),
    "generate": ("generate", "generate"),
    "Generated": ("generate", "Generated"),
    "References": ("refs", "References"),
    "load_references": ("refs", "load"),
    "catalogue": ("catalogue", "catalogue"),
    "explain": ("catalogue", "explain"),
    "Entry": ("catalogue", "Entry"),
    "LAYOUTS": ("compiled", "LAYOUTS"),
    "REPLY_LAYOUTS": ("compiled", "REPLY_LAYOUTS"),
    "Layout": ("compiled", "Layout"),
    "Zone": ("compiled", "Zone"),
    "Sending": ("sending", "Sending"),
    "ErrorTable": ("findings", "ErrorTable"),
    "Problem": ("findings", "Problem"),
    "Findings": ("findings", "Findings"),
    "Context": ("findings", "Context"),
}

__all__ = [
    "FILE_NAMES",
    "LAYOUTS",
    "MESSAGE",
    "REPLY_LAYOUTS",
    "Account",
    "Answer",
    "Answers",
    "Context",
    "EchoedRecord",
    "Entry",
    "Envelope",
    "ErrorTable",
    "Findings",
    "Generated",
    "Layout",
    "Notification",
    "Payment",
    "PaymentOrder",
    "Problem",
    "Record10",
    "References",
    "Sending",
    "Settlement",
    "Slot",
    "Zone",
    "ZoneError",
    "catalogue",
    "explain",
    "generate",
    "load_references",
    "read_answer",
]


def __getattr__(name: str) -> Any:
    try:
        module, attr = _PUBLIC[name]
    except KeyError:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
    value = getattr(import_module(f"{__name__}.{module}"), attr)
    globals()[name] = value  # bound: the next use does not come here
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_PUBLIC))


if TYPE_CHECKING:
    from vsbengine.formats.efact.answers import FILE_NAMES, MESSAGE, Answers
    from vsbengine.formats.efact.catalogue import Entry, catalogue, explain
    from vsbengine.formats.efact.compiled import LAYOUTS, REPLY_LAYOUTS, Layout, Zone
    from vsbengine.formats.efact.findings import Context, ErrorTable, Findings, Problem
    from vsbengine.formats.efact.generate import Generated, generate
    from vsbengine.formats.efact.notify import Notification
    from vsbengine.formats.efact.payment import Account, Payment, PaymentOrder
    from vsbengine.formats.efact.reader import Answer, EchoedRecord, Slot, ZoneError, read_answer
    from vsbengine.formats.efact.refs import References
    from vsbengine.formats.efact.refs import load as load_references
    from vsbengine.formats.efact.sending import Sending
    from vsbengine.formats.efact.settlement import Envelope, Record10, Settlement
