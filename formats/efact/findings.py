"""What the checks find: errors as columns, dependency edges, prestation keys, problems.

Every check has one signature: it gets the scanned sending (or the merged summary of
a whole sending) and a :class:`Context`, and returns :class:`Findings`. Checks add
errors with :meth:`ErrorBuilder.add`, naming the units, the code and the zone; the
letter comes from the catalogue, so that each code has one letter everywhere.
:meth:`ErrorBuilder.table` returns an :class:`ErrorTable` sorted by unit (file
order), keeping the order in which the checks found them. :func:`locate` then fills
in where each error is (sequence number, record type, byte offset), so that a
result needs the file no more.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Protocol

import msgspec
import numpy as np

from vsbengine.errors import MissingDependencyError
from vsbengine.formats.efact.catalogue import catalogue
from vsbengine.formats.efact.compiled import LAYOUTS

#: ``None`` as a numpy value (an object array's missing entry).
NONE = np.array(None, dtype=object)
_COLUMNS = ("unit", "code", "letter", "zone", "seq", "rtype", "offset")
_DTYPES = (np.int64, np.int32, np.uint8, np.int32, np.int64, np.int16, np.int64)


@dataclass(frozen=True)
class ErrorTable:
    """Errors as columns.

    ``unit`` (int64, -1 for none), ``code`` (int32, six digits), ``letter``
    (uint8 ASCII, 0 for none), ``zone`` (int32 global zone index, -1 for none),
    ``seq`` (record sequence number, -1 for none), ``rtype`` (record type, or 200
    and 300 for the segments, 0 when unknown), ``offset`` (byte offset of the
    zone in the file, -1 when unknown).
    """

    unit: np.ndarray
    code: np.ndarray
    letter: np.ndarray
    zone: np.ndarray
    seq: np.ndarray
    rtype: np.ndarray
    offset: np.ndarray

    def __len__(self) -> int:
        return len(self.unit)

    @classmethod
    def empty(cls) -> ErrorTable:
        return cls(*(np.empty(0, dtype=d) for d in _DTYPES))

    @classmethod
    def concat(cls, tables: list[ErrorTable]) -> ErrorTable:
        tables = [t for t in tables if len(t)]
        if not tables:
            return cls.empty()
        return cls(*(np.concatenate([getattr(t, c) for t in tables]) for c in _COLUMNS))

    def select(self, mask: np.ndarray) -> ErrorTable:
        return ErrorTable(*(getattr(self, c)[mask] for c in _COLUMNS))

    def sorted(self) -> ErrorTable:
        """In file order (units ascending; rows without a unit last), stable."""
        key = np.where(self.unit < 0, np.iinfo(np.int64).max, self.unit)
        return self.select(np.argsort(key, kind="stable"))

    def has_letter(self, letter: str) -> np.ndarray:
        return self.letter == ord(letter)

    def codes(self) -> list[str]:
        """The codes as six-character strings, in table order."""
        return [f"{c:06d}" for c in self.code.tolist()]

    def readable(self) -> dict[str, tuple[np.ndarray, np.ndarray | None]]:
        """The columns as a reader sees them, each ``(values, missing)`` (``missing`` a mask,
        or ``None``): ``code`` and ``letter`` (str), ``record`` (the record's sequence
        number), ``record_type`` and ``zone`` (str, ``"8a,8b"``), ``offset`` (byte offset
        of the zone) and ``phase`` (1 technical, 2 pre-validation), the fields of
        :class:`vsbengine.result.ErrorEntry`. Built with lookups, not per error."""
        layouts = _zone_names()
        has_zone = self.zone >= 0
        zi = np.maximum(self.zone, 0)
        rt_name, rt_detail = _record_types()
        rt = np.clip(self.rtype.astype(np.int64), 0, len(rt_name) - 1)
        layout = np.where(has_zone, layouts.layout[zi], rt_name[rt])
        detail = np.where(has_zone, layouts.detail[zi], rt_detail[rt])
        codes, inverse = np.unique(self.code, return_inverse=True)
        cat = catalogue()
        code_text = np.array([f"{c:06d}" for c in codes.tolist()] + [""], dtype=object)
        letters = np.array([cat[f"{c:06d}"].letter or None for c in codes.tolist()] + [None])
        inverse = inverse.reshape(-1)
        letter = letters[inverse]
        return {
            "code": (code_text[inverse], None),
            "letter": (letter, np.equal(letter, NONE)),
            "record": (self.seq, ~(detail & (self.seq >= 0))),
            "record_type": (layout, np.equal(layout, NONE)),
            "zone": (np.where(has_zone, layouts.zone[zi], NONE), ~has_zone),
            "offset": (self.offset, self.offset < 0),
            "phase": (np.where(detail, 2, 1).astype(np.int8), None),
        }

    def to_arrow(self):
        """The errors as a ``pyarrow.Table`` with the columns of :meth:`readable` (absent
        values are nulls). Needs pyarrow (``pip install 'vsbengine[arrow]'``).

        Raises
        ------
        vsbengine.errors.MissingDependencyError
            pyarrow is not installed.
        """
        try:
            import pyarrow as pa
        except ImportError:
            raise MissingDependencyError(
                "ErrorTable.to_arrow needs pyarrow: pip install 'vsbengine[arrow]'"
            ) from None
        types = {
            "code": pa.string(),
            "letter": pa.string(),
            "record": pa.int64(),
            "record_type": pa.string(),
            "zone": pa.string(),
            "offset": pa.int64(),
            "phase": pa.int8(),
        }
        columns = self.readable()
        return pa.table(
            {
                name: pa.array(values, type=types[name], mask=missing)
                for name, (values, missing) in columns.items()
            }
        )

    @property
    def technical(self) -> np.ndarray:
        """Rows of the technical phase: the codes of segments 200/300 and records 95/96."""
        return np.isin(self.code // 10000, (2, 3, 95, 96))


def letter_of(code: str) -> str:
    return catalogue()[code].letter


class ErrorBuilder:
    """Collects errors from the checks (all as arrays, no object per error)."""

    def __init__(self) -> None:
        self._parts: list[ErrorTable] = []

    def add(self, units, code: str, zone: int = -1, *, seq=-1, rtype=0, offset=-1) -> None:
        """Add ``code`` on every unit of ``units`` (a unit index or an array of them).

        ``seq``, ``rtype`` and ``offset`` may be given when the checks know them
        (checks on a whole sending); otherwise :func:`locate` fills them in.
        """
        units = np.atleast_1d(np.asarray(units, dtype=np.int64))
        if units.size == 0:
            return
        letter = letter_of(code)
        n = units.size
        self._parts.append(
            ErrorTable(
                units,
                np.full(n, int(code), dtype=np.int32),
                np.full(n, ord(letter) if letter else 0, dtype=np.uint8),
                np.full(n, zone, dtype=np.int32),
                np.broadcast_to(np.asarray(seq, dtype=np.int64), (n,)).copy(),
                np.broadcast_to(np.asarray(rtype, dtype=np.int16), (n,)).copy(),
                np.broadcast_to(np.asarray(offset, dtype=np.int64), (n,)).copy(),
            )
        )

    def add_table(self, table: ErrorTable) -> None:
        if len(table):
            self._parts.append(table)

    def extend(self, other: ErrorBuilder) -> None:
        """Add what another builder collected (in its order)."""
        self._parts += other._parts

    def __len__(self) -> int:
        return sum(len(p) for p in self._parts)

    def table(self) -> ErrorTable:
        t = ErrorTable.concat(self._parts)
        if len(t) == 0:
            return t
        # The same code twice on one unit says nothing more: keep the first.
        key = t.unit * 1_000_000 + t.code
        _, first = np.unique(key, return_index=True)
        first.sort()
        return t.select(first).sorted()


def locate(table: ErrorTable, sending) -> ErrorTable:
    """Fill in where the errors of a checked chunk are, in the whole file.

    Local unit ``u >= own_first`` becomes ``unit_base + u - own_first`` (segments
    0 and 1 stay); local byte offsets shift by ``offset_base`` (see
    :class:`~vsbengine.formats.efact.sending.Sending`).
    """
    if len(table) == 0:
        return table
    s = sending
    unit_base, offset_base = s.unit_base, s.offset_base
    u = table.unit
    has = u >= 0
    safe = np.where(has, u, 0)
    seq = np.where(has & s.is_detail[safe], s.value_at("sequence", safe), -1).astype(np.int64)
    rtype = np.where(has, s.rtype[safe], 0).astype(np.int16)
    rtype = np.where(has & (safe == 0), 200, np.where(has & (safe == 1), 300, rtype)).astype(
        np.int16
    )
    starts = np.where(table.zone >= 0, _ZONE_START[np.maximum(table.zone, 0)], 0)
    unit_off = np.where(has, s.offsets[safe], -1)
    offset = np.where(has & (unit_off >= 0), unit_off + starts + offset_base, -1)
    unit = np.where(has & (u >= s.own_first), unit_base + u - s.own_first, u)
    return ErrorTable(
        unit.astype(np.int64),
        table.code,
        table.letter,
        table.zone,
        seq,
        rtype,
        offset.astype(np.int64),
    )


_ZONE_START = np.array([z.start for z in LAYOUTS.zones], dtype=np.int64)


def _is_detail(layout: str | None) -> bool:
    """Records 10 to 90 (not the segments 200/300, not records 95/96)."""
    return layout is not None and len(layout) == 2 and layout.isdigit() and int(layout) < 95


@dataclass(frozen=True)
class _ZoneNames:
    layout: np.ndarray  # object: the record type (or segment) of each zone
    zone: np.ndarray  # object: the zone's name ("8a,8b")
    detail: np.ndarray  # bool: a zone of records 10-90


@lru_cache(maxsize=1)
def _zone_names() -> _ZoneNames:
    zones = LAYOUTS.zones
    return _ZoneNames(
        np.array([z.layout for z in zones], dtype=object),
        np.array([z.zone for z in zones], dtype=object),
        np.array([_is_detail(z.layout) for z in zones], dtype=bool),
    )


@lru_cache(maxsize=1)
def _record_types() -> tuple[np.ndarray, np.ndarray]:
    """By ``rtype`` value (0 = unknown, 10..96, 200, 300): its name and whether it is a
    record 10-90."""
    names = np.array([None] + [f"{t:02d}" for t in range(1, 301)], dtype=object)
    return names, np.array([_is_detail(n) for n in names], dtype=bool)


class Problem(msgspec.Struct, frozen=True):
    """A located framing problem, for the engine's own report.

    ``record`` is the position of the record in the file (1 = the first record
    after segment 300), ``None`` for the segments.
    """

    offset: int | None
    record: int | None
    zone: str | None
    message: str


@dataclass(frozen=True)
class Place:
    """Where records are in the whole file: sequence number, record type, byte offset
    (for errors found on a whole sending, when the chunks are gone)."""

    seq: np.ndarray
    rtype: np.ndarray
    offset: np.ndarray

    def select(self, idx) -> Place:
        return Place(self.seq[idx], self.rtype[idx], self.offset[idx])

    @classmethod
    def concat(cls, parts: list[Place]) -> Place:
        return cls(
            *(
                np.concatenate([getattr(p, f) for p in parts]) if parts else np.zeros(0, dt)
                for f, dt in (("seq", np.int64), ("rtype", np.int16), ("offset", np.int64))
            )
        )


class Deferred:
    """Where records are, found when asked: parts, each a number of records and what
    places them (``locate(indices) -> Place``, e.g. the units of a chunk in its kept
    sending). :meth:`select` places only the records asked for: most records are never
    named by an error found on the whole sending, and placing every one of them costs
    more than the checks that might name them."""

    def __init__(self, parts: list[tuple[int, Callable[[np.ndarray], Place]]]) -> None:
        self.parts = parts
        self._starts = np.cumsum([0] + [n for n, _ in parts], dtype=np.int64)

    def __len__(self) -> int:
        return int(self._starts[-1])

    @classmethod
    def of(cls, place: Place | Deferred) -> Deferred:
        if isinstance(place, Deferred):
            return place
        return cls([(len(place.seq), place.select)])

    def select(self, idx) -> Place:
        """The places of the records at ``idx`` (indices, or a mask), in that order."""
        idx = np.asarray(idx)
        if idx.dtype == bool:
            idx = np.flatnonzero(idx)
        idx = idx.astype(np.int64, copy=False).reshape(-1)
        n = len(self)
        if len(idx) and (idx.min() < -n or idx.max() >= n):
            raise IndexError("a record outside the places")
        idx = np.where(idx < 0, idx + n, idx)
        seq = np.zeros(len(idx), np.int64)
        rtype = np.zeros(len(idx), np.int16)
        offset = np.zeros(len(idx), np.int64)
        if len(idx) == 0:
            return Place(seq, rtype, offset)
        part = np.searchsorted(self._starts, idx, side="right") - 1
        for k in np.unique(part).tolist():
            at = np.flatnonzero(part == k)
            got = self.parts[k][1](idx[at] - self._starts[k])
            seq[at], rtype[at], offset[at] = got.seq, got.rtype, got.offset
        return Place(seq, rtype, offset)

    def resolve(self) -> Place:
        """Every place (what an eager :class:`Place` would hold)."""
        return self.select(np.arange(len(self)))

    @classmethod
    def concat(cls, parts: list[Place | Deferred]) -> Deferred:
        return cls([q for p in parts for q in cls.of(p).parts])


def concat_places(parts: list[Place | Deferred]) -> Place | Deferred:
    """The places of parts one after the other (deferred when one part is)."""
    if any(isinstance(p, Deferred) for p in parts):
        return Deferred.concat(parts)
    return Place.concat(parts)  # type: ignore[arg-type]


def _typed(obj, **dtypes) -> bool:
    """Whether the arrays of ``obj`` named are of the dtypes given."""
    return all(getattr(obj, name).dtype == dtype for name, dtype in dtypes.items())


@dataclass(frozen=True)
class Edges:
    """Rejecting record ``src`` rejects record ``dst``, which gets ``code`` on ``zone``;
    ``place`` says where each ``dst`` is once the edges are placed in the whole file
    (:class:`Deferred`: found when asked, with :meth:`Place.select`)."""

    src: np.ndarray
    dst: np.ndarray
    code: np.ndarray  # int32
    zone: np.ndarray  # int32
    place: Place | Deferred | None = None

    def __len__(self) -> int:
        return len(self.src)

    @classmethod
    def empty(cls) -> Edges:
        return cls.concat([])

    @classmethod
    def concat(cls, parts: list[Edges]) -> Edges:
        if len(parts) == 1 and _typed(parts[0], src=np.int64, dst=np.int64, code=np.int32,
                                      zone=np.int32):  # fmt: skip
            return parts[0]  # one chunk's: the same, not copied

        def joined(name: str, dtype) -> np.ndarray:
            if not parts:
                return np.zeros(0, dtype)
            return np.concatenate([getattr(p, name) for p in parts]).astype(dtype, copy=False)

        places = [p.place for p in parts if p.place is not None]
        return cls(
            joined("src", np.int64),
            joined("dst", np.int64),
            joined("code", np.int32),
            joined("zone", np.int32),
            concat_places(places) if parts and len(places) == len(parts) else None,
        )


@dataclass(frozen=True)
class PrestationKeys:
    """The keys of the duplicate check (content checks) of each prestation ``unit``:
    ``key1`` = beneficiary and code, ``key2`` = first and last date; ``place`` once
    the keys are placed in the whole file; ``credit``: the prestations of credit notes
    (``None``: there are none)."""

    unit: np.ndarray
    key1: np.ndarray
    key2: np.ndarray
    place: Place | Deferred | None = None
    credit: np.ndarray | None = None

    def select(self, mine: np.ndarray | slice, unit: np.ndarray, place) -> PrestationKeys:
        """The keys of the prestations ``mine`` (a mask, indices or a slice: ``slice(None)``
        keeps them all, not copied), as ``unit``, placed."""
        credit = None if self.credit is None else self.credit[mine]
        return PrestationKeys(unit, self.key1[mine], self.key2[mine], place, credit)

    @classmethod
    def concat(cls, parts: list[PrestationKeys]) -> PrestationKeys:
        if len(parts) == 1 and parts[0].place is not None:
            return parts[0]  # one chunk's: the same, not copied
        credit = None
        if any(p.credit is not None for p in parts):
            credit = np.concatenate(
                [np.zeros(len(p.unit), bool) if p.credit is None else p.credit for p in parts]
            )
        return cls(
            np.concatenate([p.unit for p in parts]),
            np.concatenate([p.key1 for p in parts]),
            np.concatenate([p.key2 for p in parts]),
            concat_places([p.place for p in parts if p.place is not None]),
            credit,
        )


if TYPE_CHECKING:
    from vsbengine.formats.efact.checks.content import Lookups
    from vsbengine.formats.efact.sending import Sending
    from vsbengine.formats.efact.summary import Summary


@dataclass(frozen=True)
class Context:
    """What every check may use besides the sending: the date taken as today
    (``YYYYMMDD``) and the zorgkas's reference data (``None``: no content checks)."""

    today: int
    lookups: Lookups | None = None


@dataclass
class Findings:
    """What checks found: errors, dependency edges (what rejects what), the keys of the
    duplicate check, and framing problems. Checks return one; the pipeline merges
    them with :meth:`extend`."""

    errors: ErrorBuilder = field(default_factory=lambda: ErrorBuilder())
    edges: list[Edges] = field(default_factory=list)
    prestations: PrestationKeys | None = None
    problems: list[Problem] = field(default_factory=list)

    def extend(self, other: Findings) -> None:
        self.errors.extend(other.errors)
        self.edges += other.edges
        if other.prestations is not None:
            self.prestations = other.prestations
        self.problems += other.problems


class ChunkCheck(Protocol):
    """A check of one scanned chunk (or a whole file that is one chunk)."""

    def __call__(self, s: Sending, ctx: Context, /) -> Findings: ...


class SendingCheck(Protocol):
    """A check of a whole sending, on the merged summary of its chunks."""

    def __call__(self, sm: Summary, ctx: Context, /) -> Findings: ...
