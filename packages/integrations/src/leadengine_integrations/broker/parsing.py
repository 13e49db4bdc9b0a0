"""Tolerant reading of broker JSON: the same field may sit at the top or under a wrapper.

Brokers drift (lesson 18): an id may be `id`, `messageId` or `externalId`, nested under `data`,
`result`, `payload`, …; timestamps may be ISO strings, epoch seconds or milliseconds. These
helpers read one field from whichever layer has it, innermost first, and never invent values.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

__all__ = ["as_bool", "as_datetime", "as_int", "as_str", "layers", "pick", "raw_object"]

JsonObject = Mapping[str, Any]
_MAX_LAYERS = 16
_MILLISECONDS_THRESHOLD = 1e12


def layers(payload: object, wrappers: Sequence[str]) -> list[JsonObject]:
    """The payload and every object nested under a wrapper key, innermost first."""
    found: list[JsonObject] = []
    queue: list[object] = [payload]
    while queue and len(found) < _MAX_LAYERS:
        item = queue.pop(0)
        if isinstance(item, Mapping):
            found.append(item)
            queue.extend(item[key] for key in wrappers if isinstance(item.get(key), Mapping))
    found.reverse()
    return found


def pick(objects: Iterable[JsonObject], *names: str) -> Any:
    """The first non-null value of any of `names` (scalar or list) in `objects`."""
    for obj in objects:
        for name in names:
            value = obj.get(name)
            if value is not None and not isinstance(value, Mapping):
                return value
    return None


def raw_object(payload: object) -> dict[str, Any]:
    return dict(payload) if isinstance(payload, Mapping) else {"value": payload}


def as_str(value: object) -> str | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, str | int | float):
        text = str(value).strip()
        return text or None
    return None


def as_int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    return None


def as_bool(value: object) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return None


def as_datetime(value: object) -> datetime | None:
    """ISO 8601, epoch seconds or epoch milliseconds (numbers or numeric strings)."""
    if isinstance(value, bool) or value is None:
        return None
    number: float | None = None
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        text = value.strip()
        try:
            number = float(text)
        except ValueError:
            try:
                parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
            except ValueError:
                return None
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    if number is None or number <= 0:
        return None
    seconds = number / 1000 if number > _MILLISECONDS_THRESHOLD else number
    return datetime.fromtimestamp(seconds, UTC)
