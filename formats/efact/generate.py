"""Synthetic billing files (message 920000) for tests, demos and benchmarks.

:func:`generate` builds a valid sending of about ``records`` records 10 to 90:
several invoices for several destination mutualities (sorted), prestation
records 50, some completed by records 51 and 52, realistic amounts in cents
(units x tariff of a small synthetic code table) and valid national numbers
(INSZ), NIHII, company (KBO) and IBAN numbers. Everything is vectorised: a
million records take seconds.

With ``error_rate`` it injects errors of known codes into that share of the
prestations (at most one per invoice) and returns them, so that a test can
assert that validation finds exactly those codes. The totals, control numbers
and check digits are computed after the injection, so that nothing else is
wrong. The data is fictitious: the national numbers are valid by their check
digits only.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field

import numpy as np
from stdnum import iban as _iban

from vsbengine import _core
from vsbengine.formats.efact import wire

#: Synthetic nomenclature codes: (code, unit amount in cents, unit personal share in cents).
CODES = (
    (771012, 4875, 0),
    (771034, 2150, 345),
    (771056, 1942, 150),
    (771071, 12040, 1320),
    (771093, 880, 0),
    (771115, 6325, 745),
    (771130, 3410, 410),
    (771152, 15890, 0),
)

#: Injectable errors: code -> what the generator changes. Each one yields exactly
#: the listed codes (see :attr:`Generated.expected`).
KINDS = {
    "502212": "units sign flipped (propagates 510119/520119 to the group)",
    "502712": "personal share sign flipped (propagates to the group)",
    "500612": "last date before first date (200140 rejects the invoice)",
    "510412": "record 51 code differs from its record 50 (only the 51 is rejected)",
    "500812": "record 50 beneficiary differs from record 20 (rejects the invoice)",
    "802710": "record 80 personal-share total off by one cent (rejects the invoice)",
    "509902": "record 50 check digits wrong (blocking: rejects the sending)",
}
DEFAULT_KINDS = ("502212", "502712", "500612", "510412", "500812", "802710")

MUTUALITIES = (101, 102, 106, 111, 116, 131, 132, 137)


@dataclass
class Generated:
    """A generated sending and what was injected into it."""

    #: The header (segments 200 and 300) as bytes.
    header: bytes
    #: The records 10 to 96, as an ``(n, 350)`` uint8 array.
    body: np.ndarray
    #: Records 10 to 90.
    records: int
    invoices: int
    #: Injected errors as ``(sequence number, code)``.
    injected: list[tuple[int, str]] = field(default_factory=list)
    #: Every code validation must report, with propagated ones, as ``(sequence, code)``.
    expected: list[tuple[int, str]] = field(default_factory=list)

    def tobytes(self) -> bytes:
        return self.header + self.body.tobytes()

    def write(self, path) -> None:
        with open(path, "wb") as fh:
            fh.write(self.header)
            self.body.tofile(fh)


def _insz(rng: np.random.Generator, n: int) -> np.ndarray:
    """Valid national numbers (11 digits) of people born 1930-2019."""
    year = rng.integers(1930, 2020, n)
    month = rng.integers(1, 13, n)
    day = rng.integers(1, 29, n)
    serial = rng.integers(1, 998, n)
    base = ((year % 100) * 10000 + month * 100 + day) * 1000 + serial
    check = np.where(year >= 2000, 97 - (2_000_000_000 + base) % 97, 97 - base % 97)
    return base * 100 + check


def _nihii(first6: int, qualification: int) -> int:
    return (first6 * 100 + (97 - first6 % 97)) * 1000 + qualification


def _seq(position):
    """Sequence number of a record: six digits, wrapping after 999999 (our choice for
    sendings of a million records and more; the validator accepts the wrap)."""
    return np.asarray(position, dtype=np.int64) % 1_000_000


def _previous_month(today: _dt.date) -> int:
    first = today.replace(day=1) - _dt.timedelta(days=1)
    return first.year * 100 + first.month


def _days_in(ym: int) -> int:
    y, m = divmod(ym, 100)
    nxt = _dt.date(y + (m == 12), m % 12 + 1, 1)
    return (nxt - _dt.timedelta(days=1)).day


def generate(records: int = 1000, *, seed: int = 0, error_rate: float = 0.0,
             kinds=DEFAULT_KINDS, month: int | None = None, created: int | None = None,
             sending_number: int | None = None) -> Generated:
    """Build a valid sending of about ``records`` records 10 to 90.

    Parameters
    ----------
    records
        Wanted number of records 10 to 90 (at least 5; the result is within a few
        records of it, never below).
    seed
        Seed of the random generator: the same arguments give the same bytes.
    error_rate
        Share of the prestations (records 50) that get an injected error.
    kinds
        Codes to inject, chosen in turn (see :data:`KINDS`).
    month
        Invoiced month YYYYMM (default: the month before the current one).
    created
        File creation date YYYYMMDD (default: the 1st of the month after ``month``).
    sending_number
        Sending number, 1-999 (default: drawn from the seed).
    """
    if records < 5:
        raise ValueError("a sending has at least 5 records (10, 20, 50, 80, 90)")
    if not 0 <= error_rate <= 1:
        raise ValueError("error_rate must be between 0 and 1")
    unknown = [k for k in kinds if k not in KINDS]
    if unknown:
        raise ValueError(f"cannot inject {', '.join(unknown)}; known: {', '.join(KINDS)}")
    rng = np.random.default_rng(seed)
    if month is None:
        month = _previous_month(_dt.date.today())
    y, m = divmod(month, 100)
    if created is None:
        created = (y + (m == 12)) * 10000 + (m % 12 + 1) * 100 + 1
    if sending_number is None:
        sending_number = int(rng.integers(1, 1000))

    # -- shape: invoices, prestations, complements ---------------------------------------
    need = records - 2
    est = max(1, need // 6 + 4)
    lines = rng.poisson(3.0, est * 2) + 1
    has51 = rng.random(int(lines.sum())) < 0.25
    has52 = rng.random(int(lines.sum())) < 0.05
    line_recs = 1 + has51 + has52
    inv_of_line = np.repeat(np.arange(len(lines)), lines)
    inv_recs = 2 + np.bincount(inv_of_line, weights=line_recs, minlength=len(lines)).astype(np.int64)
    n_inv = int(np.searchsorted(np.cumsum(inv_recs), need) + 1)
    n_inv = min(n_inv, len(lines))
    n_lines = int(lines[:n_inv].sum())
    lines = lines[:n_inv]
    has51, has52, line_recs = has51[:n_lines], has52[:n_lines], line_recs[:n_lines]
    inv_of_line = inv_of_line[:n_lines]
    inv_recs = inv_recs[:n_inv]
    total = 2 + int(inv_recs.sum())

    # Row of each record (0-based among records 10-90).
    inv_start = 1 + np.concatenate(([0], np.cumsum(inv_recs)[:-1]))
    line_off = np.concatenate(([0], np.cumsum(line_recs)[:-1]))
    first_line = np.concatenate(([0], np.cumsum(lines)[:-1]))
    row50 = inv_start[inv_of_line] + 1 + line_off - line_off[first_line][inv_of_line]
    row51 = row50[has51] + 1
    row52 = row50[has52] + 1 + has51[has52]
    row20 = inv_start
    row80 = inv_start + inv_recs - 1

    # -- attributes ----------------------------------------------------------------------
    muts = np.sort(rng.choice(MUTUALITIES, size=min(3, len(MUTUALITIES)), replace=False))
    dest = np.sort(rng.choice(muts, n_inv))
    insz = _insz(rng, n_inv)
    sex = np.where((insz // 100) % 1000 % 2 == 1, 1, 2)
    inv_number = (month % 10000) * 10**7 + np.arange(1, n_inv + 1)
    itype = np.where(rng.random(n_inv) < 0.3, 1, 3)
    admission = np.where(itype == 1, y * 10000 + m * 100 + 1, 0)
    institution = _nihii(int(rng.integers(100000, 999999)), 1)
    kbo8 = int(rng.integers(2_000_000, 9_999_999))
    kbo = kbo8 * 100 + (97 - kbo8 % 97)
    bban = f"{int(rng.integers(1, 999)):03d}{int(rng.integers(0, 10**7)):07d}"
    bban += f"{int(bban) % 97 or 97:02d}"
    iban = f"BE{_iban.calc_check_digits('BE00' + bban)}{bban}"

    code_idx = rng.integers(0, len(CODES), n_lines)
    table = np.array(CODES, dtype=np.int64)
    code = table[code_idx, 0]
    units = rng.integers(1, 4, n_lines)
    amount = units * table[code_idx, 1]
    pshare = units * table[code_idx, 2]
    account_b = rng.random(n_lines) < 0.1     # zone 11: financial account B
    day = rng.integers(1, _days_in(month) + 1, n_lines)
    first = y * 10000 + m * 100 + day
    last = first.copy()
    line_insz = insz[inv_of_line]
    code51 = code[has51]

    # -- injection -----------------------------------------------------------------------
    injected: list[tuple[int, str]] = []
    expected: list[tuple[int, str]] = []
    r80_pshare_delta = np.zeros(n_inv, dtype=np.int64)
    bad_check: list[int] = []
    n_bad = int(round(error_rate * n_lines))
    if n_bad and kinds:
        # At most one error per invoice, on lines that can carry the kind.
        order = rng.permutation(n_lines)
        _, first_of_inv = np.unique(inv_of_line[order], return_index=True)
        candidates = order[np.sort(first_of_inv)]
        candidates = candidates[rng.permutation(len(candidates))]
        pos51 = np.cumsum(has51) - 1   # index into row51/code51 for lines with a 51
        k = 0
        for ln in candidates.tolist():
            if len(injected) >= n_bad:
                break
            kind = kinds[k % len(kinds)]
            if kind == "510412" and not has51[ln]:
                continue
            if kind == "502712" and pshare[ln] == 0:
                continue
            k += 1
            seq50 = int(row50[ln]) + 1
            group = [(seq50, "")]
            if has51[ln]:
                group.append((int(row51[pos51[ln]]) + 1, "510119"))
            if has52[ln]:
                group.append((int(row50[ln]) + 2 + int(has51[ln]), "520119"))
            inv = int(inv_of_line[ln])
            if kind == "502212":
                units[ln] = -units[ln]
                expected += [(seq50, "502212")] + [g for g in group[1:]]
            elif kind == "502712":
                pshare[ln] = -pshare[ln]
                expected += [(seq50, "502712")] + [g for g in group[1:]]
            elif kind == "500612":
                d = _dt.date(first[ln] // 10000, first[ln] // 100 % 100, first[ln] % 100)
                d -= _dt.timedelta(days=1)
                last[ln] = d.year * 10000 + d.month * 100 + d.day
                expected += [(seq50, "500612"), (int(row20[inv]) + 1, "200140")]
            elif kind == "510412":
                j = int(pos51[ln])
                code51[j] = table[(code_idx[ln] + 1) % len(table), 0]
                expected += [(int(row51[j]) + 1, "510412")]
            elif kind == "500812":
                line_insz[ln] = _insz(rng, 1)[0]
                expected += [(seq50, "500812")]
            elif kind == "802710":
                r80_pshare_delta[inv] += 1
                expected += [(int(row80[inv]) + 1, "802710")]
            elif kind == "509902":
                bad_check.append(int(row50[ln]))
                expected += [(seq50, "509902")]
            injected.append((seq50 if kind != "802710" else int(row80[inv]) + 1, kind))

    # -- totals --------------------------------------------------------------------------
    inv_amount = np.bincount(inv_of_line, weights=np.where(account_b, 0, amount),
                             minlength=n_inv).astype(np.int64)
    inv_amount_b = np.bincount(inv_of_line, weights=np.where(account_b, amount, 0),
                               minlength=n_inv).astype(np.int64)
    inv_pshare = np.bincount(inv_of_line, weights=pshare, minlength=n_inv).astype(np.int64)
    codes_per_line = code.copy()
    code_sum = np.bincount(inv_of_line, weights=code, minlength=n_inv).astype(np.int64)
    line_of_51 = np.flatnonzero(has51)
    code_sum += np.bincount(inv_of_line[line_of_51], weights=code51, minlength=n_inv).astype(np.int64)
    code_sum += np.bincount(inv_of_line[has52], weights=codes_per_line[has52],
                            minlength=n_inv).astype(np.int64)
    control = code_sum % 97
    control = np.where(control == 0, 97, control)
    sending_control = int(code_sum.sum()) % 97 or 97

    # -- records -------------------------------------------------------------------------
    body = np.zeros((total + len(muts) + 1, 350), dtype=np.uint8)
    rec = body[:total]
    t10 = wire.template("10")
    rec[0] = t10
    put = wire.put_digits
    put(rec, "10", "2", 1, rows=0)
    put(rec, "10", "4", 1999, rows=0)
    put(rec, "10", "7", sending_number, rows=0)
    put(rec, "10", "13", 40, rows=0)
    put(rec, "10", "14", institution, rows=0)
    put(rec, "10", "22", y, rows=0)
    put(rec, "10", "23", m, rows=0)
    put(rec, "10", "25,26", created, rows=0)
    put(rec, "10", "27", kbo, rows=0)
    wire.put_text(rec, "10", "28", "VSBENGINE GENERATED", rows=0)
    wire.put_text(rec, "10", "31", "GKCCBEBB", rows=0)
    wire.put_text(rec, "10", "36", iban, rows=0)

    rec[row20] = wire.template("20")
    put(rec, "20", "2", _seq(row20 + 1), rows=row20)
    put(rec, "20", "5", admission, rows=row20)
    put(rec, "20", "7", dest, rows=row20)
    put(rec, "20", "8a,8b", insz, rows=row20)
    put(rec, "20", "9", sex, rows=row20)
    put(rec, "20", "10", itype, rows=row20)
    put(rec, "20", "14", institution, rows=row20)
    put(rec, "20", "18", dest, rows=row20)
    put(rec, "20", "24,25", inv_number, rows=row20)
    put(rec, "20", "27", 110110, rows=row20)
    put(rec, "20", "32", 1, rows=row20)
    put(rec, "20", "47", created, rows=row20)

    rec[row50] = wire.template("50")
    put(rec, "50", "2", _seq(row50 + 1), rows=row50)
    put(rec, "50", "4", code, rows=row50)
    put(rec, "50", "5", first, rows=row50)
    put(rec, "50", "6a,6b", last, rows=row50)
    put(rec, "50", "7", dest[inv_of_line], rows=row50)
    put(rec, "50", "8a,8b", line_insz, rows=row50)
    put(rec, "50", "9", sex[inv_of_line], rows=row50)
    put(rec, "50", "11", account_b.astype(np.int64), rows=row50)
    put(rec, "50", "13", 990, rows=row50)
    put(rec, "50", "15", institution, rows=row50)
    put(rec, "50", "16", 1, rows=row50)
    wire.put_signed(rec, "50", "19", amount, rows=row50)
    wire.put_signed(rec, "50", "22", units, rows=row50)
    wire.put_signed(rec, "50", "27", pshare, rows=row50)
    wire.put_signed(rec, "50", "30,31", 0, rows=row50)

    rec[row51] = wire.template("51")
    put(rec, "51", "2", _seq(row51 + 1), rows=row51)
    put(rec, "51", "4", code51, rows=row51)
    put(rec, "51", "5", first[has51], rows=row51)
    put(rec, "51", "8a,8b", line_insz[has51], rows=row51)
    put(rec, "51", "15", institution, rows=row51)
    wire.put_signed(rec, "51", "19", amount[has51], rows=row51)
    put(rec, "51", "27", 110110, rows=row51)
    wire.put_text(rec, "51", "42", "VSB-AGREEMENT", rows=row51)
    put(rec, "51", "55", created, rows=row51)

    rec[row52] = wire.template("52")
    put(rec, "52", "2", _seq(row52 + 1), rows=row52)
    put(rec, "52", "4", code[has52], rows=row52)
    put(rec, "52", "5", first[has52], rows=row52)
    put(rec, "52", "6", first[has52], rows=row52)
    put(rec, "52", "8a,8b", line_insz[has52], rows=row52)
    put(rec, "52", "9", 1, rows=row52)
    wire.put_text(rec, "52", "10", "1", rows=row52)
    put(rec, "52", "15", institution, rows=row52)

    rec[row80] = wire.template("80")
    put(rec, "80", "2", _seq(row80 + 1), rows=row80)
    put(rec, "80", "5", admission, rows=row80)
    put(rec, "80", "7", dest, rows=row80)
    put(rec, "80", "8a,8b", insz, rows=row80)
    put(rec, "80", "9", sex, rows=row80)
    put(rec, "80", "10", itype, rows=row80)
    put(rec, "80", "14", institution, rows=row80)
    wire.put_signed(rec, "80", "15", inv_amount_b, rows=row80)
    put(rec, "80", "18", dest, rows=row80)
    wire.put_signed(rec, "80", "19", inv_amount, rows=row80)
    put(rec, "80", "20,21", created, rows=row80)
    put(rec, "80", "24,25", inv_number, rows=row80)
    wire.put_signed(rec, "80", "27", inv_pshare + r80_pshare_delta, rows=row80)
    wire.put_signed(rec, "80", "30,31", 0, rows=row80)
    put(rec, "80", "32", 1, rows=row80)
    put(rec, "80", "98", control, rows=row80)

    r90 = total - 1
    rec[r90] = wire.template("90")
    put(rec, "90", "2", _seq(total), rows=r90)
    put(rec, "90", "7", sending_number, rows=r90)
    put(rec, "90", "14", institution, rows=r90)
    wire.put_signed(rec, "90", "15", int(inv_amount_b.sum()), rows=r90)
    wire.put_signed(rec, "90", "19", int(inv_amount.sum()), rows=r90)
    put(rec, "90", "22", y, rows=r90)
    put(rec, "90", "23", m, rows=r90)
    put(rec, "90", "27", kbo, rows=r90)
    wire.put_text(rec, "90", "28", "VSBENGINE GENERATED", rows=r90)
    wire.put_text(rec, "90", "31", "GKCCBEBB", rows=r90)
    wire.put_text(rec, "90", "36", iban, rows=r90)
    put(rec, "90", "98", sending_control, rows=r90)

    _core.fill_check_digits(rec)
    for row in bad_check:
        rec[row, 348:350] = np.frombuffer(
            f"{(int(rec[row, 348] - 48) * 10 + int(rec[row, 349] - 48)) % 97 + 1:02d}".encode(),
            dtype=np.uint8)

    # -- closing records 95 (per mutuality) and 96 --------------------------------------
    r95 = body[total:total + len(muts)]
    r95[:] = wire.template("95")
    for i, mut in enumerate(muts.tolist()):
        sel = dest == mut
        put(r95, "95", "401", mut, rows=i)
        put(r95, "95", "402", i + 1, rows=i)
        a, b = int(inv_amount[sel].sum()), int(inv_amount_b[sel].sum())
        wire.put_signed(r95, "95", "404", a, rows=i)
        wire.put_signed(r95, "95", "406", b, rows=i)
        wire.put_signed(r95, "95", "408", a + b, rows=i)
        put(r95, "95", "409", int(inv_recs[sel].sum()) + 2, rows=i)
        put(r95, "95", "410", int(code_sum[sel].sum()) % 97 or 97, rows=i)
        wire.put_text(r95, "95", "412", "", rows=i)
        wire.put_text(r95, "95", "4121", "", rows=i)
    # Mutualities without invoices get no record 95.
    used = np.isin(muts, dest)
    keep95 = np.flatnonzero(used)
    r96 = wire.records("96", 1)
    put(r96, "96", "501", int(muts[0]) // 100 * 100 + 99)
    a, b = int(inv_amount.sum()), int(inv_amount_b.sum())
    wire.put_signed(r96, "96", "504", a)
    wire.put_signed(r96, "96", "506", b)
    wire.put_signed(r96, "96", "508", a + b)
    put(r96, "96", "509", total + 2)
    put(r96, "96", "510", sending_control)
    wire.put_text(r96, "96", "512", "")
    wire.put_text(r96, "96", "5121", "")
    body = np.concatenate([rec, r95[keep95], r96])

    # -- header ----------------------------------------------------------------------------
    s200 = wire.records("200", 1)
    put(s200, "200", "200", 920000)
    put(s200, "200", "201", 1)
    put(s200, "200", "202", 12)
    put(s200, "200", "204", created * 1000000 + sending_number)
    s300 = wire.records("300", 1)
    put(s300, "300", "300", month)
    put(s300, "300", "301", sending_number)
    put(s300, "300", "302", created)
    put(s300, "300", "304", 1999)
    wire.put_text(s300, "300", "305", "GENERATOR")
    wire.put_text(s300, "300", "306", "VSBENGINE")
    put(s300, "300", "307", 3200000000)
    put(s300, "300", "308", 9)
    put(s300, "300", "309", 2)          # one file, two accounts
    header = s200.tobytes() + s300.tobytes()
    return Generated(header=header, body=body, records=total, invoices=n_inv,
                     injected=sorted(injected), expected=sorted(expected))
