import base64

import pytest
from hypothesis import given
from hypothesis import strategies as st
from leadengine_core.errors import ValidationFailed
from leadengine_core.pagination import CursorValue, decode_cursor, encode_cursor

values = st.lists(
    st.one_of(st.text(), st.integers(), st.floats(allow_nan=False, allow_infinity=False)),
    max_size=5,
)


@given(values)
def test_cursors_round_trip(items: list[CursorValue]) -> None:
    cursor = encode_cursor(items)

    assert decode_cursor(cursor) == tuple(items)
    assert "=" not in cursor
    assert set(cursor) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def test_a_typical_cursor() -> None:
    cursor = encode_cursor([1735732800000000, "0193a1b2-0000-7000-8000-000000000001"])

    assert decode_cursor(cursor) == (1735732800000000, "0193a1b2-0000-7000-8000-000000000001")


@pytest.mark.parametrize("bad", [[True], [None], [[1]], [float("nan")], [float("inf")]])
def test_only_plain_values_can_be_encoded(bad: list[CursorValue]) -> None:
    with pytest.raises(ValueError, match="cursor values"):
        encode_cursor(bad)


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.mark.parametrize(
    "garbage",
    [
        "",
        "!!!",
        "abc=",
        "a",
        "é",
        "A" * 2000,
        _b64(b"not json"),
        _b64(b'{"a": 1}'),
        _b64(b"[true]"),
        _b64(b"[null]"),
        _b64(b"[[1]]"),
        _b64(b"[NaN]"),
        _b64(b"[Infinity]"),
        _b64(b"\xff\xfe"),
        _b64(b"1"),
    ],
)
def test_garbage_cursors_are_a_validation_error(garbage: str) -> None:
    with pytest.raises(ValidationFailed) as raised:
        decode_cursor(garbage)
    assert raised.value.code == "VALIDATION_ERROR"


@given(st.text(max_size=200))
def test_decoding_any_text_raises_only_validation_errors(text: str) -> None:
    try:
        decoded = decode_cursor(text)
    except ValidationFailed:
        return
    assert isinstance(decoded, tuple)
