"""DF016: the lines are msgspec's encoding of the accepted prestations, read from the bytes."""

from __future__ import annotations

import datetime as dt

import msgspec
import pytest
from efact_edit import TODAY, Sending

import vsbengine
from vsbengine.formats.efact import notify
from vsbengine.formats.efact.generate import generate


def _int(text: str) -> int:
    return int(text.replace("+", ""))


def expected(data: bytes, result) -> dict[int, list[bytes]]:
    """The DF016 lines of an accepted result, built from the records' text (1-based
    positions of efact-format.md) and the result's rejections."""
    s = Sending(data)
    r10 = s.records[0]
    sending, month = int(r10[32:35]), f"{r10[107:112][1:]}-{r10[112:114]}"
    lines: dict[int, list[bytes]] = {}
    r20 = None
    for i, r in enumerate(s.records):
        rt = r[:2]
        if rt == "20":
            r20 = r
        elif rt in ("80", "90", "95", "96", "10"):
            r20 = None if rt != "80" else r20
        if rt not in ("30", "50") or r20 is None or result.rejected[i + 2]:
            continue
        first = r[16:24]
        last = r[24:32] if r[24:32] != "00000000" else first
        n = notify.Notification(
            mutuality=int(r20[84:87]),
            sending=sending,
            invoiced_month=month,
            institution=r20[55:67],
            invoice=int(r20[114:126]),
            record=int(r[2:8]),
            record_type=rt,
            beneficiary=str(int(r[35:48])).zfill(11),
            code=r[9:16],
            first_date=dt.date(int(first[:4]), int(first[4:6]), int(first[6:])).isoformat(),
            last_date=dt.date(int(last[:4]), int(last[4:6]), int(last[6:])).isoformat(),
            units=_int(r[107:112]),
            amount=_int(r[87:99]),
            personal_share=_int(r[127:137]),
            supplement=_int(r[164:174]),
            account="B" if r[50] == "1" else "A",
        )
        lines.setdefault(n.mutuality, []).append(msgspec.json.encode(n) + b"\n")
    return lines


@pytest.fixture(scope="module")
def accepted(tmp_path_factory):
    folder = tmp_path_factory.mktemp("notify")
    g = generate(4000, seed=181, month=202610, references=True, error_rate=0.01)
    g.write(folder / "s.920000")
    g.write_refs(folder / "refs")
    engine = vsbengine.Engine(folder / "refs", today=TODAY)
    result = engine.validate(folder / "s.920000")
    assert result.decision == "DF014" and result.prestations_rejected > 0
    return (folder / "s.920000").read_bytes(), result


def test_files_hold_the_accepted_prestations_as_msgspec_writes_them(accepted, tmp_path):
    data, result = accepted
    paths = notify.write(result, tmp_path)
    want = expected(data, result)
    assert sorted(want) == [int(p.stem.split("_")[1]) for p in paths]
    for p in paths:
        assert p.read_bytes() == b"".join(want[int(p.stem.split("_")[1])])


def test_the_structs_are_those_lines(accepted):
    data, result = accepted
    want = expected(data, result)
    got: dict[int, list[bytes]] = {}
    for mut, rows in notify.notifications(result):
        got.setdefault(mut, []).extend(msgspec.json.encode(r) + b"\n" for r in rows)
    assert got == want


def test_only_an_accepted_sending_is_notified(tmp_path):
    result = vsbengine.validate(
        generate(300, seed=182, month=202610, error_rate=0.3).tobytes(), today=TODAY
    )
    assert result.decision == "DF013"
    with pytest.raises(ValueError, match="only an accepted sending"):
        notify.write(result, tmp_path)
