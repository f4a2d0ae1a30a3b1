"""Start-up of the small commands against the interpreter's own, in one run.

Times, interleaved and in rounds (the machine is shared: medians, not means):

- ``python -c pass`` and ``python -c "import numpy"`` (the baselines);
- ``vsbengine explain 509902`` (the fast path: no typer, no numpy);
- ``vsbengine explain 509902 --json`` and ``vsbengine --help`` (typer, no numpy);
- ``python -c "import vsbengine"`` (the lazy public names).

Each command runs as a fresh process, as a user or a script runs it. Ratios are
against the baselines of the same run. Targets (issues 13 and 14): ``explain``
within 3x ``python -c pass`` and within 2x ``python -c "import numpy"``.

    python benchmarks/startup.py              # 15 rounds
    python benchmarks/startup.py --rounds 41
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time


def _commands() -> dict[str, list[str]]:
    script = shutil.which("vsbengine")
    launcher = [script] if script else [sys.executable, "-m", "vsbengine"]
    return {
        "python -c pass": [sys.executable, "-c", "pass"],
        "python -c 'import numpy'": [sys.executable, "-c", "import numpy"],
        "vsbengine explain CODE": [*launcher, "explain", "509902"],
        "vsbengine explain CODE --json": [*launcher, "explain", "509902", "--json"],
        "vsbengine --help": [*launcher, "--help"],
        "python -c 'import vsbengine'": [sys.executable, "-c", "import vsbengine"],
    }


def measure(rounds: int) -> dict[str, float]:
    """Median seconds of each command over ``rounds`` interleaved rounds."""
    commands = _commands()
    times: dict[str, list[float]] = {name: [] for name in commands}
    for cmd in commands.values():  # warm the page cache and the bytecode once
        subprocess.run(cmd, stdout=subprocess.DEVNULL, check=True)
    for _ in range(rounds):
        for name, cmd in commands.items():
            t = time.perf_counter()
            subprocess.run(cmd, stdout=subprocess.DEVNULL, check=True)
            times[name].append(time.perf_counter() - t)
    return {name: statistics.median(ts) for name, ts in times.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args(argv)
    medians = measure(args.rounds)
    bare = medians["python -c pass"]
    numpy = medians["python -c 'import numpy'"]
    print(f"start-up, median of {args.rounds} interleaved rounds")
    print(f"{'command':<32} {'ms':>8} {'x pass':>8} {'x numpy':>8}")
    for name, sec in medians.items():
        print(f"{name:<32} {sec * 1000:8.1f} {sec / bare:8.2f} {sec / numpy:8.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
