"""The review page of a sending: what it shows, what it hides, what it caps."""

from __future__ import annotations

import json
import re

import pytest
from efact_edit import TODAY, Sending

import vsbengine
from vsbengine import review, signoff
from vsbengine.errors import InputError
from vsbengine.formats.efact.generate import generate

HOSTILE_REF = "<script>x</script> & Co"  # record 10 zone 28: the facility's reference
HOSTILE_NAME = "Jan <b>Peeters</b> &amp;"  # record 20 zone 28: may name the patient


def proposed(tmp_path, s: Sending, name="s.920000", data: bytes | None = None, **kw):
    refs = tmp_path / "refs"
    path = tmp_path / name
    path.write_bytes(data if data is not None else s.tobytes())
    engine = vsbengine.Engine(refs, today=TODAY)
    result = engine.validate(path, **kw)
    out = tmp_path / f"out-{name}"
    return result, out, signoff.propose(result, out, engine.refs)


@pytest.fixture
def case(tmp_path):
    g = generate(900, seed=77, month=202610, references=True, error_rate=0.03)
    g.write_refs(tmp_path / "refs")
    s = Sending(g.tobytes())
    s.put(1, 138, HOSTILE_REF.ljust(25))
    first20 = s.seqs("20")[0]
    s.put(first20, 138, HOSTILE_NAME.ljust(25))
    s.put(first20, 163, "X")  # zone 29 not numeric: its excerpt shows zone 28 beside it
    s.resum()
    return s, tmp_path


def national_numbers(s: Sending) -> set[str]:
    """The INSZ of every record 20 (zone 8a,8b: its last 11 digits)."""
    return {s.get(q, 36, 13)[2:] for q in s.seqs("20")}


def test_written_beside_every_proposal(case):
    s, tmp = case
    result, out, p = proposed(tmp, s)
    page = (out / review.FILE).read_text("utf-8")
    assert page.startswith("<!DOCTYPE html>") and "<script" not in page
    assert "&lt;script&gt;x&lt;/script&gt; &amp; Co" in page  # shown, escaped
    assert f"Foutpercentage: {result.error_ratio:.2f} %" in page


def test_personal_data_is_masked_unless_allowed(case):
    s, tmp = case
    result, out, p = proposed(tmp, s)
    page = (out / review.FILE).read_text("utf-8")
    numbers = national_numbers(s)
    assert not any(n in page for n in numbers)
    assert re.search(r"••\.••\.••-•••\.\d\d", page)
    assert "Peeters" not in page  # a name in a text zone of an invoice is hidden
    shown = review.write(
        out, out=tmp / "shown.html", options=review.Options(show_insz=True, show_names=True)
    ).read_text("utf-8")
    first = s.get(s.seqs("20")[0], 36, 13)[2:]
    clear = f"{first[:2]}.{first[2:4]}.{first[4:6]}-{first[6:9]}.{first[9:]}"
    assert clear in shown and clear not in page
    assert "Jan &lt;b&gt;Peeters&lt;/b&gt; &amp;amp;" in shown  # shown as written, escaped
    assert "rijksregisternummers zichtbaar" in shown
    assert "rijksregisternummers gemaskeerd" in page


def test_the_zorgkas_may_allow_national_numbers(case):
    s, tmp = case
    toml = tmp / "refs" / "zorgkas.toml"
    toml.write_text(toml.read_text() + "\n[review]\nshow_insz = true\n")
    result, out, p = proposed(tmp, s)
    assert p["zorgkas"]["show_insz"] is True and p["zorgkas"]["show_names"] is False
    view = review.build(out)
    assert view["show_insz"] and not view["show_names"]
    heads = [inv["beneficiary"] for inv in view["invoices"]]
    assert heads and all("•" not in h for h in heads)


def test_a_bad_review_setting_is_refused_when_loading(case):
    from vsbengine.errors import ReferenceDataError

    s, tmp = case
    toml = tmp / "refs" / "zorgkas.toml"
    toml.write_text(toml.read_text() + '\n[review]\nshow_insz = "yes"\n')
    with pytest.raises(ReferenceDataError) as err:
        vsbengine.Engine(tmp / "refs")
    assert err.value.zone == "review.show_insz"


def test_errors_are_grouped_by_their_invoice(case):
    s, tmp = case
    result, out, p = proposed(tmp, s)
    view = review.build(out, options=review.Options(invoices=1000, errors=1000))
    # The invoices as the editor cuts them (independently of the engine).
    owner = {}
    for inv in s.invoices():
        for i in inv:
            owner[s.seq_at(i)] = s.seq_at(inv[0])
    shown = 0
    for inv in view["invoices"]:
        for e in inv["errors"]:
            assert owner[e["record"]] == inv["record"]
            shown += 1
        assert inv["more"] == 0
        number = s.get(inv["record"], 115, 12)
        assert inv["number"] == number
    in_invoices = [
        e for e in result.errors if e.record_type in ("20", "30", "50", "51", "52", "80")
    ]
    assert shown == len(in_invoices) and view["more_errors"] == 0
    assert len(view["sending"]) == len(result.errors) - len(in_invoices)


def test_invoices_are_found_in_files_with_line_breaks(case):
    s, tmp = case
    head = s.header.encode("latin-1")
    data = head[:67] + b"\r\n" + head[67:] + b"\r\n"
    data += b"\r\n".join(r.encode("latin-1") for r in s.records) + b"\r\n"
    result, out, p = proposed(tmp, s, name="lines.920000", data=data)
    one, out1, _ = proposed(tmp, s, name="one.920000")
    opts = review.Options(invoices=1000, errors=1000)
    a, b = review.build(out, options=opts), review.build(out1, options=opts)
    assert [i["record"] for i in a["invoices"]] == [i["record"] for i in b["invoices"]]
    assert [[e["code"] for e in i["errors"]] for i in a["invoices"]] == [
        [e["code"] for e in i["errors"]] for i in b["invoices"]
    ]


def test_an_excerpt_shows_the_zones_around_the_failing_one(case):
    s, tmp = case
    result, out, p = proposed(tmp, s)
    view = review.build(out)
    e = next(e for inv in view["invoices"] for e in inv["errors"] if e["excerpt"])
    failing = [z for z in e["excerpt"] if z["failing"]]
    assert len(failing) == 1 and failing[0]["zone"] == e["zone"]
    assert 2 <= len(e["excerpt"]) <= 5
    start, end = map(int, failing[0]["positions"].split("-"))
    record = s.records[s.index(e["record"])]
    raw = record[start - 1 : end]
    assert failing[0]["value"] in (raw, raw.rstrip()) or "•" in failing[0]["value"]


def test_a_huge_sending_is_capped(tmp_path):
    g = generate(40_000, seed=5, month=202610, references=True, error_rate=0.05)
    g.write_refs(tmp_path / "refs")
    s = Sending(g.tobytes())
    result, out, p = proposed(tmp_path, s)
    opts = review.Options(invoices=20, errors=3)
    view = review.build(out, options=opts)
    assert len(view["invoices"]) == 20
    assert all(len(i["errors"]) <= 3 for i in view["invoices"])
    shown = sum(len(i["errors"]) + i["more"] for i in view["invoices"])
    in_invoices = int(
        sum(1 for e in result.errors if e.record_type in ("20", "30", "50", "51", "52", "80"))
    )
    assert shown + view["more_errors"] == in_invoices and view["more_errors"] > 0
    assert sum(c["count"] for c in view["codes"]) == len(result.errors)
    page = (out / review.FILE).read_bytes()
    assert len(page) < 400_000  # the default caps: 50 invoices, 10 errors each
    assert f"{view['more_errors']} more".encode() not in page  # Dutch page
    assert b"nog" in page


def test_a_changed_sending_shows_no_excerpts(case):
    s, tmp = case
    result, out, p = proposed(tmp, s)
    path = tmp / "s.920000"
    data = bytearray(path.read_bytes())
    data[-5] = ord("9") if data[-5] != ord("9") else ord("8")
    path.write_bytes(bytes(data))
    view = review.build(out, verify=True)
    assert view["changed"] and not view["excerpts"] and view["invoices"] == []
    path.unlink()
    view = review.build(out)
    assert not view["changed"] and not view["excerpts"]
    assert len(view["sending"]) == min(len(result.errors), 50)  # a flat list, capped


def test_a_technical_rejection(tmp_path):
    g = generate(300, seed=9, month=202610, references=True)
    g.write_refs(tmp_path / "refs")
    data = g.tobytes()[:-100]  # cut: a framing problem
    result, out, p = proposed(tmp_path, None, name="cut.920000", data=data)
    assert p["technical"] == "DF012"
    page = (out / review.FILE).read_text("utf-8")
    assert "Technisch verworpen (DF012)" in page and "Problemen met de opbouw" in page


def test_english(case):
    s, tmp = case
    result, out, p = proposed(tmp, s)
    page = review.write(out, out=tmp / "en.html", options=review.Options(lang="en")).read_text()
    assert "Review of sending" in page and "Errors per code" in page


def test_folder_of(case, tmp_path):
    s, tmp = case
    result, out, p = proposed(tmp, s)
    assert review.folder_of(out) == out
    with pytest.raises(InputError, match="no proposal here"):
        review.folder_of(tmp)
    from vsbengine import receive

    reg = tmp / "r.register"
    receive.receive(str(reg), [str(tmp / "s.920000")], refs=str(tmp / "refs"), today=TODAY)
    folder = review.folder_of("1", reg)
    assert json.loads((folder / "proposal.json").read_text())["content"] == p["content"]
    assert (folder / review.FILE).is_file()
    with pytest.raises(InputError, match="not a sending's number"):
        review.folder_of("one", reg)
    with pytest.raises(InputError):
        review.folder_of("7", reg)


@pytest.mark.parametrize("digit", ["²", "³", "¹"])
def test_an_invoice_numbered_in_latin1_superscripts_is_shown_without_its_number(tmp_path, digit):
    """Bytes B2, B3, B9 in the record number of a record 20 read as ``²³¹``, which
    ``str.isdigit`` takes and ``int`` refuses: the page shows the invoice unnumbered."""
    g = generate(300, seed=78, month=202610, references=True)
    g.write_refs(tmp_path / "refs")
    s = Sending(g.tobytes())
    first20 = s.seqs("20")[0]
    s.put(first20, 8, digit)  # the last digit of zone 2 (record number), bytes 3-8
    result, out, p = proposed(tmp_path, s)
    view = review.build(out, options=review.Options(invoices=1000, errors=1000))
    heads = [i for i in view["invoices"] if i["record"] is None]
    assert len(heads) == 1 and heads[0]["errors"]
    assert (out / review.FILE).is_file()


@pytest.mark.parametrize("number", ["١", "１", "¹", " 1", "1_0", "+1"])
def test_a_sending_number_is_ascii_digits(case, number):
    s, tmp = case
    from vsbengine import receive

    (tmp / "s.920000").write_bytes(s.tobytes())
    reg = tmp / "r.register"
    receive.receive(str(reg), [str(tmp / "s.920000")], refs=str(tmp / "refs"), today=TODAY)
    assert review.folder_of("1", reg).is_dir()
    with pytest.raises(InputError) as info:
        review.folder_of(number, reg)
    assert str(info.value) == f"not a sending's number: {number!r}"


def test_the_chart_follows_the_exact_limit_not_the_rounded_ratio(case):
    """1,001 rejected of 20,001 is 5.0047 %: written 5.00 %, yet over the limit (the
    decision compares exactly), so the bar is red as the rejection it leads to."""
    from vsbengine.decision import decide

    s, tmp = case
    result, out, p = proposed(tmp, s)
    d = decide(20_001, 1_001, False)
    assert (d.outcome, d.rejection_type, d.ratio_x100) == ("DF013", "02", 500)
    result.records_total, result.records_rejected, result.ratio_x100 = 20_001, 1_001, 500
    assert review.build(out, result=result, proposal=p)["chart"]["over"]
    result.records_total, result.records_rejected = 20_000, 1_000  # exactly 5 %: within
    assert not review.build(out, result=result, proposal=p)["chart"]["over"]
