"""Synthetic billing files (message 920000) for tests, demos and benchmarks.

:func:`generate` builds a valid sending of about ``records`` records 10 to 90
from a VSB care facility: invoices for several destination mutualities (sorted)
of three kinds, residential care (invoice type 1) and guidance (type 3) with
prestation records 50 (some completed by records 51 and 52), and revalidation
(type 5) with a revalidation-day and a personal-share record 30 for each day.
Amounts are units x tariff of a small synthetic code table (a price contracted
with the facility for one code); national numbers (INSZ), NIHII, KBO and IBAN
numbers are valid by their check digits. Everything is vectorised: a million
records take seconds.

With ``references=True`` it also writes the zorgkas's reference data that
matches the sending (members, admissions, codes, tariffs, facilities, the
zorgkas's account), so that the content checks find nothing.

With ``error_rate`` it injects errors of known codes into that share of the
prestations (at most one per invoice) and returns every code validation must
report, propagated ones included. Totals, control numbers and check digits are
computed after the injection, so that nothing else is wrong. The content kinds
(:data:`CONTENT_KINDS`) are found only when validating with the generated
reference data. The data is fictitious.
"""

from __future__ import annotations

import datetime as _dt
import os
from dataclasses import dataclass, field

import numpy as np
from stdnum import iban as _iban

from vsbengine import _core, fsio, limits
from vsbengine.formats.efact import wire

#: Synthetic nomenclature codes of records 50: (code, unit amount, unit personal share),
#: amounts in cents.
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
#: The files :meth:`Generated.write_refs` writes.
REFERENCE_FILES = (
    "members.csv",
    "admissions.csv",
    "codes.csv",
    "tariffs.csv",
    "facilities.csv",
    "zorgkas.toml",
)
#: The price of one code contracted with the facility (it wins over the general tariff).
CONTRACTED = (771034, 2200, 345)
#: Pseudo-codes of records 30 for revalidation: (code, unit amount, unit personal share).
REVALIDATION_DAY = (791012, 14500, 0)
PERSONAL_SHARE = (791034, 0, 3400)

#: Injectable errors: code -> what the generator changes. Each one yields exactly
#: the codes in :attr:`Generated.expected`.
KINDS = {
    "502212": "units sign flipped (propagates 510119/520119 to its 51/52)",
    "502712": "personal share sign flipped (propagates to its 51/52)",
    "500612": "last date before first date (200140 rejects the invoice)",
    "510412": "record 51 code differs from its record 50 (only the 51 is rejected)",
    "500812": "record 50 beneficiary differs from record 20 (rejects the invoice)",
    "802710": "record 80 personal-share total off by one cent (rejects the invoice)",
    "509902": "record 50 check digits wrong (blocking: rejects the sending)",
    # Content errors (found with the generated reference data):
    "501940": "record 50 amount one cent off its tariff",
    "502741": "record 50 personal share one cent off its tariff",
    "500420": "record 50 code unknown in the code table",
    "500423": "record 50 billed twice (same beneficiary, code and dates)",
    "301940": "revalidation day one cent off its tariff (300129 on the day's personal share)",
    "300490": "personal share on a day without a revalidation day",
    "200820": "beneficiary unknown in the member file (rejects the invoice)",
    "500549": "beneficiary deceased on the first day of the month",
}
DEFAULT_KINDS = ("502212", "502712", "500612", "510412", "500812", "802710")
CONTENT_KINDS = ("501940", "502741", "500420", "500423", "301940", "300490", "200820", "500549")

MUTUALITIES = (101, 102, 106, 111, 116, 131, 132, 137)
RESIDENTIAL, GUIDANCE, REVALIDATION = 0, 1, 2
_INVOICE_TYPE = np.array([1, 3, 5])


@dataclass
class Generated:
    """A generated sending, its reference data, and what was injected into it."""

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
    #: The reference data as file name -> text, with ``references=True``.
    refs: dict[str, str] | None = None
    #: Errors the error rate asked for: more than :attr:`injected` when the sending has
    #: too few invoices (one error per invoice at most, so that they do not mix).
    asked: int = 0

    def tobytes(self) -> bytes:
        return self.header + self.body.tobytes()

    def write(self, path) -> None:
        """Write the sending to ``path``, whole or not at all."""

        def fill(fh) -> None:
            fh.write(self.header)
            fh.flush()
            self.body.tofile(fh)

        fsio.atomic_write(path, fill)

    def write_refs(self, folder) -> None:
        """Write the reference data (CSV files and ``zorgkas.toml``) into ``folder``."""
        if self.refs is None:
            raise ValueError("generated without references=True")
        os.makedirs(folder, exist_ok=True)
        for name, text in self.refs.items():
            fsio.atomic_write(os.path.join(folder, name), text)


def _insz(rng: np.random.Generator, n: int) -> np.ndarray:
    """Valid national numbers (11 digits) of ``n`` different people born 1930-2019."""
    out = np.zeros(0, dtype=np.int64)
    while len(out) < n:
        more = _insz_draw(rng, int((n - len(out)) * 1.1) + 8)
        out = np.concatenate([out, more[~np.isin(more, out)]])
        _, first = np.unique(out, return_index=True)
        out = out[np.sort(first)]
    return out[:n]


def _insz_draw(rng: np.random.Generator, n: int) -> np.ndarray:
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


def _shift(yyyymmdd: np.ndarray, days: np.ndarray) -> np.ndarray:
    """YYYYMMDD dates moved by a number of days (vectorised through datetime64)."""
    v = np.asarray(yyyymmdd, dtype=np.int64)
    d = (
        (v // 10000 - 1970).astype("datetime64[Y]").astype("datetime64[M]") + (v // 100 % 100 - 1)
    ).astype("datetime64[D]") + (v % 100 - 1)
    d = d + np.asarray(days, dtype=np.int64)
    y = d.astype("datetime64[Y]")
    mth = d.astype("datetime64[M]")
    return (
        (y.astype(np.int64) + 1970) * 10000
        + (mth - y.astype("datetime64[M]")).astype(np.int64) * 100
        + (d - mth.astype("datetime64[D]")).astype(np.int64)
        + 101
    )


def _iso(yyyymmdd: int) -> str:
    return f"{yyyymmdd // 10000:04d}-{yyyymmdd // 100 % 100:02d}-{yyyymmdd % 100:02d}"


def generate(
    records: int = 1000,
    *,
    seed: int = 0,
    error_rate: float = 0.0,
    kinds=None,
    month: int | None = None,
    created: int | None = None,
    sending_number: int | None = None,
    references: bool = False,
) -> Generated:
    """Build a valid sending of about ``records`` records 10 to 90.

    Parameters
    ----------
    records
        Wanted number of records 10 to 90 (at least 5; the result is within a few
        records of it, never below).
    seed
        Seed of the random generator: the same arguments give the same bytes.
    error_rate
        Share of the prestations (lines or revalidation days) with an injected error;
        at most one error per invoice (see :attr:`Generated.asked`).
    kinds
        Codes to inject, chosen in turn (see :data:`KINDS`); default
        :data:`DEFAULT_KINDS`, plus :data:`CONTENT_KINDS` with ``references=True``.
    month
        Invoiced month YYYYMM (default: the month before the current one).
    created
        File creation date YYYYMMDD (default: the 1st of the month after ``month``).
    sending_number
        Sending number, 1-999 (default: drawn from the seed).
    references
        Also build the matching reference data (:attr:`Generated.refs`).
    """
    if records < 5:
        raise ValueError("a sending has at least 5 records (10, 20, 50, 80, 90)")
    if records > limits.MAX_GENERATED_RECORDS:
        raise ValueError(
            f"at most {limits.MAX_GENERATED_RECORDS:,} records (the sending is built in "
            f"memory), not {records:,}"
        )
    if not 0 <= error_rate <= 1:
        raise ValueError("error_rate must be between 0 and 1")
    if kinds is None:
        kinds = DEFAULT_KINDS + (CONTENT_KINDS if references else ())
    unknown = [k for k in kinds if k not in KINDS]
    if unknown:
        raise ValueError(f"cannot inject {', '.join(unknown)}; known: {', '.join(KINDS)}")
    rng = np.random.default_rng(seed)
    if month is None:
        month = _previous_month(_dt.date.today())
    y, m = divmod(month, 100)
    dim = _days_in(month)
    month_start = y * 10000 + m * 100 + 1
    if created is None:
        created = (y + (m == 12)) * 10000 + (m % 12 + 1) * 100 + 1
    if sending_number is None:
        sending_number = int(rng.integers(1, 1000))

    # -- shape: invoices of three kinds, their lines, the complements -------------------
    need = records - 2
    est = max(1, need // 6 + 4) * 2
    kind = rng.choice(3, size=est, p=[0.35, 0.35, 0.30])
    lines = np.minimum(rng.poisson(3.0, est) + 1, 20)
    lines = np.minimum(lines, dim)
    reval = kind == REVALIDATION
    n_all = int(lines.sum())
    inv_all = np.repeat(np.arange(est), lines)
    line_reval = reval[inv_all]
    has51 = (rng.random(n_all) < 0.25) & ~line_reval
    has52 = (rng.random(n_all) < 0.05) & ~line_reval
    line_recs = np.where(line_reval, 2, 1 + has51 + has52)
    inv_recs = 2 + np.bincount(inv_all, weights=line_recs, minlength=est).astype(np.int64)
    n_inv = min(int(np.searchsorted(np.cumsum(inv_recs), need) + 1), est)
    n_lines = int(lines[:n_inv].sum())
    kind, lines, reval = kind[:n_inv], lines[:n_inv], reval[:n_inv]
    has51, has52, line_recs = has51[:n_lines], has52[:n_lines], line_recs[:n_lines]
    inv_of_line = inv_all[:n_lines]
    line_reval = line_reval[:n_lines]
    inv_recs = inv_recs[:n_inv]
    total = 2 + int(inv_recs.sum())

    # Row of each record (0-based among records 10-90).
    inv_start = 1 + np.concatenate(([0], np.cumsum(inv_recs)[:-1]))
    line_off = np.concatenate(([0], np.cumsum(line_recs)[:-1]))
    first_line = np.concatenate(([0], np.cumsum(lines)[:-1]))
    line_no = np.arange(n_lines) - first_line[inv_of_line]
    row_first = inv_start[inv_of_line] + 1 + line_off - line_off[first_line][inv_of_line]
    is50 = ~line_reval
    row50 = row_first[is50]
    l50 = np.flatnonzero(is50)  # lines that are records 50
    row51 = row_first[has51] + 1
    row52 = row_first[has52] + 1 + has51[has52]
    rday = row_first[line_reval]  # revalidation day records 30
    rshare = rday + 1  # their personal shares
    lday = np.flatnonzero(line_reval)
    row20 = inv_start
    row80 = inv_start + inv_recs - 1

    # -- attributes ------------------------------------------------------------------------
    muts = np.sort(rng.choice(MUTUALITIES, size=min(3, len(MUTUALITIES)), replace=False))
    dest = np.sort(rng.choice(muts, n_inv))
    insz = _insz(rng, n_inv)
    sex = np.where((insz // 100) % 1000 % 2 == 1, 1, 2)
    inv_number = (month % 10000) * 10**7 + np.arange(1, n_inv + 1)
    itype = _INVOICE_TYPE[kind]
    admitted = _shift(
        np.full(n_inv, month_start),
        -np.where(
            kind == RESIDENTIAL,
            rng.integers(0, 400, n_inv),
            np.where(kind == REVALIDATION, rng.integers(0, 60, n_inv), rng.integers(0, 200, n_inv)),
        ),
    )
    admission_date = np.where(kind == GUIDANCE, 0, admitted)  # zone 5 of records 20/80
    approval = np.where(reval, _shift(admitted, -rng.integers(1, 30, n_inv)), 0)
    admission_no = 100000 + np.arange(1, n_inv + 1)
    institution = _nihii(int(rng.integers(100000, 999999)), 1)
    kbo8 = int(rng.integers(2_000_000, 9_999_999))
    kbo = kbo8 * 100 + (97 - kbo8 % 97)
    # Bank 001 (a real Belgian bank code: python-stdnum knows the bank codes).
    bban = f"001{int(rng.integers(0, 10**7)):07d}"
    bban += f"{int(bban) % 97 or 97:02d}"
    iban = f"BE{_iban.calc_check_digits('BE00' + bban)}{bban}"
    bban_b = f"001{int(rng.integers(0, 10**7)):07d}"
    bban_b += f"{int(bban_b) % 97 or 97:02d}"
    iban_b = f"BE{_iban.calc_check_digits('BE00' + bban_b)}{bban_b}"  # account B

    # Records 50: distinct (code, day) per invoice; records 30: consecutive days.
    table = np.array(CODES, dtype=np.int64)
    combos = len(CODES) * dim
    strides = np.array([s for s in range(1, combos) if np.gcd(s, combos) == 1])
    start_combo = rng.integers(0, combos, n_inv)
    stride = rng.choice(strides, n_inv)
    combo = (start_combo[inv_of_line] + line_no * stride[inv_of_line]) % combos
    code_idx = combo // dim
    day = combo % dim + 1
    start_day = rng.integers(1, np.maximum(dim - lines + 2, 2))
    day = np.where(line_reval, start_day[inv_of_line] + line_no, day)
    contracted = table[code_idx, 0] == CONTRACTED[0]
    code = np.where(line_reval, REVALIDATION_DAY[0], table[code_idx, 0])
    unit_amount = np.where(contracted, CONTRACTED[1], table[code_idx, 1])
    unit_share = table[code_idx, 2]
    units = np.where(line_reval, 1, rng.integers(1, 4, n_lines))
    amount = np.where(line_reval, REVALIDATION_DAY[1], units * unit_amount)
    pshare = np.where(line_reval, 0, units * unit_share)
    account_b = (rng.random(n_lines) < 0.1) & ~line_reval
    first = y * 10000 + m * 100 + day
    last = first.copy()
    line_insz = insz[inv_of_line]
    share_day = first.copy()  # day of each line's personal share (30)
    share_amount = np.full(n_lines, PERSONAL_SHARE[2])
    day_amount = amount.copy()
    deceased = np.zeros(n_inv, dtype=np.int64)  # YYYYMMDD; 0 = alive
    unknown_person = np.zeros(n_inv, dtype=bool)
    code51_override: dict[int, int] = {}

    # -- injection -----------------------------------------------------------------------
    injected: list[tuple[int, str]] = []
    expected: list[tuple[int, str]] = []
    r80_pshare_delta = np.zeros(n_inv, dtype=np.int64)
    bad_check: list[int] = []
    n_bad = round(error_rate * n_lines)
    pos51 = np.cumsum(has51) - 1  # index into row51 for lines with a 51

    def group_of(ln: int) -> list[tuple[int, str]]:
        """The records 51/52 a record 50 drags, with their codes."""
        out = []
        if has51[ln]:
            out.append((int(row51[pos51[ln]]) + 1, "510119"))
        if has52[ln]:
            out.append((int(row_first[ln]) + 2 + int(has51[ln]), "520119"))
        return out

    def prestations_of(inv: int) -> list[int]:
        """Sequence numbers of the prestation records (30 and 50) of an invoice."""
        out = []
        for ln in np.flatnonzero(inv_of_line == inv).tolist():
            r = int(row_first[ln]) + 1
            out += [r, r + 1] if line_reval[ln] else [r]
        return out

    if n_bad and kinds:
        order = rng.permutation(n_lines)
        _, first_of_inv = np.unique(inv_of_line[order], return_index=True)
        candidates = order[np.sort(first_of_inv)]
        candidates = candidates[rng.permutation(len(candidates))]
        k = 0
        for ln in candidates.tolist():
            if len(injected) >= n_bad:
                break
            kind_ = kinds[k % len(kinds)]
            inv = int(inv_of_line[ln])
            alone = not has51[ln] and not has52[ln]
            r50kinds = (
                "502212",
                "502712",
                "500612",
                "510412",
                "500812",
                "509902",
                "501940",
                "502741",
                "500420",
                "500423",
            )
            if kind_ in r50kinds and line_reval[ln]:
                continue
            if kind_ in ("301940", "300490") and not line_reval[ln]:
                continue
            if kind_ == "510412" and not has51[ln]:
                continue
            if kind_ in ("502712", "502741") and pshare[ln] == 0:
                continue
            if kind_ == "500420" and not alone:
                continue
            if kind_ == "500423" and line_no[ln] == 0:
                continue
            if kind_ == "300490" and lines[inv] >= dim:
                continue
            k += 1
            seq = int(row_first[ln]) + 1
            if kind_ == "502212":
                units[ln] = -units[ln]
                # With the tariffs known, the amount is no longer units x tariff either.
                tariff = [(seq, "501940")] if references else []
                if references and pshare[ln]:
                    tariff.append((seq, "502741"))
                expected += [(seq, "502212")] + tariff + group_of(ln)
            elif kind_ == "502712":
                pshare[ln] = -pshare[ln]
                tariff = [(seq, "502741")] if references else []
                expected += [(seq, "502712")] + tariff + group_of(ln)
            elif kind_ == "500612":
                last[ln] = int(_shift(np.array([first[ln]]), np.array([-1]))[0])
                expected += [(seq, "500612"), (int(row20[inv]) + 1, "200140")]
            elif kind_ == "510412":
                code51_override[int(pos51[ln])] = int(table[(code_idx[ln] + 1) % len(table), 0])
                seq = int(row51[pos51[ln]]) + 1  # the error is the record 51's
                expected += [(seq, "510412")]
            elif kind_ == "500812":
                line_insz[ln] = _insz(rng, 1)[0]
                expected += [(seq, "500812")]
            elif kind_ == "802710":
                r80_pshare_delta[inv] += 1
                seq = int(row80[inv]) + 1
                expected += [(seq, "802710")]
            elif kind_ == "509902":
                bad_check.append(int(row_first[ln]))
                expected += [(seq, "509902")]
            elif kind_ == "501940":
                amount[ln] += 1
                expected += [(seq, "501940")] + group_of(ln)
            elif kind_ == "502741":
                pshare[ln] += 1
                expected += [(seq, "502741")] + group_of(ln)
            elif kind_ == "500420":
                code[ln] = 779999
                expected += [(seq, "500420")]
            elif kind_ == "500423":
                prev = ln - 1
                for arr in (code, first, last, units, amount, pshare, account_b):
                    arr[ln] = arr[prev]
                expected += [(seq, "500423")] + group_of(ln)
            elif kind_ == "301940":
                day_amount[ln] += 1
                expected += [(seq, "301940"), (seq + 1, "300129")]
            elif kind_ == "300490":
                lo_day = int(start_day[inv])
                other = lo_day - 1 if lo_day > 1 else lo_day + int(lines[inv])
                share_day[ln] = y * 10000 + m * 100 + other
                expected += [(seq + 1, "300490")]
                seq += 1
            elif kind_ == "200820":
                unknown_person[inv] = True
                seq = int(row20[inv]) + 1
                expected += [(seq, "200820")]
            elif kind_ == "500549":
                deceased[inv] = month_start
                for s_ in prestations_of(inv):
                    expected.append(
                        (
                            s_,
                            "300549"
                            if line_reval[np.flatnonzero(inv_of_line == inv)[0]]
                            else "500549",
                        )
                    )
                for ln2 in np.flatnonzero(inv_of_line == inv).tolist():
                    if not line_reval[ln2]:
                        expected += group_of(ln2)
                seq = int(row20[inv]) + 1
            injected.append((seq, kind_))
    amount = np.where(line_reval, day_amount, amount)
    # The unknown person's records all name the new person.
    if unknown_person.any():
        newcomers = _insz(rng, int(unknown_person.sum()))
        insz[unknown_person] = newcomers
        line_insz = np.where(unknown_person[inv_of_line], insz[inv_of_line], line_insz)
    code51 = code[has51].copy()
    for j, c in code51_override.items():
        code51[j] = c

    # -- totals ----------------------------------------------------------------------------
    acc_b = account_b & ~line_reval
    inv_amount = np.bincount(inv_of_line, weights=np.where(acc_b, 0, amount), minlength=n_inv)
    inv_amount = inv_amount.astype(np.int64)
    inv_amount_b = np.bincount(
        inv_of_line, weights=np.where(acc_b, amount, 0), minlength=n_inv
    ).astype(np.int64)
    share_total = np.where(line_reval, share_amount, pshare)
    inv_pshare = np.bincount(inv_of_line, weights=share_total, minlength=n_inv).astype(np.int64)
    codes_of_line = code + np.where(line_reval, PERSONAL_SHARE[0], 0)
    code_sum = np.bincount(inv_of_line, weights=codes_of_line, minlength=n_inv).astype(np.int64)
    code_sum += np.bincount(inv_of_line[has51], weights=code51, minlength=n_inv).astype(np.int64)
    code_sum += np.bincount(inv_of_line[has52], weights=code[has52], minlength=n_inv).astype(
        np.int64
    )
    control = code_sum % 97
    control = np.where(control == 0, 97, control)
    sending_control = int(code_sum.sum()) % 97 or 97

    # -- records ---------------------------------------------------------------------------
    body = np.zeros((total + len(muts) + 1, 350), dtype=np.uint8)
    rec = body[:total]
    put, signed, text = wire.put_digits, wire.put_signed, wire.put_text
    rec[0] = wire.template("10")
    put(rec, "10", "2", 1, rows=0)
    put(rec, "10", "4", 1999, rows=0)
    put(rec, "10", "7", sending_number, rows=0)
    put(rec, "10", "13", 40, rows=0)
    put(rec, "10", "14", institution, rows=0)
    put(rec, "10", "22", y, rows=0)
    put(rec, "10", "23", m, rows=0)
    put(rec, "10", "25,26", created, rows=0)
    put(rec, "10", "27", kbo, rows=0)
    text(rec, "10", "28", "VSBENGINE GENERATED", rows=0)
    text(rec, "10", "31", "GKCCBEBB", rows=0)
    text(rec, "10", "36", iban, rows=0)
    text(rec, "10", "43a", "GKCCBEBB", rows=0)
    text(rec, "10", "49", iban_b, rows=0)

    rec[row20] = wire.template("20")
    put(rec, "20", "2", _seq(row20 + 1), rows=row20)
    put(rec, "20", "5", admission_date, rows=row20)
    put(rec, "20", "7", dest, rows=row20)
    put(rec, "20", "8a,8b", insz, rows=row20)
    put(rec, "20", "9", sex, rows=row20)
    put(rec, "20", "10", itype, rows=row20)
    put(rec, "20", "14", institution, rows=row20)
    put(rec, "20", "18", dest, rows=row20)
    put(rec, "20", "19", admission_no, rows=row20)
    put(rec, "20", "20,21", approval, rows=row20)
    put(rec, "20", "24,25", inv_number, rows=row20)
    put(rec, "20", "27", 110110, rows=row20)
    put(rec, "20", "32", 1, rows=row20)
    put(rec, "20", "47", created, rows=row20)

    rec[row50] = wire.template("50")
    put(rec, "50", "2", _seq(row50 + 1), rows=row50)
    put(rec, "50", "4", code[l50], rows=row50)
    put(rec, "50", "5", first[l50], rows=row50)
    put(rec, "50", "6a,6b", last[l50], rows=row50)
    put(rec, "50", "7", dest[inv_of_line[l50]], rows=row50)
    put(rec, "50", "8a,8b", line_insz[l50], rows=row50)
    put(rec, "50", "9", sex[inv_of_line[l50]], rows=row50)
    put(rec, "50", "11", account_b[l50].astype(np.int64), rows=row50)
    put(rec, "50", "13", 990, rows=row50)
    put(rec, "50", "15", institution, rows=row50)
    put(rec, "50", "16", 1, rows=row50)
    signed(rec, "50", "19", amount[l50], rows=row50)
    signed(rec, "50", "22", units[l50], rows=row50)
    signed(rec, "50", "27", pshare[l50], rows=row50)
    signed(rec, "50", "30,31", 0, rows=row50)

    for rows, c, when, amt, share in (
        (rday, REVALIDATION_DAY[0], first[lday], amount[lday], 0),
        (rshare, PERSONAL_SHARE[0], share_day[lday], 0, share_amount[lday]),
    ):
        rec[rows] = wire.template("30")
        put(rec, "30", "2", _seq(rows + 1), rows=rows)
        put(rec, "30", "4", c, rows=rows)
        put(rec, "30", "5", when, rows=rows)
        put(rec, "30", "6a,6b", when, rows=rows)
        put(rec, "30", "7", dest[inv_of_line[lday]], rows=rows)
        put(rec, "30", "8a,8b", line_insz[lday], rows=rows)
        put(rec, "30", "9", sex[inv_of_line[lday]], rows=rows)
        put(rec, "30", "15", institution, rows=rows)
        signed(rec, "30", "19", amt, rows=rows)
        signed(rec, "30", "22", 1, rows=rows)
        signed(rec, "30", "24,25", 0, rows=rows)
        signed(rec, "30", "27", share, rows=rows)
        signed(rec, "30", "30,31", 0, rows=rows)

    rec[row51] = wire.template("51")
    put(rec, "51", "2", _seq(row51 + 1), rows=row51)
    put(rec, "51", "4", code51, rows=row51)
    put(rec, "51", "5", first[has51], rows=row51)
    put(rec, "51", "8a,8b", insz[inv_of_line[has51]], rows=row51)
    put(rec, "51", "15", institution, rows=row51)
    signed(rec, "51", "19", amount[has51], rows=row51)
    put(rec, "51", "27", 110110, rows=row51)
    text(rec, "51", "42", "VSB-AGREEMENT", rows=row51)
    put(rec, "51", "55", created, rows=row51)

    rec[row52] = wire.template("52")
    put(rec, "52", "2", _seq(row52 + 1), rows=row52)
    put(rec, "52", "4", code[has52], rows=row52)
    put(rec, "52", "5", first[has52], rows=row52)
    put(rec, "52", "6", first[has52], rows=row52)
    put(rec, "52", "8a,8b", insz[inv_of_line[has52]], rows=row52)
    put(rec, "52", "9", 1, rows=row52)
    text(rec, "52", "10", "1", rows=row52)
    put(rec, "52", "15", institution, rows=row52)

    rec[row80] = wire.template("80")
    put(rec, "80", "2", _seq(row80 + 1), rows=row80)
    put(rec, "80", "5", admission_date, rows=row80)
    put(rec, "80", "7", dest, rows=row80)
    put(rec, "80", "8a,8b", insz, rows=row80)
    put(rec, "80", "9", sex, rows=row80)
    put(rec, "80", "10", itype, rows=row80)
    put(rec, "80", "14", institution, rows=row80)
    signed(rec, "80", "15", inv_amount_b, rows=row80)
    put(rec, "80", "18", dest, rows=row80)
    signed(rec, "80", "19", inv_amount, rows=row80)
    put(rec, "80", "20,21", created, rows=row80)
    put(rec, "80", "24,25", inv_number, rows=row80)
    signed(rec, "80", "27", inv_pshare + r80_pshare_delta, rows=row80)
    signed(rec, "80", "30,31", 0, rows=row80)
    put(rec, "80", "32", 1, rows=row80)
    put(rec, "80", "98", control, rows=row80)

    r90 = total - 1
    rec[r90] = wire.template("90")
    put(rec, "90", "2", _seq(total), rows=r90)
    put(rec, "90", "7", sending_number, rows=r90)
    put(rec, "90", "14", institution, rows=r90)
    signed(rec, "90", "15", int(inv_amount_b.sum()), rows=r90)
    signed(rec, "90", "19", int(inv_amount.sum()), rows=r90)
    put(rec, "90", "22", y, rows=r90)
    put(rec, "90", "23", m, rows=r90)
    put(rec, "90", "27", kbo, rows=r90)
    text(rec, "90", "28", "VSBENGINE GENERATED", rows=r90)
    text(rec, "90", "31", "GKCCBEBB", rows=r90)
    text(rec, "90", "36", iban, rows=r90)
    text(rec, "90", "43a", "GKCCBEBB", rows=r90)
    text(rec, "90", "49", iban_b, rows=r90)
    put(rec, "90", "98", sending_control, rows=r90)

    _core.fill_check_digits(rec)
    for row in bad_check:
        stored = int(rec[row, 348] - 48) * 10 + int(rec[row, 349] - 48)
        rec[row, 348:350] = np.frombuffer(f"{stored % 97 + 1:02d}".encode(), dtype=np.uint8)

    # -- closing records 95 (per mutuality) and 96 --------------------------------------
    r95 = wire.records("95", len(muts))
    for i, mut in enumerate(muts.tolist()):
        sel = dest == mut
        a, b = int(inv_amount[sel].sum()), int(inv_amount_b[sel].sum())
        put(r95, "95", "401", mut, rows=i)
        put(r95, "95", "402", i + 1, rows=i)
        signed(r95, "95", "404", a, rows=i)
        signed(r95, "95", "406", b, rows=i)
        signed(r95, "95", "408", a + b, rows=i)
        put(r95, "95", "409", int(inv_recs[sel].sum()) + 2, rows=i)
        put(r95, "95", "410", int(code_sum[sel].sum()) % 97 or 97, rows=i)
        text(r95, "95", "412", "", rows=i)
        text(r95, "95", "4121", "", rows=i)
    keep95 = np.flatnonzero(np.isin(muts, dest))  # no record 95 for a mutuality without invoices
    r96 = wire.records("96", 1)
    a, b = int(inv_amount.sum()), int(inv_amount_b.sum())
    put(r96, "96", "501", int(muts[0]) // 100 * 100 + 99)
    signed(r96, "96", "504", a)
    signed(r96, "96", "506", b)
    signed(r96, "96", "508", a + b)
    put(r96, "96", "509", total + 2)
    put(r96, "96", "510", sending_control)
    text(r96, "96", "512", "")
    text(r96, "96", "5121", "")
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
    text(s300, "300", "305", "GENERATOR")
    text(s300, "300", "306", "VSBENGINE")
    put(s300, "300", "307", 3200000000)
    put(s300, "300", "308", 9)
    put(s300, "300", "309", 2)  # one file, two accounts
    header = s200.tobytes() + s300.tobytes()

    refs = None
    if references:
        refs = _references(
            rng,
            insz,
            dest,
            unknown_person,
            deceased,
            institution,
            admission_no,
            kind,
            admitted,
            approval,
            (iban, iban_b),
            month_start,
        )
    return Generated(
        header=header,
        body=body,
        records=total,
        invoices=n_inv,
        injected=sorted(injected),
        expected=sorted(expected),
        refs=refs,
        asked=n_bad if kinds else 0,
    )


def _references(
    rng,
    insz,
    dest,
    unknown,
    deceased,
    institution,
    admission_no,
    kind,
    admitted,
    approval,
    accounts,
    month_start,
) -> dict[str, str]:
    """The zorgkas's reference data matching a generated sending (CSV texts)."""
    members = ["insz,mutuality,insured_from,insured_to,deceased_on"]
    split = _iso(int(_shift(np.array([month_start]), np.array([-100]))[0]))
    split_next = _iso(int(_shift(np.array([month_start]), np.array([-99]))[0]))
    two_periods = rng.random(len(insz)) < 0.15
    for i in np.argsort(insz, kind="stable").tolist():
        if unknown[i]:
            continue
        dead = _iso(int(deceased[i])) if deceased[i] else ""
        if two_periods[i]:
            members.append(f"{insz[i]:011d},{dest[i]},2000-01-01,{split},{dead}")
            members.append(f"{insz[i]:011d},{dest[i]},{split_next},,{dead}")
        else:
            members.append(f"{insz[i]:011d},{dest[i]},2000-01-01,,{dead}")
    kinds = ("residential", "guidance", "revalidation")
    admissions = ["institution,admission_number,insz,kind,admitted_on,discharged_on,approval_date"]
    for i in range(len(insz)):
        appr = _iso(int(approval[i])) if approval[i] else ""
        admissions.append(
            f"{institution:012d},{admission_no[i]},{insz[i]:011d},{kinds[kind[i]]},"
            f"{_iso(int(admitted[i]))},,{appr}"
        )
    codes = ["code,category,related_code,valid_from,valid_to"]
    codes += [f"{c:07d},prestation,,2020-01-01," for c, *_ in CODES]
    codes += [
        f"{REVALIDATION_DAY[0]:07d},revalidation_day,,2020-01-01,",
        f"{PERSONAL_SHARE[0]:07d},personal_share,,2020-01-01,",
    ]
    tariffs = ["code,valid_from,valid_to,unit_amount,unit_personal_share,institution"]
    for c, amount, share in CODES + (REVALIDATION_DAY, PERSONAL_SHARE):
        # An older tariff, closed, and the current one.
        tariffs.append(
            f"{c:07d},2020-01-01,2022-12-31,{amount - 100 if amount > 100 else 0},{share},"
        )
        tariffs.append(f"{c:07d},2023-01-01,,{amount},{share},")
    c, amount, share = CONTRACTED
    tariffs.append(f"{c:07d},2023-01-01,,{amount},{share},{institution:012d}")
    iban, iban_b = accounts
    facilities = [
        "institution,name,iban,bic,iban_b,bic_b",
        f"{institution:012d},Revalidatiecentrum De Generator,{iban},GKCCBEBB,{iban_b},GKCCBEBB",
    ]
    zorgkas = (
        '[zorgkas]\nname = "Zorgkas Voorbeeld"\niban = "BE71096123456769"\n'
        'bic = "GKCCBEBB"\npayment_days = 42\n'
    )
    tables = (members, admissions, codes, tariffs, facilities)
    texts = ["\n".join(t) + "\n" for t in tables] + [zorgkas]
    return dict(zip(REFERENCE_FILES, texts, strict=True))
