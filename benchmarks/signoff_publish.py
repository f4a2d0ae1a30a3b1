"""What commit-then-publish costs a sign-off, against writing the messages in place.

    python benchmarks/signoff_publish.py                  # 2,000 and 100,000 records
    python benchmarks/signoff_publish.py --records 500000 --rounds 5

``signoff.sign`` on a copy of one proposal folder (the lock, the messages staged in a
hidden folder, ``decision.json`` created as the commit, the renames, the review page)
against the same messages, decision, proposal and review page written straight into
the folder (what the sign-off did before), interleaved, in one process; the medians
and their ratio are printed. The folders are on the disk of the temporary directory
(the fsyncs are part of the cost).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from pathlib import Path

TODAY = 20261123
AT = "2026-11-24T09:00:00+00:00"


def _in_place(folder: Path) -> None:
    from vsbengine import outputs, review, signoff
    from vsbengine import proposal as facts
    from vsbengine.formats.efact import payment
    from vsbengine.formats.efact.refs import Zorgkas

    proposal, result = signoff._load(folder)
    z = proposal["zorgkas"]
    zorgkas = Zorgkas(z["name"], z["iban"], z["bic"], z["payment_days"])
    po, xml = payment.order(result, zorgkas, facts.facility_of(proposal), "An", AT)
    written = outputs.write(
        result, folder, ["DF014", "DF015", "DF016"], report=False, payment_order=(po, xml)
    )
    decision = {"action": "signed", "by": "An", "at": AT, "decision": "DF014",
                "rejection_type": None, "messages": [p.name for p in written]}  # fmt: skip
    signoff._write_json(folder / "decision.json", decision)
    proposal.update(waiting_for=None, decided=decision)
    signoff._write_json(folder / "proposal.json", proposal)
    review.write(folder, result=result, proposal=proposal)


def measure(records: int, rounds: int) -> tuple[float, float]:
    import vsbengine
    from vsbengine import signoff
    from vsbengine.formats.efact.generate import generate

    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        g = generate(records, seed=3, month=202610, references=True)
        g.write(tmp_path / "s.920000")
        g.write_refs(tmp_path / "refs")
        engine = vsbengine.Engine(tmp_path / "refs", today=TODAY)
        signoff.propose(engine.validate(tmp_path / "s.920000"), tmp_path / "p", engine.refs)
        staged, direct = [], []
        for i in range(rounds):
            a, b = tmp_path / f"a{i}", tmp_path / f"b{i}"
            shutil.copytree(tmp_path / "p", a)
            shutil.copytree(tmp_path / "p", b)
            t = time.perf_counter()
            signoff.sign(a, "An", at=AT)
            staged.append(time.perf_counter() - t)
            t = time.perf_counter()
            _in_place(b)
            direct.append(time.perf_counter() - t)
        return statistics.median(staged), statistics.median(direct)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--records", type=int, action="append")
    ap.add_argument("--rounds", type=int, default=7)
    args = ap.parse_args()
    for n in args.records or [2_000, 100_000]:
        staged, direct = measure(n, args.rounds)
        print(
            f"{n:>9,} records: staged {staged * 1000:7.1f} ms, in place {direct * 1000:7.1f} ms"
            f"  ({staged / direct:.2f}x, medians of {args.rounds})"
        )


if __name__ == "__main__":
    main()
