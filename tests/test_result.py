"""Result: a msgspec Struct that is saved, loaded and pickled without its scans."""

from __future__ import annotations

import pickle

import msgspec
import numpy as np
from efact_edit import TODAY, clean

import vsbengine
from vsbengine.formats.efact.answers import Answers
from vsbengine.result import Result


def fields(r: Result) -> dict:
    d = msgspec.structs.asdict(r)
    table, rejected = d.pop("error_table"), d.pop("rejected")
    return d | {
        "table": [getattr(table, c).tolist() for c in ("unit", "code", "letter", "offset")],
        "rejected": None if rejected is None else rejected.tolist(),
    }


def test_saved_and_loaded_it_is_the_same(tmp_path):
    path = tmp_path / "s.920000"
    path.write_bytes(clean(400, seed=195, error_rate=0.02))
    result = vsbengine.validate(path, today=TODAY)
    assert result.errors and result.scans.kept is not None
    result.save(tmp_path / "saved")
    loaded = Result.load(tmp_path / "saved")
    assert fields(loaded) == fields(result)
    assert loaded.scans.kept is None  # its answers scan the file again
    for df in result.messages:
        assert Answers(loaded).bytes(df) == Answers(result).bytes(df)


def test_a_pickled_result_travels_without_its_scans_and_bytes(tmp_path):
    data = clean(100, seed=196)
    result = vsbengine.validate(data, today=TODAY)
    assert result.source is data  # the answers scan these when the scans are gone
    again = pickle.loads(pickle.dumps(result))
    assert again.source is None and "_scans" not in again.__dict__
    assert fields(again) == fields(result) | {"source": None}
    assert isinstance(again.error_table.unit, np.ndarray)
    path = tmp_path / "s.920000"
    path.write_bytes(data)
    by_path = pickle.loads(pickle.dumps(vsbengine.validate(path, today=TODAY)))
    assert by_path.source == str(path)
    assert Answers(by_path).bytes("DF015") == Answers(result).bytes("DF015")


def test_derived_figures():
    result = vsbengine.validate(clean(100, seed=197), today=TODAY)
    assert result.error_ratio == result.ratio_x100 / 100
    assert result.records_accepted == result.records_total - result.records_rejected
    assert result.messages == ["DF011", "DF014", "DF015"] and result.accepted
