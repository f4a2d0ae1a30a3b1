"""Writers of the answer messages, in their wire format.

======  =======  ==========================================================
DF011   931000   acceptance of the file: segment 200 + stub segment 300
DF012   920999   rejection of the file: 200 + 300 + the wrong records 95/96,
                 the two-digit codes in the error fields
DF013   920099   rejection of the sending: 200 + extended 300 (error
                 percentage, rejection type) + each record in error, echoed
                 as 800 characters with up to three letter+code slots
DF014   920098   acceptance of the sending: as DF013, listing the F and R errors
DF015   920900   settlement: every record 10-90 echoed, then a record 91 per
                 mutuality and a record 92, with the amounts requested,
                 accepted and refused per account (they add up)
======  =======  ==========================================================

Our choices where the sources are silent (see README): the insurer's
reference (zone 205) is derived from the sending's header and closing records
unless given; the code of a reserved zone without an error field (206, 310, 413,
513) is written in the nearest error field before it; an echoed record's zone
114 holds the amount accepted and zone 115 the amount refused (records 30/50:
their own; record 80: its invoice's, account A); codes beyond the third of a
record go to its comment zone; an error that
belongs to no record (``900104``, no record 90) is echoed on the last record.
Output is deterministic: the same input gives byte-identical files.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from numpy.lib.stride_tricks import as_strided

from vsbengine.formats.efact import chunks as _chunks
from vsbengine.formats.efact import wire
from vsbengine.formats.efact.compiled import LAYOUTS, REPLY_LAYOUTS
from vsbengine.formats.efact.sending import Sending

MESSAGE = {
    "DF011": "931000",
    "DF012": "920999",
    "DF013": "920099",
    "DF014": "920098",
    "DF015": "920900",
}
#: File name of each answer in an output folder.
FILE_NAMES = {df: f"{df}_{msg}.dat" for df, msg in MESSAGE.items()}

_PRIORITY = np.full(256, 5, dtype=np.int8)
for _i, _c in enumerate("BFRSE"):
    _PRIORITY[ord(_c)] = _i
_CHUNK = 65536
_EXT = REPLY_LAYOUTS["ext"]


def _digits_or_zero(raw: np.ndarray) -> np.ndarray:
    ok = ((raw >= 48) & (raw <= 57)).all()
    return raw if ok else np.full_like(raw, ord("0"))


class Answers:
    """The answer messages of one validation result.

    Parameters
    ----------
    result
        A :class:`vsbengine.Result`.
    source
        The validated file again (path or bytes); by default the result's own
        source (its path, or the bytes it was given).
    reference
        The insurer's message reference (zone 205, 14 digits); by default derived
        from the sending's header and closing records (deterministic).
    """

    def __init__(self, result, source=None, reference: int | None = None) -> None:
        self.result = result
        self.source = source if source is not None else result.source
        if self.source is None:
            raise ValueError("the answers read the validated file again: pass source=")
        if reference is None:
            digest = hashlib.blake2b(result.seed, digest_size=8).digest()
            reference = int.from_bytes(digest, "big") % 10**14
        self.reference = int(reference)
        if not 0 <= self.reference < 10**14:
            raise ValueError("reference must have at most 14 digits")

    # -- public --------------------------------------------------------------------------
    @property
    def names(self) -> list[str]:
        """The answers of this result, in order (``["DF011", "DF014", "DF015"]``)."""
        return self.result.messages

    def chunks(self, df: str) -> Iterator[bytes]:
        """The bytes of one answer, in pieces (a settlement can be large)."""
        if df not in self.names:
            raise ValueError(f"{df} is not an answer of this result ({', '.join(self.names)})")
        return self._pieces(df)

    def _pieces(self, df: str) -> Iterator[bytes]:
        from vsbengine.source import open_source

        with open_source(self.source) as (reader, _):
            plan = _chunks.plan(reader)
            yield from getattr(self, f"_{df.lower()}")(reader, plan)

    def bytes(self, df: str) -> bytes:
        return b"".join(self.chunks(df))

    def write(self, folder) -> list[Path]:
        """Write every answer into ``folder`` (created if needed); return the paths.

        Each file is written under a temporary name and renamed when complete.
        """
        return self.write_only(folder, self.names)

    def write_only(self, folder, names) -> list[Path]:
        """Write the given answers (``["DF011"]``, ...) into ``folder``; return the paths."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        paths = []
        for df in names:
            path = folder / FILE_NAMES[df]
            tmp = path.with_name(path.name + ".part")
            with open(tmp, "wb") as fh:
                for chunk in self.chunks(df):
                    fh.write(chunk)
            os.replace(tmp, path)
            paths.append(path)
        return paths

    # -- pieces ----------------------------------------------------------------------------
    @staticmethod
    def _bytes_at(reader, offset: int, length: int) -> np.ndarray:
        """``length`` bytes from ``offset``, blank-padded (parts may be cut short)."""
        out = np.full(length, ord(" "), dtype=np.uint8)
        if offset >= 0:
            raw = np.frombuffer(bytes(reader.read(offset, offset + length)), dtype=np.uint8)
            out[: len(raw)] = raw
        return out

    def _segment_200(
        self, reader, plan, message: str, errors: dict[str, str] | None = None
    ) -> bytes:
        layout = LAYOUTS.layout("200")
        rec = self._bytes_at(reader, plan.segments[0], 67)[None, :].copy()
        for z in layout.zones:
            if z.is_error_field:
                rec[0, z.start : z.end] = ord("0")
            elif z.kind == "N":
                rec[0, z.start : z.end] = _digits_or_zero(rec[0, z.start : z.end])
        wire.put_digits(rec, "200", "200", int(message))
        wire.put_digits(rec, "200", "203", 0)
        wire.put_digits(rec, "200", "205", self.reference)
        wire.put_digits(rec, "200", "206", 0)
        self._error_fields(rec, "200", errors or {})
        return rec.tobytes()

    @staticmethod
    def _error_fields(rec: np.ndarray, layout: str, errors: dict[str, str]) -> None:
        """Write two-digit codes into the error fields. A reserved zone has no error
        field of its own (206, 310, 413, 513): its code goes into the nearest one before it."""
        zones = LAYOUTS.layout(layout).zones
        for zone, ee in errors.items():
            k = next(i for i, z in enumerate(zones) if z.zone == zone and not z.is_error_field)
            while k >= 0 and not zones[k].error_zone:
                k -= 1
            wire.put_raw(rec, zones[max(k, 0)].end, ee.encode(), rows=0)

    def _extended_300(self, reader, plan) -> bytes:
        rec = wire.records("300x", 1)
        rec[0, :140] = self._bytes_at(reader, plan.segments[1], 160)[:140]
        for z in LAYOUTS.layout("300").zones:
            if z.is_error_field:
                rec[0, z.start : z.end] = ord("0")
        wire.put_digits(rec, "300x", "310", self.result.ratio_x100)
        wire.put_digits(rec, "300x", "311", int(self.result.rejection_type or 0))
        return rec.tobytes()

    def _technical_errors(self) -> dict[int, tuple[int, int, dict[str, str]]]:
        """Family-9 errors by unit: {unit: (record type, offset of the unit, {zone: code})}."""
        t = self.result.error_table
        out: dict[int, tuple[int, int, dict[str, str]]] = {}
        for unit, code, zi, off in zip(
            t.unit.tolist(), t.codes(), t.zone.tolist(), t.offset.tolist()
        ):
            zone = LAYOUTS.zones[zi] if zi >= 0 else None
            if zone is None or zone.layout not in ("200", "300", "95", "96"):
                continue
            start = off - zone.start if off >= 0 else -1
            entry = out.setdefault(unit, (zone.layout, start, {}))
            entry[2].setdefault(zone.zone, code[-2:])
        return out

    # -- DF011 / DF012 ---------------------------------------------------------------------
    def _df011(self, reader, plan) -> Iterator[bytes]:
        stub = wire.records("300s", 1)
        wire.put_text(stub, "300s", "300", "920000")
        wire.put_text(stub, "300s", "3001", "00")
        yield self._segment_200(reader, plan, "931000") + stub.tobytes()

    def _df012(self, reader, plan) -> Iterator[bytes]:
        by_unit = self._technical_errors()
        yield self._segment_200(reader, plan, "920999", by_unit.get(0, (0, 0, {}))[2])
        seg300 = self._bytes_at(reader, plan.segments[1], 160)[None, :].copy()
        for z in LAYOUTS.layout("300").zones:
            if z.is_error_field:
                seg300[0, z.start : z.end] = ord("0")
        self._error_fields(seg300, "300", by_unit.get(1, (0, 0, {}))[2])
        yield seg300.tobytes()
        for unit in sorted(u for u in by_unit if u >= 2):
            layout, start, errors = by_unit[unit]
            rec = self._bytes_at(reader, start, 350)[None, :].copy()
            self._error_fields(rec, layout, errors)
            yield rec.tobytes()
        if -1 in by_unit:
            # The error belongs to a record 96 that the file lacks: answer on a blank one.
            rec = wire.records("96", 1)
            self._error_fields(rec, "96", by_unit[-1][2])
            yield rec.tobytes()

    # -- DF013 / DF014 / DF015 ---------------------------------------------------------------
    def _slots(self):
        """Per record with errors (unit in the file): three (letter, code) slots, and the
        codes beyond three. An error on no record goes to the last record."""
        t = self.result.error_table
        t = t.select(~t.technical)
        unit = np.where(t.unit >= 0, t.unit, self.result.last_detail)
        code, letter = t.code, t.letter
        order = np.lexsort((np.arange(len(unit)), _PRIORITY[letter], unit))
        unit, code, letter = unit[order], code[order], letter[order]
        units, first = np.unique(unit, return_index=True)
        rank = np.arange(len(unit)) - np.repeat(first, np.diff(np.append(first, len(unit))))
        slot_letter = np.full((len(units), 3), ord(" "), dtype=np.uint8)
        slot_code = np.zeros((len(units), 3), dtype=np.int64)
        row = np.searchsorted(units, unit)
        in_slot = rank < 3
        slot_letter[row[in_slot], rank[in_slot]] = np.where(
            letter[in_slot] > 0, letter[in_slot], ord(" ")
        )
        slot_code[row[in_slot], rank[in_slot]] = code[in_slot]
        overflow: dict[int, list[str]] = {}
        for u, c, lt in zip(
            unit[~in_slot].tolist(), code[~in_slot].tolist(), letter[~in_slot].tolist()
        ):
            overflow.setdefault(u, []).append(f"{chr(lt) if lt else ''}{c:06d}")
        return units, slot_letter, slot_code, overflow

    def _echo(self, reader, plan, only_errors: bool) -> Iterator[bytes]:
        slot_units, slot_letter, slot_code, overflow = self._slots()
        rejected_all = self.result.rejected
        ext_template = wire.template("ext")
        seg300 = self._bytes_at(reader, plan.segments[1], 160)
        sending, created, month = seg300[8:11], seg300[13:21], seg300[0:6]
        index = 0
        for chunk in plan.chunks:
            prefix, n_prefix = plan.prefix(reader, chunk)
            body = reader.read(chunk.start, chunk.end)
            s = Sending(
                prefix + bytes(body) if prefix else body, own_first=2 + n_prefix, last=chunk.last
            )
            own = np.flatnonzero(s.is_detail & s.own)
            glob = chunk.first_unit + own - s.own_first
            if only_errors:
                keep = np.isin(glob, slot_units)
                own, glob = own[keep], glob[keep]
            if len(own) == 0:
                continue
            local_rejected = np.zeros(s.n_units, dtype=bool)
            mine = s.own & (np.arange(s.n_units) >= s.own_first)
            local_rejected[mine] = rejected_all[
                chunk.first_unit + np.flatnonzero(mine) - s.own_first
            ]
            accepted, refused = _unit_amounts(s, local_rejected)
            payer = int(s.col("institution")[s.record10]) if s.record10 >= 0 else 0
            mutuality = np.where(s.in_invoice, s.col("affiliation")[np.maximum(s.head20, 0)], 0)
            slot_row = np.searchsorted(slot_units, glob)
            has = (slot_row < len(slot_units)) & (
                slot_units[np.minimum(slot_row, max(len(slot_units) - 1, 0))] == glob
                if len(slot_units)
                else np.zeros(len(glob), bool)
            )
            for start in range(0, len(own), _CHUNK):
                u = own[start : start + _CHUNK]
                g = glob[start : start + _CHUNK]
                h = has[start : start + _CHUNK]
                r = slot_row[start : start + _CHUNK][h]
                n = len(u)
                out = np.empty((n, 800), dtype=np.uint8)
                out[:, :350] = _records(s, u)
                ext = out[:, 350:]
                ext[:] = ext_template
                wire.put_raw(ext, 0, sending)
                wire.put_raw(ext, 3, created)
                wire.put_raw(ext, 11, month)
                wire.put_digits(ext, "ext", "368", mutuality[u])
                wire.put_digits(ext, "ext", "395", payer)
                if h.any():
                    for k, (lz, cz) in enumerate((("457", "458"), ("464", "465"), ("471", "472"))):
                        ext[h, _EXT.zone(lz).start] = slot_letter[r, k]
                        wire.put_digits(ext, "ext", cz, slot_code[r, k], rows=h)
                wire.put_signed(ext, "ext", "114", accepted[u])
                wire.put_signed(ext, "ext", "115", refused[u])
                wire.put_signed(ext, "ext", "116", 0)
                wire.put_digits(ext, "ext", "795", (index + np.arange(1, n + 1)) % 1_000_000)
                index += n
                if overflow:
                    for i in np.flatnonzero(np.isin(g, list(overflow))).tolist():
                        wire.put_text(ext, "ext", "534", " ".join(overflow[int(g[i])]), rows=i)
                yield out.tobytes()

    def _df013(self, reader, plan) -> Iterator[bytes]:
        yield self._segment_200(reader, plan, "920099") + self._extended_300(reader, plan)
        yield from self._echo(reader, plan, only_errors=True)

    def _df014(self, reader, plan) -> Iterator[bytes]:
        yield self._segment_200(reader, plan, "920098") + self._extended_300(reader, plan)
        yield from self._echo(reader, plan, only_errors=True)

    def _df015(self, reader, plan) -> Iterator[bytes]:
        yield self._segment_200(reader, plan, "920900") + self._extended_300(reader, plan)
        yield from self._echo(reader, plan, only_errors=False)
        yield self._settlement(reader, plan).tobytes()

    # -- settlement: records 91 and 92 -----------------------------------------------------
    def settlement(self) -> list[dict]:
        """The amounts of the records 91 (one dict per mutuality) and 92 (last), in cents."""
        return self.result.settlement

    def _settlement(self, reader, plan) -> np.ndarray:
        *r91, r92 = self.settlement()
        out91 = wire.records("91", len(r91))
        seg300 = self._bytes_at(reader, plan.segments[1], 160).tobytes().decode("latin-1")
        ref_base = f"{seg300[8:11]}/{seg300[0:6]}"
        for i, r in enumerate(r91):
            wire.put_digits(out91, "91", "401", r["mutuality"], rows=i)
            wire.put_digits(out91, "91", "402", r["summary"], rows=i)
            for zone, key in _AMOUNTS_91:
                wire.put_signed(out91, "91", zone, r[key], rows=i)
            wire.put_digits(out91, "91", "409", r["records"], rows=i)
            wire.put_digits(out91, "91", "410", r["control"], rows=i)
            wire.put_text(out91, "91", "423", f"{ref_base}/{r['mutuality']:03d}/A", rows=i)
            wire.put_text(out91, "91", "424", f"{ref_base}/{r['mutuality']:03d}/B", rows=i)
        out92 = wire.records("92", 1)
        wire.put_digits(out92, "92", "501", r92["mutuality"])
        for zone, key in _AMOUNTS_91:
            wire.put_signed(out92, "92", str(int(zone) + 100), r92[key])
        wire.put_digits(out92, "92", "509", r92["records"])
        wire.put_digits(out92, "92", "510", r92["control"])
        return np.concatenate([out91, out92])


_AMOUNTS_91 = (
    ("404", "requested_a"),
    ("406", "requested_b"),
    ("408", "requested"),
    ("412", "accepted_a"),
    ("414", "refused_a"),
    ("416", "accepted_b"),
    ("418", "refused_b"),
    ("420", "accepted"),
    ("422", "refused"),
)


def _unit_amounts(s: Sending, rejected: np.ndarray):
    """Per unit of a chunk: amount accepted and refused (zones 114/115 of the echo)."""
    amount = s.col("amount").astype(np.int64)
    prest = s.type_mask(30, 50)
    accepted = np.where(prest & ~rejected, amount, 0)
    refused = np.where(prest & rejected, amount, 0)
    # Record 80: its invoice's account A.
    end = s.invoice_end
    has = end >= 0
    acc_a = s.per_invoice_sum(accepted, prest & (s.col("account") == 0))
    accepted[end[has]] = acc_a[has]
    refused[end[has]] = s.col("amount_a")[end[has]] - acc_a[has]
    return accepted, refused


def _records(s: Sending, units: np.ndarray) -> np.ndarray:
    """The 350 bytes of each unit, as an ``(n, 350)`` array (a view when regular)."""
    off = s.offsets[units]
    if len(off) > 1:
        step = np.diff(off)
        if (step == step[0]).all() and step[0] >= 350:
            base = s.buf[int(off[0]) :]
            return as_strided(base, shape=(len(off), 350), strides=(int(step[0]), 1))
    out = np.empty((len(off), 350), dtype=np.uint8)
    for i, o in enumerate(off.tolist()):
        out[i] = s.buf[o : o + 350]
    return out
