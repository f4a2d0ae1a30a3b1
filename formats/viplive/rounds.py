"""Deciding a payment round: what to pay, what to claim, what waits. No I/O here.

Each export row states what an insurer has granted a practice for a chain in
a quarter *so far*. The round compares it with what the ledger has settled for
that key and books the difference: more granted -> paid (one payment per
practice, chain and quarter, summing its insurers), less granted -> a claim on
the practice (never a negative payment), the same -> nothing. Every row ends
up in exactly one of the :class:`~vsbengine.formats.viplive.records.RowCounts`.

The ledger is the truth across runs: rounds are booked in date order (a date
before the latest booked round is refused), and per key the ledger keeps the
newest download it saw. An export row older than that download is never paid:
the whole round is refused (a stale export would move money back). A row of
the same download date that disagrees with the ledger's is refused as a row.
"""

from __future__ import annotations

import datetime as _dt
from collections import defaultdict
from collections.abc import Mapping, Sequence

import msgspec

from vsbengine.errors import ConfigError
from vsbengine.formats.viplive.ledger import Key
from vsbengine.formats.viplive.numbering import description, invoice_number
from vsbengine.formats.viplive.problems import Problem, TableError
from vsbengine.formats.viplive.quarters import Quarter
from vsbengine.formats.viplive.records import (
    Claim,
    Grant,
    Held,
    InsurerPart,
    Payment,
    Pending,
    RowCounts,
)
from vsbengine.formats.viplive.schedule import check_day, first_round, next_round, round_number

__all__ = ["Plan", "current_rows", "open_quarters", "plan_round"]

_COMPARED = ("practice", "iban", "patients", "amount", "status")
_COLUMN = {
    "practice": "praktijk",
    "iban": "iban",
    "patients": "patienten",
    "amount": "bedrag",
    "status": "status",
}


class Plan(msgspec.Struct):
    """A decided round, ready to be written and booked."""

    quarters: dict[str, int]  # quarter -> round booked now
    closed: dict[str, int]  # quarter -> round that was booked before (a re-run)
    payments: list[Payment]
    claims: list[Claim]
    pending: list[Pending]
    bad_rows: list[Problem]
    counts: RowCounts
    state: list[Grant]  # the current row of every key, for the ledger


def _key(g: Grant | Held) -> Key:
    return (g.quarter, g.chain, g.agb, g.uzovi)


def _differs(a: Grant, b: Grant) -> str | None:
    """The first field in which two rows of the same key disagree, if any."""
    return next((f for f in _COMPARED if getattr(a, f) != getattr(b, f)), None)


def _granted(g: Grant) -> int:
    return g.amount if g.status == "toegekend" else 0


class _Planner:
    def __init__(self, day, chains, settled, booked, headers, known, held=()):
        self.day, self.chains, self.settled, self.booked = day, chains, settled, booked
        self.headers, self.known = headers, known
        #: Per key, the refused rows downloaded by the round date (see Held).
        self.held: dict[Key, list[Held]] = defaultdict(list)
        for h in held:
            if h.downloaded <= day:
                self.held[_key(h)].append(h)
        self.counts = RowCounts()
        self.pending: list[Pending] = []
        self.bad: list[Problem] = []

    def header(self, g: Grant, column: str) -> str:
        return self.headers.get(g.path, {}).get(column, column)

    def wait(self, g: Grant, reason: str, outstanding: int = 0) -> None:
        self.counts.pending += 1
        self.pending.append(
            Pending(g.path, g.line, g.quarter, g.chain, g.agb, g.uzovi, max(outstanding, 0), reason)
        )

    def refuse(self, g: Grant, column: str, reason: str) -> None:
        self.counts.bad += 1
        self.bad.append(Problem(g.path, g.line, self.header(g, column), reason))

    # Steps, in order. Each takes the rows still undecided and returns those left.

    def due(self, grants: list[Grant]) -> list[Grant]:
        left = []
        for g in grants:
            if g.downloaded > self.day:
                self.wait(
                    g, f"downloaded after the round date ({g.downloaded}): settled in a later round"
                )
            else:
                left.append(g)
        return left

    def current(self, grants: list[Grant]) -> list[Grant]:
        """The latest download per key; older ones are superseded, identical ones
        duplicates. Rows of the same key and download date that disagree are all refused:
        there is no telling which one is right."""
        by_key: dict[Key, list[Grant]] = defaultdict(list)
        for g in grants:
            by_key[_key(g)].append(g)
        left = []
        for key, rows in by_key.items():
            last = max(r.downloaded for r in rows)
            newer = [h for h in self.held.get(key, ()) if h.downloaded >= last]
            if newer:
                h = max(newer, key=lambda h: h.downloaded)
                for r in rows:
                    self.wait(
                        r,
                        f"the download of {h.downloaded} for this chain, quarter, practice and "
                        f"insurer ({h.path} line {h.line}) was refused: an older download is "
                        "not paid in its place; correct that row",
                    )
                continue
            latest = [r for r in rows if r.downloaded == last]
            self.counts.superseded += len(rows) - len(latest)
            if all(_differs(r, latest[0]) is None for r in latest[1:]):
                self.counts.duplicate += len(latest) - 1
                left.append(latest[0])
                continue
            for r in latest:
                other, field = next((o, f) for o in latest for f in [_differs(o, r)] if f)
                self.refuse(
                    r,
                    _COLUMN[field],
                    f"contradicts {other.path} line {other.line} "
                    "(same chain, quarter, practice, insurer and download date)",
                )
        return left

    def not_stale(self, grants: list[Grant]) -> list[Grant]:
        """Refuse the round when a key's latest row is older than the download the ledger
        kept for it; refuse rows of the ledger's download date that say something else."""
        stale = [g for g in grants if g.downloaded < self._kept(g, g.downloaded)]
        if stale:
            g = stale[0]
            kept = self.known[_key(g)]
            raise TableError(
                f"downloaded {g.downloaded}, but the ledger already booked the download of "
                f"{kept.downloaded} for this practice, chain, quarter and insurer: an older "
                f"export is never paid ({len(stale)} row{'s' if len(stale) > 1 else ''} of "
                "the exports are older than the ledger); nothing was paid",
                path=g.path,
                line=g.line,
                zone=self.header(g, "download_datum"),
            )
        left = []
        for g in grants:
            kept = self.known.get(_key(g))
            field = None if kept is None or kept.downloaded != g.downloaded else _differs(g, kept)
            if field is None:
                left.append(g)
                continue
            self.refuse(
                g,
                _COLUMN[field],
                f"contradicts the download of {g.downloaded} the ledger booked "
                f"({kept.path} line {kept.line}; same chain, quarter, practice and insurer)",
            )
        return left

    def _kept(self, g: Grant, default: _dt.date) -> _dt.date:
        kept = self.known.get(_key(g))
        return default if kept is None else kept.downloaded

    def one_iban(self, grants: list[Grant]) -> list[Grant]:
        """A payment goes to one account: all rows of a practice, chain and quarter must
        name the same IBAN, or none of them is paid."""
        groups: dict[tuple, list[Grant]] = defaultdict(list)
        for g in grants:
            groups[(g.quarter, g.chain, g.agb)].append(g)
        left = []
        for rows in groups.values():
            if len({r.iban for r in rows}) == 1:
                left.extend(rows)
                continue
            for r in rows:
                other = next(o for o in rows if o.iban != r.iban)
                self.refuse(
                    r,
                    "iban",
                    f"another IBAN than {other.path} line {other.line} for "
                    f"the same practice, chain and quarter",
                )
        return left

    def settle(self, grants: list[Grant]) -> tuple[dict, dict, dict, list]:
        quarters: dict[str, int] = {}
        closed: dict[str, int] = {}
        items: dict[tuple, list[tuple[Grant, int]]] = defaultdict(list)
        claims: list[tuple[Grant, int, int]] = []
        for g in grants:
            q = Quarter.parse(g.quarter)
            n = round_number(q, self.day)
            settled = self.settled.get(_key(g), 0)
            delta = _granted(g) - settled
            if n is None:
                first = first_round(q)
                self.wait(
                    g,
                    f"{q} is first paid on {first}"
                    if self.day < first
                    else f"{self.day} is not a payment round of {q} "
                    f"(next: {next_round(q, self.day)})",
                    delta if g.status == "toegekend" else 0,
                )
                continue
            if (g.quarter, n) in self.booked:
                closed[g.quarter] = n
                if g.status == "in behandeling":
                    self.wait(g, "the insurer has not decided yet")
                elif delta == 0:
                    self._nothing_new(g, settled)
                else:
                    self.wait(
                        g,
                        f"round {n} of {q} was booked before; the change is settled "
                        f"in the next round ({next_round(q, self.day)})",
                        delta,
                    )
                continue
            quarters[g.quarter] = n
            if g.status == "in behandeling":
                self.wait(g, "the insurer has not decided yet")
            elif delta > 0:
                self.counts.paid += 1
                items[(g.quarter, g.chain, g.agb)].append((g, delta))
            elif delta < 0:
                self.counts.claimed += 1
                claims.append((g, -delta, settled))
            else:
                self._nothing_new(g, settled)
        return quarters, closed, items, claims

    def _nothing_new(self, g: Grant, settled: int) -> None:
        if g.status == "afgewezen" and settled == 0:
            self.counts.rejected += 1
        else:
            self.counts.already_paid += 1


def _payments(items, quarters, chains, day) -> list[Payment]:
    order = sorted(items, key=lambda k: (k[0], chains[k[1]], k[2]))
    sequence: dict[tuple[str, str], int] = defaultdict(int)
    payments = []
    for quarter, chain, agb in order:
        rows = sorted(items[(quarter, chain, agb)], key=lambda x: x[0].uzovi)
        q = Quarter.parse(quarter)
        n = quarters[quarter]
        sequence[(quarter, chain)] += 1
        seq = sequence[(quarter, chain)]
        invoice = invoice_number(q, chains[chain], n, seq)
        text = description(chain, q, invoice)
        named = max(rows, key=lambda x: x[0].downloaded)[0]
        parts = [InsurerPart(g.uzovi, d, g.amount, g.patients) for g, d in rows]
        payments.append(
            Payment(
                agb,
                chain,
                sum(d for _, d in rows),
                text,
                named.iban,
                quarter,
                n,
                seq,
                invoice,
                text,
                named.practice,
                day,
                parts,
            )
        )
    return payments


def current_rows(
    grants: list[Grant],
    day: _dt.date,
    known: Mapping[Key, Grant] | None = None,
    headers: Mapping[str, Mapping[str, str]] | None = None,
    held: Sequence[Held] = (),
) -> list[Grant]:
    """The rows a round on ``day`` decides on: downloaded by then, the latest per key
    (none for a key whose latest download was refused, ``held``), agreeing with each
    other and with the ledger's download, one IBAN per payment.

    Raises
    ------
    vsbengine.formats.viplive.TableError
        A row is older than the download the ledger kept for its key.
    """
    p = _Planner(day, {}, {}, {}, headers or {}, known or {}, held)
    return p.one_iban(p.not_stale(p.current(p.due(grants))))


def open_quarters(rows: list[Grant], settled: Mapping[Key, int]) -> dict[str, bool]:
    """The quarters with something open in ``rows`` (see :func:`current_rows`): ``True``
    when money is still to move (granted but not paid, or lowered and not claimed),
    ``False`` when rows only await the insurer (in behandeling)."""
    found: dict[str, bool] = {}
    for g in rows:
        if g.status == "in behandeling":
            found.setdefault(g.quarter, False)
        elif _granted(g) != settled.get(_key(g), 0):
            found[g.quarter] = True
    return found


def plan_round(
    grants: list[Grant],
    day: _dt.date,
    chains: Mapping[str, int],
    settled: Mapping[Key, int],
    booked: Mapping[tuple[str, int], _dt.date],
    headers: Mapping[str, Mapping[str, str]] | None = None,
    known: Mapping[Key, Grant] | None = None,
    held: Sequence[Held] = (),
) -> Plan:
    """Decide the round on ``day`` for the good export rows ``grants``.

    Parameters
    ----------
    grants
        Good rows, in input order.
    day
        The round date; for each quarter it is round ``n`` when
        ``day = first round + 14 * (n - 1)``, else that quarter's rows wait.
    chains
        Chain code -> chain number.
    settled, booked
        From the ledger: net settled per key, and the rounds booked before.
    headers
        Per file, our column -> its header (to name columns in problems).
    known
        From the ledger: the newest export row it kept per key.
    held
        Refused rows whose key and download date were read: a key whose latest
        download is one of them waits (its older good rows are not paid instead).

    Raises
    ------
    vsbengine.ConfigError
        ``day`` is a payment round of none of the quarters in the rows, lies
        before the latest booked round, or after the last supported day.
    vsbengine.formats.viplive.TableError
        A row is older than the download the ledger kept for its key (located
        at the first such row).
    """
    try:
        check_day(day)
    except ValueError as exc:
        raise ConfigError(f"{day}: {exc}") from None
    latest = max(booked.values(), default=None)
    if latest is not None and day < latest:
        raise ConfigError(
            f"{day} is before the latest booked round ({latest}): rounds are booked "
            "in date order; nothing was paid"
        )
    p = _Planner(day, chains, settled, booked, headers or {}, known or {}, held)
    state = p.one_iban(p.not_stale(p.current(p.due(grants))))
    quarters, closed, items, claims = p.settle(state)
    if state and not quarters and not closed:
        nexts = sorted({(g.quarter, next_round(Quarter.parse(g.quarter), day)) for g in state})
        raise ConfigError(
            f"{day} is not a payment round of any quarter in the exports ("
            + "; ".join(f"{q}: next round {d}" for q, d in nexts)
            + ")"
        )
    payments = _payments(items, quarters, chains, day)
    claim_list = [
        Claim(
            g.agb,
            g.chain,
            g.uzovi,
            g.quarter,
            quarters[g.quarter],
            amount,
            _granted(g),
            before,
            g.patients,
            g.practice,
            day,
        )
        for g, amount, before in sorted(
            claims, key=lambda c: (c[0].quarter, chains[c[0].chain], c[0].agb, c[0].uzovi)
        )
    ]
    return Plan(quarters, closed, payments, claim_list, p.pending, p.bad, p.counts, state)
