"""A bounded, JSON-safe copy of a payload, kept on events for audit and hashed for dedupe.

The copy must be storable as `jsonb` and small enough to keep on every message row, whatever
the broker sent: strings are cleaned and cut to `RAW_STRING_LIMIT` bytes (this is what keeps
base64 thumbnails and Evolution's inline media out of the database), nesting stops at
`RAW_DEPTH_LIMIT`, at most `RAW_NODE_LIMIT` values are copied, non-finite floats and integers
wider than 64 bits become null, and anything that is not a JSON type is dropped.
"""

from __future__ import annotations

import hashlib
import json
import math

from leadengine_integrations.normalize.coerce import clean_text

RAW_STRING_LIMIT = 4096
RAW_DEPTH_LIMIT = 32
RAW_NODE_LIMIT = 4096
_KEY_LIMIT = 256


def audit_copy(value: object) -> object:
    return _Copier().copy(value, 0)


def canonical_digest(value: object) -> str:
    """SHA-256 hex of the canonical JSON of the audit copy: equal payloads, equal digests."""
    text = json.dumps(audit_copy(value), sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(text.encode("ascii")).hexdigest()


class _Copier:
    def __init__(self) -> None:
        self.budget = RAW_NODE_LIMIT

    def copy(self, value: object, depth: int) -> object:
        self.budget -= 1
        if value is None or isinstance(value, bool):
            return value
        if isinstance(value, int):
            return value if value.bit_length() <= 64 else None
        if isinstance(value, float):
            return value if math.isfinite(value) else None
        if isinstance(value, str):
            return clean_text(value, RAW_STRING_LIMIT)
        if depth >= RAW_DEPTH_LIMIT:
            return None
        if isinstance(value, list):
            items: list[object] = []
            for item in value:
                if self.budget <= 0:
                    break
                items.append(self.copy(item, depth + 1))
            return items
        if isinstance(value, dict):
            fields: dict[str, object] = {}
            for key, item in value.items():
                if self.budget <= 0:
                    break
                if isinstance(key, str):
                    fields[clean_text(key, _KEY_LIMIT)] = self.copy(item, depth + 1)
            return fields
        return None
