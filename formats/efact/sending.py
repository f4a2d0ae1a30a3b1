"""A scanned billing file: its bytes, its units and columns, and its structure.

Units are what the core framed, in file order: unit 0 is segment 200, unit 1
segment 300 (offset -1 when absent), then every complete 350-character record.
The core stores the columns per record type (:meth:`Sending.values`: the values
of one column for the records of one type, in file order) and follows the invoice
structure (:attr:`Sending.invoices`, the invoice of every unit); the rules work on
unit indices and numpy arrays. Nothing here creates a Python object per record.
"""

from __future__ import annotations

from functools import cached_property

import numpy as np

from vsbengine import _core
from vsbengine.formats.efact.compiled import LAYOUTS, Compiled
from vsbengine.formats.efact.layouts import DETAIL_TYPES

_TABLES: dict[int, _core.CoreTables] = {}


def core_tables(compiled: Compiled = LAYOUTS) -> _core.CoreTables:
    """The compiled layouts and rules pinned for the core (built once per layout set)."""
    key = id(compiled)
    if key not in _TABLES:
        from vsbengine.formats.efact.rules import rule_table

        _TABLES[key] = _core.CoreTables(compiled, rule_table(compiled))
    return _TABLES[key]


def rule_params(data, compiled: Compiled, today: int) -> tuple[int, np.ndarray]:
    """Where the record 10 that governs a buffer is (its first one, -1 for none), and
    the rules' parameters (:data:`vsbengine.formats.efact.rules.PARAMS`) from it."""
    from vsbengine.formats.efact.checks.common import add_month

    first = _core.first_record(data, core_tables(compiled), compiled.index["10"])
    if first is None:
        return -1, np.array([today, 0, 0, 0], dtype=np.int64)
    offset, values, found = first
    col = lambda name: int(values[compiled.local_slot("10", name)])  # noqa: E731
    billed = col("invoiced_year") * 100 + col("invoiced_month")
    readable = not (found & compiled.zone_bit("10", "25,26"))
    created = col("creation_date") if readable else 0
    following = int(add_month(billed)) if billed else 0
    return offset, np.array([today, billed, following, created], dtype=np.int64)


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
    next_type
        The record type of the unit right after the chunk (None: the chunk ends the
        file, or the type is not one of message 920000).
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
    today
        The date the rules take as today (YYYYMMDD).
    rules
        Run the streaming rules (a scan for the writers does not need them).
    drop_pages
        ``data`` is a read-only shared map of a file: the scan gives its pages back
        behind it (see :func:`vsbengine._core.scan`), so the file is not resident whole.
    """

    def __init__(
        self,
        data,
        *,
        own_first: int = 2,
        last: bool = True,
        next_type: int | None = None,
        unit_base: int | None = None,
        offset_base: int = 0,
        own_offset: int = 0,
        compiled: Compiled = LAYOUTS,
        today: int = 0,
        rules: bool = True,
        drop_pages: bool = False,
    ) -> None:
        self.data = data
        self.compiled = compiled
        self.own_first = own_first
        self.last = last
        self.next_type = None if last else next_type
        self.unit_base = own_first if unit_base is None else unit_base
        self.offset_base = offset_base
        self.own_offset = own_offset
        self.today = today
        #: ``data`` is a view of a read-only map of the file (:meth:`give_back`).
        self.drop_pages = drop_pages
        tables = core_tables(compiled)
        first10, params = rule_params(data, compiled, today) if rules else (-1, None)
        scan = _core.scan(
            data,
            tables,
            params=params,
            first10=first10,
            own_first=own_first,
            rules=rules,
            drop_pages=drop_pages,
        )
        #: What the core found (units, columns, invoices, findings).
        self.scan: _core.Scan = scan
        self.size = len(data)
        self.buf = np.frombuffer(data, dtype=np.uint8) if self.size else np.zeros(0, np.uint8)
        self.offsets: np.ndarray = scan.offsets
        self.layout: np.ndarray = scan.layout
        self.n_units = len(self.offsets)
        # Record type per unit (0 for the segments and for records of unknown type).
        # A table by the layout's byte (the core's layouts are int8; -1, unknown, reads
        # as 255: 0), read with take (a fraction of fancy indexing's time on a million
        # units).
        names = np.zeros(256, dtype=np.uint8)
        names[: len(compiled.layout_rtype)] = compiled.layout_rtype
        self.rtype = np.take(names, self.layout.view(np.uint8))
        self.lines = scan.lines
        self._units: dict[tuple[int, ...], np.ndarray] = {}
        self._masks: dict[tuple, np.ndarray] = {}
        self._cols: dict[str, np.ndarray] = {}
        self._none = np.zeros(self.n_units, dtype=bool)
        self._none.flags.writeable = False

    def give_back(self) -> None:
        """A chunk read from a mapped file gives the pages of its bytes back (the
        writers read the echoed records from them: each access maps its neighbours
        too). They stay in the page cache; a later access maps them again."""
        if self.drop_pages:
            _core.drop_pages(self.data)

    def in_file(self, units: np.ndarray) -> np.ndarray:
        """Units of this chunk as units of the whole file (the segments and the copies
        before ``own_first`` stay as they are). Not a copy when nothing moves."""
        units = np.asarray(units, dtype=np.int64)
        shift = self.unit_base - self.own_first
        if units.size and units.min() >= self.own_first:  # the usual case: all the chunk's
            return units + shift if shift else units  # (one piece: the units themselves)
        return np.where(units >= self.own_first, self.unit_base + units - self.own_first, units)

    # -- columns ------------------------------------------------------------------------
    def values(self, name: str, rtype: int) -> np.ndarray:
        """The values of a column for the records of one type, in file order (aligned
        with :meth:`units_of`); zeros when the type has no such column."""
        li = self.compiled.index[str(rtype)]
        try:
            slot = self.compiled.slot(str(rtype), name)
        except KeyError:
            return np.zeros(len(self.scan.units[li]), dtype=np.int64)
        return self.scan.slots[slot]

    def value_at(self, name: str, units) -> np.ndarray:
        """The values of a column for the given units, of any types (int64; 0 where a
        unit has no such column)."""
        return _core.gather(self.scan, self.compiled.slots_of(name), units)

    def col(self, name: str) -> np.ndarray:
        """The values of a column for every unit (int64; 0 where the unit has no such
        zone). Built on first use (the core stores columns per record type)."""
        out = self._cols.get(name)
        if out is None:
            out = self._cols[name] = self.value_at(name, np.arange(self.n_units))
            out.flags.writeable = False
        return out

    def type_mask(self, *types: int) -> np.ndarray:
        """Boolean mask over units: the record type is one of ``types`` (cached, read-only)."""
        key = ("type",) + tuple(sorted(types))
        mask = self._masks.get(key)
        if mask is None:
            # A comparison per type: a fraction of a lookup table's gather.
            mask = np.zeros(len(self.rtype), dtype=bool)
            for t in set(types):
                if 0 <= t < 256:
                    mask |= self.rtype == t
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
            return int(self.value_at("destination", [prev])[0])
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
            if len(key) == 1 and str(key[0]) in self.compiled.index:
                li = self.compiled.index[str(key[0])]
                units = self.scan.units[li].astype(np.int64)
            else:
                units = np.flatnonzero(self.type_mask(*types))
            self._units[key] = units
        return units

    def count_of(self, rtype: int) -> int:
        """Records of a type in the scan."""
        return len(self.scan.units[self.compiled.index[str(rtype)]])

    @cached_property
    def record10(self) -> int:
        """Unit of the first record 10, or -1."""
        u = self.scan.units[self.compiled.index["10"]]
        return int(u[0]) if len(u) else -1

    @cached_property
    def record90(self) -> int:
        """Unit of the last record 90, or -1."""
        u = self.scan.units[self.compiled.index["90"]]
        return int(u[-1]) if len(u) else -1

    @cached_property
    def invoice_of(self) -> np.ndarray:
        """For each unit, the index of its invoice in :attr:`invoices`, or -1 (an invoice
        is a record 20 and what follows it up to its first record 80; what comes after
        that record 80 and before the next record 20 is of no invoice)."""
        return self.scan.invoice.astype(np.int64)

    def head20_of(self, units: np.ndarray) -> np.ndarray:
        """The record 20 of each unit's invoice (-1 outside invoices)."""
        inv = self.scan.invoice[units]
        head = self.scan.inv_head
        return np.where(inv >= 0, head[np.maximum(inv, 0)] if len(head) else -1, -1).astype(
            np.int64
        )

    @cached_property
    def head20(self) -> np.ndarray:
        """For each unit inside an invoice (records 20 to 80), the unit of its record 20;
        else -1."""
        return self.head20_of(np.arange(self.n_units))

    @cached_property
    def in_invoice(self) -> np.ndarray:
        """Units inside an invoice (records 20 to 80 of it)."""
        return self.scan.invoice >= 0

    def has_findings(self, layout: str, zone: str) -> bool:
        """Whether the core reported any finding on this zone of this layout."""
        return self.finding_mask(layout, zone) is not self._none

    def head50_of(self, units: np.ndarray) -> np.ndarray:
        """For records 51/52 (``units`` ascending), the unit of the record 50 they
        complete: the last record 50 before them, unless a record 20 or the record 80
        that ends an invoice came between (as the core's rules follow them); else -1."""
        units = np.asarray(units, dtype=np.int64)
        ends = self.invoice_end
        ends = np.sort(ends[ends >= 0], kind="stable")  # (ascending already, as a rule)
        last = _core.last_before(self.units_of(50), units, self.units_of(20), ends)
        rt = self.rtype[units]
        return np.where((rt == 51) | (rt == 52), last, -1)

    @cached_property
    def head50(self) -> np.ndarray:
        """For each record 51/52, the unit of the record 50 it completes; else -1."""
        return self.head50_of(np.arange(self.n_units))

    @cached_property
    def invoices(self) -> np.ndarray:
        """Units of the records 20, in file order (one invoice each)."""
        return self.scan.inv_head.astype(np.int64)

    @cached_property
    def invoice_end(self) -> np.ndarray:
        """For each invoice, the unit of its record 80 (the first after its 20), or -1."""
        return self.scan.inv_end.astype(np.int64)

    def invoice_total(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """A total of the rule table per invoice (its sum, and whether a summed zone was
        unreadable)."""
        from vsbengine.formats.efact.rules import rule_table

        k = rule_table(self.compiled).totals[name]
        return self.scan.inv_sums[:, k], self.scan.inv_bad[:, k].astype(bool)

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
        return self.values("destination", 20).astype(np.int64)
