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
those dependency edges (:func:`day_edges`) with its errors, and the propagation of
:mod:`vsbengine.decision` follows them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from vsbengine import _core
from vsbengine.formats.efact import refs as _refs
from vsbengine.formats.efact.compiled import LAYOUTS
from vsbengine.formats.efact.findings import Context, Edges, Findings, PrestationKeys
from vsbengine.formats.efact.sending import Sending

if TYPE_CHECKING:
    from vsbengine.formats.efact.summary import Summary

_DAY, _SHARE = _refs.CATEGORIES.index("revalidation_day"), _refs.CATEGORIES.index("personal_share")
_REVALIDATION = _refs.KINDS.index("revalidation")
#: Zones whose reading a prestation's content checks rely on.
_NEEDED = ("4", "5", "6a,6b", "8a,8b", "19", "22", "27")


def _ranges(lo: np.ndarray, hi: np.ndarray):
    """(owner, row) for every row of every range [lo, hi)."""
    n = np.maximum(hi - lo, 0)
    owner = np.repeat(np.arange(len(lo)), n)
    start = np.repeat(lo - np.r_[0, np.cumsum(n)[:-1]], n)
    return owner, start + np.arange(n.sum())


class Lookups:
    """The reference data indexed once for the joins: every table hashed by its key
    (:class:`vsbengine._core.KeyIndex`: key -> its rows), the periods of its rows."""

    def __init__(self, r: _refs.References) -> None:
        #: institution -> its registered accounts (the record 10 check of accounts).
        self.facilities = r.facilities
        m = r.members
        self.m_key = m.key
        self.m_mut = m.mutuality
        self.m_reach = m.reach.astype(np.int64)
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
        pair = (t["code"].astype(np.int64) << 40) | t["institution"].astype(np.int64)
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
        # The columns the compiled join reads, as they are (int64, one row a row).
        self.join = dict(
            members=dict(from_=self.m_from, reach=self.m_reach, deceased=m.deceased),
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
            admissions=dict(from_=self.a_from, to=self.a_to),
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
            lo, hi = self.t_index.find((code.astype(np.int64) << 40) | inst.astype(np.int64))
            at, ok = _core.find_period(lo, hi, self.t_from, self.t_to, day)
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
    read: their units (records 30 first, then 50), their invoices, and their values
    of a column (a function)."""
    units, parts = [], []
    for rt in (30, 50):
        u = s.units_of(rt)
        ok = s.scan.invoice[u] >= 0
        for zone in _NEEDED:
            if s.has_findings(str(rt), zone):
                ok &= ~s.finding_mask(str(rt), zone)[u]
        units.append(u[ok])
        parts.append((rt, ok))

    def col(name: str) -> np.ndarray:
        return np.concatenate(
            [s.values(name, rt)[ok].astype(np.int64, copy=False) for rt, ok in parts]
        )

    p = np.concatenate(units)
    return p, s.scan.invoice[p].astype(np.int64), col, len(units[0])


def check(s: Sending, ctx: Context) -> Findings:
    """Content checks of one chunk: errors, the day groups' dependency edges and the
    keys of the duplicate check (joins with the hashed reference data)."""
    findings = Findings()
    look = ctx.lookups
    if look is None:
        return findings
    errs = findings.errors
    r20 = s.invoices
    inv20 = lambda name: s.values(name, 20).astype(np.int64, copy=False)  # noqa: E731
    insz20 = inv20("beneficiary")
    # -- the beneficiary of each invoice ---------------------------------------------------
    lo, hi = look.members(insz20)
    readable20 = ~s.finding_mask("20", "8a,8b")[r20] & (insz20 > 0)
    known = readable20 & (hi > lo)
    errs.add(r20[readable20 & ~known], "200820", _zone("20", "8a,8b"))
    owner, rows = _ranges(np.where(known, lo, 0), np.where(known, hi, 0))
    at_mut = np.zeros(len(r20), bool)
    at_mut[owner[look.m_mut[rows] == inv20("affiliation")[owner]]] = True
    errs.add(r20[known & ~at_mut], "200742", _zone("20", "7"))

    # -- admissions ----------------------------------------------------------------------
    number, inst = inv20("admission_number"), inv20("institution")
    itype = inv20("invoice_type")
    found, arow = look.admission(inst, number)
    wanted = (number > 0) | (itype == 5) | (itype == 6)
    adm_date = _refs.days(inv20("admission_date"))
    good = (
        found & (look.a_insz[arow] == insz20) & ((adm_date < 0) | (adm_date == look.a_from[arow]))
    )
    errs.add(r20[wanted & ~good], "200520", _zone("20", "5"))
    approval = _refs.days(inv20("approval_date"))
    reval = good & (look.a_kind[arow] == _REVALIDATION)
    errs.add(
        r20[
            reval
            & (approval != np.where(look.a_approval[arow] == _refs.NONE, -1, look.a_approval[arow]))
        ],
        "202020",
        _zone("20", "20,21"),
    )

    # -- prestations ---------------------------------------------------------------------
    p, inv, col, n30 = _prestations(s)  # records 30 first, then 50
    code = col("code")

    # Every lookup of every prestation, in one compiled pass (the checks as bits). The
    # person is the invoice's beneficiary: a record naming another is an F error already.
    joined = _core.content_join(
        dict(
            inv=inv,
            code=code,
            first=col("first_date"),
            last=col("last_date"),
            units=col("units"),
            amount=col("amount"),
            share=col("personal_share"),
        ),
        dict(
            known=known.view(np.uint8),
            lo=lo,
            hi=hi,
            good=good.view(np.uint8),
            arow=arow,
            institution=inst,
            insz=insz20,
        ),
        look.join["members"],
        look.c_index,
        look.join["codes"],
        look.t_index,
        look.join["tariffs"],
        look.join["admissions"],
        _refs.NONE,
    )
    bits, category, related = joined["bits"], joined["category"], joined["related"]
    d1, day_key = joined["d1"], joined["day_key"]
    hits = np.flatnonzero(bits)
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
    ):
        add_at(failed[suffix], suffix, zone)

    # Related prestation: a record with the related code, same invoice and day.
    wants = np.flatnonzero(related > 0)
    if len(wants):
        have = np.sort((inv.astype(np.int64) << 40) | (d1 << 24) | code)
        need = (inv[wants].astype(np.int64) << 40) | (d1[wants] << 24) | related[wants]
        pos = np.minimum(np.searchsorted(have, need), len(have) - 1)
        add_at(wants[have[pos] != need], "1740", "17,18")

    # Admission period.
    add_at(failed["0526"], "0526", "5")

    # VSB pair rule: a personal share needs a revalidation day (same invoice and day).
    r30 = np.arange(len(p)) < n30
    days_billed = np.sort(day_key[:n30][category[:n30] == _DAY])
    share = np.flatnonzero(category[:n30] == _SHARE)
    if len(share):
        if len(days_billed):
            pos = np.minimum(np.searchsorted(days_billed, day_key[share]), len(days_billed) - 1)
            share = share[days_billed[pos] != day_key[share]]
        errs.add(p[share], "300490", _zone("30", "4"))

    # Day groups for the propagation (x00129): the records 30/50 of a day that has a
    # revalidation day or personal share record (only invoices with such records).
    trigger = r30 & ((category == _DAY) | (category == _SHARE))
    if trigger.any():
        with_days = np.zeros(len(s.invoices), dtype=bool)
        with_days[inv[trigger]] = True
        cand = np.flatnonzero(with_days[inv])
        # The days of those invoices, grouped; the groups with a trigger.
        order = cand[np.argsort(day_key[cand], kind="stable")]
        g = day_key[order]
        starts = np.flatnonzero(np.r_[True, g[1:] != g[:-1]])
        has = np.add.reduceat(trigger[order], starts) > 0
        grouped = order[np.repeat(has, np.diff(np.r_[starts, len(g)]))]
        findings.edges.append(
            day_edges(s, p[grouped], day_key[grouped], trigger[grouped], grouped=True)
        )

    # Keys of the duplicate check, which runs on the whole sending.
    findings.prestations = PrestationKeys(p, joined["key1"], joined["key2"])

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


def day_edges(
    s: Sending,
    members: np.ndarray,
    group: np.ndarray,
    trigger: np.ndarray,
    *,
    grouped: bool = False,
) -> Edges:
    """A rejected trigger (revalidation day, personal share) of a day group drags every
    other record of its group (``300129`` on a record 30, ``500129`` on a record 50).

    ``members`` are units (records 30/50), ``group`` their day group, ``trigger``
    whether each is a trigger; ``grouped``: they come sorted by group already.
    """
    if not grouped:
        order = np.argsort(group, kind="stable")
        members, group, trigger = members[order], group[order], trigger[order]
    a, b = _core.group_pairs(group, trigger)
    src_u = members[a].astype(np.int64)
    dst_u = members[b].astype(np.int64)
    is30 = s.rtype[dst_u] == 30
    return Edges(
        src_u,
        dst_u,
        np.where(is30, 300129, 500129).astype(np.int32),
        np.where(is30, _zone("30", "1"), _zone("50", "1")).astype(np.int32),
    )


def check_sending(sm: Summary, ctx: Context) -> Findings:
    """The whole sending: the same prestation (beneficiary, code, dates) billed twice;
    every occurrence after the first is rejected."""
    found = Findings()
    keys = sm.prestations
    if ctx.lookups is None or keys is None or len(keys.key1) < 2:
        return found
    k1, k2, unit, place = keys.key1, keys.key2, keys.unit, keys.place
    assert place is not None  # placed in the whole file by the summary
    # A hash of the pairs of keys: every occurrence after the first (by unit).
    hit = _core.repeated(k1, k2, unit)
    if len(hit) == 0:
        return found
    for rt in (30, 50):
        sel = hit[place.rtype[hit] == rt]
        zone = LAYOUTS.zone_index(str(rt), "4")
        found.errors.add(
            unit[sel],
            f"{rt}0423",
            zone,
            seq=place.seq[sel],
            rtype=rt,
            offset=place.offset[sel] + LAYOUTS.zones[zone].start,
        )
    return found
