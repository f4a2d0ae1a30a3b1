"""Helpers shared by the checks: control numbers, national numbers, masks."""

from __future__ import annotations

import numpy as np

from vsbengine.formats.efact.sending import Sending

#: Records whose zone 4 (nomenclature or pseudo-code) counts in the control numbers
#: (project convention 2: records 50, 51, 52 and the pseudo-codes of record 30).
CODE_RECORDS = (30, 50, 51, 52)
#: Records that carry a prestation's amounts (they make up the invoice totals).
PRESTATIONS = (30, 50)


def control_number(total):
    """eFact control value of a sum: ``total mod 97``, 97 when that is 0 (works on arrays)."""
    r = np.asarray(total, dtype=np.int64) % 97
    return np.where(r == 0, 97, r)


def by_runs(check, values: np.ndarray) -> np.ndarray:
    """Apply an element-wise ``check`` once per run of equal consecutive values.

    Identification numbers repeat record after record (the same beneficiary or
    provider throughout an invoice); checking each run once saves the divisions.
    """
    values = np.asarray(values)
    if len(values) == 0:
        return np.zeros(0, dtype=bool)
    starts = np.empty(len(values), dtype=bool)
    starts[0] = True
    np.not_equal(values[1:], values[:-1], out=starts[1:])
    run = np.cumsum(starts) - 1
    return check(values[starts])[run]


def insz_valid(values: np.ndarray) -> np.ndarray:
    """Whether 13-digit identification zones hold a valid INSZ (national or BIS number).

    The INSZ is the last 11 digits: 9 digits and a check number ``97 - (n mod 97)``,
    with ``2000000000 + n`` for people born from 2000 on.
    """
    v = np.asarray(values, dtype=np.int64)
    base = v // 100
    check = v % 100
    ok = (v < 10**11) & ((97 - base % 97 == check) | (97 - (2_000_000_000 + base) % 97 == check))
    return ok


def nihii_valid(values: np.ndarray) -> np.ndarray:
    """Whether NIHII (RIZIV/INAMI) numbers hold valid check digits.

    An 11-digit number (right-aligned in a 12-digit zone): 6 digits, a 2-digit
    check ``97 - (first six mod 97)``, then a 3-digit qualification.
    """
    v = np.asarray(values, dtype=np.int64)
    first6 = v // 100_000
    check = (v // 1000) % 100
    return (v < 10**11) & (97 - first6 % 97 == check)


def kbo_valid(number: int) -> bool:
    """Whether a company number (KBO/BCE, 10 digits) holds valid check digits: its last
    two digits are ``97 - (first eight mod 97)``."""
    return 0 < number < 10**10 and 97 - (number // 100) % 97 == number % 100


def add_month(ym: np.ndarray | int) -> np.ndarray:
    """YYYYMM plus one month."""
    ym = np.asarray(ym, dtype=np.int64)
    y, m = ym // 100, ym % 100
    return np.where(m == 12, (y + 1) * 100 + 1, ym + 1)


def code_sums(s: Sending):
    """Per invoice and for the whole sending, the sum of the codes (zone 4) of records
    30/50/51/52, as int64 (cached on the sending)."""
    cached = s.__dict__.get("_code_sums")
    if cached is None:
        is_code = s.type_mask(*CODE_RECORDS)
        per_invoice = s.per_invoice_sum(s.col("code"), is_code)
        total = int(s.col("code")[is_code].sum(dtype=np.int64))
        cached = s.__dict__["_code_sums"] = (per_invoice, total)
    return cached


def _lookup_tables():
    """Code, letter and reported zone of every (zone, finding) pair, as arrays."""
    from vsbengine.formats.efact.catalogue import finding_names, zone_code, zone_letter
    from vsbengine.formats.efact.compiled import LAYOUTS

    nz = len(LAYOUTS.zones)
    names = finding_names()
    kinds = max(names) + 1
    code = np.zeros((nz, kinds), dtype=np.int32)
    letter = np.zeros((nz, kinds), dtype=np.uint8)
    report = np.arange(nz, dtype=np.int32)
    for zi, zone in enumerate(LAYOUTS.zones):
        if zone.is_error_field:
            report[zi] = LAYOUTS.zone_index(zone.layout, zone.zone[:-1])
        for k, name in names.items():
            if name == "check" and zone.zone != "99":
                continue
            c = zone_code(zone, name)
            code[zi, k] = int(c)
            lt = zone_letter(zone, name, c)
            letter[zi, k] = ord(lt) if lt else 0
    return code, letter, report


_LUT = None


def core_errors(s: Sending):
    """The core's zone findings as coded errors (cached on the sending)."""
    from vsbengine.formats.efact.findings import ErrorTable

    global _LUT
    cached = s.__dict__.get("_core_errors")
    if cached is not None:
        return cached
    if _LUT is None:
        _LUT = _lookup_tables()
    code, letter, report = _LUT
    z = s.scan.finding_zone
    k = s.scan.finding_kind
    n = len(z)
    table = ErrorTable(
        s.scan.finding_unit.astype(np.int64),
        code[z, k],
        letter[z, k],
        report[z].astype(np.int32),
        np.full(n, -1, np.int64),
        np.zeros(n, np.int16),
        np.full(n, -1, np.int64),
    )
    s.__dict__["_core_errors"] = table
    return table
