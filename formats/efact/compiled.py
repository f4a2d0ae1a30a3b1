"""Compile the layout tables of :mod:`.layouts` into the arrays the core walks.

The result, :data:`LAYOUTS`, is built once at import. It holds, per layout,
the allowed character classes of every position and the zone table (start,
length, kind, flags, target column, allowed values), flattened into numpy
arrays so that ``_core.scan`` can read them without touching Python objects.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

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

    @property
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
                # Error fields carry the insurer's codes in answers; a sender
                # leaves them 00 or blank, so only their characters are checked.
                Zone(
                    name,
                    m["zone"] + "1",
                    pos,
                    2,
                    "A",
                    False,
                    False,
                    False,
                    None,
                    (),
                    f"Error code for zone {m['zone']}",
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
        self.layout_check = np.array(
            [
                1 if lay.name.isdigit() and int(lay.name) in _tables.DETAIL_TYPES else 0
                for lay in self.layouts
            ],
            dtype=np.uint8,
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
        self.z_col = np.full(nz, -1, dtype=np.int16)
        self.z_wide = np.zeros(nz, dtype=np.uint8)
        self.z_rng_first = np.zeros(nz, dtype=np.int32)
        self.z_rng_count = np.zeros(nz, dtype=np.int32)
        self.z_work = np.zeros(nz, dtype=np.uint8)
        self.layout_zero = np.zeros(n_lay, dtype=np.uint8)
        self.zero_expect = np.zeros((n_lay, 350), dtype=np.uint8)
        self.zero_mask = np.zeros((n_lay, 350), dtype=np.uint8)
        lo: list[int] = []
        hi: list[int] = []
        zi = 0
        for li, lay in enumerate(self.layouts):
            self.zone_first[li] = zi
            self.zone_count[li] = len(lay.zones)
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
                    if z.column in self.narrow:
                        self.z_col[zi] = self.narrow.index(z.column)
                    else:
                        self.z_col[zi] = self.wide.index(z.column)
                        self.z_wide[zi] = 1
                self.z_rng_first[zi] = len(lo)
                self.z_rng_count[zi] = len(z.allowed)
                for a, b in z.allowed:
                    lo.append(a)
                    hi.append(b)
                # Zones whose value the core must read: extracted, mandatory,
                # restricted, reserved (zeros), or of a kind with rules beyond
                # character classes.
                # Reserved zones that must hold zeros are compared all at once with
                # the layout's zero masks; one that may be blank is a work zone.
                needs = z.column or z.mandatory or z.allowed or z.blank_ok or z.kind in "DY"
                if z.must_be_zero and not z.blank_ok:
                    self.zero_expect[li, z.start : z.end] = ord("0")
                    self.zero_mask[li, z.start : z.end] = 0xFF
                    self.layout_zero[li] = 1
                self.z_work[zi] = 1 if needs else 0
                zi += 1
        # Per layout, the zones the core must read, as one compact list.
        work = np.flatnonzero(self.z_work).astype(np.int32)
        owner = np.searchsorted(self.zone_first, work, side="right") - 1
        self.work_zone = work
        self.work_first = np.searchsorted(owner, np.arange(n_lay)).astype(np.int32)
        self.work_count = np.bincount(owner, minlength=n_lay).astype(np.int32)
        self.rng_lo = np.array(lo or [0], dtype=np.int64)
        self.rng_hi = np.array(hi or [0], dtype=np.int64)

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

    def column(self, name: str) -> tuple[bool, int]:
        """``(wide, index)`` of a column name."""
        if name in self.narrow:
            return False, self.narrow.index(name)
        return True, self.wide.index(name)


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
