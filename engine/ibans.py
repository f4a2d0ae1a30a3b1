"""IBANs, checked by python-stdnum, but for one thing: its registry of Belgian banks.

``stdnum.iban.validate`` checks the structure of the country, the check digits, and
through ``stdnum.be.iban`` the Belgian national check digits (mod 97) and then
whether the bank code is in its copy of the National Bank's list of bank codes. That
copy lags behind the banks (and the well-known example ``BE68 5390 0754 7034`` uses a
code it does not hold): a bank code it does not know is not a wrong IBAN. Every IBAN
the package checks (billing files, reference data, ``zorgkas.toml``, payment orders)
goes through :func:`is_valid`.
"""

from __future__ import annotations

__all__ = ["is_valid"]


def is_valid(text: str) -> bool:
    """Whether ``text`` is an IBAN (separators and case forgiven): structure, check
    digits and national check digits, without a registry of bank codes."""
    from stdnum import iban
    from stdnum.exceptions import InvalidComponent, ValidationError

    try:
        number = iban.validate(text, check_country=False)
    except ValidationError:
        return False
    try:
        iban.validate(number)
    except InvalidComponent:
        # stdnum.be.iban checks the national digits before it looks the bank up.
        return number.startswith("BE")
    except ValidationError:
        return False
    return True
