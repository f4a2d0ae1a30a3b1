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
513) is written in the nearest error field before it; an echoed record's zone 114 holds the amount accepted and zone 115
the amount refused (records 30/50: their own; record 80: its invoice's, account
A); codes beyond the third of a record go to its comment zone; an error that
belongs to no record (``900104``, no record 90) is echoed on the last record.
Output is deterministic: the same input gives byte-identical files.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Iterator

import numpy as np
from numpy.lib.stride_tricks import as_strided

from vsbengine.formats.efact import wire
from vsbengine.formats.efact.compiled import LAYOUTS, REPLY_LAYOUTS

MESSAGE = {"DF011": "931000", "DF012": "920999", "DF013": "920099", "DF014": "920098",
           "DF015": "920900"}
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
    reference
        The insurer's message reference (zone 205, 14 digits); by default derived
        from the sending's header and closing records (deterministic).
    """

    def __init__(self, result, reference: int | None = None) -> None:
        self.result = result
        self.s = result._sending
        self.v = result._verdict
        self.reference = self._default_reference() if reference is None else int(reference)
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
        return getattr(self, f"_{df.lower()}")()

    def bytes(self, df: str) -> bytes:
        return b"".join(self.chunks(df))

    def write(self, folder) -> list[Path]:
        """Write every answer into ``folder`` (created if needed); return the paths.

        Each file is written under a temporary name and renamed when complete.
        """
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        paths = []
        for df in self.names:
            path = folder / FILE_NAMES[df]
            tmp = path.with_name(path.name + ".part")
            with open(tmp, "wb") as fh:
                for chunk in self.chunks(df):
                    fh.write(chunk)
            os.replace(tmp, path)
            paths.append(path)
        return paths

    # -- pieces ----------------------------------------------------------------------------
    def _unit_bytes(self, unit: int, length: int) -> np.ndarray:
        """The bytes of a unit, blank-padded to ``length`` (segments may be cut short)."""
        out = np.full(length, ord(" "), dtype=np.uint8)
        if 0 <= unit < self.s.n_units and self.s.offsets[unit] >= 0:
            off = int(self.s.offsets[unit])
            raw = self.s.buf[off:off + length]
            out[:len(raw)] = raw
        return out

    def _default_reference(self) -> int:
        h = hashlib.blake2b(digest_size=8)
        for u in (0, 1, self.s.record10, self.s.record90):
            h.update(self._unit_bytes(u, 350).tobytes())
        for u in self.s.units_of(95, 96).tolist():
            h.update(self._unit_bytes(u, 350).tobytes())
        return int.from_bytes(h.digest(), "big") % 10**14

    def _segment_200(self, message: str, errors: dict[str, str] | None = None) -> bytes:
        layout = LAYOUTS.layout("200")
        rec = self._unit_bytes(0, 67)[None, :].copy()
        for z in layout.zones:
            if z.is_error_field:
                rec[0, z.start:z.end] = ord("0")
            elif z.kind == "N":
                rec[0, z.start:z.end] = _digits_or_zero(rec[0, z.start:z.end])
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

    def _extended_300(self) -> bytes:
        rec = wire.records("300x", 1)
        original = self._unit_bytes(1, 160)
        rec[0, :140] = original[:140]
        for z in LAYOUTS.layout("300").zones:
            if z.is_error_field:
                rec[0, z.start:z.end] = ord("0")
        wire.put_digits(rec, "300x", "310", self.v.ratio_x100)
        wire.put_digits(rec, "300x", "311", int(self.v.rejection_type or 0))
        return rec.tobytes()

    def _technical_errors(self) -> dict[int, dict[str, str]]:
        """Family-9 errors by unit: {unit: {zone id: two-digit code}}."""
        t = self.result.error_table
        out: dict[int, dict[str, str]] = {}
        for unit, code, zi in zip(t.unit.tolist(), t.codes(), t.zone.tolist()):
            zone = LAYOUTS.zones[zi] if zi >= 0 else None
            if zone is None or zone.layout not in ("200", "300", "95", "96"):
                continue
            key = unit if unit >= 0 else -1
            out.setdefault(key, {}).setdefault(zone.zone, code[-2:])
        return out

    # -- DF011 / DF012 ---------------------------------------------------------------------
    def _df011(self) -> Iterator[bytes]:
        stub = wire.records("300s", 1)
        wire.put_text(stub, "300s", "300", "920000")
        wire.put_text(stub, "300s", "3001", "00")
        yield self._segment_200("931000") + stub.tobytes()

    def _df012(self) -> Iterator[bytes]:
        by_unit = self._technical_errors()
        yield self._segment_200("920999", by_unit.get(0))
        seg300 = self._unit_bytes(1, 160)[None, :].copy()
        for z in LAYOUTS.layout("300").zones:
            if z.is_error_field:
                seg300[0, z.start:z.end] = ord("0")
        self._error_fields(seg300, "300", by_unit.get(1, {}))
        yield seg300.tobytes()
        for unit in sorted(u for u in by_unit if u >= 2):
            layout = f"{int(self.s.rtype[unit]):02d}"
            rec = self._unit_bytes(unit, 350)[None, :].copy()
            self._error_fields(rec, layout, by_unit[unit])
            yield rec.tobytes()
        if -1 in by_unit:
            # The error belongs to a record 96 that the file lacks: answer on a blank one.
            rec = wire.records("96", 1)
            self._error_fields(rec, "96", by_unit[-1])
            yield rec.tobytes()

    # -- DF013 / DF014 / DF015 ---------------------------------------------------------------
    def _slots(self):
        """Per detail unit with errors: three (letter, code) slots and overflow codes."""
        t = self.v.errors
        detail = t.unit >= 0
        unit = np.where(detail, t.unit, self.s.detail[-1] if len(self.s.detail) else 0)
        keep = self.s.is_detail[unit] if self.s.n_units else np.zeros(len(unit), bool)
        unit, code, letter = unit[keep], t.code[keep], t.letter[keep]
        order = np.lexsort((np.arange(len(unit)), _PRIORITY[letter], unit))
        unit, code, letter = unit[order], code[order], letter[order]
        units, first = np.unique(unit, return_index=True)
        rank = np.arange(len(unit)) - np.repeat(first, np.diff(np.append(first, len(unit))))
        slot_letter = np.full((len(units), 3), ord(" "), dtype=np.uint8)
        slot_code = np.zeros((len(units), 3), dtype=np.int64)
        row = np.searchsorted(units, unit)
        in_slot = rank < 3
        slot_letter[row[in_slot], rank[in_slot]] = np.where(letter[in_slot] > 0, letter[in_slot], ord(" "))
        slot_code[row[in_slot], rank[in_slot]] = code[in_slot]
        overflow: dict[int, list[str]] = {}
        for u, c, lt in zip(unit[~in_slot].tolist(), code[~in_slot].tolist(), letter[~in_slot].tolist()):
            overflow.setdefault(u, []).append(f"{chr(lt) if lt else ''}{c:06d}")
        return units, slot_letter, slot_code, overflow

    def _unit_amounts(self):
        """Per unit: amount accepted and refused (zones 114/115 of the echo)."""
        s, v = self.s, self.v
        amount = s.col("z19").astype(np.int64)
        prest = s.type_mask(30, 50)
        accepted = np.where(prest & ~v.rejected, amount, 0)
        refused = np.where(prest & v.rejected, amount, 0)
        # Record 80: its invoice's account A.
        end = s.invoice_end
        has = end >= 0
        acc_a = s.per_invoice_sum(accepted, prest & (s.col("z11") == 0))
        requested = amount[end[has]]
        accepted[end[has]] = acc_a[has]
        refused[end[has]] = requested - acc_a[has]
        return accepted, refused

    def _echo(self, units: np.ndarray) -> Iterator[bytes]:
        s = self.s
        slot_units, slot_letter, slot_code, overflow = self._slots()
        slot_row = np.full(s.n_units, -1, dtype=np.int64)
        slot_row[slot_units] = np.arange(len(slot_units))
        accepted, refused = self._unit_amounts()
        seg300 = self._unit_bytes(1, 160)
        sending = seg300[8:11]
        created = seg300[13:21]
        month = seg300[0:6]
        payer = s.col("z14")[s.record10] if s.record10 >= 0 else 0
        mutuality = np.where(s.in_invoice, s.col("z7")[np.maximum(s.head20, 0)], 0)
        ext_template = wire.template("ext")
        for start in range(0, len(units), _CHUNK):
            u = units[start:start + _CHUNK]
            n = len(u)
            out = np.empty((n, 800), dtype=np.uint8)
            out[:, :350] = self._records(u)
            ext = out[:, 350:]
            ext[:] = ext_template
            wire.put_raw(ext, 0, sending)
            wire.put_raw(ext, 3, created)
            wire.put_raw(ext, 11, month)
            wire.put_digits(ext, "ext", "368", mutuality[u])
            wire.put_digits(ext, "ext", "395", payer)
            rows = slot_row[u]
            has = rows >= 0
            if has.any():
                r = rows[has]
                for k, (lz, cz) in enumerate((("457", "458"), ("464", "465"), ("471", "472"))):
                    ext[has, _EXT.zone(lz).start] = slot_letter[r, k]
                    wire.put_digits(ext, "ext", cz, slot_code[r, k], rows=has)
            wire.put_signed(ext, "ext", "114", accepted[u])
            wire.put_signed(ext, "ext", "115", refused[u])
            wire.put_signed(ext, "ext", "116", 0)
            wire.put_digits(ext, "ext", "795", (start + np.arange(1, n + 1)) % 1_000_000)
            for i in np.flatnonzero(np.isin(u, list(overflow))).tolist() if overflow else []:
                wire.put_text(ext, "ext", "534", " ".join(overflow[int(u[i])]), rows=i)
            yield out.tobytes()

    def _records(self, units: np.ndarray) -> np.ndarray:
        """The 350 bytes of each unit, as an ``(n, 350)`` array (a view when regular)."""
        s = self.s
        off = s.offsets[units]
        if len(off) > 1:
            step = np.diff(off)
            if (step == step[0]).all() and step[0] >= 350:
                base = s.buf[int(off[0]):]
                return as_strided(base, shape=(len(off), 350), strides=(int(step[0]), 1))
        out = np.empty((len(off), 350), dtype=np.uint8)
        for i, o in enumerate(off.tolist()):
            out[i] = s.buf[o:o + 350]
        return out

    def _with_errors(self) -> np.ndarray:
        units, *_ = self._slots()
        return units

    def _df013(self) -> Iterator[bytes]:
        yield self._segment_200("920099") + self._extended_300()
        yield from self._echo(self._with_errors())

    def _df014(self) -> Iterator[bytes]:
        yield self._segment_200("920098") + self._extended_300()
        yield from self._echo(self._with_errors())

    def _df015(self) -> Iterator[bytes]:
        yield self._segment_200("920900") + self._extended_300()
        yield from self._echo(self.s.detail)
        yield self._settlement().tobytes()

    # -- settlement: records 91 and 92 -----------------------------------------------------
    def settlement(self) -> list[dict]:
        """The amounts of the records 91 (one dict per mutuality) and 92 (last), in cents."""
        s, v = self.s, self.v
        prest = s.type_mask(30, 50)
        amount = s.col("z19").astype(np.int64)
        ok = prest & ~v.rejected & s.in_invoice
        account = s.col("z11")
        dest_of_unit = np.where(s.in_invoice, s.col("z18")[np.maximum(s.head20, 0)], -1)
        rows = []
        for u in s.units_of(95).tolist():
            mut = int(s.col("z401")[u])
            mine = ok & (dest_of_unit == mut)
            req_a, req_b = int(s.col("z404")[u]), int(s.col("z406")[u])
            req = int(s.col("z408")[u])
            acc_a = int(amount[mine & (account == 0)].sum())
            acc_b = int(amount[mine & (account == 1)].sum())
            rows.append(dict(
                mutuality=mut, summary=int(s.col("z402")[u]),
                requested_a=req_a, requested_b=req_b, requested=req,
                records=int(s.col("z409")[u]), control=int(s.col("z410")[u]),
                accepted_a=acc_a, refused_a=req_a - acc_a, accepted_b=acc_b,
                refused_b=req_b - acc_b, accepted=acc_a + acc_b, refused=req - acc_a - acc_b,
            ))
        u96 = int(s.units_of(96)[0])
        total = {k: sum(r[k] for r in rows) for k in
                 ("accepted_a", "refused_a", "accepted_b", "refused_b", "accepted", "refused")}
        rows.append(dict(
            mutuality=int(s.col("z401")[u96]), requested_a=int(s.col("z404")[u96]),
            requested_b=int(s.col("z406")[u96]), requested=int(s.col("z408")[u96]),
            records=int(s.col("z409")[u96]), control=int(s.col("z410")[u96]), **total,
        ))
        return rows

    def _settlement(self) -> np.ndarray:
        rows = self.settlement()
        *r91, r92 = rows
        out91 = wire.records("91", len(r91))
        seg300 = self._unit_bytes(1, 160).tobytes().decode("latin-1")
        ref_base = f"{seg300[8:11]}/{seg300[0:6]}"
        for i, r in enumerate(r91):
            wire.put_digits(out91, "91", "401", r["mutuality"], rows=i)
            wire.put_digits(out91, "91", "402", r["summary"], rows=i)
            for zone, key in (("404", "requested_a"), ("406", "requested_b"), ("408", "requested"),
                              ("412", "accepted_a"), ("414", "refused_a"), ("416", "accepted_b"),
                              ("418", "refused_b"), ("420", "accepted"), ("422", "refused")):
                wire.put_signed(out91, "91", zone, r[key], rows=i)
            wire.put_digits(out91, "91", "409", r["records"], rows=i)
            wire.put_digits(out91, "91", "410", r["control"], rows=i)
            wire.put_text(out91, "91", "423", f"{ref_base}/{r['mutuality']:03d}/A", rows=i)
            wire.put_text(out91, "91", "424", f"{ref_base}/{r['mutuality']:03d}/B", rows=i)
        out92 = wire.records("92", 1)
        wire.put_digits(out92, "92", "501", r92["mutuality"])
        for zone, key in (("504", "requested_a"), ("506", "requested_b"), ("508", "requested"),
                          ("512", "accepted_a"), ("514", "refused_a"), ("516", "accepted_b"),
                          ("518", "refused_b"), ("520", "accepted"), ("522", "refused")):
            wire.put_signed(out92, "92", zone, r92[key])
        wire.put_digits(out92, "92", "509", r92["records"])
        wire.put_digits(out92, "92", "510", r92["control"])
        return np.concatenate([out91, out92])
