"""One IBAN check for the whole package: python-stdnum's, without its bank registry."""

import pytest

from vsbengine import ibans
from vsbengine.formats import sepa


@pytest.mark.parametrize(
    "text, valid",
    [
        ("BE71096123456769", True),
        ("be71 0961 2345 6769", True),  # separators and case forgiven
        # Both check digits right; bank code 539 is not in stdnum's registry of banks.
        ("BE68539007547034", True),
        ("BE68539007547035", False),  # the Belgian national digits wrong
        ("BE69539007547034", False),  # the IBAN check digits wrong
        ("BE6853900754703", False),  # a digit short
        ("NL91ABNA0417164300", True),
        ("NL91ABNA0417164301", False),
        ("XX68539007547034", False),
        ("", False),
    ],
)
def test_is_valid(text, valid):
    assert ibans.is_valid(text) is valid


def test_a_payment_order_pays_a_bank_the_registry_does_not_list():
    """The same rule in the payment order (DF017): such a facility can be paid."""
    import datetime as dt

    built = sepa.build_checked(
        "M1",
        dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.timezone.utc),
        sepa.Party("Zorgkas", "BE71096123456769", "GKCCBEBB"),
        dt.date(2026, 12, 2),
        [sepa.Transfer("E1", 1000, sepa.Party("Facility", "BE68539007547034"), "ref")],
    )
    assert b"BE68539007547034" in built.xml
