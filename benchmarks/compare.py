"""Time the same pre-validation job done the obvious other ways, in one run.

The job, on every record 10-90 of a sending:

1. the record check digits (zone 99: sum of character values mod 97);
2. the format of every zone (digits, signed amounts, text without control bytes);
3. the invoice totals (record 80 zone 19 = sum of the account-A prestations).

Each way reports the same three counts, which must agree; the engine runs its
full validation (every check of the package), so it does at least the same
work. Ratios are against the engine measured in the same run.

    python benchmarks/compare.py                    # one million records
    python benchmarks/compare.py --records 100000 --skip python
    python benchmarks/compare.py --content --skip python,pandas,polars   # content checks too
    python benchmarks/compare.py --targets          # issue 13's targets, all in one run

``--targets`` prints every ratio of issue 13 from one run, each against its baseline
timed in the same rounds (interleaved, medians): ``validate`` against one numpy
``count_nonzero`` pass over the same bytes (one core), the content checks with one
million members against pre-validation, the peak memory of a validation from the
file's path against the file's size (in one piece and with ``--memory-limit``),
``vsbengine explain CODE`` against ``python -c pass``, and the core scan's
instructions per byte (callgrind, ``benchmarks/instructions.py``, when valgrind is
installed).

pandas (read_fwf) and polars run when installed (``pip install '.[bench]'``).
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

import vsbengine
from vsbengine.formats.efact.compiled import LAYOUTS
from vsbengine.formats.efact.generate import generate

HEADER = 227
DETAIL = ("10", "20", "30", "50", "51", "52", "80", "90")
TODAY = 20261123

_VAL = bytearray(37 for _ in range(256))
for _b in range(256):
    if 48 <= _b <= 57:
        _VAL[_b] = _b - 48
    elif _b == 32:
        _VAL[_b] = 10
    elif 65 <= _b <= 90:
        _VAL[_b] = _b - 54
    elif 97 <= _b <= 122:
        _VAL[_b] = _b - 86
VAL = bytes(_VAL)


def zones_of(rtype: str):
    """(start, end, kind) of every zone of a record type, from the layout tables."""
    return [(z.start, z.end, z.kind) for z in LAYOUTS.layout(rtype).zones]


ZONES = {t: zones_of(t) for t in DETAIL}


# -- pure Python: slicing bytes --------------------------------------------------------


def job_python(data: bytes):
    bad_check = bad_format = bad_totals = 0
    a_sum, unreadable = 0, False
    for off in range(HEADER, len(data), 350):
        rec = data[off : off + 350]
        t = rec[:2].decode()
        if t not in ZONES:
            continue
        if rec[348:350].isdigit():
            s = sum(VAL[c] for c in rec[:348]) % 97 or 97
            bad_check += s != int(rec[348:350])
        ok = True
        for start, end, kind in ZONES[t]:
            z = rec[start:end]
            if kind in "NDY":
                ok = ok and z.isdigit()
            elif kind == "S":
                ok = ok and z[:1] in (b"+", b"-") and z[1:].isdigit()
            else:
                ok = ok and not any(c < 32 or 127 <= c < 160 for c in z)
        bad_format += not ok
        if t == "20":
            a_sum, unreadable = 0, False
        elif t in ("30", "50"):
            amount = rec[87:99]
            if amount[1:].isdigit() and amount[:1] in (b"+", b"-") and rec[50:51].isdigit():
                if rec[50:51] == b"0":
                    a_sum += int(amount)
            else:
                unreadable = True
        elif t == "80" and not unreadable:
            bad_totals += int(rec[87:99]) != a_sum
    return bad_check, bad_format, bad_totals


# -- numpy: one (n, 350) view, vectorised per column ------------------------------------


def _masks():
    """Allowed-byte tables per record type and position, as (types, 350, 256) booleans."""
    digit = np.zeros(256, bool)
    digit[48:58] = True
    sign = np.zeros(256, bool)
    sign[[43, 45]] = True
    text = np.ones(256, bool)
    text[:32] = False
    text[127:160] = False
    allowed = np.zeros((100, 350, 256), bool)
    for t, zones in ZONES.items():
        for start, end, kind in zones:
            if kind in "NDY":
                allowed[int(t), start:end] = digit
            elif kind == "S":
                allowed[int(t), start] = sign
                allowed[int(t), start + 1 : end] = digit
            else:
                allowed[int(t), start:end] = text
    return allowed


def job_numpy(data: bytes, chunk: int = 50_000):
    arr = np.frombuffer(data, dtype=np.uint8, offset=HEADER)
    recs = arr[: len(arr) // 350 * 350].reshape(-1, 350)
    rtype = (recs[:, 0].astype(np.int64) - 48) * 10 + (recs[:, 1].astype(np.int64) - 48)
    is_detail = np.isin(rtype, [int(t) for t in DETAIL])
    val = np.frombuffer(VAL, dtype=np.uint8)
    allowed = _masks()
    pos = np.arange(350)
    bad_check = bad_format = 0
    for s in range(0, len(recs), chunk):
        r = recs[s : s + chunk]
        d = is_detail[s : s + chunk]
        t = np.where(d, rtype[s : s + chunk], 0)
        z99 = r[:, 348:350]
        z_ok = ((z99 >= 48) & (z99 <= 57)).all(axis=1) & d
        total = val[r[:, :348]].sum(axis=1, dtype=np.uint32) % 97
        total[total == 0] = 97
        stored = (z99[:, 0].astype(np.int64) - 48) * 10 + (z99[:, 1].astype(np.int64) - 48)
        bad_check += int((z_ok & (total != stored)).sum())
        ok = allowed[t[:, None], pos[None, :], r].all(axis=1)
        bad_format += int((d & ~ok).sum())
    # Totals per invoice.
    amount_raw = recs[:, 87:99]
    digits_ok = ((amount_raw[:, 1:] >= 48) & (amount_raw[:, 1:] <= 57)).all(axis=1) & (
        (amount_raw[:, 0] == 43) | (amount_raw[:, 0] == 45)
    )
    mags = (amount_raw[:, 1:].astype(np.int64) - 48) @ (10 ** np.arange(10, -1, -1, dtype=np.int64))
    amount = np.where(amount_raw[:, 0] == 45, -mags, mags)
    prest = np.isin(rtype, (30, 50))
    acc_ok = (recs[:, 50] >= 48) & (recs[:, 50] <= 57)
    unreadable = prest & ~(digits_ok & acc_ok)
    on_a = prest & (recs[:, 50] == 48) & ~unreadable
    starts = np.flatnonzero(rtype == 20)
    a_sum = np.add.reduceat(np.where(on_a, amount, 0), starts) if len(starts) else np.zeros(0)
    bad_inv = np.add.reduceat(unreadable.astype(np.int64), starts) > 0 if len(starts) else a_sum
    r80 = np.flatnonzero(rtype == 80)
    inv_of_80 = np.searchsorted(starts, r80) - 1
    bad_totals = int(((amount[r80] != a_sum[inv_of_80]) & ~bad_inv[inv_of_80]).sum())
    return bad_check, bad_format, bad_totals


# -- pandas.read_fwf and polars (when installed) ----------------------------------------


def _lines(data: bytes) -> bytes:
    body = data[HEADER:]
    return b"\n".join(body[i : i + 350] for i in range(0, len(body), 350))


def job_pandas(data: bytes):
    import io

    import pandas as pd

    # The record type and the whole record as fixed-width columns (no blank stripping).
    df = pd.read_fwf(
        io.BytesIO(_lines(data)),
        colspecs=[(0, 2), (0, 350)],
        names=["t", "l"],
        dtype=str,
        encoding="latin-1",
        header=None,
        delimiter="\x00",
    )
    df = df.fillna("")
    rtype = df["t"]
    line = df["l"].str.pad(350, side="right")
    detail = rtype.isin(DETAIL)
    stored = line.str[348:350]
    computed = line.str[:348].map(lambda s: sum(VAL[ord(c)] for c in s) % 97 or 97)
    z_ok = stored.str.isdigit() & detail
    bad_check = int((z_ok & (computed != pd.to_numeric(stored.where(z_ok, "0")))).sum())
    bad = pd.Series(False, index=df.index)
    for t in DETAIL:
        rows = rtype == t
        for s, e, kind in ZONES[t]:
            col = line[rows].str[s:e]
            if kind in "NDY":
                bad[rows] |= ~col.str.fullmatch(r"\d+")
            elif kind == "S":
                bad[rows] |= ~col.str.fullmatch(r"[+-]\d+")
            else:
                bad[rows] |= col.str.contains(r"[\x00-\x1f\x7f-\x9f]", regex=True)
    bad_format = int((bad & detail).sum())
    amount_s = line.str[87:99]
    ok = amount_s.str.fullmatch(r"[+-]\d{11}") & line.str[50].str.isdigit()
    amount = pd.to_numeric(amount_s.where(ok, "0"))
    inv = (rtype == "20").cumsum()
    prest = rtype.isin(("30", "50"))
    on_a = prest & ok & (line.str[50] == "0")
    a_sum = amount.where(on_a, 0).groupby(inv).sum()
    unreadable = (prest & ~ok).groupby(inv).any()
    r80 = rtype == "80"
    bad_totals = int(
        ((amount[r80].values != a_sum[inv[r80]].values) & ~unreadable[inv[r80]].values).sum()
    )
    return bad_check, bad_format, bad_totals


def job_polars(data: bytes):
    import polars as pl

    body = data[HEADER:]
    n = len(body) // 350
    lines = pl.Series("l", [body[i * 350 : (i + 1) * 350].decode("latin-1") for i in range(n)])
    df = pl.DataFrame({"l": lines}).with_columns(pl.col("l").str.slice(0, 2).alias("t"))
    detail = pl.col("t").is_in(list(DETAIL))
    # Sum of character values = 37 per character, less what each digit, blank and
    # letter saves: count the occurrences of each of them (vectorised, no explode).
    head = pl.col("l").str.slice(0, 348)
    total = pl.lit(37 * 348, dtype=pl.Int64)
    for b in list(range(48, 58)) + [32] + list(range(65, 91)) + list(range(97, 123)):
        total = total - head.str.count_matches(chr(b), literal=True).cast(pl.Int64) * (37 - VAL[b])
    df = df.with_columns((total % 97).alias("m"), pl.col("l").str.slice(348, 2).alias("z99"))
    df = df.with_columns(
        pl.when(pl.col("m") == 0).then(97).otherwise(pl.col("m")).alias("computed")
    )
    z_ok = pl.col("z99").str.contains(r"^\d\d$") & detail
    bad_check = df.filter(
        z_ok & (pl.col("z99").cast(pl.Int64, strict=False) != pl.col("computed"))
    ).height
    bad = pl.lit(False)
    for t in DETAIL:
        for s, e, kind in ZONES[t]:
            z = pl.col("l").str.slice(s, e - s)
            if kind in "NDY":
                fails = ~z.str.contains(r"^\d+$")
            elif kind == "S":
                fails = ~z.str.contains(r"^[+-]\d+$")
            else:
                fails = z.str.contains(r"[\x00-\x1f\x7f-\x9f]")
            bad = bad | ((pl.col("t") == t) & fails)
    bad_format = df.filter(bad & detail).height
    df = (
        df.with_columns(
            (pl.col("t") == "20").cum_sum().alias("inv"),
            pl.col("l").str.slice(87, 12).alias("amt"),
            pl.col("l").str.slice(50, 1).alias("acc"),
        )
        .with_columns(
            (
                pl.col("amt").str.contains(r"^[+-]\d{11}$") & pl.col("acc").str.contains(r"^\d$")
            ).alias("ok"),
        )
        .with_columns(
            pl.when(pl.col("ok"))
            .then(pl.col("amt").cast(pl.Int64, strict=False))
            .otherwise(0)
            .alias("a"),
            pl.col("t").is_in(["30", "50"]).alias("prest"),
        )
    )
    per_inv = df.group_by("inv").agg(
        pl.col("a")
        .filter(pl.col("prest") & pl.col("ok") & (pl.col("acc") == "0"))
        .sum()
        .alias("sum"),
        (pl.col("prest") & ~pl.col("ok")).any().alias("unreadable"),
        pl.col("a").filter(pl.col("t") == "80").first().alias("stated"),
    )
    bad_totals = per_inv.filter(
        pl.col("stated").is_not_null() & ~pl.col("unreadable") & (pl.col("stated") != pl.col("sum"))
    ).height
    return bad_check, bad_format, bad_totals


# -- the engine --------------------------------------------------------------------------

FORMAT_EE = ("01", "05", "06", "09")


def job_engine(data: bytes):
    r = vsbengine.validate(data, today=TODAY)
    t = r.error_table
    codes = t.code % 100
    zz_ee = t.code % 10000
    detail = t.unit >= 2
    bad_check = int((detail & (zz_ee == 9902)).sum())
    fmt = detail & np.isin(codes, [int(e) for e in FORMAT_EE]) & (zz_ee != 9902)
    bad_format = len(np.unique(t.unit[fmt]))
    bad_totals = int((t.code == 801910).sum())
    return bad_check, bad_format, bad_totals


def corrupt(data: bytes, seed: int) -> bytes:
    """Put some letters into digit zones and break some check digits (no framing change)."""
    rng = np.random.default_rng(seed)
    d = bytearray(data)
    n = (len(d) - HEADER) // 350
    for i in rng.choice(n - 40, size=max(1, n // 2000), replace=False):
        off = HEADER + int(i) * 350
        d[off + 100] = ord("X")  # zone 20/21 or reserved digits in most records
    for i in rng.choice(n - 40, size=max(1, n // 3000), replace=False):
        off = HEADER + int(i) * 350
        d[off + 349] = ord("0") + (d[off + 349] - 48 + 1) % 10
    r80 = [i for i in range(n) if d[HEADER + i * 350 : HEADER + i * 350 + 2] == b"80"]
    for i in rng.choice(r80, size=max(1, len(r80) // 1000), replace=False):
        off = HEADER + int(i) * 350
        d[off + 97] = ord("0") + (d[off + 97] - 48 + 1) % 10  # zone 19, tens of cents
    return bytes(d)


def timed(fn, data, repeat):
    best, out = float("inf"), None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn(data)
        best = min(best, time.perf_counter() - t)
    return best, out


# -- issue 13's targets, in one run -----------------------------------------------------

#: Peak memory of one validation from the file's path, in a fresh process (Linux's
#: VmHWM: ru_maxrss would keep the parent's from before the exec), and that of the same
#: process without the validation (the interpreter, numpy and the package).
_PEAK = """
import sys
import numpy, vsbengine
limit = int(sys.argv[2]) or None
if sys.argv[1] != "-":
    vsbengine.validate(sys.argv[1], today=20261123, memory_limit=limit)
with open("/proc/self/status") as fh:
    print(next(int(line.split()[1]) * 1024 for line in fh if line.startswith("VmHWM")))
"""


def _peak(path: str, limit: int = 0) -> int:
    import subprocess

    out = subprocess.run(
        [sys.executable, "-c", _PEAK, path, str(limit)], capture_output=True, text=True, check=True
    )
    return int(out.stdout.split()[-1])


def target_files(folder: str, records: int) -> tuple[str, str]:
    """The sending of the targets (``records`` records, 0.1 % errors) and its reference
    data padded to one million members, written in ``folder``: (sending, refs folder)."""
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from suite.bench_content import _members

    gen = generate(records, seed=7, month=202610, error_rate=0.001, references=True)
    path = os.path.join(folder, "sending.920000")
    gen.write(path)
    refs = os.path.join(folder, "refs")
    gen.write_refs(refs)
    _members(refs, 1_000_000)
    return path, refs


def targets(records: int, rounds: int, limit_mb: int, callgrind: bool) -> int:
    """Measure and print issue 13's ratios (see the module's docstring)."""
    import statistics
    import subprocess
    import tempfile

    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import startup

    with tempfile.TemporaryDirectory(prefix="vsbengine-targets-") as tmp:
        path, refs = target_files(tmp, records)
        with open(path, "rb") as fh:
            data = fh.read()
        size = len(data)
        array = np.frombuffer(data, dtype=np.uint8)
        engine = vsbengine.Engine(refs, today=TODAY)
        jobs = {
            "numpy count_nonzero": lambda: np.count_nonzero(array),
            "validate": lambda: vsbengine.validate(data, today=TODAY),
            "validate, content checks": lambda: engine.validate(data),
        }
        for job in jobs.values():  # warm: the tables, the column buffers, the page cache
            job()
        times: dict[str, list[float]] = {name: [] for name in jobs}
        for _ in range(rounds):
            for name, job in jobs.items():
                t = time.perf_counter()
                job()
                times[name].append(time.perf_counter() - t)
        med = {name: statistics.median(ts) for name, ts in times.items()}
        memory = {"bare": [], "whole": [], "limit": []}
        for _ in range(max(1, rounds // 2)):
            memory["bare"].append(_peak("-"))
            memory["whole"].append(_peak(path))
            memory["limit"].append(_peak(path, limit_mb << 20))
        peak = {k: statistics.median(v) for k, v in memory.items()}
        start = startup.measure(max(rounds, 9))
        ipb = None
        if callgrind:
            import shutil

            if shutil.which("valgrind"):
                here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "instructions.py")
                run = subprocess.run(
                    [sys.executable, here, "--records", "5000", "--top", "0"],
                    capture_output=True,
                    text=True,
                    check=True,
                )
                ipb = run.stdout.strip().splitlines()[0]

    def row(what, figure, ratio, target):
        mark = "met" if ratio <= target else "missed"
        goal = f"<= {target:.1f}x" if target else ""
        mark = mark if target else ""
        print(f"{what:<52}{figure:>22}{ratio:>9.2f}x{goal:>10}  {mark}")

    print(
        f"{records} records, {size / 1e6:.0f} MB, {os.cpu_count()} cores (shared, noisy), "
        f"python {sys.version.split()[0]}, numpy {np.__version__}, kernel "
        f"{vsbengine._core.kernel()}; medians of {rounds} interleaved rounds"
    )
    print(f"{'target':<52}{'figure':>22}{'ratio':>10}{'target':>10}")
    base = med["numpy count_nonzero"]
    row(
        "validate / one numpy count_nonzero pass",
        f"{med['validate']:.3f} s / {base:.3f} s",
        med["validate"] / base,
        1.5,
    )
    row(
        "content checks (1M members) / validate",
        f"{med['validate, content checks']:.3f} s",
        med["validate, content checks"] / med["validate"],
        1.3,
    )
    row(
        "peak memory, in one piece / file size",
        f"{peak['whole'] / 1e6:.0f} MB",
        peak["whole"] / size,
        1.3,
    )
    row(
        f"peak memory, --memory-limit {limit_mb}M / the limit",
        f"{peak['limit'] / 1e6:.0f} MB",
        peak["limit"] / (limit_mb << 20),
        1.0,
    )
    print(f"{'  (the interpreter, numpy and the package alone)':<52}{peak['bare'] / 1e6:>19.0f} MB")
    bare = start["python -c pass"]
    for name, goal in (("vsbengine explain CODE", 3.0), ("vsbengine --help", 0)):
        row(f"{name} / python -c pass", f"{start[name] * 1000:.0f} ms", start[name] / bare, goal)
    if ipb:
        print(ipb)
    elif callgrind:
        print("instructions per byte: valgrind is not installed")
    return 0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--records", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3, help="best of N (engine, numpy)")
    ap.add_argument("--skip", default="", help="comma-separated: python,numpy,pandas,polars")
    ap.add_argument(
        "--content",
        action="store_true",
        help="also time the engine with content checks (1M members)",
    )
    ap.add_argument("--targets", action="store_true", help="issue 13's targets, in one run")
    ap.add_argument("--rounds", type=int, default=7, help="with --targets: interleaved rounds")
    ap.add_argument("--memory-limit", type=int, default=256, help="with --targets: MB")
    ap.add_argument("--no-callgrind", action="store_true", help="with --targets")
    args = ap.parse_args(argv)
    if args.targets:
        return targets(args.records, args.rounds, args.memory_limit, not args.no_callgrind)
    skip = set(filter(None, args.skip.split(",")))

    data = corrupt(generate(args.records, seed=7, month=202610, error_rate=0.001).tobytes(), 7)
    baseline = np.frombuffer(data, dtype=np.uint8)
    t_np, _ = timed(lambda d: baseline.sum(dtype=np.uint64), data, max(args.repeat, 5))
    print(
        f"{args.records} records, {len(data) / 1e6:.0f} MB, machine: {os.cpu_count()} cores, "
        f"python {sys.version.split()[0]}, numpy {np.__version__}"
    )
    print(f"one numpy pass over the bytes (sum): {t_np:.3f} s")

    t_engine, ref = timed(job_engine, data, args.repeat)
    rows = [("vsbengine (full validation)", t_engine, ref)]
    if args.content:
        # The same file with the content checks, against reference data of one million
        # members (the generated ones, padded).
        import tempfile

        from vsbengine.formats.efact.generate import generate as make

        folder = tempfile.mkdtemp(prefix="vsbengine-compare-refs-")
        make(args.records, seed=7, month=202610, references=True).write_refs(folder)
        sys.path.insert(0, os.path.join(os.path.dirname(__file__)))
        from suite.bench_content import _members

        _members(folder, 1_000_000)
        engine = vsbengine.Engine(folder, today=TODAY)
        t_content, _ = timed(engine.validate, data, args.repeat)
        print(
            f"vsbengine with content checks (1M members): {t_content:.3f} s, "
            f"{len(data) / t_content / 1e9:.2f} GB/s, {t_content / t_np:.1f}x the numpy pass"
        )
    candidates = [
        ("numpy", job_numpy, args.repeat),
        ("python", job_python, 1),
        ("pandas", job_pandas, 1),
        ("polars", job_polars, 1),
    ]
    for name, fn, rep in candidates:
        if name in skip:
            continue
        try:
            t, out = timed(fn, data, rep)
        except ImportError as exc:
            print(f"{name}: not installed ({exc.name})")
            continue
        rows.append((name, t, out))
    print(
        f"\n{'way':<30}{'seconds':>10}{'MB/s':>10}{'x engine':>10}  counts (check, format, totals)"
    )
    for name, t, out in rows:
        print(
            f"{name:<30}{t:>10.3f}{len(data) / t / 1e6:>10.0f}{t / t_engine:>10.1f}  {out}"
            + ("" if out == ref else "  <-- DIFFERS")
        )
    print(
        f"\nengine: {len(data) / t_engine / 1e9:.2f} GB/s, "
        f"{t_engine / t_np:.1f}x the time of one numpy pass"
    )
    return 0 if all(out == ref for _, _, out in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
