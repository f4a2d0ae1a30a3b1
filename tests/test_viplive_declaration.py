import datetime as dt

import pytest
from viplive_helpers import INCLUSION_HEADER, agb_for, bsn_for, write_csv, write_xlsx

from vsbengine.formats.viplive import Quarter, TableError, declare

D = dt.date
BSN = [bsn_for(n) for n in range(12)]


def inclusion(
    patient=0, practice=1, chain="DM", uzovi="3311", start="2021-01-15", end="", main="huisarts"
):
    return [
        BSN[patient] if isinstance(patient, int) else patient,
        agb_for(practice),
        chain,
        uzovi,
        start,
        end,
        main,
    ]


def _lines(d):
    return [(x.chain, x.uzovi, x.agb, x.patients) for x in d.lines]


@pytest.fixture
def around_q2(tmp_path):
    rows = [
        inclusion(0, start="2021-03-31"),  # counted
        inclusion(1, start="2021-04-01"),  # counted: included on the date
        inclusion(2, start="2021-04-02"),  # next quarter
        inclusion(3, start="2020-06-01", end="2021-03-31"),  # ended the day before
        inclusion(4, start="2020-06-01", end="2021-04-01"),  # last day included is the date
        inclusion(5, main="specialist"),
        inclusion(6, main="Niet geregeld"),
        inclusion(7, chain="CVRM", uzovi="7029"),
        inclusion(7, chain="DM", practice=2),  # same patient, other chain: counts
        inclusion(8, practice=2, uzovi="7029"),
    ]
    return write_csv(tmp_path / "inclusions.csv", rows, header=INCLUSION_HEADER)


def test_counts_around_the_reference_date(around_q2):
    d = declare(around_q2, Quarter(2021, 2))
    assert (d.quarter, d.reference_date) == ("2021-Q2", D(2021, 4, 1))
    assert _lines(d) == [
        ("DM", "3311", agb_for(1), 3),
        ("DM", "3311", agb_for(2), 1),
        ("DM", "7029", agb_for(2), 1),
        ("CVRM", "7029", agb_for(1), 1),
    ]
    assert d.patients == 6 and d.amount is None and d.bad_rows == []
    assert d.not_counted == {
        "included_after_reference_date": 1,
        "ended_before_reference_date": 1,
        "main_treatment_specialist": 1,
        "main_treatment_not_arranged": 1,
    }
    assert d.rows == d.patients + sum(d.not_counted.values()) + d.refused == 10


def test_included_after_the_reference_date_counts_in_the_next_quarter(around_q2):
    d = declare(around_q2, Quarter(2021, 3))
    assert d.reference_date == D(2021, 7, 1)
    assert _lines(d)[0] == ("DM", "3311", agb_for(1), 3)  # patients 0, 1 and 2
    assert d.not_counted["ended_before_reference_date"] == 2


@pytest.mark.parametrize(
    "quarter, reference",
    [
        (Quarter(2021, 1), D(2021, 1, 1)),
        (Quarter(2021, 2), D(2021, 4, 1)),
        (Quarter(2021, 3), D(2021, 7, 1)),
        (Quarter(2021, 4), D(2021, 10, 1)),
        (Quarter(2022, 1), D(2022, 1, 1)),
    ],
)
def test_the_reference_date_of_every_quarter(tmp_path, quarter, reference):
    day = dt.timedelta(days=1)
    rows = [
        inclusion(0, start=(reference - day).isoformat()),
        inclusion(1, start=reference.isoformat()),
        inclusion(2, start=(reference + day).isoformat()),
        inclusion(3, start="2019-01-01", end=(reference - day).isoformat()),
        inclusion(4, start="2019-01-01", end=reference.isoformat()),
    ]
    path = write_csv(tmp_path / "i.csv", rows, header=INCLUSION_HEADER)
    d = declare(path, quarter)
    assert d.reference_date == reference
    assert d.patients == 3
    assert d.not_counted["included_after_reference_date"] == 1
    assert d.not_counted["ended_before_reference_date"] == 1


def test_year_end_inclusions(tmp_path):
    rows = [
        inclusion(0, start="2021-12-31"),
        inclusion(1, start="2022-01-01"),
        inclusion(2, start="2022-01-02"),
        inclusion(3, start="2021-10-02"),
    ]
    path = write_csv(tmp_path / "i.csv", rows, header=INCLUSION_HEADER)
    assert declare(path, Quarter(2021, 4)).patients == 0
    assert declare(path, Quarter(2022, 1)).patients == 3
    assert declare(path, Quarter(2022, 2)).patients == 4


def test_bad_rows_are_located_and_never_show_the_bsn(tmp_path):
    wrong = BSN[1][:-1] + str((int(BSN[1][-1]) + 1) % 10)
    rows = [
        inclusion(0),
        inclusion(wrong),
        inclusion(2, chain="HVZ", start="2021-13-01"),
        inclusion(3, start="2021-03-01", end="2021-02-01"),
        inclusion(0, practice=3),  # counted already for DM
        inclusion(4, main="praktijkondersteuner"),
    ]
    path = write_csv(tmp_path / "i.csv", rows, header=INCLUSION_HEADER)
    d = declare(path, Quarter(2021, 2))
    p = str(path)
    messages = [str(x) for x in d.bad_rows]
    assert messages == [
        f"{p}, line 3, column patient: not a valid BSN",
        f"{p}, line 4, column keten: unknown chain 'HVZ' (known: ASTMA, COPD, CVRM, DM)",
        f"{p}, line 4, column included_from: not an existing date (a date YYYY-MM-DD)",
        f"{p}, line 5, column included_to: ends before included_from",
        f"{p}, line 6, column patient: patient already counted for DM on 2021-04-01 (line 2)",
        (
            f"{p}, line 7, column hoofdbehandelaar: unknown main treatment 'praktijkondersteuner' "
            "(known: huisarts, niet geregeld, specialist)"
        ),
    ]
    assert not any(b in m for m in messages for b in BSN + [wrong])
    assert d.patients == 1 and d.refused == 5 and d.rows == 6


def test_a_shifted_column_never_shows_a_bsn_or_a_name(tmp_path):
    """A BSN in the chain column, a name in the main-treatment column (a row with a
    column too many or too few): refused, located, the value not shown."""
    rows = [inclusion(0, chain=BSN[1]), inclusion(2, main="Jan Jansen")]
    path = write_csv(tmp_path / "i.csv", rows, header=INCLUSION_HEADER)
    d = declare(path, Quarter(2021, 2))
    p = str(path)
    assert [str(x) for x in d.bad_rows] == [
        f"{p}, line 2, column keten: unknown chain (not shown: it may be personal data) "
        "(known: ASTMA, COPD, CVRM, DM)",
        f"{p}, line 3, column hoofdbehandelaar: unknown main treatment (not shown: it may be "
        "personal data) (known: huisarts, niet geregeld, specialist)",
    ]
    assert d.refused == 2 and d.rows == 2


def test_tariffs_give_amounts(around_q2, tmp_path):
    tariffs = write_csv(
        tmp_path / "t.csv",
        [
            ["DM", "3311", "2021-Q2", "12345"],
            ["DM", "7029", "2021-Q2", "11000"],
            ["CVRM", "7029", "2021-Q2", "5000"],
            ["DM", "3311", "2021-Q3", "99999"],
        ],
        header=["keten", "uzovi", "quarter", "tariff"],
    )
    d = declare(around_q2, Quarter(2021, 2), tariffs=tariffs)
    assert [(x.chain, x.uzovi, x.agb, x.patients, x.tariff, x.amount) for x in d.lines] == [
        ("DM", "3311", agb_for(1), 3, 12345, 37035),
        ("DM", "3311", agb_for(2), 1, 12345, 12345),
        ("DM", "7029", agb_for(2), 1, 11000, 11000),
        ("CVRM", "7029", agb_for(1), 1, 5000, 5000),
    ]
    assert d.amount == 65380 and d.missing_tariffs == []


def test_a_missing_tariff_is_named_and_leaves_the_total_open(around_q2, tmp_path):
    tariffs = write_csv(
        tmp_path / "t.csv",
        [["DM", "3311", "2021-Q2", "12345"]],
        header=["keten", "uzovi", "quarter", "tariff"],
    )
    d = declare(around_q2, Quarter(2021, 2), tariffs=tariffs)
    assert d.missing_tariffs == ["DM/7029", "CVRM/7029"]
    assert d.amount is None and d.lines[0].amount == 37035 and d.lines[2].amount is None


@pytest.mark.parametrize(
    "rows, message",
    [
        (
            [["DM", "3311", "2021-Q2", "123,45"]],
            "line 2, column tariff: not a whole number of cents",
        ),
        ([["DM", "331", "2021-Q2", "1"]], "line 2, column uzovi: not a UZOVI code (4 digits)"),
        (
            [["DM", "3311", "2021-Q2", "1" + "0" * 11]],
            "line 2, column tariff: more than 99999999999 cents (999.999.999,99 EUR)",
        ),
        (
            [["DM", "3311", "2021-Q2", "1"], ["dm", "3311", "2021-q2", "2"]],
            "line 3: a second tariff for DM, 3311, 2021-Q2 (line 2)",
        ),
    ],
)
def test_a_bad_tariff_table_stops_the_declaration(around_q2, tmp_path, rows, message):
    tariffs = write_csv(tmp_path / "t.csv", rows, header=["keten", "uzovi", "quarter", "tariff"])
    with pytest.raises(TableError) as exc:
        declare(around_q2, Quarter(2021, 2), tariffs=tariffs)
    assert str(exc.value) == f"{tariffs}, {message}"


def test_inclusions_from_xlsx_without_an_end_column(tmp_path):
    header = [h for h in INCLUSION_HEADER if h != "included_to"]
    rows = [
        [int(BSN[0]), int(agb_for(1)), "dm", 3311, dt.datetime(2021, 2, 1), "huisarts"],
        [BSN[1], agb_for(1), "DM", "3311", "2021-02-01", "medisch specialist"],
    ]
    d = declare(write_xlsx(tmp_path / "i.xlsx", rows, header=header), Quarter(2021, 2))
    assert _lines(d) == [("DM", "3311", agb_for(1), 1)]
    assert d.not_counted["main_treatment_specialist"] == 1
