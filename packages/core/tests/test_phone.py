import re

import pytest
from hypothesis import given
from hypothesis import strategies as st
from leadengine_core.errors import InvalidPhone
from leadengine_core.phone import normalize_phone, phone_identity, phone_variants


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("+55 (31) 98888-7777", "+5531988887777"),
        ("5531988887777", "+5531988887777"),
        ("(31) 98888-7777", "+5531988887777"),
        ("31 98888 7777", "+5531988887777"),
        ("031988887777", "+5531988887777"),
        ("(31) 3333-4444", "+553133334444"),
        ("0055 31 98888-7777", "+5531988887777"),
        ("+1 (202) 555-0123", "+12025550123"),
        ("  +44 20 7946 0958 ", "+442079460958"),
        ("+351912345678", "+351912345678"),
        ("12345678", "+12345678"),
    ],
)
def test_normalize_phone_formats(raw: str, expected: str) -> None:
    assert normalize_phone(raw) == expected


def test_a_national_number_takes_the_given_country_code() -> None:
    assert normalize_phone("(202) 555-0123", default_country_code="1") == "+12025550123"


def test_a_bad_default_country_code_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="country"):
        normalize_phone("31988887777", default_country_code="+55")


@pytest.mark.parametrize(
    "raw",
    ["", "abc", "1234567", "+1234567", "+1234567890123456", "5531988887777123", "٣١٩٨٨٨٨٧٧٧٧"],
)
def test_too_short_or_too_long_is_rejected(raw: str) -> None:
    with pytest.raises(InvalidPhone) as raised:
        normalize_phone(raw)
    assert raised.value.code == "INVALID_PHONE"


@pytest.mark.parametrize(
    ("with_nine", "without_nine"),
    [
        ("+5531988887777", "+553188887777"),
        ("+5511987654321", "+551187654321"),
        ("+5521966665555", "+552166665555"),
        ("+5585977776666", "+558577776666"),
    ],
)
def test_brazilian_mobiles_with_and_without_the_ninth_digit_are_one_person(
    with_nine: str, without_nine: str
) -> None:
    assert phone_identity(with_nine) == phone_identity(without_nine) == with_nine
    assert phone_variants(with_nine) == phone_variants(without_nine) == (with_nine, without_nine)


@pytest.mark.parametrize("landline", ["+553133334444", "+551125556666", "+555140004000"])
def test_landlines_get_no_ninth_digit(landline: str) -> None:
    assert phone_identity(landline) == landline
    assert phone_variants(landline) == (landline,)
    assert phone_identity("+55319" + landline[5:]) != landline


@pytest.mark.parametrize("foreign", ["+12025550123", "+351912345678", "+447911123456"])
def test_numbers_outside_brazil_are_their_own_identity(foreign: str) -> None:
    assert phone_identity(foreign) == foreign
    assert phone_variants(foreign) == (foreign,)


@pytest.mark.parametrize("not_e164", ["5531988887777", "+55 31 98888-7777", "", "+1234567"])
def test_identity_needs_e164(not_e164: str) -> None:
    with pytest.raises(InvalidPhone):
        phone_identity(not_e164)


@given(st.text())
def test_normalize_phone_only_ever_raises_invalid_phone(raw: str) -> None:
    try:
        result = normalize_phone(raw)
    except InvalidPhone:
        return
    assert re.fullmatch(r"\+[0-9]{8,15}", result)


@given(st.from_regex(r"\+[1-9][0-9]{7,14}", fullmatch=True))
def test_identity_is_stable_and_shared_by_every_variant(e164: str) -> None:
    identity = phone_identity(e164)

    assert phone_identity(identity) == identity
    assert e164 in phone_variants(e164)
    assert {phone_identity(variant) for variant in phone_variants(e164)} == {identity}


@given(st.from_regex(r"\+[1-9][0-9]{7,14}", fullmatch=True))
def test_normalizing_an_e164_number_returns_it_unchanged(e164: str) -> None:
    assert normalize_phone(e164) == e164
