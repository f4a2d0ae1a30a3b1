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

class RuleKind(enum.IntEnum):
    RK_CMP = 1
    RK_SIGN = 2
    RK_IDENT = 3
    RK_EQUAL = 4
    RK_ORDER = 5
    RK_SEQ = 6
    RK_NOT_LAST = 7
    RK_ASCENDING = 8
    RK_ASCENDING_SEED = 9
    RK_TOTAL = 10
    RK_ACCUM = 11

class RuleSource(enum.IntEnum):
    SRC_NONE = 0
    SRC_SELF = 1
    SRC_GOV20 = 2
    SRC_GOV10 = 3
    SRC_GOV50 = 4
    SRC_PARAM = 5
    SRC_CONST = 6

class RuleOp(enum.IntEnum):
    OP_GT = 1
    OP_LT = 2
    OP_GE = 3
    OP_LE = 4
    OP_EQ = 5
    OP_NE = 6
    OP_IN = 7
    OP_NOT_IN = 8

class RuleTransform(enum.IntEnum):
    X_NONE = 0
    X_DIV100 = 1

class RuleFlag(enum.IntEnum):
    RF_A_PRESENT = 1
    RF_B_PRESENT = 2
    RF_TARGET_GOV20 = 4
    RF_BY_VALUE = 8
    RF_FIRE_VALID = 16
    RF_GUARD = 32

class IdentKind(enum.IntEnum):
    ID_INSZ = 1
    ID_NIHII = 2

class TotalMode(enum.IntEnum):
    TM_NONE = 0
    TM_SUM = 1
    TM_CONTROL = 2

class RuleColumn(enum.IntEnum):
    RC_KIND = 0
    RC_LAYOUT = 1
    RC_OP = 2
    RC_FLAGS = 3
    RC_A_SRC = 4
    RC_A = 5
    RC_A_X = 6
    RC_B_SRC = 7
    RC_B = 8
    RC_B_X = 9
    RC_B_CONST = 10
    RC_C_SRC = 11
    RC_C = 12
    RC_C_X = 13
    RC_C_OP = 14
    RC_C_CONST = 15
    RC_SET_FIRST = 16
    RC_SET_COUNT = 17
    RC_NEED = 18
    RC_A_START = 19
    RC_B_START = 20
    RC_LENGTH = 21
    RC_TOTAL = 22
    RC_NEED20 = 23
    RC_FIELDS = 24

class ValueSpace(enum.IntEnum):
    V_SELF = 0
    V_GOV20 = 64
    V_GOV10 = 128
    V_GOV50 = 192
    V_PARAM = 256
    V_CONST = 272
    V_SIZE = 512

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
    def z_slot(self) -> np.ndarray: ...
    @property
    def z_rng_first(self) -> np.ndarray: ...
    @property
    def z_rng_count(self) -> np.ndarray: ...
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
    def layout_rtype(self) -> np.ndarray: ...
    @property
    def layout_member(self) -> np.ndarray: ...
    @property
    def slot_first(self) -> np.ndarray: ...
    @property
    def slot_count(self) -> np.ndarray: ...
    @property
    def slot_wide(self) -> np.ndarray: ...
    @property
    def seq_slot(self) -> np.ndarray: ...
    @property
    def seq_bit(self) -> np.ndarray: ...
    @property
    def layout_zero(self) -> np.ndarray: ...
    @property
    def zero_expect(self) -> np.ndarray: ...
    @property
    def zero_mask(self) -> np.ndarray: ...
    @property
    def index(self) -> dict[str, int]: ...

class _RuleTable(Protocol):
    """What CoreTables reads of a compiled rule table (formats/efact/rules.py)."""

    @property
    def rules(self) -> np.ndarray: ...
    @property
    def rule_sets(self) -> np.ndarray: ...
    @property
    def rule_first(self) -> np.ndarray: ...
    @property
    def rule_count(self) -> np.ndarray: ...
    @property
    def kind_first(self) -> np.ndarray: ...
    @property
    def n_totals(self) -> int: ...

class CoreTables:
    builtin_digest: str
    def __init__(self, compiled: _CompiledLayouts, rules: _RuleTable) -> None: ...
    @property
    def specialised(self) -> bool: ...
    @property
    def simd(self) -> npt.NDArray[np.uint8]: ...
    def reader_ops(self) -> tuple[list[tuple[int, ...]], list[int], list[int]]: ...
    def layout_names(self) -> list[str]: ...
    def rule_rows(self) -> tuple[list[tuple[int, ...]], int, list[int]]: ...
    def unit_facts(self) -> list[tuple[bool, int, int]]: ...
    def rule_facts(self) -> list[tuple[int, ...]]: ...
    def zero_words(self) -> list[list[tuple[int, int, int]]]: ...

class Scan:
    @property
    def offsets(self) -> npt.NDArray[np.int64]: ...
    @property
    def layout(self) -> npt.NDArray[np.int8]: ...
    @property
    def rank(self) -> npt.NDArray[np.int32]: ...
    @property
    def invoice(self) -> npt.NDArray[np.int32]: ...
    @property
    def units(self) -> tuple[npt.NDArray[np.int32], ...]: ...
    @property
    def slots(self) -> tuple[npt.NDArray[Any], ...]: ...
    @property
    def finding_unit(self) -> npt.NDArray[np.int32]: ...
    @property
    def finding_zone(self) -> npt.NDArray[np.int32]: ...
    @property
    def finding_kind(self) -> npt.NDArray[np.uint8]: ...
    @property
    def rule_unit(self) -> npt.NDArray[np.int32]: ...
    @property
    def rule_id(self) -> npt.NDArray[np.int32]: ...
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
    def inv_head(self) -> npt.NDArray[np.int32]: ...
    @property
    def inv_end(self) -> npt.NDArray[np.int32]: ...
    @property
    def inv_stop(self) -> npt.NDArray[np.int32]: ...
    @property
    def inv_members(self) -> npt.NDArray[np.int32]: ...
    @property
    def inv_sums(self) -> npt.NDArray[np.int64]: ...
    @property
    def inv_bad(self) -> npt.NDArray[np.uint8]: ...
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
    *,
    framing_cap: int = 1000,
    body: bool = False,
    lines: bool = False,
    framing_only: bool = False,
    params: npt.ArrayLike | None = None,
    first10: int = -1,
    own_first: int = 2,
    rules: bool = True,
    stop_layout: int = -1,
    drop_pages: bool = False,
) -> Scan: ...
def first_record(
    data: Any, tables: CoreTables, layout: int
) -> tuple[int, npt.NDArray[np.int64], int] | None: ...
def gather(s: Scan, slot_of: npt.ArrayLike, units: npt.ArrayLike) -> npt.NDArray[np.int64]: ...
def last_before(
    marks: npt.ArrayLike, units: npt.ArrayLike, *bars: npt.ArrayLike
) -> npt.NDArray[np.int64]: ...
def drop_pages(view: Any) -> None: ...
def release_buffers() -> None: ...
def keep_arrays() -> tuple[object, int]: ...
def restore_arrays(handler: tuple[object, int]) -> None: ...
def kept_arrays() -> dict[str, int]: ...
def set_kept_limit(limit: int, smallest: int | None = None) -> tuple[int, int]: ...
def poison_kept(byte: int) -> None: ...
def size_class(n: int) -> int: ...

ARRAYS_HANDLER: str

KERNELS: tuple[str, ...]

def kernel() -> str: ...
def use_kernel(name: str) -> str: ...
def use_builtin(flag: bool) -> bool: ...
def use_fused(flag: bool) -> bool: ...
def available_kernels() -> tuple[str, ...]: ...
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
    drop: bool = False,
) -> None: ...
def control_rows(records: Any, offsets: npt.ArrayLike, width: int) -> npt.NDArray[np.int64]: ...
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

# Joins against the reference data.
JOIN_CHECKS: tuple[str, ...]

TARIFF_SHIFT: int

class KeyIndex:
    rows: int
    def __init__(self, keys: npt.ArrayLike) -> None: ...
    def find(
        self, queries: npt.ArrayLike
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]: ...

def find_period(
    lo: npt.ArrayLike,
    hi: npt.ArrayLike,
    starts: npt.ArrayLike,
    ends: npt.ArrayLike,
    days: npt.ArrayLike,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.bool_]]: ...
def content_invoices(
    inv: dict[str, Any],
    members_index: KeyIndex,
    members: npt.ArrayLike,
    inst_index: KeyIndex,
    adm_index: KeyIndex,
    adm: dict[str, Any],
    none: int,
    revalidation: int,
) -> dict[str, npt.NDArray[Any]]: ...

PRESTATION_COLUMNS: tuple[str, ...]
INVOICE_CHECKS: tuple[str, ...]

def content_prestations(
    units: npt.ArrayLike,
    invoice: npt.ArrayLike,
    n30: int,
    rows: tuple[npt.ArrayLike | None, npt.ArrayLike | None],
    columns: tuple[tuple[npt.ArrayLike, ...], tuple[npt.ArrayLike, ...]],
    inv: dict[str, Any],
    codes_index: KeyIndex,
    codes: dict[str, Any],
    tariffs_index: KeyIndex,
    tariffs: dict[str, Any],
    admissions: dict[str, Any],
    none: int,
    day_category: int,
    share_category: int,
) -> dict[str, npt.NDArray[Any]]: ...
def repeated(
    key1: npt.ArrayLike, key2: npt.ArrayLike, order: npt.ArrayLike, *, wide: bool = False
) -> npt.NDArray[np.int64]: ...
def days(values: npt.ArrayLike) -> npt.NDArray[np.int64]: ...

# Maps of files that shrink while they are read.
def guard_map(view: Any) -> int: ...
def map_shrank(guard: int) -> bool: ...
def unguard_map(guard: int) -> None: ...
