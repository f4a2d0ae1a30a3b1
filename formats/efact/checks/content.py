"""Family 8: content checks against the zorgkas's reference data.

Every lookup is a compiled hash join (:class:`vsbengine._core.KeyIndex`: the rows
of a reference table by key, then the period that covers the day), per invoice
where the answer is the invoice's (the beneficiary, the admission) and per
prestation where it depends on the prestation (dates, codes, tariffs).
Records whose zones could not be read are left out: they already block.

Codes (official where one matches, ``*`` the engine's own, absent from the official
list; records 30 take the same codes with ``30`` in front):

=========  =====  ==========================================================
200820     F      beneficiary not in the member file
200742     F      beneficiary not known at the mutuality of record 20
500540     R      not insured on the first prestation date
500640     R      not insured on the last prestation date
500549     R      deceased before or on the prestation date
500420     R      code unknown, or not valid on the prestation dates (``510420``)
500454     R      no tariff for the code on the date (code and tariff do not match)
501940     R      amount is not units x tariff (a contracted price first)
502741     R      personal share is not units x its tariff
501740     R      the related prestation is missing (same invoice and day)
200520     F      admission unknown for the facility and beneficiary (or its date)
500526     R      prestation outside the admission
202020     S      revalidation approval date differs from the admission's
300490*    R      personal share without a revalidation day (VSB pair rule)
500423     R      the same prestation billed twice in the sending
=========  =====  ==========================================================

A rejected revalidation-day or personal-share record rejects the other records
30 and 50 of the same day of its invoice (``300129``/``500129``): the check returns
those dependency edges with its errors, and the propagation of
:mod:`vsbengine.decision` follows them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from vsbengine import _core
from vsbengine.formats.efact import refs as _refs
from vsbengine.formats.efact.checks.amounts import CREDIT_NOTE_TYPE
from vsbengine.formats.efact.compiled import LAYOUTS
from vsbengine.formats.efact.findings import Context, Edges, Findings, PrestationKeys
from vsbengine.formats.efact.sending import Sending

if TYPE_CHECKING:
    from vsbengine.formats.efact.summary import Summary

_DAY, _SHARE = _refs.CATEGORIES.index("revalidation_day"), _refs.CATEGORIES.index("personal_share")
_REVALIDATION = _refs.KINDS.index("revalidation")
#: A tariff's key: its code above the institution's bits (a NIHII number has 11 digits:
#: below 2**37; a 7-digit code fits above them in an int64). The core's look-up too.
TARIFF_SHIFT = _core.TARIFF_SHIFT
#: Zones whose reading a prestation's content checks rely on.
_NEEDED = ("4", "5", "6a,6b", "8a,8b", "19", "22", "27")


class Lookups:
    """The reference data indexed once for the joins: every table hashed by its key
    (:class:`vsbengine._core.KeyIndex`: key -> its rows), the periods of its rows."""

    def __init__(self, r: _refs.References) -> None:
        #: institution -> its registered accounts (the record 10 check of accounts).
        self.facilities = r.facilities
        m = r.members
        self.m_key = m.key
        self.m_mut = m.mutuality
        self.m_reach = m.reach_any().astype(np.int64)  # insured at any mutuality
        self.m_deceased = m.deceased
        self.m_from = (m.key & 0xFFFF).astype(np.int64)
        self.m_index = _core.KeyIndex(m.key >> 16)

        c = r.codes.columns
        self.c_code = c["code"]
        self.c_from = c["valid_from"].astype(np.int64)
        self.c_reach = _refs.running_max(c["code"], c["valid_to"])
        self.c_category = c["category"]
        self.c_related = c["related_code"]
        self.c_index = _core.KeyIndex(c["code"])

        t = r.tariffs.columns
        pair = (t["code"].astype(np.int64) << TARIFF_SHIFT) | t["institution"].astype(np.int64)
        self.t_index = _core.KeyIndex(pair)
        self.t_from = t["valid_from"].astype(np.int64)
        self.t_to = t["valid_to"].astype(np.int64)
        self.t_amount = t["unit_amount"]
        self.t_share = t["unit_personal_share"]

        a = r.admissions.columns
        self.a_inst = np.unique(a["institution"])
        rank = np.searchsorted(self.a_inst, a["institution"])
        self.a_inst_index = _core.KeyIndex(self.a_inst)
        self.a_index = _core.KeyIndex(rank * 10**12 + a["admission_number"])
        self.a_insz = a["insz"]
        self.a_kind = a["kind"]
        self.a_from = a["admitted_on"].astype(np.int64)
        self.a_to = a["discharged_on"].astype(np.int64)
        self.a_approval = a["approval_date"].astype(np.int64)
        # The columns the compiled joins read, as they are (int64, one row a row): a
        # member's row packed in one int64 (insured from, reach at the row's mutuality,
        # mutuality, deceased).
        self.m_pack = (
            self.m_from
            | (m.reach.astype(np.int64) << 16)
            | (m.mutuality.astype(np.int64) << 32)
            | (m.deceased.astype(np.int64) << 48)
        )
        self.join = dict(
            codes=dict(
                from_=self.c_from,
                reach=self.c_reach.astype(np.int64),
                category=self.c_category.astype(np.int64),
                related=self.c_related.astype(np.int64),
            ),
            tariffs=dict(
                from_=self.t_from,
                to=self.t_to,
                amount=self.t_amount.astype(np.int64),
                share=self.t_share.astype(np.int64),
            ),
            admissions=dict(
                from_=self.a_from,
                to=self.a_to,
                insz=a["insz"],
                kind=a["kind"],
                approval=self.a_approval,
            ),
        )
        for table in self.join.values():
            for name in list(table):
                table[name.rstrip("_")] = np.ascontiguousarray(table.pop(name), dtype=np.int64)
        self._guard_empty()

    def _guard_empty(self) -> None:
        """An empty table (a header and no rows) is valid data. Its arrays that are read
        at a looked-up row get one inert row, so that a row that was not found (row 0)
        stays in bounds; the keys never match, so nothing is found in it."""
        for name, fill in (
            ("m_mut", 0),
            ("m_deceased", _refs.NONE),
            ("c_category", 255),
            ("c_related", -1),
            ("t_amount", 0),
            ("t_share", 0),
            ("a_insz", -1),
            ("a_kind", 255),
            ("a_from", 0),
            ("a_to", 0),
            ("a_approval", 0),
        ):
            values = getattr(self, name)
            if len(values) == 0:
                setattr(self, name, np.full(1, fill, dtype=values.dtype))

    # -- lookups -------------------------------------------------------------------------
    def members(self, insz: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The rows ``[lo, hi)`` of each person (``lo == hi``: not a member)."""
        return self.m_index.find(insz)

    def insured(self, day: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
        """Whether each person (their rows ``[lo, hi)``) is insured on each day."""
        return _core.find_period(lo, hi, self.m_from, self.m_reach, day)[1]

    def code_row(self, code: np.ndarray, day: np.ndarray):
        """(known, valid on the day, row) of a code."""
        lo, hi = self.c_index.find(code)
        row, valid = _core.find_period(lo, hi, self.c_from, self.c_reach, day)
        return hi > lo, valid, row

    def tariff(self, code: np.ndarray, institution: np.ndarray, day: np.ndarray):
        """(found, row): the price contracted with the institution, else the general one."""
        found = np.zeros(len(code), bool)
        row = np.zeros(len(code), np.int64)
        if self.t_index.rows == 0:
            return found, row
        for inst in (institution, np.zeros_like(institution)):
            # An institution wider than a NIHII number has no contracted tariff.
            outside = inst >= 1 << TARIFF_SHIFT
            key = (code.astype(np.int64) << TARIFF_SHIFT) | np.where(outside, 0, inst)
            lo, hi = self.t_index.find(key)
            at, ok = _core.find_period(lo, hi, self.t_from, self.t_to, day)
            ok &= ~outside
            take = ok & ~found
            row[take] = at[take]
            found |= ok
        return found, row

    def admission(self, institution: np.ndarray, number: np.ndarray):
        """(found, row) of admissions by facility and admission number."""
        rank, rank_end = self.a_inst_index.find(institution)
        lo, hi = self.a_index.find(rank * 10**12 + number)
        return (rank_end > rank) & (hi > lo), lo


def _zone(rec: str, zone: str) -> int:
    return LAYOUTS.zone_index(rec, zone)


def _prestations(s: Sending):
    """The records 30 and 50 of the chunk's invoices whose zones the checks rely on were
    read: their units (records 30 first, then 50), their rows in their type's columns
    (for the records 30, for the records 50; None: every row, the common case) and
    those columns (:data:`vsbengine._core.PRESTATION_COLUMNS`, read in place by the
    join)."""
    units: list[np.ndarray] = []
    rows: list[np.ndarray | None] = []
    columns = []
    for rt in (30, 50):
        u = s.units_of(rt)
        ok = s.scan.invoice[u] >= 0
        for zone in _NEEDED:
            if s.has_findings(str(rt), zone):
                ok &= ~s.finding_mask(str(rt), zone)[u]
        if ok.all():
            units.append(u)
            rows.append(None)
        else:
            at = np.flatnonzero(ok)
            units.append(u[at])
            rows.append(at)
        columns.append(tuple(s.values(name, rt) for name in _core.PRESTATION_COLUMNS))
    return np.concatenate(units), tuple(rows), tuple(columns), len(units[0])


def check(s: Sending, ctx: Context) -> Findings:
    """Content checks of one chunk: errors, the day groups' dependency edges and the
    keys of the duplicate check (joins with the hashed reference data)."""
    findings = Findings()
    look = ctx.lookups
    if look is None:
        return findings
    errs = findings.errors
    r20 = s.invoices
    v20 = lambda name: s.values(name, 20)  # noqa: E731
    insz20 = v20("beneficiary")
    # -- the invoices: their beneficiary and admission, in one compiled pass ------------
    invoices = dict(
        insz=insz20,
        unread=s.finding_mask("20", "8a,8b")[r20].view(np.uint8),
        affiliation=v20("affiliation"),
        number=v20("admission_number"),
        institution=v20("institution"),
        invoice_type=v20("invoice_type"),
        admitted=v20("admission_date"),
        approval=v20("approval_date"),
    )
    joined20 = _core.content_invoices(
        invoices,
        look.m_index,
        look.m_pack,
        look.a_inst_index,
        look.a_index,
        look.join["admissions"],
        _refs.NONE,
        _REVALIDATION,
    )
    bits20 = joined20["bits"]
    hits20 = np.flatnonzero(bits20 != 0)  # a bool mask: its nonzero is ten times faster
    for k, (code, zone) in enumerate(zip(_core.INVOICE_CHECKS, ("8a,8b", "7", "5", "20,21"))):
        errs.add(r20[hits20[(bits20[hits20] >> k) & 1 == 1]], code, _zone("20", zone))

    # -- prestations ---------------------------------------------------------------------
    p, rows, columns, n30 = _prestations(s)  # records 30 first, then 50
    # Every lookup of every prestation, and the checks between prestations, in one
    # compiled pass (the checks as bits). The person is the invoice's beneficiary: a
    # record naming another is an F error already.
    joined20["institution"] = invoices["institution"]
    joined20["insz"] = insz20
    joined = _core.content_prestations(
        p,
        s.scan.invoice,
        n30,
        rows,
        columns,
        joined20,
        look.c_index,
        look.join["codes"],
        look.t_index,
        look.join["tariffs"],
        look.join["admissions"],
        _refs.NONE,
        _DAY,
        _SHARE,
    )
    bits = joined["bits"]
    hits = np.flatnonzero(bits != 0)
    failed = {
        check_: hits[(bits[hits] >> k) & 1 == 1] for k, check_ in enumerate(_core.JOIN_CHECKS)
    }

    def add_at(at, suffix, zone):
        """``add`` for the prestations at the indices ``at`` (ascending)."""
        cut = int(np.searchsorted(at, n30))
        for r, sel in ((30, at[:cut]), (50, at[cut:])):
            errs.add(p[sel], f"{r}{suffix}", _zone(str(r), zone))

    for suffix, zone in (
        ("0540", "5"),
        ("0640", "6a,6b"),
        ("0549", "5"),
        ("0420", "4"),  # unknown, or not valid on the dates
        ("0454", "4"),  # no tariff for the code on the date
        ("1940", "19"),
        ("2741", "27"),
        ("1740", "17,18"),  # the related prestation is missing (same invoice and day)
        ("0526", "5"),  # outside the admission
    ):
        add_at(failed[suffix], suffix, zone)
    # VSB pair rule: a personal share needs a revalidation day (same invoice and day).
    errs.add(p[failed["0490"]], "300490", _zone("30", "4"))

    # Day groups for the propagation (x00129): from each revalidation day or personal
    # share record 30 to the other records 30/50 of its invoice's day.
    if len(joined["edge_from"]):
        src_u, dst_u = p[joined["edge_from"]], p[joined["edge_to"]]
        is30 = joined["edge_to"] < n30
        findings.edges.append(
            Edges(
                src_u,
                dst_u,
                np.where(is30, np.int32(300129), np.int32(500129)),
                np.where(is30, np.int32(_zone("30", "1")), np.int32(_zone("50", "1"))),
            )
        )

    # Keys of the duplicate check, which runs on the whole sending, with the prestations
    # of credit notes (they take back what was billed: see check_sending).
    credit20 = v20("invoicing_type") == CREDIT_NOTE_TYPE
    credit = None
    if credit20.any():
        inv = s.scan.invoice[p]
        credit = np.zeros(len(p), bool)
        known = inv >= 0
        credit[known] = credit20[inv[known]]
    findings.prestations = PrestationKeys(p, joined["key1"], joined["key2"], credit=credit)

    # Records 51: their code's validity on their own date.
    r51 = s.units_of(51)
    ok51 = ~s.finding_mask("51", "4")[r51] & ~s.finding_mask("51", "5")[r51]
    r51 = r51[ok51]
    c51 = s.values("code", 51)[ok51].astype(np.int64)
    d51 = s.values("first_date", 51)[ok51]
    d51 = np.where(d51 > 0, _refs.days(d51), 0).astype(np.int64)
    k51, v51, _ = look.code_row(c51, d51)
    errs.add(r51[~k51 | ((d51 > 0) & ~v51)], "510420", _zone("51", "4"))
    return findings


def check_sending(sm: Summary, ctx: Context) -> Findings:
    """The whole sending: the same prestation (beneficiary, code, dates) billed twice;
    every occurrence after the first is rejected. A credit note's prestation takes one
    back: after it the prestation may be billed again (a correction: the credit note,
    then the invoice as it should have been), and a credit note is never a repeat."""
    found = Findings()
    keys = sm.prestations
    if ctx.lookups is None or keys is None or len(keys.key1) < 2:
        return found
    k1, k2, unit, place = keys.key1, keys.key2, keys.unit, keys.place
    assert place is not None  # placed in the whole file by the summary
    # A hash of the pairs of keys: every occurrence after the first (by unit).
    hit = _core.repeated(k1, k2, unit)
    if len(hit) and keys.credit is not None:
        hit = _net_of_credit_notes(k1, k2, unit, keys.credit, hit)
    if len(hit) == 0:
        return found
    at = place.select(hit)  # placed now: only the records the check names
    for rt in (30, 50):
        sel = at.rtype == rt
        zone = LAYOUTS.zone_index(str(rt), "4")
        found.errors.add(
            unit[hit[sel]],
            f"{rt}0423",
            zone,
            seq=at.seq[sel],
            rtype=rt,
            offset=at.offset[sel] + LAYOUTS.zones[zone].start,
        )
    return found


def _net_of_credit_notes(k1, k2, unit, credit, hit: np.ndarray) -> np.ndarray:
    """The repeats ``hit`` (rows, ascending) of a sending with credit notes, as billings
    net of them: per pair of keys in file order, a billing adds one, a credit note's
    prestation takes one back (never below none); a billing is a repeat when more than
    one stands then. Only the pairs that repeat are walked (few rows)."""
    pairs = set(zip(k1[hit].tolist(), k2[hit].tolist()))
    # The rows of those pairs: prefiltered on key1 (vectorised), then exactly.
    rows = np.flatnonzero(np.isin(k1, np.fromiter((a for a, _ in pairs), np.int64)))
    rows = rows[np.argsort(unit[rows], kind="stable")]
    standing: dict[tuple[int, int], int] = {}
    out = []
    for r, a, b, back in zip(
        rows.tolist(), k1[rows].tolist(), k2[rows].tolist(), credit[rows].tolist()
    ):
        if (a, b) not in pairs:
            continue
        # A credit note with nothing standing takes back a billing of an earlier sending:
        # what this sending bills after it is the replacement, once.
        n = max(standing.get((a, b), 0) + (-1 if back else 1), 0)
        standing[(a, b)] = n
        if not back and n > 1:
            out.append(r)
    return np.sort(np.asarray(out, dtype=np.int64))
