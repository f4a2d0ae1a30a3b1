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


def test_a_table_error_names_the_column_and_is_an_input_error():
    from vsbengine.errors import TableError
    from vsbengine.formats.viplive.problems import TableError as ViplivesTableError

    err = TableError("not a date", path="b.csv", line=7, zone="valid_from")
    assert isinstance(err, InputError)
    assert str(err) == "b.csv, line 7, column valid_from: not a date"
    assert str(TableError("empty file", path="b.csv")) == "b.csv: empty file"
    assert ViplivesTableError is TableError  # one class for VIPLive and blockade tables
