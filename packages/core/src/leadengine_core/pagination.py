"""Keyset pagination shared by storage and the API.

A cursor is the sort key of the row a page stops at, as url-safe base64 of compact JSON (no
padding). It is opaque to clients: only the repository that issued it reads it back, and any
string a client makes up fails decoding with VALIDATION_ERROR rather than reaching a query.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from leadengine_core.errors import ValidationFailed

T = TypeVar("T")
CursorValue = str | int | float
MAX_CURSOR_LENGTH = 1024
_CURSOR_ALPHABET = re.compile(r"[A-Za-z0-9_-]+", re.ASCII)


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page in list order; a cursor is None when there is nothing further that way."""

    items: Sequence[T] = field(default_factory=tuple)
    next_cursor: str | None = None
    prev_cursor: str | None = None


def encode_cursor(values: Sequence[CursorValue]) -> str:
    if any(not _is_cursor_value(value) for value in values):
        raise ValueError(f"cursor values must be str, int or finite float: {values!r}")
    raw = json.dumps(list(values), separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return base64.urlsafe_b64encode(raw.encode()).decode("ascii").rstrip("=")


def decode_cursor(cursor: str) -> tuple[CursorValue, ...]:
    """The values given to `encode_cursor`; ValidationFailed for anything else."""
    try:
        if len(cursor) > MAX_CURSOR_LENGTH or _CURSOR_ALPHABET.fullmatch(cursor) is None:
            raise ValueError("not a cursor this API issued")
        padded = cursor + "=" * (-len(cursor) % 4)
        raw = base64.b64decode(padded, altchars=b"-_", validate=True)
        values = json.loads(raw, parse_constant=_reject_constant)
    except (ValueError, binascii.Error) as error:
        raise _invalid(cursor) from error
    if not isinstance(values, list) or not all(_is_cursor_value(value) for value in values):
        raise _invalid(cursor)
    return tuple(values)


def _is_cursor_value(value: object) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, float):
        return math.isfinite(value)
    return isinstance(value, str | int)


def _reject_constant(name: str) -> object:
    raise ValueError(f"{name} is not allowed in a cursor")


def _invalid(cursor: str) -> ValidationFailed:
    return ValidationFailed("invalid pagination cursor", details={"cursor": cursor[:64]})
