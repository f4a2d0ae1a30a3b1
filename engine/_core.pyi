"""Type stubs of the compiled core (``engine/_core.pyx``; declarations in ``_core.pxd``)."""

import enum
from collections.abc import Sequence
from typing import Any, NamedTuple, Protocol

import numpy as np
import numpy.typing as npt

class CharClass(enum.IntEnum):
    C_DIGIT = 1
    C_BLANK = 2
    C_SIGN = 4
    C_ALPHA = 8
    C_PUNCT = 16
    C_LATIN = 32
    C_BAD = 64

class ZoneKind(enum.IntEnum):
    K_N = 0
    K_D = 1
    K_Y = 2
    K_S = 3
    K_A = 4
    K_X = 5

class ZoneFlag(enum.IntEnum):
    F_MANDATORY = 1
    F_BLANK_OK = 2
    F_ERROR_ZONE = 4
    F_ERROR_FIELD = 8
    F_ZERO = 16

class Finding(enum.IntEnum):
    E_NOT_DIGITS = 1
    E_CHECK = 2
    E_VALUE = 3
    E_SIGN = 5
    E_SIGN_IN_DIGITS = 6
    E_CHARS = 9
    E_MISSING = 10
    E_DATE = 11
    E_BLANK_MIX = 12
    E_NOT_ZERO = 13

class FramingKind(enum.IntEnum):
    FR_SHORT_FILE = 1
    FR_SHORT_LINE = 2
    FR_LONG_LINE = 3
    FR_TRUNCATED = 4
    FR_UNKNOWN_TYPE = 5

class CsvKind(enum.IntEnum):
    CSV_SKIP = 0
    CSV_INT = 1
    CSV_DAY = 2
    CSV_ENUM = 3

class PartKind(enum.IntEnum):
    P_TEXT = 0
    P_INT = 1
    P_DIGITS = 2
    P_SIGNED = 3
    P_DATE = 4
    P_COPY = 5
    P_ZFILL = 6
    P_SKIP = 7

FINDINGS: dict[str, int]
FRAMING: dict[str, int]
CSV_ERRORS: dict[str, int]

class _CompiledLayouts(Protocol):
    """What CoreTables reads of a compiled layout set (formats/efact/compiled.py)."""

    @property
    def layout_len(self) -> np.ndarray: ...
    @property
    def layout_check(self) -> np.ndarray: ...
    @property
    def type_to_layout(self) -> np.ndarray: ...
    @property
    def allow(self) -> np.ndarray: ...
    @property
    def zone_first(self) -> np.ndarray: ...
    @property
    def zone_count(self) -> np.ndarray: ...
    @property
    def z_start(self) -> np.ndarray: ...
    @property
    def z_len(self) -> np.ndarray: ...
    @property
    def z_kind(self) -> np.ndarray: ...
    @property
    def z_flags(self) -> np.ndarray: ...
    @property
    def z_col(self) -> np.ndarray: ...
    @property
    def z_wide(self) -> np.ndarray: ...
    @property
    def z_rng_first(self) -> np.ndarray: ...
    @property
    def z_rng_count(self) -> np.ndarray: ...
    @property
    def z_work(self) -> np.ndarray: ...
    @property
    def work_first(self) -> np.ndarray: ...
    @property
    def work_count(self) -> np.ndarray: ...
    @property
    def work_zone(self) -> np.ndarray: ...
    @property
    def rng_lo(self) -> np.ndarray: ...
    @property
    def rng_hi(self) -> np.ndarray: ...
    @property
    def index(self) -> dict[str, int]: ...

class CoreTables:
    def __init__(self, compiled: _CompiledLayouts) -> None: ...

class Scan:
    @property
    def offsets(self) -> npt.NDArray[np.int64]: ...
    @property
    def layout(self) -> npt.NDArray[np.int8]: ...
    @property
    def narrow(self) -> npt.NDArray[np.int32]: ...
    @property
    def wide(self) -> npt.NDArray[np.int64]: ...
    @property
    def finding_unit(self) -> npt.NDArray[np.int32]: ...
    @property
    def finding_zone(self) -> npt.NDArray[np.int32]: ...
    @property
    def finding_kind(self) -> npt.NDArray[np.uint8]: ...
    @property
    def framing_kind(self) -> npt.NDArray[np.uint8]: ...
    @property
    def framing_offset(self) -> npt.NDArray[np.int64]: ...
    @property
    def framing_length(self) -> npt.NDArray[np.int64]: ...
    @property
    def framing_unit(self) -> npt.NDArray[np.int32]: ...
    @property
    def framing_total(self) -> int: ...
    @property
    def lines(self) -> bool: ...
    @property
    def size(self) -> int: ...

class ScanCounts(NamedTuple):
    scans: int
    bytes: int
    framings: int
    framing_bytes: int

def scan_counts() -> ScanCounts: ...
def scan(
    data: Any,
    tables: CoreTables,
    n_narrow: int,
    n_wide: int,
    framing_cap: int = 1000,
    body: bool = False,
    lines: bool = False,
    framing_only: bool = False,
) -> Scan: ...
def render_rows(
    parts: Sequence[tuple[int, Any, int]], rows: int, out: bytearray | None = None
) -> tuple[bytearray | memoryview, npt.NDArray[np.int64]]: ...
def write_interleaved(
    fd: int,
    records: Any,
    offsets: npt.ArrayLike,
    width: int,
    rows: Any,
    row_width: int,
    n: int,
) -> None: ...
def fill_check_digits(records: npt.NDArray[np.uint8]) -> None: ...
def char_values(text: bytes) -> int: ...
def read_csv(
    data: Any,
    start: int,
    delim: int,
    kinds: Any,
    outputs: list[Any],
    words: Any,
    rows: int,
) -> tuple[int, int, int, int]: ...
