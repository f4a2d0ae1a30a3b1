"""VIPLive chain-care (ketenzorg) payments and quarterly declarations.

A Dutch care group pays general practices for chain care administered in
VIPLive. This package reads VIPLive exports, pays them in rounds from a
SQLite ledger (never twice), writes SEPA credit transfers (pain.001) and
per-practice specifications, and counts the patients to declare per quarter.

Everything is bound here from the module that implements it.
"""

from vsbengine.formats.viplive.columns import EXPORT, INCLUSIONS, TARIFFS, load_mapping
from vsbengine.formats.viplive.config import DEFAULT_CHAINS, CareGroup, Config, load_config
from vsbengine.formats.viplive.declaration import declare, load_tariffs
from vsbengine.formats.viplive.export import read_exports
from vsbengine.formats.viplive.ledger import Ledger
from vsbengine.formats.viplive.money import cents, euros_nl
from vsbengine.formats.viplive.numbering import description, invoice_number
from vsbengine.formats.viplive.payments import pay, summary_json
from vsbengine.formats.viplive.payout import Payout, payout
from vsbengine.formats.viplive.problems import Problem, TableError
from vsbengine.formats.viplive.quarters import Quarter
from vsbengine.formats.viplive.records import (
    Claim,
    Declaration,
    DeclarationLine,
    ExportRead,
    Grant,
    Payment,
    Pending,
    RoundSummary,
    RowCounts,
)
from vsbengine.formats.viplive.rounds import plan_round
from vsbengine.formats.viplive.schedule import Schedule, first_round, round_number, schedule
from vsbengine.formats.viplive.scheduler import RunOutcome
from vsbengine.formats.viplive.scheduler import run as run_due
from vsbengine.formats.viplive.specification import Statement, statements
from vsbengine.formats.viplive.statement_files import write_statements
from vsbengine.formats.viplive.tariff import ChainTariff, build_tariffs

__all__ = [
    "DEFAULT_CHAINS",
    "EXPORT",
    "INCLUSIONS",
    "TARIFFS",
    "CareGroup",
    "ChainTariff",
    "Claim",
    "Config",
    "Declaration",
    "DeclarationLine",
    "ExportRead",
    "Grant",
    "Ledger",
    "Payment",
    "Payout",
    "Pending",
    "Problem",
    "Quarter",
    "RoundSummary",
    "RowCounts",
    "RunOutcome",
    "Schedule",
    "Statement",
    "TableError",
    "build_tariffs",
    "cents",
    "declare",
    "description",
    "euros_nl",
    "first_round",
    "invoice_number",
    "load_config",
    "load_mapping",
    "load_tariffs",
    "pay",
    "payout",
    "plan_round",
    "read_exports",
    "round_number",
    "run_due",
    "schedule",
    "statements",
    "summary_json",
    "write_statements",
]
