"""A scanned billing file: its bytes, its units and columns, and its structure.

Units are what the core framed, in file order: unit 0 is segment 200, unit 1
segment 300 (offset -1 when absent), then every complete 350-character record.
The rules work on unit indices and numpy columns; nothing here creates a
Python object per record.
"""

from __future__ import annotations

from functools import cached_property

import numpy as np

from vsbengine import _core
from vsbengine.formats.efact.compiled import LAYOUTS, Compiled
from vsbengine.formats.efact.layouts import DETAIL_TYPES

_TABLES: dict[int, _core.CoreTables] = {}


def core_tables(compiled: Compiled = LAYOUTS) -> _core.CoreTables:
    """The compiled layouts pinned for the core (built once per layout set)."""
    key = id(compiled)
    if key not in _TABLES:
        _TABLES[key] = _core.CoreTables(compiled)
    return _TABLES[key]


class Sending:
    """The units, columns and invoice structure of one scanned billing file, or of one
    chunk of it (see :mod:`vsbengine.formats.efact.chunks`).

    Parameters
    ----------
    data
        The bytes (any buffer: bytes, memoryview, mmap).
    own_first
        Index of the first unit that belongs to this chunk; the record units before it
        are copies of the file's record 10 and of the record before the chunk, there
        only as references for the checks.
    last
        Whether the chunk ends the file.
    unit_base
        Index in the whole file of unit ``own_first`` (default: ``own_first``, a
        whole file).
    offset_base
        Offset in the whole file of the buffer's first byte (0 for a whole file; for
        a chunk, where its own bytes start less the copies put before them).
    own_offset
        Where this chunk's own bytes start in the buffer (after the copies).
    compiled
        The compiled layouts.
    """

    def __init__(
        self,
        data,
        *,
        own_first: int = 2,
        last: bool = True,
        unit_base: int | None = None,
        offset_base: int = 0,
        own_offset: int = 0,
        compiled: Compiled = LAYOUTS,
    ) -> None:
        self.data = data
        self.compiled = compiled
        self.own_first = own_first
        self.last = last
        self.unit_base = own_first if unit_base is None else unit_base
        self.offset_base = offset_base
        self.own_offset = own_offset
        scan = _core.scan(data, core_tables(compiled), len(compiled.narrow), len(compiled.wide))
        #: What the core found (units, columns, findings).
        self.scan: _core.Scan = scan
        self.size = len(data)
        self.buf = np.frombuffer(data, dtype=np.uint8) if self.size else np.zeros(0, np.uint8)
        self.offsets: np.ndarray = scan.offsets
        self.layout: np.ndarray = scan.layout
        self.n_units = len(self.offsets)
        names = np.array(
            [int(lay.name) if len(lay.name) == 2 else 0 for lay in compiled.layouts] + [0],
            dtype=np.uint8,
        )
        # Record type per unit (0 for the segments and for records of unknown type).
        self.rtype = names[self.layout]  # layout -1 (unknown) takes the last entry, 0
        if self.n_units:
            self.rtype[: min(2, self.n_units)] = 0
        self.lines = scan.lines
        self._units: dict[tuple[int, ...], np.ndarray] = {}
        self._masks: dict[tuple, np.ndarray] = {}
        self._none = np.zeros(self.n_units, dtype=bool)
        self._none.flags.writeable = False

    def in_file(self, units: np.ndarray) -> np.ndarray:
        """Units of this chunk as units of the whole file (the segments and the copies
        before ``own_first`` stay as they are)."""
        units = np.asarray(units, dtype=np.int64)
        return np.where(units >= self.own_first, self.unit_base + units - self.own_first, units)

    # -- columns ------------------------------------------------------------------------
    def col(self, name: str) -> np.ndarray:
        """The values of a column for every unit (0 where the unit has no such zone)."""
        wide, i = self.compiled.column(name)
        return (self.scan.wide if wide else self.scan.narrow)[i]

    def type_mask(self, *types: int) -> np.ndarray:
        """Boolean mask over units: the record type is one of ``types`` (cached, read-only)."""
        key = ("type",) + tuple(sorted(types))
        mask = self._masks.get(key)
        if mask is None:
            lut = np.zeros(256, dtype=bool)
            lut[list(types)] = True
            mask = lut[self.rtype]
            mask.flags.writeable = False
            self._masks[key] = mask
        return mask

    def finding_mask(self, layout: str, zone: str) -> np.ndarray:
        """Boolean mask over units: the core reported a finding on this zone of this layout.

        Read-only; shared between callers (most files have no findings at all).
        """
        key = (layout, zone)
        mask = self._masks.get(key)
        if mask is None:
            zi = self.zone_index(layout, zone)
            hit = self.scan.finding_unit[self.scan.finding_zone == zi]
            if len(hit) == 0:
                mask = self._none
            else:
                mask = np.zeros(self.n_units, dtype=bool)
                mask[hit] = True
                mask.flags.writeable = False
            self._masks[key] = mask
        return mask

    def zone_bytes(self, units: np.ndarray, layout: str, zone: str) -> np.ndarray:
        """The raw bytes of one zone for the given units, as an ``(n, length)`` array."""
        z = self.compiled.layout(layout).zone(zone)
        starts = self.offsets[units] + z.start
        return self.buf[starts[:, None] + np.arange(z.length)]

    def zone_index(self, layout: str, zone: str) -> int:
        return self.compiled.zone_index(layout, zone)

    # -- structure ----------------------------------------------------------------------
    @property
    def first_chunk(self) -> bool:
        return self.own_first == 2

    @cached_property
    def own(self) -> np.ndarray:
        """Units of this chunk (not the reference copies before it; the segments only in
        the first chunk)."""
        mask = np.zeros(self.n_units, dtype=bool)
        mask[self.own_first :] = True
        if self.first_chunk:
            mask[:2] = True
        return mask

    @cached_property
    def previous_destination(self) -> int | None:
        """Destination mutuality of the invoice before the chunk (its record 80), if any."""
        prev = self.own_first - 1
        if prev >= 2 and self.rtype[prev] == 80:
            return int(self.col("destination")[prev])
        return None

    @cached_property
    def is_detail(self) -> np.ndarray:
        """Units that are records 10 to 90 (those that count in the error ratio)."""
        return self.type_mask(*DETAIL_TYPES)

    @cached_property
    def detail(self) -> np.ndarray:
        return np.flatnonzero(self.is_detail)

    def units_of(self, *types: int) -> np.ndarray:
        """Units of the given record types, in file order (cached)."""
        key = tuple(sorted(types))
        units = self._units.get(key)
        if units is None:
            units = np.flatnonzero(self.type_mask(*types))
            self._units[key] = units
        return units

    @cached_property
    def record10(self) -> int:
        """Unit of the first record 10, or -1."""
        u = self.units_of(10)
        return int(u[0]) if len(u) else -1

    @cached_property
    def record90(self) -> int:
        """Unit of the last record 90, or -1."""
        u = self.units_of(90)
        return int(u[-1]) if len(u) else -1

    @cached_property
    def head20(self) -> np.ndarray:
        """For each unit inside an invoice (records 20 to 80), the unit of its record 20;
        else -1."""
        idx = np.arange(self.n_units)
        last = np.maximum.accumulate(np.where(self.rtype == 20, idx, -1)) if self.n_units else idx
        return np.where(self.type_mask(20, 30, 50, 51, 52, 80), last, -1)

    @cached_property
    def in_invoice(self) -> np.ndarray:
        """Units inside an invoice (records 20 to 80 of it)."""
        return self.head20 >= 0

    def has_findings(self, layout: str, zone: str) -> bool:
        """Whether the core reported any finding on this zone of this layout."""
        return self.finding_mask(layout, zone) is not self._none

    @cached_property
    def head50(self) -> np.ndarray:
        """For each record 51/52, the unit of the record 50 it completes; else -1."""
        idx = np.arange(self.n_units)
        last = np.maximum.accumulate(np.where(self.rtype == 50, idx, -1)) if self.n_units else idx
        dep = self.type_mask(51, 52) & (last > self.head20)
        return np.where(dep, last, -1)

    @cached_property
    def invoices(self) -> np.ndarray:
        """Units of the records 20, in file order (one invoice each)."""
        return self.units_of(20)

    @cached_property
    def invoice_of(self) -> np.ndarray:
        """For each unit, the index of its invoice in :attr:`invoices`, or -1."""
        pos = np.cumsum(self.rtype == 20) - 1
        return np.where(self.head20 >= 0, pos, -1)

    @cached_property
    def invoice_end(self) -> np.ndarray:
        """For each invoice, the unit of its record 80 (the first after its 20), or -1."""
        r80 = self.units_of(80)
        inv = self.invoice_of[r80]
        out = np.full(len(self.invoices), -1, dtype=np.int64)
        keep = inv >= 0
        first_inv, first = np.unique(inv[keep], return_index=True)
        out[first_inv] = r80[keep][first]
        return out

    def per_invoice_sum(self, values: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """Sum of ``values`` over the units of each invoice where ``mask`` holds (int64, exact)."""
        if len(self.invoices) == 0:
            return np.zeros(0, dtype=np.int64)
        # An invoice's units are contiguous from its record 20 on; units outside
        # invoices (records 10, 90, 95, 96) are masked out.
        masked = np.where(mask & self.in_invoice, values, 0)
        return np.add.reduceat(masked, self.invoices, dtype=np.int64)

    @cached_property
    def destination(self) -> np.ndarray:
        """Destination mutuality (R20 zone 18) of each invoice."""
        return self.col("destination")[self.invoices].astype(np.int64)
