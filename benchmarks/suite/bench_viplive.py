"""VIPLive: reading a care group's year of exports and paying its rounds (asv style).

A generated year: 500 practices x 4 chains x 4 quarters x 4 insurers = 32,000
export rows, one CSV per chain per quarter (VIPLive's payment files are per
chain). Each quarter's first round is paid against one ledger, so a run is
read + decide + pain.001 (schema-checked) + SQLite booking, four times.

    python benchmarks/suite/bench_viplive.py      # prints the figures, as ratios too
    cd benchmarks && asv run --bench bench_viplive

The direct run also times the floor, the standard library's ``csv`` module
splitting the same files into fields and nothing else, and prints each figure
as a multiple of it (the machine is shared; ratios travel, seconds do not).
"""

from __future__ import annotations

import itertools
import os
import random
import shutil
import tempfile
import time

CHAINS = ("DM", "CVRM", "COPD", "ASTMA")
INSURERS = ("3311", "3313", "7029", "3343")
HEADER = "keten;kwartaal;agb;praktijk;iban;uzovi;patienten;bedrag;status;download_datum\r\n"
CONFIG = (
    '[care_group]\nname = "Zorggroep Benchmark"\niban = "NL91ABNA0417164300"\nbic = "ABNANL2A"\n'
)


def _iban(n: int) -> str:
    from stdnum import iban

    bban = f"INGB{n:010d}"
    return f"NL{iban.calc_check_digits('NLXX' + bban)}{bban}"


def write_year(folder: str, practices: int = 500, year: int = 2021, seed: int = 1):
    """Write a year of exports; returns ``{quarter: [paths]}`` and the number of rows."""
    from vsbengine.formats.viplive import Quarter, schedule

    rnd = random.Random(seed)
    ibans = [_iban(p) for p in range(practices)]
    files: dict[str, list[str]] = {}
    rows = 0
    for number, chain in itertools.product(range(1, 5), CHAINS):
        q = Quarter(year, number)
        download = schedule(q).download_date.isoformat()
        path = os.path.join(folder, f"viplive-{q}-{chain}.csv")
        with open(path, "w", encoding="cp1252", newline="") as fh:
            fh.write(HEADER)
            for p in range(practices):
                for uzovi in INSURERS:
                    status = "toegekend" if rnd.random() < 0.97 else "in behandeling"
                    cents = rnd.randrange(5_000, 2_500_000)
                    amount = f"{cents // 100:,}".replace(",", ".") + f",{cents % 100:02d}"
                    fh.write(
                        f"{chain};{q};01{p:06d};Huisartsenpraktijk Zoë {p};{ibans[p]};"
                        f"{uzovi};{rnd.randrange(1, 400)};{amount};{status};{download}\r\n"
                    )
                    rows += 1
        files.setdefault(str(q), []).append(path)
    return files, rows


class PayYear:
    """Read and pay a care group's year."""

    timeout = 600
    practices = 500

    def setup(self):
        self.folder = tempfile.mkdtemp(prefix="vsbengine-viplive-bench-")
        self.files, self.rows = write_year(self.folder, self.practices)
        self.config = os.path.join(self.folder, "config.toml")
        with open(self.config, "w", encoding="utf-8") as fh:
            fh.write(CONFIG)
        self.runs = itertools.count()

    def teardown(self):
        shutil.rmtree(self.folder, ignore_errors=True)

    def time_csv_floor(self):
        import csv

        for paths in self.files.values():
            for path in paths:
                with open(path, encoding="cp1252", newline="") as fh:
                    for _ in csv.reader(fh, delimiter=";"):
                        pass

    def time_read(self):
        from vsbengine.formats.viplive import read_exports

        read_exports(p for paths in self.files.values() for p in paths)

    def _pay_year(self):
        from vsbengine.formats.viplive import Quarter, first_round, load_config, pay

        run = next(self.runs)
        ledger = os.path.join(self.folder, f"ledger-{run}.sqlite")
        out = os.path.join(self.folder, f"out-{run}")
        config = load_config(self.config)
        payments = 0
        for quarter, paths in self.files.items():
            s = pay(paths, first_round(Quarter.parse(quarter)), ledger, out, config=config)
            payments += len(s.payments)
        return payments

    def time_read_and_pay_year(self):
        self._pay_year()

    def track_rows_per_second(self):
        start = time.perf_counter()
        self._pay_year()
        return self.rows / (time.perf_counter() - start)

    track_rows_per_second.unit = "rows/s"


def _timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


if __name__ == "__main__":
    bench = PayYear()
    bench.setup()
    try:
        floor = None
        for name in ("time_csv_floor", "time_read", "time_read_and_pay_year"):
            best = min(_timed(getattr(bench, name)) for _ in range(3))
            floor = floor or best
            print(
                f"{name}: {best:.3f} s for {bench.rows} rows "
                f"({bench.rows / best:,.0f} rows/s, {best / floor:.1f}x the csv floor)"
            )
        start = time.perf_counter()
        payments = bench._pay_year()
        print(f"payments in the year: {payments}, {time.perf_counter() - start:.3f} s")
    finally:
        bench.teardown()
