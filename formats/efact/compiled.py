"""Compile the layout tables of :mod:`.layouts` into the arrays the core walks.

The result, :data:`LAYOUTS`, is built once at import. It holds, per layout,
the allowed character classes of every position and the zone table (start,
length, kind, flags, target column, allowed values), flattened into numpy
arrays so that ``_core.scan`` can read them without touching Python objects.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from vsbengine import _core
from vsbengine.formats.efact import layouts as _tables

# Character classes, zone kinds and zone flags: declared once, in engine/_core.pxd.
_C = _core.CharClass
C_DIGIT, C_BLANK, C_SIGN = int(_C.C_DIGIT), int(_C.C_BLANK), int(_C.C_SIGN)
C_TEXT = C_DIGIT | C_BLANK | C_SIGN | int(_C.C_ALPHA) | int(_C.C_PUNCT) | int(_C.C_LATIN)
#: Zone kind letter of the layout tables -> the core's zone kind.
KINDS = {k.name[2:]: int(k) for k in _core.ZoneKind}
_F = _core.ZoneFlag
F_MANDATORY, F_BLANK_OK = int(_F.F_MANDATORY), int(_F.F_BLANK_OK)
F_ERROR_ZONE, F_ERROR_FIELD = int(_F.F_ERROR_ZONE), int(_F.F_ERROR_FIELD)
F_ZERO = int(_F.F_ZERO)

_LINE = re.compile(
    r"^(?P<zone>\S+)\s+(?P<start>\d+)\s+(?P<length>\d+)\s+(?P<kind>[NDYSAX])\s+"
    r"(?P<flags>[Mbez-]+)\s+(?P<column>\S+)\s+(?P<allowed>\S+)\s+(?P<name>.+)$"
)


@dataclass(frozen=True)
class Zone:
    """One zone of a layout (positions 0-based here)."""

    layout: str
    zone: str
    start: int
    length: int
    kind: str
    mandatory: bool
    blank_ok: bool
    error_zone: bool
    column: str | None
    allowed: tuple[tuple[int, int], ...]
    name: str
    #: ``True`` for the two-digit error field that follows a zone flagged ``e``.
    is_error_field: bool = False
    #: A reserved zone that must hold zeros (flag ``z``; with ``blank_ok``, or blanks).
    must_be_zero: bool = False

    @cached_property
    def number(self) -> int:
        """Leading number of the zone id: the ``ZZ`` of an error code (``24,25`` -> 24)."""
        m = re.match(r"\d+", self.zone)
        if m is None:
            raise ValueError(f"zone {self.zone!r} of layout {self.layout} has no number")
        return int(m.group())

    @property
    def end(self) -> int:
        return self.start + self.length

    @property
    def digits(self) -> int:
        return self.length - 1 if self.kind == "S" else self.length


@dataclass
class Layout:
    name: str
    length: int
    zones: list[Zone] = field(default_factory=list)

    def zone(self, zone: str) -> Zone:
        """A zone by its id; error fields go by their own id (``4091``)."""
        for z in self.zones:
            if z.zone == zone:
                return z
        raise KeyError(f"layout {self.name} has no zone {zone}")


def _allowed(text: str) -> tuple[tuple[int, int], ...]:
    if text == "-":
        return ()
    out = []
    for part in text.split("|"):
        lo, _, hi = part.partition("..")
        out.append((int(lo), int(hi or lo)))
    return tuple(out)


def parse_table(name: str, length: int, table: str) -> Layout:
    """Parse one layout table; raise ``ValueError`` naming the line when it is wrong."""
    layout = Layout(name, length)
    pos = 0
    for lineno, raw in enumerate(table.strip("\n").splitlines(), 1):
        if not raw.strip():
            continue
        m = _LINE.match(raw.strip())
        if not m:
            raise ValueError(f"layout {name}, line {lineno}: cannot parse {raw!r}")
        start = int(m["start"]) - 1
        zlen = int(m["length"])
        if start != pos:
            raise ValueError(
                f"layout {name}, zone {m['zone']}: starts at {start + 1}, expected {pos + 1}"
            )
        flags = m["flags"]
        col = None if m["column"] == "-" else m["column"]
        zone = Zone(
            name,
            m["zone"],
            start,
            zlen,
            m["kind"],
            "M" in flags,
            "b" in flags,
            "e" in flags,
            col,
            _allowed(m["allowed"]),
            m["name"].strip(),
            must_be_zero="z" in flags,
        )
        if zone.must_be_zero and zone.kind != "N":
            raise ValueError(f"layout {name}, zone {zone.zone}: only digit zones can be reserved")
        layout.zones.append(zone)
        pos = start + zlen
        if zone.error_zone:
            layout.zones.append(
                # Error fields carry the insurer's codes in answers; in a sending
                # they are 00 (efact-format.md section 2), or blank where the zone
                # is (account C of records 95/96): anything else is a format error
                # of the zone they belong to.
                Zone(
                    name,
                    m["zone"] + "1",
                    pos,
                    2,
                    "N",
                    False,
                    True,
                    False,
                    None,
                    (),
                    f"Error code for zone {m['zone']}",
                    must_be_zero=True,
                    is_error_field=True,
                )
            )
            pos += 2
    if pos != length:
        raise ValueError(f"layout {name}: zones add up to {pos}, expected {length}")
    if len(layout.zones) > 64:
        raise ValueError(f"layout {name}: more than 64 zones (the core tracks them in a bit set)")
    return layout


class Compiled:
    """All layouts of a message as flat arrays, plus name lookups for the rules."""

    def __init__(self, tables: dict[str, tuple[int, str]]) -> None:
        self.layouts = [parse_table(name, length, text) for name, (length, text) in tables.items()]
        self.index = {lay.name: i for i, lay in enumerate(self.layouts)}
        self.zones: list[Zone] = [z for lay in self.layouts for z in lay.zones]

        # Columns: narrow (int32) when every zone feeding it has at most 9 digits.
        widths: dict[str, int] = {}
        for z in self.zones:
            if z.column:
                widths[z.column] = max(widths.get(z.column, 0), z.digits)
        self.narrow = sorted(c for c, w in widths.items() if w <= 9)
        self.wide = sorted(c for c, w in widths.items() if w > 9)

        n_lay = len(self.layouts)
        self.layout_len = np.array([lay.length for lay in self.layouts], dtype=np.int32)
        rtypes = [int(lay.name) if len(lay.name) == 2 else 0 for lay in self.layouts]
        #: Record type of each layout (0 for the segments).
        self.layout_rtype = np.array(rtypes, dtype=np.int16)
        self.layout_check = np.array(
            [1 if t in _tables.DETAIL_TYPES else 0 for t in rtypes], dtype=np.uint8
        )
        #: Records of an invoice (20 to 80).
        self.layout_member = np.array(
            [1 if t in _tables.INVOICE_RECORDS else 0 for t in rtypes], dtype=np.uint8
        )
        self.type_to_layout = np.full(100, -1, dtype=np.int8)
        for i, lay in enumerate(self.layouts):
            if len(lay.name) == 2:
                self.type_to_layout[int(lay.name)] = i

        self.allow = np.zeros((n_lay, 350), dtype=np.uint8)
        self.zone_first = np.zeros(n_lay, dtype=np.int32)
        self.zone_count = np.zeros(n_lay, dtype=np.int32)
        nz = len(self.zones)
        self.z_start = np.zeros(nz, dtype=np.int32)
        self.z_len = np.zeros(nz, dtype=np.int32)
        self.z_kind = np.zeros(nz, dtype=np.uint8)
        self.z_flags = np.zeros(nz, dtype=np.uint8)
        #: Per zone: its column among its layout's columns (its slot), or -1.
        self.z_slot = np.full(nz, -1, dtype=np.int16)
        self.z_rng_first = np.zeros(nz, dtype=np.int32)
        self.z_rng_count = np.zeros(nz, dtype=np.int32)
        z_work = np.zeros(nz, dtype=np.uint8)
        #: The columns of every layout, layout after layout (the core's slots): per slot
        #: its layout and column name; per layout its first slot and how many.
        self.slot_names: list[tuple[str, str]] = []
        self.slot_first = np.zeros(n_lay, dtype=np.int32)
        self.slot_count = np.zeros(n_lay, dtype=np.int32)
        self._slots: dict[tuple[str, str], int] = {}
        self.layout_zero = np.zeros(n_lay, dtype=np.uint8)
        self.zero_expect = np.zeros((n_lay, 350), dtype=np.uint8)
        self.zero_mask = np.zeros((n_lay, 350), dtype=np.uint8)
        lo: list[int] = []
        hi: list[int] = []
        zi = 0
        for li, lay in enumerate(self.layouts):
            self.zone_first[li] = zi
            self.zone_count[li] = len(lay.zones)
            self.slot_first[li] = len(self.slot_names)
            for z in lay.zones:
                self._allow(li, z)
                self.z_start[zi], self.z_len[zi] = z.start, z.length
                self.z_kind[zi] = KINDS[z.kind]
                self.z_flags[zi] = (
                    (F_MANDATORY if z.mandatory else 0)
                    | (F_BLANK_OK if z.blank_ok else 0)
                    | (F_ERROR_ZONE if z.error_zone else 0)
                    | (F_ERROR_FIELD if z.is_error_field else 0)
                    | (F_ZERO if z.must_be_zero else 0)
                )
                if z.column:
                    if (lay.name, z.column) in self._slots:
                        raise ValueError(f"layout {lay.name}: column {z.column} twice")
                    self.z_slot[zi] = len(self.slot_names) - self.slot_first[li]
                    self._slots[(lay.name, z.column)] = len(self.slot_names)
                    self.slot_names.append((lay.name, z.column))
                self.z_rng_first[zi] = len(lo)
                self.z_rng_count[zi] = len(z.allowed)
                for a, b in z.allowed:
                    lo.append(a)
                    hi.append(b)
                # Zones whose value the core must read: extracted, mandatory,
                # restricted, or of a kind with rules beyond character classes.
                needs = z.column or z.mandatory or z.allowed or z.blank_ok or z.kind in "DY"
                if z.must_be_zero:
                    # Checked apart from the work zones: the zeros-only ones by the
                    # layout's masks (bit 1), the ones that may be blank one by one (bit 2).
                    needs = False
                    if z.blank_ok:
                        self.layout_zero[li] |= 2
                    else:
                        self.zero_expect[li, z.start : z.end] = ord("0")
                        self.zero_mask[li, z.start : z.end] = 0xFF
                        self.layout_zero[li] |= 1
                z_work[zi] = 1 if needs else 0
                zi += 1
            self.slot_count[li] = len(self.slot_names) - self.slot_first[li]
        self.slot_wide = np.array(
            [1 if col in self.wide else 0 for _, col in self.slot_names], dtype=np.uint8
        )
        # Per layout, the zones the core must read, as one compact list.
        work = np.flatnonzero(z_work).astype(np.int32)
        owner = np.searchsorted(self.zone_first, work, side="right") - 1
        self.work_zone = work
        self.work_first = np.searchsorted(owner, np.arange(n_lay)).astype(np.int32)
        self.work_count = np.bincount(owner, minlength=n_lay).astype(np.int32)
        self.rng_lo = np.array(lo or [0], dtype=np.int64)
        self.rng_hi = np.array(hi or [0], dtype=np.int64)
        # The sequence number of each detail layout (the record order follows it).
        self.seq_slot = np.full(n_lay, -1, dtype=np.int16)
        self.seq_bit = np.zeros(n_lay, dtype=np.uint64)
        for li, lay in enumerate(self.layouts):
            for k, z in enumerate(lay.zones):
                if z.column == _tables.SEQUENCE_COLUMN:
                    self.seq_slot[li] = self.z_slot[self.zone_first[li] + k]
                    self.seq_bit[li] = np.uint64(1 << k)

    def _allow(self, li: int, z: Zone) -> None:
        a = self.allow[li]
        s, e = z.start, z.end
        if z.kind in "NDY":
            a[s:e] = C_DIGIT | (C_BLANK if z.must_be_zero and z.blank_ok else 0)
        elif z.kind == "S":
            a[s] = C_SIGN | (C_BLANK if z.blank_ok else 0)
            a[s + 1 : e] = C_DIGIT | (C_BLANK if z.blank_ok else 0)
        else:
            a[s:e] = C_TEXT

    # -- lookups used by the rules and the writers -------------------------------------
    def layout(self, name: str) -> Layout:
        return self.layouts[self.index[name]]

    def zone_index(self, layout: str, zone: str) -> int:
        """Global index of a zone (as stored in the core's error table)."""
        li = self.index[layout]
        for k, z in enumerate(self.layouts[li].zones):
            if z.zone == zone and not z.is_error_field:
                return int(self.zone_first[li]) + k
        raise KeyError(f"layout {layout} has no zone {zone}")

    def slot(self, layout: str, column: str) -> int:
        """Global slot of a layout's column (``KeyError`` when the layout has none)."""
        try:
            return self._slots[(layout, column)]
        except KeyError:
            raise KeyError(f"layout {layout} has no column {column}") from None

    def local_slot(self, layout: str, column: str) -> int:
        """A column's index among its layout's columns (what the rules name)."""
        return self.slot(layout, column) - int(self.slot_first[self.index[layout]])

    def slots_of(self, column: str) -> np.ndarray:
        """Per layout, the global slot of a column, or -1 (what ``_core.gather`` reads)."""
        out = np.full(len(self.layouts), -1, dtype=np.int32)
        for li, lay in enumerate(self.layouts):
            out[li] = self._slots.get((lay.name, column), -1)
        return out

    def zone_bit(self, layout: str, zone: str) -> int:
        """A zone's bit among its layout's zones (the core's masks of unreadable zones)."""
        li = self.index[layout]
        return 1 << (self.zone_index(layout, zone) - int(self.zone_first[li]))

    def column_wide(self, name: str) -> bool:
        """Whether a column holds int64 values (else int32)."""
        if name not in self.narrow and name not in self.wide:
            raise KeyError(f"no column {name}")
        return name in self.wide


#: The compiled layouts of message 920000 (segments 200/300, records 10-96).
LAYOUTS = Compiled(_tables.SENDING)

#: The parts of the answer messages (parsed, not compiled: answers are small and
#: read in Python), keyed like :data:`vsbengine.formats.efact.layouts.REPLY`.
REPLY_LAYOUTS = {
    name: parse_table(name, length, text) for name, (length, text) in _tables.REPLY.items()
}


def layout_named(name: str) -> Layout:
    """A sending layout (``"20"``, ``"300"``) or an answer layout (``"300x"``, ``"ext"``,
    ``"91"``)."""
    if name in LAYOUTS.index:
        return LAYOUTS.layout(name)
    try:
        return REPLY_LAYOUTS[name]
    except KeyError:
        raise KeyError(f"no layout named {name!r}") from None
