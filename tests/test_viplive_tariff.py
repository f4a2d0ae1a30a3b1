"""Seed 003: a chain DBC's tariff built from its care products, by hand-computed examples."""

import pytest
from viplive_helpers import INCLUSION_HEADER, bsn_for, write_csv

from vsbengine.formats.viplive import Quarter, TableError, declare
from vsbengine.formats.viplive.tariff import build_tariffs

HEADER = ["keten", "zorgproduct", "zorgverlener", "voorkomen", "minuten", "tarief_per_minuut"]
PRODUCTS = [
    ["DM", "Kwartaalcontrole", "praktijkondersteuner", "100%", "20", "1,25"],  # 25,00
    ["DM", "Voetonderzoek", "podotherapeut", "35%", "30", "1,10"],  # 0.35*30*1.10 = 11,55
    ["DM", "Jaarcontrole", "huisarts", "25", "15", "2,4567"],  # 9.212625 -> 9,21
    ["COPD", "Spirometrie", "huisarts", "12,5%", "7,5", "2"],  # 1.875 -> 1,88 (half up)
]


def test_each_chain_tariff_is_the_sum_of_its_products(tmp_path):
    path = write_csv(tmp_path / "modules.csv", PRODUCTS, header=HEADER)
    dm, copd = build_tariffs(path)
    assert (dm.chain, dm.tariff, [p.amount for p in dm.products]) == ("DM", 4576, [2500, 1155, 921])
    assert (copd.chain, copd.tariff) == ("COPD", 188)
    p = dm.products[2]
    assert (p.product, p.provider, p.occurrence, p.minutes, p.tariff_per_minute, p.line) == (
        "Jaarcontrole",
        "huisarts",
        "25",
        "15",
        "2.4567",
        4,
    )


@pytest.mark.parametrize(
    ("cells", "message"),
    [
        (["DM", "X", "huisarts", "120%", "10", "1"], "line 2, column voorkomen: more than 100 %"),
        (
            ["DM", "X", "huisarts", "50", "-3", "1"],
            "line 2, column minuten: not a number of minutes",
        ),
        (
            ["DM", "X", "huisarts", "50", "3", "1,23456"],
            "line 2, column tarief_per_minuut: more than 4 decimals",
        ),
        (["HVZ", "X", "huisarts", "50", "3", "1"], "line 2, column keten: unknown chain 'HVZ'"),
        (["DM", "", "huisarts", "50", "3", "1"], "line 2, column zorgproduct: empty"),
        # Digits Decimal() reads as ASCII ones (a regex's \\d took them too).
        (
            ["DM", "X", "huisarts", "５０", "3", "1"],
            "line 2, column voorkomen: not a percentage from 0 to 100",
        ),
        (
            ["DM", "X", "huisarts", "50", "٣", "1"],
            "line 2, column minuten: not a number of minutes",
        ),
        (
            ["DM", "X", "huisarts", "50", "3", "1,２5"],
            "line 2, column tarief_per_minuut: not an amount in euro per minute",
        ),
        # Far more than any payment: refused at its row, not by Decimal's precision.
        (
            ["DM", "X", "huisarts", "100", "100000000000000", "100000000000000"],
            "line 2, column tarief_per_minuut: minutes times the tariff per minute come to "
            "more than 999.999.999,99 EUR",
        ),
    ],
)
def test_bad_care_products_are_located(tmp_path, cells, message):
    path = write_csv(tmp_path / "modules.csv", [cells], header=HEADER)
    with pytest.raises(TableError) as exc:
        build_tariffs(path)
    assert str(exc.value).startswith(f"{path}, {message}")


def test_a_product_twice_for_a_chain_is_refused(tmp_path):
    path = write_csv(tmp_path / "m.csv", [PRODUCTS[0], PRODUCTS[0]], header=HEADER)
    with pytest.raises(TableError, match=r"line 3, column zorgproduct: Kwartaalcontrole is listed"):
        build_tariffs(path)


def test_the_declaration_uses_the_built_tariff_when_no_tariff_is_given(tmp_path):
    modules = write_csv(tmp_path / "modules.csv", PRODUCTS, header=HEADER)
    rows = [
        [bsn_for(i), "01000001", chain, "3311", "2021-01-01", "", "huisarts"]
        for i, chain in enumerate(["DM", "DM", "COPD"])
    ]
    inclusions = write_csv(tmp_path / "incl.csv", rows, header=INCLUSION_HEADER)
    tariffs = write_csv(
        tmp_path / "t.csv",
        [["DM", "3311", "2021-Q2", "5000"]],
        header=["keten", "uzovi", "quarter", "tariff"],
    )
    d = declare(inclusions, Quarter(2021, 2), modules=modules)
    assert [(x.chain, x.patients, x.tariff, x.amount) for x in d.lines] == [
        ("DM", 2, 4576, 9152),
        ("COPD", 1, 188, 188),
    ]
    assert d.amount == 9340 and d.missing_tariffs == []
    d = declare(inclusions, Quarter(2021, 2), tariffs=tariffs, modules=modules)
    assert [(x.chain, x.tariff) for x in d.lines] == [("DM", 5000), ("COPD", 188)]  # table first
