"""Phone numbers: E.164 normalisation and the identity that merges Brazil's 9th digit.

`normalize_phone` keeps ASCII digits only. A leading `+` (or `00`) means the number already
carries its country code. Without one, 10 or 11 digits are a national number (DDD + subscriber)
and get `default_country_code`; a trunk `0` before the DDD is dropped. The result must have
8 to 15 digits.

Brazil added a 9 in front of every 8-digit mobile number (2012-2016), but WhatsApp still knows
many older accounts by the 8-digit form, so one person shows up under two numbers:

    +55 DD 9 NNNNNNNN  ⇔  +55 DD NNNNNNNN    when N starts with 6, 7, 8 or 9 (a mobile)

`phone_identity` maps both to the 13-digit (dialable) form. Landlines (N starting with 2-5)
never got the 9 and are left alone, as is every number outside Brazil.
"""

from __future__ import annotations

import re

from leadengine_core.errors import InvalidPhone

MIN_DIGITS = 8
MAX_DIGITS = 15
_BRAZIL = "55"
_NON_DIGITS = re.compile(r"[^0-9]")
_COUNTRY_CODE = re.compile(r"[1-9][0-9]{0,2}", re.ASCII)
_E164 = re.compile(r"\+[0-9]{8,15}", re.ASCII)
# 55, a DDD (two digits, no zero), an optional 9, then a mobile subscriber number.
_BR_MOBILE = re.compile(r"\+55([1-9]{2})(9?)([6-9][0-9]{7})", re.ASCII)


def normalize_phone(raw: str, *, default_country_code: str = _BRAZIL) -> str:
    """E.164 (`+5531988887777`) from what a person or a broker typed; InvalidPhone otherwise."""
    if _COUNTRY_CODE.fullmatch(default_country_code) is None:
        raise ValueError(f"not a country calling code: {default_country_code!r}")
    stripped = raw.strip()
    digits = _NON_DIGITS.sub("", stripped)
    if not stripped.startswith("+"):
        digits = _international_digits(digits, default_country_code)
    if not MIN_DIGITS <= len(digits) <= MAX_DIGITS:
        raise InvalidPhone(
            f"a phone number needs {MIN_DIGITS} to {MAX_DIGITS} digits",
            details={"digits": len(digits)},
        )
    return f"+{digits}"


def _international_digits(digits: str, country_code: str) -> str:
    if digits.startswith("00"):
        return digits[2:]
    if digits.startswith("0") and len(digits) in (11, 12):
        return country_code + digits[1:]
    if len(digits) in (10, 11):
        return country_code + digits
    return digits


def phone_identity(e164: str) -> str:
    """The key under which a person is found: Brazilian mobiles always with the 9th digit."""
    _ensure_e164(e164)
    mobile = _BR_MOBILE.fullmatch(e164)
    if mobile is None:
        return e164
    ddd, _, subscriber = mobile.groups()
    return f"+55{ddd}9{subscriber}"


def phone_variants(e164: str) -> tuple[str, ...]:
    """Every form the same person may use: (with 9, without 9) for a Brazilian mobile."""
    identity = phone_identity(e164)
    mobile = _BR_MOBILE.fullmatch(identity)
    if mobile is None:
        return (identity,)
    ddd, _, subscriber = mobile.groups()
    return (identity, f"+55{ddd}{subscriber}")


def _ensure_e164(value: str) -> None:
    if _E164.fullmatch(value) is None:
        raise InvalidPhone(
            "expected an E.164 number such as +5531988887777", details={"value": value}
        )
