"""The code catalogue: one data file, complete, in sync with the layouts, and true to the
insurers' official list (``../shared/spec/official-codes.csv``)."""

from __future__ import annotations

import csv
import importlib
import re
from pathlib import Path

import pytest

from vsbengine.formats.efact.catalogue import (
    catalogue,
    describe,
    emitted,
    explain,
    official_zone_code,
    zone_code,
)
from vsbengine.formats.efact.checks import amounts, controls, order, zones
from vsbengine.formats.efact.compiled import LAYOUTS

# The module (the package binds the name ``catalogue`` to the function).
cat_mod = importlib.import_module("vsbengine.formats.efact.catalogue")

SPEC = Path(__file__).resolve().parents[2] / "shared" / "spec"
OFFICIAL_CSV = SPEC / "official-codes.csv"
needs_spec = pytest.mark.skipif(
    not OFFICIAL_CSV.is_file(), reason="../shared/spec not beside the repository"
)


def _official() -> dict[str, dict[str, str]]:
    with OFFICIAL_CSV.open(encoding="utf-8", newline="") as fh:
        return {r["code"]: r for r in csv.DictReader(fh)}


def test_file_is_in_sync_with_the_layouts():
    from importlib import resources

    text = resources.files("vsbengine.formats.efact").joinpath("data/codes.csv").read_text("utf-8")
    assert text == cat_mod.render(), (
        "regenerate with: python -m vsbengine.formats.efact.catalogue --write"
    )


def test_entries_are_complete():
    for code, e in emitted().items():
        assert re.fullmatch(r"\d{6}", code)
        assert e.letter in ("B", "F", "R", "S", "E", "")
        assert e.en and e.nl and e.source in ("rule", "zone")
        assert (e.letter == "") == (code[:2] in ("02", "03", "95", "96"))


def test_every_code_the_rules_name_is_in_the_catalogue():
    cat = emitted()
    named = set(order.OUT_OF_ORDER.values()) | set(order.SEQUENCE.values())
    named |= {c for *_, c, _ in zones.EQUAL_ZONES}
    named |= {c for *_, c in amounts.INVOICE_TOTALS} | {c for *_, c in amounts.SENDING_TOTALS}
    named |= {c for *_, c in controls.NIHII_ZONES} | {c for _, c in controls.INSZ_ZONES}
    assert named - set(cat) == set()
    # And every zone finding of every layout has its code.
    for z in LAYOUTS.zones:
        for finding in cat_mod._findings_of(z):
            assert zone_code(z, finding) in cat


# -- the official list -----------------------------------------------------------------------
@needs_spec
def test_the_package_carries_every_official_code_with_its_letter():
    """data/official.csv holds the codes and letters of official-codes.csv, nothing else."""
    official = _official()
    carried = cat_mod.official_letters()
    assert carried == {code: row["letter"] for code, row in official.items()}
    cat = catalogue()
    for code, row in official.items():
        e = cat[code]
        assert e.listed and e.en and e.nl
        if row["letter"]:
            assert e.letter == row["letter"], code


@needs_spec
def test_every_emitted_code_is_official_with_its_letter_or_the_engines_own():
    """A code the engine emits is a listed code with the official letter, of the record
    and zone it names, or a code the official list does not have. No exceptions."""
    official = _official()
    for code, e in emitted().items():
        row = official.get(code)
        if row is None:
            continue  # the engine's own check, in the engine's own code
        assert (row["record"], row["zone"], row["error"]) == (code[:2], code[2:4], code[4:])
        if row["letter"]:
            assert e.letter == row["letter"], f"{code}: letter {e.letter}, official {row['letter']}"


@needs_spec
def test_zone_findings_report_on_the_zone_their_code_names():
    """Every zone row's code names the record and zone number it is reported on."""
    for z in LAYOUTS.zones:
        if z.is_error_field or z.layout in ("200", "300", "95", "96"):
            continue
        for finding in cat_mod._findings_of(z):
            code = zone_code(z, finding)
            assert code[:2] == z.layout and int(code[2:4]) == z.number


# The official list's numbers, checked against what each engine code is used for: the
# codes of the list whose official check is "content not zero" in a reserved zone
# (01 there, 04/09/11 for a few) never carry another check.
NOT_ZERO_CODES = {
    "100504", "100601", "100804", "100809", "100911", "101011", "101101", "101201",
    "101601", "101701", "101901", "102001", "102101", "102401", "102901", "103001",
    "103501", "104201", "104309", "104401", "104501", "104601", "104701", "104801",
    "105301", "105401", "105501", "105601", "105701", "105801", "105901", "109801",
    "201201", "202301", "203301", "204001", "204601", "204801", "205901", "209801",
    "301201", "301601", "302001", "302101", "302301", "302601", "302901", "303401",
    "304601", "304901", "305001", "305301", "305901", "309801", "505401",
    "510301", "510601", "510701", "510901", "511401", "511601", "512001", "512601",
    "512801", "514101", "514601", "515401", "515601", "515901", "519801",
    "520701", "521401",
    "800301", "801101", "801201", "801601", "802301", "802601", "802901", "803301",
    "803701", "803901", "805901",
    "900301", "900401", "900504", "900601", "900804", "900809", "900901", "901301",
    "901601", "901801", "902001", "902101", "902401", "902601", "902901", "903001",
    "903501", "904201", "904309", "904401", "904801", "905301", "905901",
}  # fmt: skip
#: Codes of the list that mean "content not zero" for an older use of a zone that is now
#: a real field (the issue's misused codes): the engine must not use them at all.
RETIRED_ZERO = {"101801", "102701", "902701", "505001", "505301", "505501", "505701",
                "509801", "511701", "520301", "520901", "201410"}  # fmt: skip


@needs_spec
def test_reserved_zones_report_the_official_not_zero_code():
    official = _official()
    seen = set()
    for z in LAYOUTS.zones:
        if not z.must_be_zero:
            continue
        code = zone_code(z, "not_zero")
        if z.layout in ("200", "300", "95", "96"):
            # Family 9: the generic format error (11) of the zone (or of the zone an
            # error field belongs to).
            assert code.endswith("11") and official_zone_code(code), (z.zone, code)
            continue
        assert code in official, f"{z.layout}/{z.zone}: {code} is not an official code"
        assert cat_mod._findings_of(z) == ["not_zero"]
        seen.add(code)
    assert seen >= NOT_ZERO_CODES
    for code in seen:
        assert "not zero" in emitted()[code].en


def test_codes_are_not_used_for_another_check():
    em = emitted()
    for code in NOT_ZERO_CODES & set(em):
        assert "content not zero" in em[code].en, code
    assert RETIRED_ZERO.isdisjoint(em)
    # Not numeric: the official number of each zone (not 01 where 01 means "not zero").
    for rec, zone, code in (
        ("10", "18", "101802"),
        ("10", "27", "102704"),
        ("50", "50a", "505004"),
        ("50", "50b", "505009"),
        ("50", "54b", "505404"),
        ("50", "55,56", "505504"),
        ("50", "57,58,59", "505704"),
        ("50", "98", "509804"),
        ("51", "17,18", "511704"),
        ("52", "3", "520309"),
        ("52", "9", "520903"),
        ("90", "27", "902704"),
    ):
        assert zone_code(LAYOUTS.layout(rec).zone(zone), "not_digits") == code
    # Zones that may hold letters (efact-format.md section 6, item 12): no "not numeric".
    for rec, zone in (("20", "42"), ("50", "41,42"), ("50", "53,54a")):
        assert "not_digits" not in cat_mod._findings_of(LAYOUTS.layout(rec).zone(zone))
    assert zone_code(LAYOUTS.layout("20").zone("42"), "chars") == "204209"
    # Content checks: the official codes whose check they are, or the engine's own.
    for gone in ("500421", "300421", "510421", "501942", "301942", "300440"):
        assert gone not in em
    assert "unknown" in em["500420"].en and "tariff" in em["500454"].en
    assert "revalidation day" in em["300490"].en


@needs_spec
def test_letters_the_issue_names_are_the_official_ones():
    for code in ("200103", "800103", "300103", "301103", "500103", "501103", "510103", "520103"):
        assert explain(code).letter == "B"


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


def test_a_listed_code_the_engine_does_not_emit_is_described_from_the_layouts():
    e = explain("501920")
    assert e.source == "listed" and e.letter == "R"
    assert e.en == "Record 50, zone 19 (Insurance amount): error 20"
    assert e.nl == "Record 50, zone 19: fout 20"
    # A record without a layout of ours, and an alphanumeric error part.
    assert explain("400130").en == "Record 40, zone 1: error 30"
    assert explain("5014A5").en == "Record 50, zone 14 (Place of service): error A5"
    assert describe("950130")[0] == "Record 95, zone 401 (Mutuality number): error 30"
    assert describe("030510")[0] == (
        "Segment 300, zone 305 (Contact person, last name): mandatory zone left empty"
    )


@pytest.mark.parametrize("code", ["٠٣٠١٤٠", "０３０１４０", "03²140", "５０1920"])
def test_a_code_in_other_digits_is_no_code(code):
    """``int`` reads Arabic-Indic and fullwidth digits as ASCII ones: ``٠٣٠١٤٠`` was
    described as segment 300, zone 301."""
    assert describe(code) == (
        f"code {code}: not an eFact error code",
        f"code {code}: geen eFact-foutcode",
    )


@pytest.mark.parametrize(
    "code,official",
    [
        ("030140", True),  # segment 300, zone 301, error 40: the file sent twice
        ("030120", True),  # generic 20 of any zone
        ("020030", False),  # zone 200 knows 20, 21, 22 and the generic ones
        ("020031", False),
        ("020230", True),
        ("950641", True),
        ("960641", False),
        ("030150", False),  # the engine's own resend code
        ("030250", False),
        ("200140", False),  # a record code, not a zone error
        ("03٠١20", False),  # Arabic-Indic digits: no zone 01
        ("03０１20", False),  # fullwidth
    ],
)
def test_official_zone_errors_of_the_segments_and_records_95_96(code, official):
    from vsbengine.formats.efact.catalogue import official_zone_code

    assert official_zone_code(code) is official


def test_explain_says_which_codes_are_the_insurers_zone_errors():
    from typer.testing import CliRunner

    from vsbengine.cli.main import app

    out = CliRunner().invoke(app, ["explain", "030140"]).stdout
    assert "an official zone error of the insurers" in out.splitlines()[0]
    assert "its own code" in CliRunner().invoke(app, ["explain", "030150"]).stdout
