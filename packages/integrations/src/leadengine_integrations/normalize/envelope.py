"""`parse_webhook`: the LeadEngine broker's webhook body → a `WebhookBatch` (§9.1).

The body is one event, an array of events, `{events: [...]}` (whose `instanceId`/`iid`
applies to events that name none) or an event wrapped as `{…, body: {…}}` (body keys win).
The event name is read from `event`, else `type`, case-insensitively and with or without the
`WHATSAPP_` prefix; an event with no name whose payload holds messages is an upsert (lesson
18). Unknown names are ignored, so the broker does not retry them (§10.36). The instance is
read from `instanceId`, `iid`, `payload.instanceId` or `payload.iid`; a handled event with none
of them is rejected (§10.35: never a default instance).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import partial

from leadengine_integrations.normalize.acks import parse_message_update, parse_receipt_update
from leadengine_integrations.normalize.baileys import parse_wamessage
from leadengine_integrations.normalize.coerce import (
    as_dict,
    as_id,
    as_label,
    as_list,
    decode_embedded_json,
    dig,
)
from leadengine_integrations.normalize.connection import parse_baileys_connection
from leadengine_integrations.normalize.contract import parse_contract_message, parse_poll_choice
from leadengine_integrations.normalize.events import (
    BatchItem,
    IgnoreReason,
    RejectReason,
    WebhookBatch,
    guarded,
    ignored,
    rejected,
)
from leadengine_integrations.normalize.timestamps import parse_timestamp

MESSAGES_UPSERT = "MESSAGES_UPSERT"
MESSAGES_UPDATE = "MESSAGES_UPDATE"
MESSAGE_RECEIPT_UPDATE = "MESSAGE_RECEIPT_UPDATE"
CONNECTION_UPDATE = "CONNECTION_UPDATE"
MESSAGE_INBOUND = "MESSAGE_INBOUND"
MESSAGE_OUTBOUND = "MESSAGE_OUTBOUND"
POLL_CHOICE = "POLL_CHOICE"
_PREFIX = "WHATSAPP_"
_NAME_LIMIT = 64
_KNOWN_UNUSED = {
    "PRESENCE_UPDATE": IgnoreReason.PRESENCE,
    "MESSAGING_HISTORY_SET": IgnoreReason.HISTORY_SYNC,
}


@dataclass(frozen=True, slots=True)
class _Event:
    name: str
    fields: dict[str, object]
    payload: dict[str, object]
    instance_key: str
    reported_at: datetime | None
    """The envelope's `timestamp`: when the broker sent it, not when WhatsApp saw it."""


def parse_webhook(body: object) -> WebhookBatch:
    if isinstance(body, list):
        events, fallback = body, None
    elif isinstance(body, dict) and isinstance(body.get("events"), list):
        events, fallback = body["events"], _instance_of(body, {})
    elif isinstance(body, dict):
        events, fallback = [body], None
    else:
        return WebhookBatch((rejected(RejectReason.INVALID_BODY),))
    items: list[BatchItem] = []
    for event in events:
        items.extend(guarded(partial(_parse_event, event, fallback)))
    return WebhookBatch(tuple(items))


def _parse_event(value: object, fallback_instance: str | None) -> list[BatchItem]:
    if not isinstance(value, dict):
        return [ignored(IgnoreReason.NOT_AN_OBJECT)]
    fields = _merge_body(value)
    payload = _decoded(as_dict(decode_embedded_json(fields.get("payload"))))
    label = as_label(fields.get("event"), _NAME_LIMIT) or as_label(fields.get("type"), _NAME_LIMIT)
    name = _canonical(label) if label else _implied_name(payload)
    handler = _HANDLERS.get(name or "")
    if name is None or handler is None:
        reason = _KNOWN_UNUSED.get(name or "", IgnoreReason.UNKNOWN_EVENT)
        return [ignored(reason, detail=label)]
    instance_key = _instance_of(fields, payload) or fallback_instance
    if instance_key is None:
        return [rejected(RejectReason.MISSING_INSTANCE, name)]
    reported_at = parse_timestamp(fields.get("timestamp"))
    return handler(_Event(name, fields, payload, instance_key, reported_at))


def _merge_body(event: dict[str, object]) -> dict[str, object]:
    body = decode_embedded_json(event.get("body"))
    if not isinstance(body, dict):
        return event
    outer = {key: value for key, value in event.items() if key != "body"}
    return {**outer, **body}


def _canonical(label: str) -> str:
    name = label.upper().replace(".", "_").replace("-", "_")
    return name.removeprefix(_PREFIX)


def _implied_name(payload: dict[str, object]) -> str | None:
    return MESSAGES_UPSERT if _upsert_messages(payload) else None


def _instance_of(fields: dict[str, object], payload: dict[str, object]) -> str | None:
    candidates = (
        fields.get("instanceId"),
        fields.get("iid"),
        payload.get("instanceId"),
        payload.get("iid"),
    )
    return next((key for key in map(as_id, candidates) if key is not None), None)


def _decoded(payload: dict[str, object]) -> dict[str, object]:
    """`payload.raw` / `payload.normalized` may arrive as JSON strings; decode them once."""
    views: dict[str, object] = {
        field: decode_embedded_json(payload[field])
        for field in ("raw", "normalized")
        if field in payload
    }
    return {**payload, **views}


def _entries(view: object, field: str) -> list[object]:
    return view if isinstance(view, list) else as_list(dig(view, field))


def _upsert_messages(payload: dict[str, object]) -> list[object]:
    """The broker repeats each message in `raw`, `normalized` and `messages` (§10.3); `raw`
    is the superset (it alone keeps fromMe and protocol messages), so the first non-empty
    view is read and the others are not."""
    views = (
        _entries(payload.get("raw"), "messages"),
        _entries(payload.get("normalized"), "messages"),
        as_list(payload.get("messages")),
    )
    return next((messages for messages in views if messages), [])


def _upsert(event: _Event) -> list[BatchItem]:
    messages = _upsert_messages(event.payload)
    if not messages:
        return [ignored(IgnoreReason.EMPTY_EVENT, event.instance_key, event.name)]
    upsert_type = (
        dig(event.payload.get("raw"), "type")
        or dig(event.payload.get("normalized"), "type")
        or event.payload.get("type")
    )
    return [
        parse_wamessage(message, instance_key=event.instance_key, upsert_type=upsert_type)
        for message in messages
    ]


def _update(event: _Event) -> list[BatchItem]:
    updates = _entries(event.payload.get("raw"), "updates") or as_list(event.payload.get("updates"))
    if not updates:
        return [ignored(IgnoreReason.EMPTY_EVENT, event.instance_key, event.name)]
    return [parse_message_update(update, instance_key=event.instance_key) for update in updates]


def _receipt(event: _Event) -> list[BatchItem]:
    raw = event.payload.get("raw")
    receipts = (
        _entries(raw, "receipts")
        or _entries(raw, "updates")
        or as_list(event.payload.get("receipts"))
    )
    if not receipts:
        return [ignored(IgnoreReason.EMPTY_EVENT, event.instance_key, event.name)]
    return [parse_receipt_update(receipt, instance_key=event.instance_key) for receipt in receipts]


def _connection(event: _Event) -> list[BatchItem]:
    raw = event.payload.get("raw")
    update = raw if isinstance(raw, dict) else event.payload
    item = parse_baileys_connection(
        update, instance_key=event.instance_key, reported_at=event.reported_at, event=event.fields
    )
    return [item]


def _contract(event: _Event) -> list[BatchItem]:
    item = parse_contract_message(
        event.payload,
        instance_key=event.instance_key,
        outbound_event=event.name == MESSAGE_OUTBOUND,
        reported_at=event.reported_at,
    )
    return [item]


def _poll_choice(event: _Event) -> list[BatchItem]:
    item = parse_poll_choice(
        event.payload, instance_key=event.instance_key, reported_at=event.reported_at
    )
    return [item]


_HANDLERS: dict[str, Callable[[_Event], list[BatchItem]]] = {
    MESSAGES_UPSERT: _upsert,
    MESSAGES_UPDATE: _update,
    MESSAGE_RECEIPT_UPDATE: _receipt,
    CONNECTION_UPDATE: _connection,
    MESSAGE_INBOUND: _contract,
    MESSAGE_OUTBOUND: _contract,
    POLL_CHOICE: _poll_choice,
}
