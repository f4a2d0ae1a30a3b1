"""Test helpers: clean generated sendings and a small editor for them.

The editor works on text by slicing, in plain Python, independently of the
engine: it re-derives the totals, counts and control numbers of records 80,
90, 95 and 96 and the record check digits from the project conventions, so
that a test can change one thing and expect exactly the codes of that thing.
"""

from __future__ import annotations

from pathlib import Path

from vsbengine.formats.efact.generate import generate

TODAY = 20261123
MONTH = 202610
HEADER = 227
CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "cin-920000"


def clean(records: int = 120, seed: int = 7, **kw) -> bytes:
    """A valid sending (invoiced October 2026, valid on :data:`TODAY`)."""
    return generate(records, seed=seed, month=MONTH, **kw).tobytes()


def value(ch: str) -> int:
    if ch.isdigit():
        return int(ch)
    if ch == " ":
        return 10
    if "A" <= ch.upper() <= "Z":
        return ord(ch.upper()) - 54
    return 37


def check_digits(rec: str) -> str:
    s = sum(value(c) for c in rec[:348]) % 97
    return f"{s or 97:02d}"


def control(total: int) -> str:
    return f"{total % 97 or 97:02d}"


def refers_to(rec20: str, invoice: int, sending: int, mutuality: int, kind: str = "3") -> str:
    """A record 20 that refers to an earlier invoice (invoicing type ``kind``: 1, or 3
    for a credit note) and names it: its number (zones 29-31), sending (34-36) and
    mutuality (37)."""
    rec = rec20[:50] + kind + rec20[51:162] + f"{invoice:012d}" + rec20[174:176]
    return rec + f"{sending:03d}{mutuality:03d}" + rec20[182:]


def signed(v: int, width: int) -> str:
    return ("-" if v < 0 else "+") + str(abs(v)).zfill(width - 1)


class Sending:
    """A single-line sending as a header and a list of 350-character records."""

    def __init__(self, data: bytes) -> None:
        text = data.decode("latin-1")
        self.header = text[:HEADER]
        self.records = [text[i : i + 350] for i in range(HEADER, len(text), 350)]

    # -- access ------------------------------------------------------------------------
    def index(self, seq: int) -> int:
        """Index in :attr:`records` of the record with this sequence number."""
        for i, r in enumerate(self.records):
            if r[:2] not in ("95", "96") and r[2:8] == f"{seq:06d}":
                return i
        raise KeyError(seq)

    def seqs(self, rtype: str) -> list[int]:
        return [int(r[2:8]) for r in self.records if r[:2] == rtype]

    def get(self, seq: int, start: int, length: int) -> str:
        return self.records[self.index(seq)][start - 1 : start - 1 + length]

    def put(self, seq: int, start: int, text: str) -> None:
        """Overwrite characters of a record, 1-based ``start``."""
        i = self.index(seq)
        r = self.records[i]
        self.records[i] = r[: start - 1] + text + r[start - 1 + len(text) :]
        assert len(self.records[i]) == 350

    #: Spans (1-based start, length) of record 20 that its record 80 repeats in place.
    REPEATED_IN_80 = ((10, 7), (17, 8), (25, 8), (33, 3), (36, 13), (49, 1), (50, 1), (53, 3),
                      (56, 12), (81, 4), (85, 3), (108, 5), (115, 12), (175, 1))  # fmt: skip

    def put_invoice(self, seq20: int, start: int, text: str) -> None:
        """Overwrite characters of a record 20, and of its record 80 where that repeats
        them (the same zones in the same places)."""
        self.put(seq20, start, text)
        if any(a <= start and start + len(text) <= a + n for a, n in self.REPEATED_IN_80):
            i = self.index(seq20)
            while self.records[i][:2] != "80":
                i += 1
            self.put_at(i, start, text)

    def put_at(self, i: int, start: int, text: str) -> None:
        r = self.records[i]
        self.records[i] = r[: start - 1] + text + r[start - 1 + len(text) :]

    def put_header(self, start: int, text: str) -> None:
        self.header = self.header[: start - 1] + text + self.header[start - 1 + len(text) :]

    def invoices(self) -> list[list[int]]:
        """Indices of the records of each invoice (record 20 through 80)."""
        out, cur = [], None
        for i, r in enumerate(self.records):
            if r[:2] == "20":
                cur = [i]
                out.append(cur)
            elif cur is not None and r[:2] in ("30", "50", "51", "52", "80"):
                cur.append(i)
                if r[:2] == "80":
                    cur = None
        return out

    def seq_at(self, i: int) -> int:
        return int(self.records[i][2:8])

    # -- structure ---------------------------------------------------------------------
    def renumber(self) -> None:
        n = 0
        for i, r in enumerate(self.records):
            if r[:2] in ("95", "96"):
                continue
            n += 1
            self.records[i] = r[:2] + f"{n % 1000000:06d}" + r[8:]

    def resum(self, invoices: bool = True, sending: bool = True) -> None:
        """Recompute totals and controls: records 80 (when ``invoices``), 90 (when
        ``sending``), 95 and 96 always, then every record's check digits."""
        recs = self.records
        per_mut: dict[int, list[int]] = {}
        all_codes = 0
        r80_a = r80_b = 0
        for inv in self.invoices():
            r20, r80 = recs[inv[0]], recs[inv[-1]]
            codes = sum(int(recs[i][9:16]) for i in inv if recs[i][:2] in ("30", "50", "51", "52"))
            if invoices and r80[:2] == "80":
                prest = [recs[i] for i in inv if recs[i][:2] in ("30", "50")]
                a = sum(int(p[87:99]) for p in prest if p[50] == "0")
                b = sum(int(p[87:99]) for p in prest if p[50] == "1")
                ps = sum(int(p[127:137]) for p in prest)
                sup = sum(int(p[164:174]) for p in prest)
                r80 = (
                    r80[:67]
                    + signed(b, 12)
                    + r80[79:87]
                    + signed(a, 12)
                    + r80[99:127]
                    + signed(ps, 10)
                    + r80[137:164]
                    + signed(sup, 10)
                    + r80[174:346]
                    + control(codes)
                    + r80[348:]
                )
                recs[inv[-1]] = r80
            all_codes += codes
            mut = int(r20[84:87])
            m = per_mut.setdefault(mut, [0, 0, 0, 0])
            if r80[:2] == "80":
                m[0] += int(r80[87:99])
                m[1] += int(r80[67:79])
                r80_a += int(r80[87:99])
                r80_b += int(r80[67:79])
            m[2] += len(inv)
            m[3] += codes
        detail = [i for i, r in enumerate(recs) if r[:2] not in ("95", "96")]
        if sending:
            for i in detail:
                r = recs[i]
                if r[:2] == "90":
                    recs[i] = (
                        r[:67]
                        + signed(r80_b, 12)
                        + r[79:87]
                        + signed(r80_a, 12)
                        + r[99:346]
                        + control(all_codes)
                        + r[348:]
                    )
        r90 = [recs[i] for i in detail if recs[i][:2] == "90"]
        tot_a = int(r90[-1][87:99]) if r90 else r80_a
        tot_b = int(r90[-1][67:79]) if r90 else r80_b
        closing = []
        for k, mut in enumerate(sorted(per_mut)):
            a, b, n, codes = per_mut[mut]
            closing.append(
                (
                    "95"
                    + "00"
                    + f"{mut:03d}"
                    + "00"
                    + f"{k + 1:012d}"
                    + "00"
                    + signed(a, 12)
                    + "00"
                    + signed(b, 12)
                    + "00"
                    + signed(a + b, 12)
                    + "00"
                    + f"{n + 2:08d}"
                    + "00"
                    + control(codes)
                    + "00"
                ).ljust(350)
            )
        first = {m // 100 for m in per_mut} or {1}
        closing.append(
            (
                "96"
                + "00"
                + f"{min(first)}99"
                + "00"
                + "0" * 12
                + "00"
                + signed(tot_a, 12)
                + "00"
                + signed(tot_b, 12)
                + "00"
                + signed(tot_a + tot_b, 12)
                + "00"
                + f"{len(detail) + 2:08d}"
                + "00"
                + control(all_codes)
                + "00"
            ).ljust(350)
        )
        self.records = [recs[i] for i in detail] + closing
        self.fix_checks()

    def fix_checks(self) -> None:
        for i, r in enumerate(self.records):
            if r[:2] not in ("95", "96"):
                self.records[i] = r[:348] + check_digits(r)

    def tobytes(self) -> bytes:
        return (self.header + "".join(self.records)).encode("latin-1")


def codes(result, phase: int | None = 2) -> set[tuple[int | None, str]]:
    """``{(record, code)}`` of a result's errors (of one phase, or all with ``None``)."""
    return {(e.record, e.code) for e in result.errors if phase is None or e.phase == phase}


#: Ways :func:`damage` breaks a file.
DAMAGE = ("bytes", "gaps", "inserts", "swaps", "types")
_TYPES = (b"20", b"80", b"50", b"51", b"10", b"90", b"95", b"96")


def lined(data: bytes) -> bytes:
    """The same sending with a line break after each segment and record."""
    parts = [data[:67], data[67:HEADER]]
    return b"\n".join(parts + [data[i : i + 350] for i in range(HEADER, len(data), 350)])


def damage(data: bytes, kind: str, rng, n: int) -> bytes:
    """``n`` random breakages of one kind after the segments: bytes changed (line
    breaks, NULs and 0xFF among them), gaps, inserted digits and line breaks, records'
    worth of bytes swapped, record types written over (``rng``: a numpy Generator)."""
    d = bytearray(data)
    for _ in range(n):
        at = int(rng.integers(HEADER, max(len(d) - 400, HEADER + 1)))
        if kind == "bytes":
            d[at] = int(rng.choice(list(b"0123456789 +-AZ\n\r\x00\xff")))
        elif kind == "gaps":
            del d[at : at + int(rng.integers(1, 400))]
        elif kind == "inserts":
            d[at:at] = bytes(rng.choice(list(b"0123456789 \n"), int(rng.integers(1, 40))).tolist())
        elif kind == "swaps":
            to = int(rng.integers(HEADER, max(len(d) - 400, HEADER + 1)))
            d[at : at + 350], d[to : to + 350] = d[to : to + 350], d[at : at + 350]
        elif kind == "types":
            d[at : at + 2] = _TYPES[int(rng.integers(0, len(_TYPES)))]
        else:
            raise ValueError(f"no such damage: {kind!r}")
    return bytes(d)
