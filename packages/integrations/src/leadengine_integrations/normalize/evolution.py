"""`parse_evolution_webhook`: an Evolution API v2 webhook body → a `WebhookBatch` (§9.2).

`{event: "messages.upsert", instance: "<name>", data: …, date_time, sender, apikey}`. The
event name is dotted lowercase; the upper-snake spelling used to enable webhooks
(`MESSAGES_UPSERT`) and the URL suffix form (`messages-upsert`) are read the same. `data` is
one item or, defensively, a list of them. `date_time` is never read (§10.43).

Evolution differs from raw Baileys in ways the shared readers already absorb: extended text is
flattened to `conversation` with `contextInfo` beside `message` (read as the quote fallback),
stored media has `message.mediaUrl`, and own messages carry the placeholder push name 'Você'
(never read: push names are dropped on our own messages).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from leadengine_integrations.normalize.acks import ack_item, parse_message_update
from leadengine_integrations.normalize.baileys import parse_wamessage
from leadengine_integrations.normalize.coerce import as_bool, as_dict, as_id, as_label, dig
from leadengine_integrations.normalize.connection import (
    parse_evolution_connection,
    parse_evolution_qr,
)
from leadengine_integrations.normalize.events import (
    BatchItem,
    IgnoreReason,
    RejectReason,
    WebhookBatch,
    guarded,
    ignored,
    rejected,
)
from leadengine_integrations.normalize.identity import chat_ignore_reason, jid_of, normalized
from leadengine_integrations.normalize.protocol import read_protocol, revoke_item
from leadengine_integrations.normalize.timestamps import parse_timestamp

_NAME_LIMIT = 64
_DELETED = "DELETED"
_KNOWN_UNUSED = {
    "messages.set": IgnoreReason.HISTORY_SYNC,
    "contacts.set": IgnoreReason.HISTORY_SYNC,
    "chats.set": IgnoreReason.HISTORY_SYNC,
    "presence.update": IgnoreReason.PRESENCE,
}

_ItemParser = Callable[[object, str], BatchItem]


def parse_evolution_webhook(body: object) -> WebhookBatch:
    if isinstance(body, list):
        events = body
    elif isinstance(body, dict):
        events = [body]
    else:
        return WebhookBatch((rejected(RejectReason.INVALID_BODY),))
    items: list[BatchItem] = []
    for event in events:
        items.extend(guarded(partial(_parse_event, event)))
    return WebhookBatch(tuple(items))


def _parse_event(value: object) -> list[BatchItem]:
    if not isinstance(value, dict):
        return [ignored(IgnoreReason.NOT_AN_OBJECT)]
    label = as_label(value.get("event"), _NAME_LIMIT)
    name = label.lower().replace("_", ".").replace("-", ".") if label else ""
    data = value.get("data")
    if name in ("connection.update", "qrcode.updated"):
        instance_key = _instance_of(value)
        if instance_key is None:
            return [rejected(RejectReason.MISSING_INSTANCE, name)]
        parse_state = (
            parse_evolution_connection if name == "connection.update" else parse_evolution_qr
        )
        return [parse_state(data, instance_key=instance_key, event=value)]
    parse_item = _ITEM_PARSERS.get(name)
    if parse_item is None:
        return [ignored(_KNOWN_UNUSED.get(name, IgnoreReason.UNKNOWN_EVENT), detail=label)]
    instance_key = _instance_of(value)
    if instance_key is None:
        return [rejected(RejectReason.MISSING_INSTANCE, name)]
    entries = data if isinstance(data, list) else [data]
    if not entries:
        return [ignored(IgnoreReason.EMPTY_EVENT, instance_key, name)]
    return [parse_item(entry, instance_key) for entry in entries]


def _instance_of(event: dict[str, object]) -> str | None:
    return as_id(event.get("instance")) or as_id(dig(event, "data", "instance"))


def _message(entry: object, instance_key: str) -> BatchItem:
    return parse_wamessage(entry, instance_key=instance_key)


def _status(entry: object, instance_key: str) -> BatchItem:
    """`{keyId, remoteJid, fromMe, participant, status}`; `messageId` is Evolution's own row
    id, not WhatsApp's. Status `DELETED` is a revoke."""
    fields = as_dict(entry)
    if isinstance(fields.get("key"), dict) and isinstance(fields.get("update"), dict):
        return parse_message_update(fields, instance_key=instance_key)
    target = as_id(fields.get("keyId"))
    if target is None:
        return ignored(IgnoreReason.MISSING_MESSAGE_ID, instance_key)
    chat = jid_of(fields.get("remoteJid"))
    if chat is not None and (reason := chat_ignore_reason(chat)) is not None:
        return ignored(reason, instance_key)
    status = fields.get("status")
    if isinstance(status, str) and status.strip().upper() == _DELETED:
        return revoke_item(
            instance_key=instance_key, target=target, chat=normalized(chat), at=None, own_id=None
        )
    return ack_item(
        instance_key=instance_key,
        target=target,
        chat=normalized(chat),
        from_me=as_bool(fields.get("fromMe")),
        raw_status=status,
        participant=normalized(jid_of(fields.get("participant"))),
        at=None,
        stub_parameters=None,
    )


def _delete(entry: object, instance_key: str) -> BatchItem:
    """The deleted message's key, bare or as `{key}`."""
    fields = as_dict(entry)
    key = as_dict(fields.get("key")) or fields
    return revoke_item(
        instance_key=instance_key,
        target=as_id(key.get("id")),
        chat=normalized(jid_of(key.get("remoteJid"))),
        at=None,
        own_id=None,
    )


def _edit(entry: object, instance_key: str) -> BatchItem:
    """Usually the bare protocol message, whose key is the sender's view and names no chat;
    when wrapped in a message, the outer key gives the chat."""
    fields = as_dict(entry)
    nested = dig(fields, "message", "protocolMessage")
    if isinstance(nested, dict):
        return read_protocol(
            nested,
            instance_key=instance_key,
            chat=normalized(jid_of(dig(fields, "key", "remoteJid"))),
            at=parse_timestamp(fields.get("messageTimestamp")),
            own_id=as_id(dig(fields, "key", "id")),
        )
    protocol = fields.get("protocolMessage", fields)
    return read_protocol(protocol, instance_key=instance_key, chat=None, at=None, own_id=None)


_ITEM_PARSERS: dict[str, _ItemParser] = {
    "messages.upsert": _message,
    "send.message": _message,
    "messages.update": _status,
    "messages.delete": _delete,
    "messages.edited": _edit,
    "send.message.update": _edit,
}
