"""Webhook envelopes exactly as the leadengine broker posts them (whatsapp-payloads.md §9.1).

`{"event": NAME, "instanceId": id, "timestamp": <epoch seconds>, "payload": {...}}`, serialised
once (compact, UTF-8, like `JSON.stringify`) and signed over those exact bytes.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

__all__ = [
    "CONNECTION_UPDATE",
    "MESSAGES_UPDATE",
    "MESSAGES_UPSERT",
    "MESSAGE_INBOUND",
    "MESSAGE_OUTBOUND",
    "POLL_CHOICE",
    "ack_updates",
    "connection_update",
    "disconnect_reason",
    "envelope",
    "messages_upsert",
    "serialize",
    "sign",
]

MESSAGES_UPSERT = "WHATSAPP_MESSAGES_UPSERT"
MESSAGES_UPDATE = "WHATSAPP_MESSAGES_UPDATE"
CONNECTION_UPDATE = "WHATSAPP_CONNECTION_UPDATE"
MESSAGE_INBOUND = "MESSAGE_INBOUND"
MESSAGE_OUTBOUND = "MESSAGE_OUTBOUND"
POLL_CHOICE = "POLL_CHOICE"

_DISCONNECT_NAMES = {
    401: ("Unauthorized", "Intentional Logout"),
    408: ("Request Time-out", "Connection Lost"),
    428: ("Precondition Required", "Connection Closed"),
    440: ("Conflict", "Connection Replaced"),
    500: ("Internal Server Error", "Bad Session"),
    515: ("Unknown", "Stream Errored (restart required)"),
}


def envelope(
    event: str, instance_id: str, payload: Mapping[str, Any], now: datetime
) -> dict[str, Any]:
    return {
        "event": event,
        "instanceId": instance_id,
        "timestamp": int(now.timestamp()),
        "payload": dict(payload),
    }


def serialize(event: Mapping[str, Any]) -> bytes:
    return json.dumps(event, separators=(",", ":"), ensure_ascii=False).encode()


def sign(secret: str, body: bytes) -> str:
    """`x-signature`: hex HMAC-SHA256 of the exact body bytes."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def ack_updates(instance_id: str, message_id: str, remote_jid: str, status: int) -> dict[str, Any]:
    """`WHATSAPP_MESSAGES_UPDATE` payload for one ack of a message we sent (Baileys scale)."""
    update = {
        "key": {"id": message_id, "remoteJid": remote_jid, "fromMe": True},
        "update": {"status": status},
    }
    return {"iid": instance_id, "raw": {"updates": [update]}}


def disconnect_reason(status_code: int, now: datetime) -> dict[str, Any]:
    """`lastDisconnect` as it survives JSON: the Boom error keeps only `output` (§2)."""
    error, message = _DISCONNECT_NAMES.get(status_code, ("Unknown", "Connection Failure"))
    return {
        "error": {
            "isBoom": True,
            "output": {
                "statusCode": status_code,
                "payload": {"statusCode": status_code, "error": error, "message": message},
                "headers": {},
            },
        },
        "date": now.astimezone(UTC).isoformat().replace("+00:00", "Z"),
    }


def connection_update(
    instance_id: str,
    *,
    connection: str | None = None,
    qr: str | None = None,
    last_disconnect: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """`WHATSAPP_CONNECTION_UPDATE` payload; like Baileys, absent fields are left out."""
    raw: dict[str, Any] = {}
    if connection is not None:
        raw["connection"] = connection
    if qr is not None:
        raw["qr"] = qr
    if last_disconnect is not None:
        raw["lastDisconnect"] = dict(last_disconnect)
    return {"iid": instance_id, "raw": raw}


def messages_upsert(
    instance_id: str, messages: Sequence[Mapping[str, Any]], filtered: Sequence[Mapping[str, Any]]
) -> dict[str, Any]:
    """`WHATSAPP_MESSAGES_UPSERT` payload: raw, normalised and filtered views of one upsert."""
    return {
        "iid": instance_id,
        "raw": {"messages": list(messages), "type": "notify"},
        "normalized": {"messages": list(filtered), "type": "notify"},
        "messages": list(filtered),
    }
