"""Total accessors over decoded JSON: every function accepts any value and never raises.

Broker payloads drift (lesson 18): a field may be missing, null, a number where a string
belongs, a string where a number belongs, or text with NUL bytes and lone surrogates that
Postgres and UTF-8 reject (whatsapp-payloads.md §10.32). These helpers turn "not what we
expected" into None, so the parsers above them stay straight-line code.

Size caps, in UTF-8 bytes of what is kept (longer values are cut at a character boundary):

- `TEXT_LIMIT` 64 KiB: message text, captions, vCards. WhatsApp itself caps text near 64 KiB.
- `LABEL_LIMIT` 1 KiB: names, MIME types, file names, poll options.
- `URL_LIMIT` 4 KiB: media URLs and CDN paths.
- `ID_LIMIT` 256 characters: ids are never cut; a longer one is treated as absent, because a
  truncated id could collide with another message's.
- `LIST_LIMIT` 256 items for contacts, poll options and selected options.
"""

from __future__ import annotations

import json
import math
import re

TEXT_LIMIT = 64 * 1024
LABEL_LIMIT = 1024
URL_LIMIT = 4096
ID_LIMIT = 256
LIST_LIMIT = 256
# A JSON document embedded in a string (`payload.raw`, `paramsJson`) larger than this is
# not decoded: the whole webhook body is already size-limited by the HTTP layer.
EMBEDDED_JSON_LIMIT = 8 * 1024 * 1024

_SURROGATE = re.compile("[\ud800-\udfff]")
_INTEGER = re.compile(r"[+-]?[0-9]{1,20}", re.ASCII)
_DECIMAL = re.compile(r"[+-]?[0-9]{1,20}(?:\.[0-9]{1,9})?", re.ASCII)
_INT32 = range(-(2**31), 2**32)


def as_dict(value: object) -> dict[str, object]:
    return value if isinstance(value, dict) else {}


def as_list(value: object) -> list[object]:
    return value if isinstance(value, list) else []


def dig(value: object, *path: str) -> object:
    """`value[path[0]][path[1]]…`, or None as soon as a step is not an object."""
    for key in path:
        value = as_dict(value).get(key)
    return value


def clean_text(value: str, limit: int) -> str:
    """Drop U+0000, repair surrogates (pairs joined, lone ones replaced) and cap UTF-8 bytes."""
    text = value[:limit].replace("\x00", "")
    if _SURROGATE.search(text):
        text = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    encoded = text.encode("utf-8")
    if len(encoded) > limit:
        text = encoded[:limit].decode("utf-8", "ignore")
    return text


def as_text(value: object, limit: int = TEXT_LIMIT) -> str | None:
    """Message text kept byte-exact (no stripping); None when absent or empty."""
    if not isinstance(value, str):
        return None
    return clean_text(value, limit) or None


def as_label(value: object, limit: int = LABEL_LIMIT) -> str | None:
    """A short human or protocol label, stripped; None when absent or blank."""
    if not isinstance(value, str):
        return None
    return clean_text(value, limit).strip() or None


def as_id(value: object) -> str | None:
    """An identifier: a printable string of at most ID_LIMIT characters, or an integer."""
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) < 10**20:
        return str(value)
    if not isinstance(value, str) or len(value) > ID_LIMIT:
        return None
    text = value.strip()
    return text if text and text.isprintable() else None


def as_bool(value: object) -> bool:
    return value is True


def as_int(value: object) -> int | None:
    """An integer from a number, a numeric string or a protobuf Long `{low, high, unsigned}`."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if math.isfinite(value) and value.is_integer() else None
    if isinstance(value, str):
        text = value.strip()
        return int(text) if _INTEGER.fullmatch(text) else None
    if isinstance(value, dict):
        return _long(value)
    return None


def as_count(value: object, maximum: int = 2**53) -> int | None:
    """A non-negative integer no larger than `maximum` (sizes, seconds, pixels)."""
    number = as_int(value)
    return number if number is not None and 0 <= number <= maximum else None


def as_float(value: object) -> float | None:
    """A finite float from a number or a decimal string."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return float(value) if abs(value) < 2**53 else None
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, str) and _DECIMAL.fullmatch(value.strip()):
        return float(value)
    return None


def as_number(value: object) -> int | float | None:
    """An integer when the value is integral (incl. Long objects), else a finite float."""
    number = as_int(value)
    return number if number is not None else as_float(value)


def decode_embedded_json(value: object, limit: int = EMBEDDED_JSON_LIMIT) -> object:
    """Decode a JSON document sent as a string (the broker's `payload.raw` may be one)."""
    if not isinstance(value, str) or len(value) > limit:
        return value
    try:
        return json.loads(value)
    except (ValueError, RecursionError):
        return value


def _long(value: dict[str, object]) -> int | None:
    """protobufjs Long copied into a plain object: `high * 2**32 + (low & 0xFFFFFFFF)`."""
    low, high = value.get("low"), value.get("high")
    if not isinstance(low, int) or not isinstance(high, int):
        return None
    if isinstance(low, bool) or isinstance(high, bool) or low not in _INT32 or high not in _INT32:
        return None
    return high * 2**32 + (low & 0xFFFFFFFF)


def as_code(value: object) -> str | None:
    """A short code for `detail` fields: an enum name or a 64-bit integer, else None."""
    number = as_int(value)
    if number is not None:
        return str(number) if number.bit_length() <= 64 else None
    return as_label(value, 64)
