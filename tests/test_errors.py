from vsbengine.errors import InputError, VsbEngineError


def test_input_error_is_located_and_a_value_error():
    err = InputError("record cut short", path="f.dat", offset=577, record=3, zone="99")
    assert isinstance(err, ValueError)
    assert isinstance(err, VsbEngineError)
    assert str(err) == "f.dat, byte 577, record 3, zone 99: record cut short"
    assert (err.offset, err.record, err.zone) == (577, 3, "99")


def test_input_error_without_location_is_the_bare_reason():
    assert str(InputError("no file given")) == "no file given"
    assert str(InputError("bad date", path="m.csv", line=4, zone="insured_from")) == (
        "m.csv, line 4, zone insured_from: bad date"
    )
