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


def test_one_line_shows_what_would_break_a_line_as_a_question_mark():
    from vsbengine.errors import one_line

    assert one_line("out/a b_é.920000") == "out/a b_é.920000"
    assert one_line("in/a\nb\r.dat\t") == "in/a?b?.dat?"
    assert one_line("c\x1b[31md") == "c?[31md"  # no escape reaches the terminal
    assert one_line("x\u202ey\u2028z") == "x?y?z"  # a bidirectional override, a separator
    assert one_line("u\udcff\x00") == "u\\xff?"  # a byte that is no UTF-8 (os.fsdecode), NUL
    assert one_line("nb\xa0sp") == "nb\xa0sp"
