"""The error table's readable columns and its Arrow form."""

from __future__ import annotations

import sys

import msgspec
import pytest
from efact_edit import TODAY, clean

import vsbengine
from vsbengine.errors import MissingDependencyError
from vsbengine.formats.efact.findings import ErrorTable


@pytest.fixture(scope="module")
def result():
    return vsbengine.validate(clean(1500, seed=61, error_rate=0.05), today=TODAY)


def test_to_arrow_has_the_fields_of_the_json_errors(result):
    pa = pytest.importorskip("pyarrow")
    table = result.error_table.to_arrow()
    assert table.schema == pa.schema(
        [
            ("code", pa.string()),
            ("letter", pa.string()),
            ("record", pa.int64()),
            ("record_type", pa.string()),
            ("zone", pa.string()),
            ("offset", pa.int64()),
            ("phase", pa.int8()),
        ]
    )
    assert table.to_pylist() == [msgspec.structs.asdict(e) for e in result.errors]
    assert table.num_rows == len(result.error_table) > 10


def test_absent_values_are_nulls():
    pytest.importorskip("pyarrow")
    data = bytearray(clean(200, seed=62))
    data[:6] = b"920001"  # segment 200: no record, no letter
    r = vsbengine.validate(bytes(data), today=TODAY)
    rows = r.error_table.to_arrow().to_pylist()
    seg = [x for x in rows if x["record_type"] == "200"]
    assert seg and all(x["record"] is None and x["letter"] is None for x in seg)
    assert all(x["phase"] == 1 for x in seg)


def test_an_empty_table():
    pytest.importorskip("pyarrow")
    t = ErrorTable.empty().to_arrow()
    assert t.num_rows == 0 and t.column_names[0] == "code"


def test_without_pyarrow_a_clear_error(monkeypatch, result):
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    with pytest.raises(MissingDependencyError) as info:
        result.error_table.to_arrow()
    assert str(info.value) == "ErrorTable.to_arrow needs pyarrow: pip install 'vsbengine[arrow]'"
    assert isinstance(info.value, ImportError) and isinstance(info.value, vsbengine.VsbEngineError)
