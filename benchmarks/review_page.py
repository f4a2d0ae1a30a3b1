"""What the review page costs a proposal, measured the way a zorgkas runs it.

    python benchmarks/review_page.py                     # 200,000 records, 7 rounds
    python benchmarks/review_page.py --records 1000000 --rounds 5 --error-rate 0.02

Validating a sending and writing its proposal (``signoff.propose``, as ``validate
--refs --out`` and every bulk/receive run do) with the review page against the same
without it (``review.write`` replaced by a no-op), interleaved, in one process; the
medians and their ratio are printed, and the page's size. Outputs go to ``/dev/shm``
when it exists (the cost of building the page, not of the disk).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

TODAY = 20261123


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--records", type=int, default=200_000)
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--error-rate", type=float, default=0.02)
    args = ap.parse_args()

    import vsbengine
    from vsbengine import review, signoff
    from vsbengine.formats.efact.generate import generate

    base = "/dev/shm" if os.path.isdir("/dev/shm") else None
    tmp = Path(tempfile.mkdtemp(prefix="vsb-review-", dir=base))
    try:
        g = generate(args.records, seed=7, month=202610, references=True,
                     error_rate=args.error_rate)  # fmt: skip
        g.write(tmp / "s.920000")
        g.write_refs(tmp / "refs")
        engine = vsbengine.Engine(tmp / "refs", today=TODAY)
        real = review.write
        times: dict[str, list[float]] = {"with the page": [], "without": []}
        for n in range(args.rounds):
            for name in ("with the page", "without") if n % 2 else ("without", "with the page"):
                review.write = real if name == "with the page" else (lambda *a, **k: None)
                out = tmp / f"out-{n}-{name[:4]}"
                t = time.perf_counter()
                result = engine.validate(str(tmp / "s.920000"))
                signoff.propose(result, out, engine.refs)
                times[name].append(time.perf_counter() - t)
                shutil.rmtree(out)
        review.write = real
        out = tmp / "page"
        signoff.propose(engine.validate(str(tmp / "s.920000")), out, engine.refs)
        size = (out / review.FILE).stat().st_size
        with_page, without = (statistics.median(times[k]) for k in ("with the page", "without"))
        print(f"{args.records:,} records, {len(result.errors):,} errors, {args.rounds} rounds")
        print(f"validate + propose without the page: {without * 1000:8.1f} ms (median)")
        print(f"validate + propose with the page:    {with_page * 1000:8.1f} ms (median)")
        print(f"ratio {with_page / without:.2f}x; the page {size / 1024:.0f} KiB")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
