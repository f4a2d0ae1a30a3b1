"""Writers of the answer messages, in their wire format.

======  =======  ==========================================================
DF011   931000   acceptance of the file: segment 200 + stub segment 300
DF012   920999   rejection of the file: 200 + 300 + the wrong records 95/96,
                 the two-digit codes in the error fields
DF013   920099   rejection of the sending: 200 + extended 300 (error
                 percentage, rejection type) + the echoed records, 800
                 characters each with up to three letter+code slots (type 01:
                 the blocking codes only; type 02: every code)
DF014   920098   acceptance of the sending: as DF013, listing the F and R errors
DF015   920900   settlement: the echoed records, then a record 91 per
                 mutuality and a record 92, with the amounts requested,
                 accepted and refused per account of the whole sending
======  =======  ==========================================================

Shaped like the real insurers' answers (``efact-format.md`` section 8): DF013,
DF014 and DF015 echo records 10 and 90, every record with an error and the records
20 and 80 of its invoice, and leave clean invoices out (``echo="all"``: every
record 10-90, as some insurers do); an acceptance without errors is 2,277 bytes.
Zones 114/115 of the extension are zero; DF012 carries status ``40`` (zone 203)
and ``00`` in every error field of its records 95/96 that holds no code.

Our choices where the sources are silent (see README): the insurer's
reference (zone 205) is derived from the sending's header and closing records
unless given; the error percentage of a blocking rejection (type 01) is written
``10000`` (the whole sending is refused; real insurers write ``00000`` or
``10000``), other percentages are rounded, and a settlement (DF015) carries
``00000`` as the real ones do; the code of a reserved zone without
an error field (206, 310, 413, 513) is written in the nearest error field
before it; codes beyond the third of a record go to its comment zone; an error
that belongs to no record (``900104``, no record 90) is echoed on the last
record. Output is deterministic: the same input gives byte-identical files.

The writers work from the scan of the sending (:attr:`vsbengine.Result.scans`): the
echoed records are copied from the scanned buffer, the amounts and numbers come
from its columns, and every row is rendered by the core (``_core.render_rows``) in
blocks of :data:`BLOCK` records, so that the memory they need stays small. DF011 and
DF012 need no scan: the segments and records 95/96 they copy are in the result
(:class:`~vsbengine.formats.efact.settlement.Envelope`). Writing the files is
:func:`vsbengine.outputs.write`'s job; :class:`Answers` gives one message's bytes.
"""

from __future__ import annotations

import builtins
import hashlib
import weakref
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from vsbengine import _core
from vsbengine.formats.efact import wire
from vsbengine.formats.efact.chunks import Scanned
from vsbengine.formats.efact.compiled import LAYOUTS, REPLY_LAYOUTS
from vsbengine.formats.efact.sending import Sending
from vsbengine.formats.efact.settlement import federation

MESSAGE = {
    "DF011": "931000",
    "DF012": "920999",
    "DF013": "920099",
    "DF014": "920098",
    "DF015": "920900",
}
#: File name of each answer in an output folder.
FILE_NAMES = {df: f"{df}_{msg}.dat" for df, msg in MESSAGE.items()}
#: Records echoed per block (800 bytes each): what one rendering holds in memory.
BLOCK = 8192
#: Which records DF013, DF014 and DF015 echo: ``errors`` (records 10 and 90, the
#: records with errors and the records 20/80 of their invoices) or ``all``.
ECHO = ("errors", "all")
#: Zone 203 (message status) of each answer: 40 in a 920999, as real insurers write it.
STATUS = {"DF012": 40}
#: Error percentage written for a blocking rejection (type 01): 100.00 %.
BLOCKING_PERCENTAGE = 10000

_PRIORITY = np.full(256, 5, dtype=np.int8)
for _i, _c in enumerate("BFRSE"):
    _PRIORITY[ord(_c)] = _i
_EXT = REPLY_LAYOUTS["ext"]
_P = _core.PartKind
_SLOTS = (("457", "458"), ("464", "465"), ("471", "472"))
#: Zones of the extension that differ from record to record, in their order.
_VARIABLE = sorted(
    (_EXT.zone(z) for z in ("368", "457", "458", "464", "465", "471", "472", "795")),
    key=lambda z: z.start,
)
_KIND = {"N": _P.P_DIGITS, "S": _P.P_SIGNED, "A": _P.P_COPY}


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
        The validated file again (path or bytes), when the result keeps no scans of
        its own (a result loaded from a folder, or pickled); by default the result's
        scans (or its path).
    reference
        The insurer's message reference (zone 205, 14 digits); by default derived
        from the sending's header and closing records (deterministic).
    echo
        Which records DF013, DF014 and DF015 echo: ``"errors"`` (default: records 10
        and 90, every record with an error and the records 20 and 80 of its invoice)
        or ``"all"`` (every record 10-90).
    """

    def __init__(
        self, result, source=None, reference: int | None = None, echo: str = "errors"
    ) -> None:
        if echo not in ECHO:
            raise ValueError(f"echo must be one of {', '.join(ECHO)}, not {echo!r}")
        self.echo = echo
        self.result = result
        if source is not None and "_scans" not in result.__dict__:
            self.scans = Scanned(source)
        elif source is None and "_scans" not in result.__dict__ and result.source is None:
            raise ValueError("the answers read the validated file again: pass source=")
        else:
            self.scans = result.scans
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

    def writer(self, df: str, reuse: bool = False) -> MessageWriter:
        """The writer of one answer of this result (``reuse``: the caller is done with
        each piece before it asks for the one after next, so that they may share two
        buffers, and writes :class:`Interleaved` pieces with their ``write_to``)."""
        if df not in self.names:
            raise ValueError(f"{df} is not an answer of this result ({', '.join(self.names)})")
        if df == "DF011":
            return _Df011(self)
        if df == "DF012":
            return _Df012(self)
        return _Echo(self, df, reuse)

    def chunks(self, df: str) -> Iterator[Piece]:
        """The bytes of one answer, in pieces (a settlement can be large)."""
        w = self.writer(df)
        return self._pieces(w)

    def _pieces(self, w: MessageWriter) -> Iterator[Piece]:
        yield w.head()
        if w.needs_scans:
            for s in self.scans:
                yield from w.feed(s)
        yield w.tail()

    def bytes(self, df: str) -> builtins.bytes:
        """The bytes of one answer."""
        return b"".join(
            builtins.bytes(p) if isinstance(p, Interleaved) else p for p in self.chunks(df)
        )

    def write(self, folder) -> list[Path]:
        """Write every answer into ``folder`` (created if needed); return the paths.

        Each file appears whole or not at all (see :mod:`vsbengine.fsio`).
        """
        return self.write_only(folder, self.names)

    def write_only(self, folder, names) -> list[Path]:
        """Write the given answers (``["DF011"]``, ...) into ``folder``; return the paths."""
        from vsbengine.outputs import write

        return write(self.result, folder, names, answers=self, report=False)

    # -- pieces shared by the messages ----------------------------------------------------
    def segment_200(
        self, message: str, errors: dict[str, str] | None = None, status: int = 0
    ) -> builtins.bytes:
        layout = LAYOUTS.layout("200")
        rec = np.frombuffer(self.result.envelope.segment200, dtype=np.uint8)[None, :].copy()
        _clear_error_fields(rec, "200")
        for z in layout.zones:
            if z.kind == "N" and not z.is_error_field:
                rec[0, z.start : z.end] = _digits_or_zero(rec[0, z.start : z.end])
        wire.put_digits(rec, "200", "200", int(message))
        wire.put_digits(rec, "200", "203", status)
        wire.put_digits(rec, "200", "205", self.reference)
        wire.put_digits(rec, "200", "206", 0)
        _error_fields(rec, "200", errors or {})
        return rec.tobytes()

    def extended_300(self, settlement: bool = False) -> builtins.bytes:
        """The extended segment 300: error percentage (zone 310; ``00000`` in a
        ``settlement``, as the real settlements carry) and rejection type (311)."""
        rec = wire.records("300x", 1)
        seg300 = np.frombuffer(self.result.envelope.segment300, dtype=np.uint8)
        rec[0, :140] = seg300[:140]
        _clear_error_fields(rec, "300")
        blocking = self.result.rejection_type == "01"
        pct = BLOCKING_PERCENTAGE if blocking else self.result.ratio_x100
        if settlement:
            pct = 0
        wire.put_digits(rec, "300x", "310", pct)
        wire.put_digits(rec, "300x", "311", int(self.result.rejection_type or 0))
        return rec.tobytes()

    def slots(self):
        """Per record with errors (unit in the file): three (letter, code) slots, and the
        codes beyond three. An error on no record goes to the last record. A blocking
        rejection (type 01) lists its blocking (B) codes only: the rest of the content
        validation does not count once the sending cannot be validated further."""
        cached = self.__dict__.get("_slots")
        if cached is not None:
            return cached
        t = self.result.error_table
        listed = ~t.technical
        if self.result.rejection_type == "01":
            listed &= t.letter == ord("B")
        t = t.select(listed)
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
        cached = self.__dict__["_slots"] = (units, slot_letter, slot_code, overflow)
        return cached

    def echo_columns(self, s: Sending) -> EchoColumns:
        """What the echoes of one scanned chunk need, computed once for all of them
        (DF014 and DF015 are fed the same chunk one after the other)."""
        cached = self.__dict__.get("_echo")
        if cached is not None and cached[0]() is s:
            return cached[1]
        slot_units, slot_letter, slot_code, _ = self.slots()
        units = np.flatnonzero(s.is_detail & s.own)
        glob = s.in_file(units)
        # The row of each echoed record in the slot tables (-1: no errors).
        slot_row = np.searchsorted(slot_units, glob)
        if len(slot_units):
            found = slot_units[np.minimum(slot_row, len(slot_units) - 1)] == glob
            slot_row = np.where(found, slot_row, -1)
        else:
            slot_row = np.full(len(glob), -1)
        if self.echo != "all":
            # Only the records echoed are kept: the values of the others are not
            # worked out (most of a big sending is not echoed).
            keep = _echoed(s, units, slot_row >= 0)
            units, glob, slot_row = units[keep], glob[keep], slot_row[keep]
        head = np.maximum(s.head20_of(units), 0)
        in_invoice = s.scan.invoice[units] >= 0
        mutuality = np.where(in_invoice, s.value_at("affiliation", head), 0)
        # Letters are copied from the slot table, with a blank after it for no error.
        letters = slot_letter.tobytes() + b" "
        codes = np.vstack([slot_code, np.zeros((1, 3), np.int64)])  # row -1: no codes
        values = {"368": mutuality.astype(np.int64)}
        for k, (lz, cz) in enumerate(_SLOTS):
            values[lz] = np.where(slot_row >= 0, slot_row * 3 + k, len(letters) - 1)
            values[cz] = codes[slot_row, k]
        cols = EchoColumns(units, glob, slot_row, letters, values)
        # A weak reference: the cache must not keep a streamed chunk alive.
        self.__dict__["_echo"] = (weakref.ref(s), cols)
        return cols


def _echoed(s: Sending, units: np.ndarray, has_codes: np.ndarray) -> np.ndarray:
    """Which of ``units`` (the records 10-90 of a chunk) the answers echo, as positions:
    records 10 and 90, the records with codes, and the records 20 and 80 of their
    invoices (chunks end at invoice boundaries: an invoice is whole in its chunk)."""
    keep = np.zeros(s.n_units, dtype=bool)
    keep[units[has_codes]] = True
    keep[s.type_mask(10, 90)] = True
    inv = s.scan.invoice[units[has_codes]]
    inv = np.unique(inv[inv >= 0])
    keep[s.invoices[inv]] = True
    ends = s.invoice_end[inv]
    keep[ends[ends >= 0]] = True
    return np.flatnonzero(keep[units])


class EchoColumns:
    """The records one scanned chunk echoes (``units``; ``glob`` in the file), their
    rows in the slot tables and their values by zone of the extension."""

    def __init__(self, units, glob, slot_row, letters: bytes, values: dict) -> None:
        self.units, self.glob, self.slot_row = units, glob, slot_row
        self.letters, self.values = letters, values


class Interleaved:
    """A piece of an echo that is written without being assembled: ``n`` lines of
    ``width`` bytes of ``records`` (from ``offsets``), each followed by its
    ``row_width`` bytes of ``rows`` (``bytes(piece)`` assembles them). ``drop``:
    ``records`` is a view of a mapped file, whose pages go back once written."""

    def __init__(
        self, records, offsets, width: int, rows, row_width: int, n: int, drop: bool = False
    ) -> None:
        self.records, self.offsets, self.width = records, offsets, width
        self.rows, self.row_width, self.n = rows, row_width, n
        self.drop = drop

    def __len__(self) -> int:
        return self.n * (self.width + self.row_width)

    def __bytes__(self) -> builtins.bytes:
        parts = [(_P.P_COPY, (self.records, self.offsets), self.width)]
        parts.append((_P.P_COPY, (self.rows, np.arange(self.n) * self.row_width), self.row_width))
        return bytes(_core.render_rows(parts, self.n)[0])

    def write_to(self, fh) -> None:
        """Write to an open binary file (its buffer is flushed first)."""
        fh.flush()
        _core.write_interleaved(
            fh.fileno(),
            self.records,
            self.offsets,
            self.width,
            self.rows,
            self.row_width,
            self.n,
            self.drop,
        )


#: What a writer yields: bytes, or lines written without being assembled.
Piece = builtins.bytes | bytearray | memoryview | Interleaved


class MessageWriter:
    """One answer message, written in three steps: :meth:`head`, :meth:`feed` with each
    scanned chunk in file order (only when :attr:`needs_scans`), :meth:`tail`.

    What an answer copies from the sending is written as text: a control byte in it
    (a line break, NUL, ...; the checks report it) becomes a blank (:data:`wire.TEXT`),
    so that the answer frames the same for whoever reads it."""

    name = ""
    needs_scans = False

    def head(self) -> builtins.bytes:
        return wire.as_text(self._head())

    def feed(self, s: Sending) -> Iterator[Piece]:
        return iter(())

    def tail(self) -> builtins.bytes:
        return wire.as_text(self._tail())

    def _head(self) -> builtins.bytes:
        return b""

    def _tail(self) -> builtins.bytes:
        return b""


def _clear_error_fields(rec: np.ndarray, layout: str) -> None:
    """``00`` in every error field (a sender may leave them blank): no error there."""
    for z in LAYOUTS.layout(layout).zones:
        if z.is_error_field:
            rec[0, z.start : z.end] = ord("0")


def _error_fields(rec: np.ndarray, layout: str, errors: dict[str, str]) -> None:
    """Write two-digit codes into the error fields. A reserved zone has no error
    field of its own (206, 310, 413, 513): its code goes into the nearest one before it."""
    zones = LAYOUTS.layout(layout).zones
    for zone, ee in errors.items():
        k = next(i for i, z in enumerate(zones) if z.zone == zone and not z.is_error_field)
        while k >= 0 and not zones[k].error_zone:
            k -= 1
        wire.put_raw(rec, zones[max(k, 0)].end, ee.encode(), rows=0)


# -- DF011 / DF012 -------------------------------------------------------------------------
class _Df011(MessageWriter):
    name = "DF011"

    def __init__(self, answers: Answers) -> None:
        self.answers = answers

    def _head(self) -> builtins.bytes:
        stub = wire.records("300s", 1)
        wire.put_text(stub, "300s", "300", "920000")
        wire.put_text(stub, "300s", "3001", "00")
        return self.answers.segment_200("931000") + stub.tobytes()


class _Df012(MessageWriter):
    name = "DF012"

    def __init__(self, answers: Answers) -> None:
        self.answers = answers

    def _technical_errors(self) -> dict[int, tuple[str, dict[str, str]]]:
        """Family-9 errors by unit: {unit: (layout, {zone: code})}."""
        t = self.answers.result.error_table
        out: dict[int, tuple[str, dict[str, str]]] = {}
        for unit, code, zi in zip(t.unit.tolist(), t.codes(), t.zone.tolist()):
            zone = LAYOUTS.zones[zi] if zi >= 0 else None
            if zone is None or zone.layout not in ("200", "300", "95", "96"):
                continue
            entry = out.setdefault(unit, (zone.layout, {}))
            entry[1].setdefault(zone.zone, code[-2:])
        return out

    def _head(self) -> builtins.bytes:
        envelope = self.answers.result.envelope
        by_unit = self._technical_errors()
        parts = [self.answers.segment_200("920999", by_unit.get(0, ("", {}))[1], STATUS[self.name])]
        seg300 = np.frombuffer(envelope.segment300, dtype=np.uint8)[None, :].copy()
        _clear_error_fields(seg300, "300")
        _error_fields(seg300, "300", by_unit.get(1, ("", {}))[1])
        parts.append(seg300.tobytes())
        for unit in sorted(u for u in by_unit if u >= 2):
            layout, errors = by_unit[unit]
            raw = envelope.closing.get(unit, b"").ljust(350, b" ")
            rec = np.frombuffer(raw, dtype=np.uint8)[None, :].copy()
            _clear_error_fields(rec, layout)
            _error_fields(rec, layout, errors)
            parts.append(rec.tobytes())
        if -1 in by_unit:
            # The error belongs to a record 96 that the file lacks: answer on a blank one,
            # its federation code X99 from the records 95 (999 without), its account C
            # blank as in the real replies.
            rec = wire.records("96", 1)
            wire.put_text(rec, "96", "512", "")  # zone 512 with its sign: blank-filled
            wire.put_text(rec, "96", "501", _federation(envelope.closing.values()))
            _error_fields(rec, "96", by_unit[-1][1])
            parts.append(rec.tobytes())
        return b"".join(parts)


def _federation(closing) -> str:
    """Zone 501 of a record 96 for a sending without one: the federation of the
    mutualities of its records 95 (:func:`~vsbengine.formats.efact.settlement.federation`),
    else ``999``."""
    muts = [raw[4:7] for raw in closing if raw[:2] == b"95" and raw[4:7].isdigit()]
    return f"{federation(muts) or 999:03d}"


# -- DF013 / DF014 / DF015 -------------------------------------------------------------------
class _Echo(MessageWriter):
    """DF013, DF014 and DF015 echo the records (:class:`Answers` ``echo``); DF015 then
    writes the settlement (records 91 and 92)."""

    needs_scans = True

    def __init__(self, answers: Answers, df: str, reuse: bool = False) -> None:
        self.answers = answers
        self.name = df
        #: Render the blocks into two buffers, in turn, that hold the constant bytes
        #: already: the caller is done with a piece before it asks for the one after next.
        self.reuse = reuse
        self._buffers: list[bytearray] = []
        self.index = 0  # records echoed so far (zone 795)
        result = answers.result
        self.rejected = result.rejected
        env = result.envelope
        ext = wire.template("ext")[None, :].copy()
        wire.put_raw(ext, 0, env.sending)
        wire.put_raw(ext, 3, env.created)
        wire.put_raw(ext, 11, env.month)
        payee = result.payee
        wire.put_digits(ext, "ext", "395", payee.institution if payee is not None else 0)
        self.ext = ext[0].tobytes()

    def _head(self) -> builtins.bytes:
        message = MESSAGE[self.name]
        settlement = self.name == "DF015"
        return self.answers.segment_200(message) + self.answers.extended_300(settlement)

    def feed(self, s: Sending) -> Iterator[Piece]:
        cols = self.answers.echo_columns(s)
        n_all = len(cols.units)
        _, _, _, overflow = self.answers.slots()
        for start in range(0, n_all, BLOCK):
            sel = slice(start, start + BLOCK)
            u = cols.units[sel]
            g = cols.glob[sel]
            n = len(u)
            values = {zone: column[sel] for zone, column in cols.values.items()}
            values["795"] = (self.index + np.arange(1, n + 1)) % 1_000_000
            self.index += n
            comments = bool(overflow) and bool(np.isin(g, list(overflow)).any())
            offsets = s.offsets[u]
            dirty = _core.control_rows(s.data, offsets, 350)  # (see MessageWriter)
            if self.reuse and not comments and not len(dirty):
                # The extensions only; the records go from the scanned buffer to the
                # file (Interleaved). Many blocks: into two buffers holding the constant
                # bytes already (filling them costs more than a few blocks save).
                many = n_all > 4 * BLOCK
                if many and not self._buffers:
                    self._buffers = [bytearray(self.ext * BLOCK) for _ in "ab"]
                self._buffers.reverse()
                parts = self._parts(values, cols.letters, skip=many)
                ext, _ = _core.render_rows(parts, n, self._buffers[0] if many else None)
                yield Interleaved(s.data, offsets, 350, ext, _EXT.length, n, s.drop_pages)
                continue
            parts = [(_P.P_COPY, (s.data, offsets), 350), *self._parts(values, cols.letters)]
            out, _ = _core.render_rows(parts, n)
            lines = np.frombuffer(out, dtype=np.uint8).reshape(n, 800)
            if len(dirty):
                lines[dirty, :350] = wire.TEXT_LUT[lines[dirty, :350]]
            if comments:
                for i in np.flatnonzero(np.isin(g, list(overflow))).tolist():
                    wire.put_text(
                        lines[:, 350:], "ext", "534", " ".join(overflow[int(g[i])]), rows=i
                    )
            yield out

    def _parts(self, values: dict, letters: bytes, skip: bool = False) -> list:
        """The parts of the extension (zones 351-795): its constant bytes (written, or
        ``skip``-ped in a buffer that holds them already) and its values."""
        parts: list = []
        pos = 0
        for zone in [*_VARIABLE, None]:
            end = _EXT.length if zone is None else zone.start
            if end > pos:
                parts.append(
                    (_P.P_SKIP, None, end - pos) if skip else (_P.P_TEXT, self.ext[pos:end], 0)
                )
            if zone is None:
                break
            kind = _KIND[zone.kind]
            data = (letters, values[zone.zone]) if kind == _P.P_COPY else values[zone.zone]
            parts.append((kind, data, zone.length))
            pos = zone.end
        return parts

    def _tail(self) -> builtins.bytes:
        if self.name != "DF015":
            return b""
        return _settlement_records(self.answers.result)


#: The zones of records 91 and 92 and the Settlement field each holds (92: zone + 100;
#: zone 402 is copied from the record 95 of the mutuality).
_SETTLEMENT_ZONES = (
    ("401", "mutuality"),
    ("402", "summary_invoice"),
    ("404", "requested_a"),
    ("406", "requested_b"),
    ("408", "requested"),
    ("409", "records"),
    ("410", "control"),
    ("412", "accepted_a"),
    ("414", "refused_a"),
    ("416", "accepted_b"),
    ("418", "refused_b"),
    ("420", "accepted"),
    ("422", "refused"),
    ("423", "reference_a"),
    ("424", "reference_b"),
    ("426", "reference_c"),
)


def _settlement_records(result) -> bytes:
    """The records 91 (one per mutuality) and 92 of DF015, from the result's settlement,
    rendered by the core on the templates of their layouts."""
    *r91, r92 = result.settlement
    out = []
    for layout, rows in (("91", r91), ("92", [r92])):
        if not rows:
            continue
        lay = REPLY_LAYOUTS[layout]
        template = wire.template(lay).tobytes()
        zones = {z.zone: z for z in lay.zones if not z.is_error_field}
        parts: list = []
        pos = 0
        for zone, key in _SETTLEMENT_ZONES:
            if layout == "92" and key in ("summary_invoice", "reference_a", "reference_b",
                                          "reference_c"):  # fmt: skip
                continue  # not written in record 92
            z = zones[zone if layout == "91" else str(int(zone) + 100)]
            parts.append((_P.P_TEXT, template[pos : z.start], 0))
            if key == "summary_invoice":
                # The summary invoice number of each record 95, as it stands there.
                r95 = [raw for raw in result.envelope.closing.values() if raw[:2] == b"95"]
                src = LAYOUTS.layout("95").zone("402")
                texts = b"".join(raw[src.start : src.end] for raw in r95)
                offsets = np.arange(len(rows), dtype=np.int64) * z.length
                parts.append((_P.P_COPY, (texts, offsets), z.length))
            elif z.kind == "A":
                texts = b"".join(
                    getattr(r, key).encode("ascii")[: z.length].ljust(z.length) for r in rows
                )
                offsets = np.arange(len(rows), dtype=np.int64) * z.length
                parts.append((_P.P_COPY, (texts, offsets), z.length))
            else:
                values = np.array([getattr(r, key) for r in rows], dtype=np.int64)
                parts.append((_P.P_SIGNED if z.kind == "S" else _P.P_DIGITS, values, z.length))
            pos = z.end
        parts.append((_P.P_TEXT, template[pos:], 0))
        out.append(builtins.bytes(_core.render_rows(parts, len(rows))[0]))
    return b"".join(out)
