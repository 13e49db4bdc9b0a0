"""`messageTimestamp` in every JSON spelling (§2, §10.11), and the dedupe keys that use it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from leadengine_integrations.normalize import InboundMessage, parse_webhook
from leadengine_integrations.normalize import samples as s

SECONDS = datetime(2025, 6, 1, 12, 39, 50, tzinfo=UTC)
MILLISECONDS = datetime(2025, 6, 1, 12, 39, 50, 123000, tzinfo=UTC)


def long_of(value: int) -> dict[str, object]:
    """A protobufjs Long as JSON: `low` is a signed int32 (negative for many ms values)."""
    high, low = divmod(value, 2**32)
    return {"low": low - 2**32 if low >= 2**31 else low, "high": high, "unsigned": True}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1748781590, SECONDS),
        ("1748781590", SECONDS),
        (1748781590.0, SECONDS),
        (long_of(1748781590), SECONDS),
        (1748781590123, MILLISECONDS),
        ("1748781590123", MILLISECONDS),
        (long_of(1748781590123), MILLISECONDS),
        ("2025-06-01T12:39:50Z", SECONDS),
        ("2025-06-01T09:39:50-03:00", SECONDS),
        (None, None),
        (0, None),
        (-1748781590, None),
        ("", None),
        ("ontem", None),
        (10**40, None),
        (float("inf"), None),
        (True, None),
        ({"low": "x", "high": 0}, None),
        ([1748781590], None),
    ],
    ids=repr,
)
def test_message_timestamps(value: object, expected: datetime | None) -> None:
    event = s.single(parse_webhook(s.upsert(s.wamessage(s.TEXT, timestamp=value)))).event

    assert isinstance(event, InboundMessage)
    assert event.occurred_at == expected
    assert event.occurred_at is None or event.occurred_at.tzinfo is UTC


def test_long_with_negative_low_word() -> None:
    millis = 1748781590123 + 2**31
    value = long_of(millis)
    assert isinstance(value["low"], int)
    assert value["low"] < 0

    event = s.single(parse_webhook(s.upsert(s.wamessage(s.TEXT, timestamp=value)))).event

    assert isinstance(event, InboundMessage)
    assert event.occurred_at == datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=millis)
