"""JSON Schemas of every JSON output of the package, generated from the msgspec types
that the outputs are encoded from.

Each output has a name (``vsbengine schema`` lists them); its schema ships in the
package as ``vsbengine/data/schemas/<name>.json`` (JSON Schema 2020-12, made by
:func:`msgspec.json.schema`), so that a consumer can validate what it reads
without importing vsbengine. After a change of an output type, regenerate them
with ``python -m vsbengine.schemas --write`` (a test fails until then).

A few outputs are written from dicts; their shapes are declared here as Structs
(:class:`Proposal`, :class:`Decision`, ...). Objects may gain fields in later
versions: the schemas do not forbid unknown ones.
"""

from __future__ import annotations

import importlib
import json
import sys
from importlib import resources

import msgspec

from vsbengine.formats.efact.payment import Plan
from vsbengine.formats.viplive.records import Problem, SourceFile
from vsbengine.proposal import AccountCheck, Amounts

__all__ = [
    "OUTPUTS",
    "Check",
    "Decision",
    "Explained",
    "GeneratedManifest",
    "Proposal",
    "SendingFile",
    "load",
    "render",
    "schema",
]


class Explained(msgspec.Struct, frozen=True):
    """``vsbengine explain CODE --json``: a code of the catalogue. ``emitted``: the engine
    emits it; ``listed``: it is in the insurers' official list; ``official_nl`` and
    ``official_fr``: the list's texts, when a copy of it was given (``--codes``)."""

    code: str
    letter: str | None
    en: str
    nl: str
    emitted: bool = True
    listed: bool = False
    official_nl: str | None = None
    official_fr: str | None = None


class Injected(msgspec.Struct, frozen=True):
    record: int
    code: str


class GeneratedManifest(msgspec.Struct, frozen=True):
    """``vsbengine generate --manifest FILE``: what was injected and must be found."""

    file: str
    records: int
    invoices: int
    injected: list[Injected]
    expected: list[Injected]


class Account(msgspec.Struct, frozen=True):
    name: str
    iban: str
    bic: str
    payment_days: int = 42
    #: The review page shows national numbers / names in clear (zorgkas.toml [review]).
    show_insz: bool = False
    show_names: bool = False


class Decision(msgspec.Struct, frozen=True):
    """``decision.json`` and ``vsbengine sign|confirm --json``: who decided what, when."""

    action: str  # "signed" or "confirmed"
    by: str
    at: str
    decision: str | None
    rejection_type: str | None
    messages: list[str]


class Proposal(msgspec.Struct, frozen=True):
    """``proposal.json``: the proposed decision of a sending, waiting for a person."""

    file: str
    content: str
    created_at: str
    technical: str
    proposed: str | None
    rejection_type: str | None
    error_ratio: float
    records_total: int
    records_rejected: int
    prestations_total: int
    prestations_rejected: int
    every_prestation_rejected: bool
    waiting_for: str | None
    facility: str | None  # its name in facilities.csv (None: not there, or no refs)
    zorgkas: Account | None
    #: Which records the messages of the decision echo: "errors" or "all".
    echo: str = "errors"
    decided: Decision | None = None
    reference: int | None = None  # the insurer's message reference of the answers
    invoices_total: int | None = None
    invoices_rejected: int | None = None
    institution: str | None = None  # record 10 zone 14 (12 digits)
    received_on: str | None = None  # the date the checks took as today; the term runs from it
    #: Record 10's accounts A and B against the facility's registered ones.
    accounts: list[AccountCheck] = []
    #: An account of record 10 is not the facility's (or not valid): the sending is
    #: refused for it, and a person decides, also in unattended runs.
    account_flagged: bool = False
    #: Requested, accepted, refused per mutuality (91) and in total (92), as decided.
    amounts: list[Amounts] = []
    #: What signing would order (a proposed acceptance): DF017 without its signature.
    payment: Plan | None = None


class SendingFile(msgspec.Struct, frozen=True):
    """``sending.json`` (validate --out): the sending whose answers the folder holds."""

    file: str
    size: int
    blake2b: str  # 16 bytes, hex: as proposal.json's "content"


class Check(msgspec.Struct, frozen=True):
    """``vsbengine viplive check --json``: the exports as read."""

    rows: int
    good: int
    refused: int
    files: list[SourceFile]
    bad_rows: list[Problem]


#: name -> (what it is, "module:type"; "list[...]" for a JSON array of them).
OUTPUTS: dict[str, tuple[str, str]] = {
    "validate": ("validate --json, report.json", "vsbengine.result:Report"),
    "explain": ("explain --json", "vsbengine.schemas:Explained"),
    "read": ("read --json: an answer message", "vsbengine.formats.efact.reader:Answer"),
    "generate-manifest": ("generate --manifest FILE", "vsbengine.schemas:GeneratedManifest"),
    "proposal": (
        "proposal.json (validate --refs --out, receive, bulk --refs)",
        "vsbengine.schemas:Proposal",
    ),
    "decision": ("decision.json, sign --json, confirm --json", "vsbengine.schemas:Decision"),
    "df016": (
        "each line of DF016_<mutuality>.jsonl",
        "vsbengine.formats.efact.notify:Notification",
    ),
    "df017": ("DF017_payment_order.json", "vsbengine.formats.efact.payment:PaymentOrder"),
    "sending": ("sending.json (validate --out)", "vsbengine.schemas:SendingFile"),
    "bulk": (
        "bulk --json, summary.json, runs/*.json; receive --json, R.sendings/runs/*.json",
        "vsbengine.bulk:Summary",
    ),
    "bulk-processed": ("each line of processed.jsonl (bulk)", "vsbengine.bulk:Outcome"),
    "inbox": ("inbox --json: sendings of a register", "list[vsbengine.register_schema:Entry]"),
    "register-entry": (
        "sign REGISTER ID --json, confirm REGISTER ID --json",
        "vsbengine.register_schema:Entry",
    ),
    "viplive-schedule": ("viplive schedule --json", "vsbengine.formats.viplive.schedule:Schedule"),
    "viplive-check": ("viplive check --json", "vsbengine.schemas:Check"),
    "viplive-pay": (
        "viplive pay --json, round-<date>.json",
        "vsbengine.formats.viplive.records:RoundSummary",
    ),
    "viplive-spec": (
        "viplive spec --json",
        "list[vsbengine.formats.viplive.specification:Statement]",
    ),
    "viplive-declare": ("viplive declare --json", "vsbengine.formats.viplive.records:Declaration"),
    "viplive-run": ("viplive run --json", "vsbengine.formats.viplive.scheduler:RunOutcome"),
    "viplive-tariff": (
        "viplive tariff --json",
        "list[vsbengine.formats.viplive.tariff:ChainTariff]",
    ),
    "viplive-payout": ("viplive payout --json", "vsbengine.formats.viplive.payout:Payout"),
    "blockade-build": (
        "blockade build --json, manifest.json",
        "vsbengine.formats.blockade.records:Manifest",
    ),
    "blockade-reconcile": (
        "blockade reconcile --json",
        "vsbengine.formats.blockade.records:Reconciliation",
    ),
}


def _type(spec: str):
    if spec.startswith("list[") and spec.endswith("]"):
        return list[_type(spec[5:-1])]  # type: ignore[misc]
    module, name = spec.split(":")
    return getattr(importlib.import_module(module), name)


def schema(name: str) -> dict:
    """The JSON Schema of output ``name``, generated from its type (needs the modules of
    that output, e.g. pyarrow for the blockade ones)."""
    what, spec = OUTPUTS[name]
    out = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"vsbengine/{name}.json",
        "title": f"vsbengine {name}",
        "description": what,
    }
    out.update(msgspec.json.schema(_type(spec)))
    return out


def render(name: str) -> str:
    """The shipped file's text for output ``name``."""
    return json.dumps(schema(name), indent=2, ensure_ascii=False, sort_keys=False) + "\n"


def load(name: str) -> dict:
    """The shipped schema of output ``name`` (no import of the output's modules)."""
    if name not in OUTPUTS:
        raise KeyError(name)
    text = resources.files("vsbengine").joinpath(f"data/schemas/{name}.json").read_text("utf-8")
    return json.loads(text)


def _main(argv: list[str]) -> int:  # pragma: no cover - developer tool
    folder = resources.files("vsbengine").joinpath("data/schemas")
    for name in OUTPUTS:
        path = folder.joinpath(f"{name}.json")
        if "--write" in argv:
            with open(str(path), "w", encoding="utf-8", newline="\n") as fh:
                fh.write(render(name))
            print(f"wrote {path}")
        elif not path.is_file() or path.read_text("utf-8") != render(name):
            print(f"out of date: {path}")
            return 1
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(_main(sys.argv[1:]))
