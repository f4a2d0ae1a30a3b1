"""Payment specifications: per practice and quarter, per chain, what was granted,
paid and claimed, and what is still open — from the ledger alone.

VIPLive no longer sends practices a payment specification; this gives it back.
The ledger holds the latest export state per key (written by each round), the
payments and the claims.
"""

from __future__ import annotations

import datetime as _dt
from collections import defaultdict
from collections.abc import Iterable, Mapping

import msgspec

from vsbengine.formats.viplive.ledger import Ledger

__all__ = ["ChainStatement", "Statement", "statements"]


class InsurerLine(msgspec.Struct, frozen=True):
    """What one insurer granted, as the latest export said."""

    uzovi: str
    patients: int
    granted: int  # the export's amount (0 when rejected)
    status: str
    downloaded: _dt.date
    settled: int  # paid minus claimed so far


class PaymentLine(msgspec.Struct, frozen=True):
    date: _dt.date
    round: int
    description: str
    amount: int


class ClaimLine(msgspec.Struct, frozen=True):
    date: _dt.date
    round: int
    uzovi: str
    amount: int


class OpenLine(msgspec.Struct, frozen=True):
    """Still open: ``to pay`` (granted, not yet paid), ``to claim`` (granted went down,
    not yet claimed) or ``awaiting insurer`` (in behandeling; amount as exported)."""

    uzovi: str
    kind: str
    amount: int


class ChainStatement(msgspec.Struct, frozen=True):
    chain: str
    patients: int
    granted: int
    paid: int
    claimed: int
    to_pay: int
    insurers: list[InsurerLine]
    payments: list[PaymentLine]
    claims: list[ClaimLine]
    open: list[OpenLine]


class Statement(msgspec.Struct, frozen=True):
    """A practice's statement for a quarter: one part per chain, and totals."""

    quarter: str
    agb: str
    practice: str
    iban: str
    chains: list[ChainStatement]
    patients: int
    granted: int
    paid: int
    claimed: int
    to_pay: int


def _granted(amount: int, status: str) -> int:
    return amount if status == "toegekend" else 0


def _chain(chain, insurers, payments, claims) -> ChainStatement:
    open_lines = []
    for i in insurers:
        if i.status == "in behandeling":
            open_lines.append(OpenLine(i.uzovi, "awaiting insurer", i.granted))
            continue
        diff = _granted(i.granted, i.status) - i.settled
        if diff:
            open_lines.append(OpenLine(i.uzovi, "to pay" if diff > 0 else "to claim", abs(diff)))
    return ChainStatement(
        chain,
        sum(i.patients for i in insurers if i.status == "toegekend"),
        sum(_granted(i.granted, i.status) for i in insurers),
        sum(p.amount for p in payments),
        sum(c.amount for c in claims),
        sum(o.amount for o in open_lines if o.kind == "to pay"),
        insurers,
        payments,
        claims,
        open_lines,
    )


def statements(
    ledger: Ledger,
    quarter: str,
    agbs: Iterable[str] | None = None,
    chains: Mapping[str, int] | None = None,
) -> list[Statement]:
    """The statements of ``quarter`` for every practice in the ledger (or ``agbs``),
    ordered by AGB code, chains in chain-number order (then by code)."""
    where, args = "quarter = ?", [quarter]
    wanted = sorted(set(agbs)) if agbs else None
    if wanted:
        where += f" AND agb IN ({', '.join('?' * len(wanted))})"
        args += wanted
    settled: dict[tuple, int] = defaultdict(int)
    claims: dict[tuple, list[ClaimLine]] = defaultdict(list)
    for chain, agb, uzovi, rnd, day, amount in ledger.query(
        f"SELECT chain, agb, uzovi, round, date, amount FROM movements WHERE {where} "
        "ORDER BY date, round, uzovi",
        args,
    ):
        settled[(agb, chain, uzovi)] += amount
        if amount < 0:
            claims[(agb, chain)].append(ClaimLine(_dt.date.fromisoformat(day), rnd, uzovi, -amount))
    payments: dict[tuple, list[PaymentLine]] = defaultdict(list)
    for chain, agb, rnd, day, desc, amount in ledger.query(
        f"SELECT chain, agb, round, date, description, amount FROM payments WHERE {where} "
        "ORDER BY date, round, sequence",
        args,
    ):
        payments[(agb, chain)].append(PaymentLine(_dt.date.fromisoformat(day), rnd, desc, amount))
    insurers: dict[str, dict[str, list[InsurerLine]]] = defaultdict(lambda: defaultdict(list))
    names: dict[str, tuple] = {}
    for chain, agb, uzovi, name, iban, patients, amount, status, day in ledger.query(
        "SELECT chain, agb, uzovi, practice, iban, patients, amount, status, downloaded "
        f"FROM grants WHERE {where} ORDER BY agb, chain, uzovi",
        args,
    ):
        insurers[agb][chain].append(
            InsurerLine(
                uzovi,
                patients,
                amount,
                status,
                _dt.date.fromisoformat(day),
                settled[(agb, chain, uzovi)],
            )
        )
        if agb not in names or day >= names[agb][0]:
            names[agb] = (day, name, iban)
    rank = chains or {}
    result = []
    for agb in sorted(insurers):
        parts = [
            _chain(c, insurers[agb][c], payments[(agb, c)], claims[(agb, c)])
            for c in sorted(insurers[agb], key=lambda c: (rank.get(c, 1000), c))
        ]
        _, name, iban = names[agb]
        result.append(
            Statement(
                quarter,
                agb,
                name,
                iban,
                parts,
                sum(p.patients for p in parts),
                sum(p.granted for p in parts),
                sum(p.paid for p in parts),
                sum(p.claimed for p in parts),
                sum(p.to_pay for p in parts),
            )
        )
    return result
