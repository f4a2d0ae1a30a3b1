"""Family 8: content checks against the zorgkas's reference data.

Every lookup is vectorised (``searchsorted`` on the sorted reference arrays),
per invoice where the answer is the invoice's (the beneficiary, the admission)
and per prestation where it depends on the prestation (dates, codes, tariffs).
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
    """Search arrays derived once from a :class:`~vsbengine.formats.efact.refs.References`."""

    def __init__(self, r: _refs.References) -> None:
        #: institution -> its registered accounts (the record 10 check of accounts).
        self.facilities = r.facilities
        m = r.members
        self.m_key = m.key
        self.m_mut = m.mutuality
        self.m_reach = m.reach
        self.m_deceased = m.deceased

        c = r.codes.columns
        self.c_code = c["code"]
        self.c_key = (c["code"] << 16) | c["valid_from"].astype(np.int64)
        self.c_reach = _refs.running_max(c["code"], c["valid_to"])
        self.c_category = c["category"]
        self.c_related = c["related_code"]

        t = r.tariffs.columns
        pair = (t["code"].astype(np.uint64) << np.uint64(40)) | t["institution"].astype(np.uint64)
        self.t_pairs, pid = np.unique(pair, return_inverse=True)
        self.t_pid = pid.astype(np.int64)
        self.t_key = (self.t_pid << 16) | t["valid_from"].astype(np.int64)
        self.t_to = t["valid_to"].astype(np.int64)
        self.t_amount = t["unit_amount"]
        self.t_share = t["unit_personal_share"]

        a = r.admissions.columns
        self.a_inst = np.unique(a["institution"])
        rank = np.searchsorted(self.a_inst, a["institution"])
        self.a_key = rank * 10**12 + a["admission_number"]
        self.a_insz = a["insz"]
        self.a_kind = a["kind"]
        self.a_from = a["admitted_on"].astype(np.int64)
        self.a_to = a["discharged_on"].astype(np.int64)
        self.a_approval = a["approval_date"].astype(np.int64)
        self._guard_empty()

    def _guard_empty(self) -> None:
        """An empty table (a header and no rows) is valid data. Its arrays that are read
        at a looked-up row get one inert row, so that a row that was not found (row 0)
        stays in bounds; the keys never match, so nothing is found in it."""
        for name, fill in (
            ("m_key", np.iinfo(np.int64).max),
            ("m_reach", 0),
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
    def insured(self, insz: np.ndarray, day: np.ndarray, lo=None, hi=None) -> np.ndarray:
        """Whether each person is insured on each day. With their rows ``[lo, hi)`` (known
        per invoice), a person with one period is checked on that row directly."""
        if lo is None:
            return self._insured_search(insz, day)
        single = (hi - lo) == 1
        row = np.minimum(lo, max(len(self.m_key) - 1, 0))
        start = (self.m_key[row] & 0xFFFF).astype(np.int64)
        out = single & (start <= day) & (day <= self.m_reach[row].astype(np.int64))
        many = np.flatnonzero(~single)
        if len(many):
            out[many] = self._insured_search(insz[many], day[many])
        return out

    def _insured_search(self, insz: np.ndarray, day: np.ndarray) -> np.ndarray:
        idx = np.searchsorted(self.m_key, (insz << 16) | day, side="right") - 1
        safe = np.maximum(idx, 0)
        return (
            (idx >= 0)
            & ((self.m_key[safe] >> 16) == insz)
            & (day <= self.m_reach[safe].astype(np.int64))
        )

    def code_row(self, code: np.ndarray, day: np.ndarray):
        """(known, valid on the day, row) of a code."""
        idx = np.searchsorted(self.c_key, (code << 16) | day, side="right") - 1
        safe = np.maximum(idx, 0)
        pos = np.searchsorted(self.c_code, code)
        known = (
            self.c_code[np.minimum(pos, max(len(self.c_code) - 1, 0))] == code
            if len(self.c_code)
            else np.zeros(len(code), bool)
        )
        valid = (
            (idx >= 0) & (self.c_code[safe] == code) & (day <= self.c_reach[safe])
            if len(self.c_code)
            else np.zeros(len(code), bool)
        )
        return known, valid, safe

    def tariff(self, code: np.ndarray, institution: np.ndarray, day: np.ndarray):
        """(found, row): the price contracted with the institution, else the general one."""
        found = np.zeros(len(code), bool)
        row = np.zeros(len(code), np.int64)
        if len(self.t_pairs) == 0:
            return found, row
        for inst in (institution, np.zeros_like(institution)):
            pk = (code.astype(np.uint64) << np.uint64(40)) | inst.astype(np.uint64)
            pid = np.searchsorted(self.t_pairs, pk)
            pid_safe = np.minimum(pid, len(self.t_pairs) - 1)
            have = self.t_pairs[pid_safe] == pk
            idx = (
                np.searchsorted(self.t_key, (pid_safe.astype(np.int64) << 16) | day, side="right")
                - 1
            )
            safe = np.maximum(idx, 0)
            ok = have & (idx >= 0) & (self.t_pid[safe] == pid_safe) & (day <= self.t_to[safe])
            take = ok & ~found
            row[take] = safe[take]
            found |= ok
        return found, row

    def admission(self, institution: np.ndarray, number: np.ndarray):
        """(found, row) of admissions by facility and admission number."""
        if len(self.a_key) == 0:
            return np.zeros(len(number), bool), np.zeros(len(number), np.int64)
        rank = np.searchsorted(self.a_inst, institution)
        rank_safe = np.minimum(rank, len(self.a_inst) - 1)
        inst_ok = self.a_inst[rank_safe] == institution
        key = rank_safe * 10**12 + number
        idx = np.searchsorted(self.a_key, key)
        safe = np.minimum(idx, len(self.a_key) - 1)
        return inst_ok & (self.a_key[safe] == key), safe


def _zone(rec: str, zone: str) -> int:
    return LAYOUTS.zone_index(rec, zone)


def check(s: Sending, ctx: Context) -> Findings:
    """Content checks of one chunk: errors, the day groups' dependency edges and the
    keys of the duplicate check."""
    findings = Findings()
    look = ctx.lookups
    if look is None:
        return findings
    errs = findings.errors
    r20 = s.invoices
    insz20 = s.col("beneficiary")[r20]
    # -- the beneficiary of each invoice ---------------------------------------------------
    lo = np.searchsorted(look.m_key, insz20 << 16)
    hi = np.searchsorted(look.m_key, (insz20 + 1) << 16)
    readable20 = ~s.finding_mask("20", "8a,8b")[r20] & (insz20 > 0)
    known = readable20 & (hi > lo)
    errs.add(r20[readable20 & ~known], "200820", _zone("20", "8a,8b"))
    owner, rows = _ranges(np.where(known, lo, 0), np.where(known, hi, 0))
    at_mut = np.zeros(len(r20), bool)
    at_mut[owner[look.m_mut[rows] == s.col("affiliation")[r20][owner]]] = True
    errs.add(r20[known & ~at_mut], "200742", _zone("20", "7"))

    # -- admissions ----------------------------------------------------------------------
    number, inst = s.col("admission_number")[r20], s.col("institution")[r20]
    itype = s.col("invoice_type")[r20]
    found, arow = look.admission(inst, number)
    wanted = (number > 0) | (itype == 5) | (itype == 6)
    adm_date = _refs.days(s.col("admission_date")[r20])
    good = (
        found & (look.a_insz[arow] == insz20) & ((adm_date < 0) | (adm_date == look.a_from[arow]))
    )
    errs.add(r20[wanted & ~good], "200520", _zone("20", "5"))
    approval = _refs.days(s.col("approval_date")[r20])
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
    p = s.units_of(30, 50)
    inv = s.invoice_of[p]
    ok = inv >= 0
    for rec in ("30", "50"):
        for zone in _NEEDED:
            if s.has_findings(rec, zone):
                ok &= ~s.finding_mask(rec, zone)[p]
    p, inv = p[ok], inv[ok]
    rt = s.rtype[p]
    pre = np.where(rt == 30, 30, 50)  # code prefix of each prestation
    # The invoice's beneficiary: a record naming another one is already an F error.
    insz = insz20[inv]
    code = s.col("code")[p].astype(np.int64)
    d1 = _refs.days(s.col("first_date")[p]).astype(np.int64)
    last = s.col("last_date")[p]
    d2 = np.where(last > 0, _refs.days(last), d1).astype(np.int64)

    def add(mask, suffix, zone):
        for r in (30, 50):
            errs.add(p[mask & (pre == r)], f"{r}{suffix}", _zone(str(r), zone))

    person = known[inv]
    ins1 = look.insured(insz, d1, lo[inv], hi[inv])
    ins2 = ins1.copy()
    other = np.flatnonzero(d2 != d1)
    ins2[other] = look.insured(insz[other], d2[other], lo[inv[other]], hi[inv[other]])
    add(person & ~ins1, "0540", "5")
    add(person & ~ins2, "0640", "6a,6b")
    deceased = (
        look.m_deceased[np.where(person, lo[inv], 0)].astype(np.int64)
        if len(look.m_deceased)
        else np.full(len(p), _refs.NONE)
    )
    add(person & (deceased != _refs.NONE) & (d1 >= deceased), "0549", "5")

    k1, v1, crow = look.code_row(code, d1)
    _, v2, _ = look.code_row(code, d2)
    add(~(k1 & v1 & v2), "0420", "4")  # unknown, or not valid on the dates
    category = np.where(k1 & v1, look.c_category[crow], 255)
    related = np.where(k1 & v1, look.c_related[crow], -1)

    units = s.col("units")[p].astype(np.int64)
    t_found, trow = look.tariff(code, s.col("institution")[s.invoices[inv]], d1)
    add(k1 & v1 & ~t_found, "0454", "4")
    priced = k1 & v1 & t_found
    add(priced & (units * look.t_amount[trow] != s.col("amount")[p]), "1940", "19")
    add(priced & (units * look.t_share[trow] != s.col("personal_share")[p]), "2741", "27")

    # Related prestation: a record with the related code, same invoice and day.
    wants = np.flatnonzero(related > 0)
    if len(wants):
        have = np.sort((inv.astype(np.int64) << 40) | (d1 << 24) | code)
        need = (inv[wants].astype(np.int64) << 40) | (d1[wants] << 24) | related[wants]
        pos = np.minimum(np.searchsorted(have, need), len(have) - 1)
        missing = np.zeros(len(p), dtype=bool)
        missing[wants] = have[pos] != need
        add(missing, "1740", "17,18")

    # Admission period.
    has_adm = good[inv]
    a_from = look.a_from[arow[inv]]
    a_to = np.where(look.a_to[arow[inv]] == _refs.NONE, 1 << 20, look.a_to[arow[inv]])
    add(has_adm & ((d1 < a_from) | (d1 > a_to)), "0526", "5")

    # VSB pair rule: a personal share needs a revalidation day (same invoice and day).
    day_key = (inv.astype(np.int64) << 16) | d1
    r30 = rt == 30
    days_billed = np.sort(day_key[r30 & (category == _DAY)])
    share = np.flatnonzero(r30 & (category == _SHARE))
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
        grouped = cand[np.isin(day_key[cand], day_key[trigger])]
        findings.edges.append(day_edges(s, p[grouped], day_key[grouped], trigger[grouped]))

    # Keys of the duplicate check, which runs on the whole sending.
    findings.prestations = PrestationKeys(p, (insz << 24) | code, (d1 << 16) | d2)

    # Records 51: their code's validity on their own date.
    r51 = s.units_of(51)
    r51 = r51[~s.finding_mask("51", "4")[r51] & ~s.finding_mask("51", "5")[r51]]
    c51 = s.col("code")[r51].astype(np.int64)
    d51 = s.col("first_date")[r51]
    d51 = np.where(d51 > 0, _refs.days(d51), 0).astype(np.int64)
    k51, v51, _ = look.code_row(c51, d51)
    errs.add(r51[~k51 | ((d51 > 0) & ~v51)], "510420", _zone("51", "4"))
    return findings


def day_edges(s: Sending, members: np.ndarray, group: np.ndarray, trigger: np.ndarray) -> Edges:
    """A rejected trigger (revalidation day, personal share) of a day group drags every
    other record of its group (``300129`` on a record 30, ``500129`` on a record 50).

    ``members`` are units (records 30/50), ``group`` their day group, ``trigger``
    whether each is a trigger.
    """
    order = np.argsort(group, kind="stable")
    members, g, trig = members[order], group[order], trigger[order]
    src, dst = [], []
    # Pair every trigger with every other member of its group (groups are a few records).
    starts = np.flatnonzero(np.r_[True, g[1:] != g[:-1]])
    sizes = np.diff(np.r_[starts, len(g)])
    for k in range(1, int(sizes.max()) if len(sizes) else 1):
        a = np.arange(len(g))
        b = a + k
        ok = b < len(g)
        ok[ok] &= g[b[ok]] == g[a[ok]]
        for x, y in ((a[ok], b[ok]), (b[ok], a[ok])):
            keep = trig[x]
            src.append(members[x][keep])
            dst.append(members[y][keep])
    src_u = np.concatenate(src).astype(np.int64) if src else np.zeros(0, np.int64)
    dst_u = np.concatenate(dst).astype(np.int64) if dst else np.zeros(0, np.int64)
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
    # Candidates first: equal 64-bit mixes of the two keys; then the exact comparison.
    mix = (k1 * np.int64(-7046029254386353131)) ^ (k2 * np.int64(0x9E3779B97F4A7C15 - (1 << 64)))
    sorted_mix = np.sort(mix)
    twice = sorted_mix[1:][sorted_mix[1:] == sorted_mix[:-1]]
    if len(twice) == 0:
        return found
    cand = np.flatnonzero(np.isin(mix, twice))
    order = cand[np.lexsort((unit[cand], k2[cand], k1[cand]))]
    a, b = k1[order], k2[order]
    again = np.r_[False, (a[1:] == a[:-1]) & (b[1:] == b[:-1])]
    hit = order[again]
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
