"""WhatsApp times: epoch seconds or milliseconds in every JSON spelling, or ISO 8601.

`messageTimestamp` is a number on live messages, a numeric string on own-send echoes and
history, and a `{low, high, unsigned}` Long when Baileys copied it into a plain object
(whatsapp-payloads.md §2). A value above 1e12 is in milliseconds. Anything before 2000 is not
a WhatsApp time (0 would mean 1970, §10.11), so it reads as unknown rather than as a date.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from leadengine_integrations.normalize.coerce import as_number

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MILLISECONDS_ABOVE = 10**12
_EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
_EARLIEST_MS = (_EARLIEST - _EPOCH) // timedelta(milliseconds=1)
_LATEST_MS = (datetime(9999, 12, 31, tzinfo=UTC) - _EPOCH) // timedelta(milliseconds=1)
_ISO_MAX_LENGTH = 64


def parse_timestamp(value: object) -> datetime | None:
    """An aware UTC datetime, or None when the value is missing or implausible."""
    number = as_number(value)
    if number is not None:
        return _from_epoch(number)
    if isinstance(value, str) and len(value) <= _ISO_MAX_LENGTH:
        return _from_iso(value.strip())
    return None


def epoch_ms(moment: datetime) -> int:
    return (moment - _EPOCH) // timedelta(milliseconds=1)


def _from_epoch(number: float) -> datetime | None:
    millis = number if number > _MILLISECONDS_ABOVE else number * 1000
    if not _EARLIEST_MS <= millis <= _LATEST_MS:
        return None
    return _EPOCH + timedelta(milliseconds=millis)


def _from_iso(text: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    try:
        moment = moment.astimezone(UTC)
    except OverflowError:
        return None
    return moment if moment >= _EARLIEST else None
