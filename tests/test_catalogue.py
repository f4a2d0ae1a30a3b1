"""The code catalogue: one data file, complete, in sync with the layouts."""

from __future__ import annotations

import re

from vsbengine.formats.efact import catalogue as cat_mod
from vsbengine.formats.efact.catalogue import catalogue, explain, zone_code
from vsbengine.formats.efact.checks import amounts, controls, order, zones
from vsbengine.formats.efact.compiled import LAYOUTS


def test_file_is_in_sync_with_the_layouts():
    from importlib import resources

    text = resources.files("vsbengine.formats.efact").joinpath("data/codes.csv").read_text("utf-8")
    assert text == cat_mod.render(), (
        "regenerate with: python -m vsbengine.formats.efact.catalogue --write"
    )


def test_entries_are_complete():
    for code, e in catalogue().items():
        assert re.fullmatch(r"\d{6}", code)
        assert e.letter in ("B", "F", "R", "S", "E", "")
        assert e.en and e.nl and e.source in ("rule", "zone")
        assert (e.letter == "") == (code[:2] in ("02", "03", "95", "96"))


def test_every_code_the_rules_name_is_in_the_catalogue():
    cat = catalogue()
    named = set(order.OUT_OF_ORDER.values()) | set(order.SEQUENCE.values())
    named |= {c for *_, c, _ in zones.EQUAL_ZONES}
    named |= {c for *_, c in amounts.INVOICE_TOTALS} | {c for *_, c in amounts.SENDING_TOTALS}
    named |= {c for *_, c in controls.NIHII_ZONES} | {c for _, c in controls.INSZ_ZONES}
    assert named - set(cat) == set()
    # And every zone finding of every layout has its code.
    for z in LAYOUTS.zones:
        for finding in cat_mod._findings_of(z):
            assert zone_code(z, finding) in cat


def test_official_codes_keep_their_letters():
    for code, letter in {
        "509902": "B",
        "500812": "F",
        "500612": "R",
        "200140": "F",
        "510119": "R",
        "801812": "B",
        "202420": "B",
        "204709": "B",
    }.items():
        assert explain(code).letter == letter
