"""Instructions per byte of the core scan, counted by valgrind's callgrind.

The scan of a generated sending runs once under callgrind, which counts only inside
the core's one-pass function (``_scan``: framing, classification, zone reading,
columns and the streaming rules; not the Python around it). The figure is that count
over the file's bytes; the functions that spend them follow (inclusive counts), as
the profile of what eats the time. ``perf stat -e instructions`` would do the same
where the processor's counters are reachable (not in this project's container).

    python benchmarks/instructions.py                    # 20,000 records (7 MB)
    python benchmarks/instructions.py --records 5000 --kernel portable

Needs valgrind (``apt-get install valgrind``). Issue 13's target: at most 3
instructions per byte.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile

#: The core's one-pass function (a cdef function of engine/_core.pyx).
SCAN = "__pyx_f_9vsbengine_5_core__scan"


def _child(path: str, kernel: str | None) -> None:
    """Runs under callgrind: the tables built, then one scan of the file."""
    from vsbengine import _core
    from vsbengine.formats.efact.sending import core_tables

    if kernel:
        _core.use_kernel(kernel)
    tables = core_tables()
    with open(path, "rb") as fh:
        data = fh.read()
    _core.scan(data, tables)
    print(_core.kernel())


def _total(out: str) -> int:
    """The instructions (Ir) a callgrind output file counted."""
    with open(out) as fh:
        for line in fh:
            if line.startswith(("summary:", "totals:")):
                return int(line.split()[1])
    raise RuntimeError(f"no totals in {out}")


#: What the core's functions do (gcc inlines the small ones into them).
ROLES = {
    "_unit": "one unit: store its columns, run the streaming rules (inlined)",
    "_read_stored": "read the zones of a fine unit (vsb_read_unit)",
    "_read": "read and check the zones of a unit with a bad byte",
    "vsb_classify_avx2": "classify the bytes (AVX2), check-digit sum",
    "vsb_classify_sse41": "classify the bytes (SSE4.1), check-digit sum",
    "vsb_classify_portable": "classify the bytes (portable)",
    "_scan": "framing, line breaks, the loop over units",
    "_close": "close an invoice: its totals and control numbers",
}


def _profile(out: str, top: int) -> list[tuple[int, str]]:
    """The functions of the scan by their own instructions (exclusive), largest first."""
    text = subprocess.run(
        ["callgrind_annotate", "--threshold=100", "--auto=no", out],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    own: dict[str, int] = {}
    for line in text.splitlines():
        m = re.match(r"\s*([\d,]+) \([^)]*\)\s+\S*?:(\S+)", line)
        if m and "PROGRAM TOTALS" not in line:
            name = re.sub(r"^__pyx_f_9vsbengine_5_core_|\..*$", "", m.group(2))
            own[name] = own.get(name, 0) + int(m.group(1).replace(",", ""))
    return sorted(((n, f) for f, n in own.items()), reverse=True)[:top]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--records", type=int, default=20_000)
    ap.add_argument("--kernel", choices=("portable", "sse4.1", "avx2"), default=None)
    ap.add_argument("--top", type=int, default=12, help="functions of the profile to show")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        _child(args.child, args.kernel)
        return 0
    if not shutil.which("valgrind"):
        print("valgrind is not installed (apt-get install valgrind)", file=sys.stderr)
        return 2
    from vsbengine.formats.efact.generate import generate

    with tempfile.TemporaryDirectory(prefix="vsbengine-instructions-") as tmp:
        path = os.path.join(tmp, "sending.920000")
        generate(args.records, seed=7, month=202610, error_rate=0.001).write(path)
        size = os.path.getsize(path)
        out = os.path.join(tmp, "callgrind.out")
        cmd = [
            "valgrind",
            "--tool=callgrind",
            f"--callgrind-out-file={out}",
            f"--toggle-collect={SCAN}",
            sys.executable,
            __file__,
            "--child",
            path,
        ]
        if args.kernel:
            cmd += ["--kernel", args.kernel]
        run = subprocess.run(cmd, capture_output=True, text=True, check=True)
        kernel = run.stdout.strip().splitlines()[-1]
        total = _total(out)
        print(
            f"{args.records} records, {size / 1e6:.1f} MB, kernel {kernel}: the core scan "
            f"{total / size:.2f} instructions per byte ({total / args.records:.0f} per record)"
        )
        for count, name in _profile(out, args.top):
            role = ROLES.get(name, "")
            print(f"{count / size:>8.2f} per byte {count / total:>6.1%}  {name:<24}{role}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
