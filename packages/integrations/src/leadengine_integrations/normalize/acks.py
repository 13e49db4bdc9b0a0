"""Baileys `messages.update` and `message-receipt.update` items → acks, edits, revokes.

Ack numbers are decoded only by core's `status_from_baileys` (0 ERROR … 5 PLAYED), never by
the original system's off-by-one table (lesson 21). Acks on messages that are not ours are
kept: READ on a customer's message means this account read it elsewhere (§10.9), which
clears unread counters; `from_me` tells the two apart.
"""

from __future__ import annotations

from datetime import datetime

from leadengine_core.message_status import MessageStatus, status_from_baileys

from leadengine_integrations.normalize.coerce import (
    as_bool,
    as_code,
    as_dict,
    as_id,
    as_list,
    dig,
)
from leadengine_integrations.normalize.content import preview_text
from leadengine_integrations.normalize.dedupe import ack_key
from leadengine_integrations.normalize.events import (
    AckUpdate,
    BatchItem,
    IgnoreReason,
    ignored,
)
from leadengine_integrations.normalize.identity import chat_ignore_reason, jid_of, normalized
from leadengine_integrations.normalize.protocol import edit_item, revoke_item
from leadengine_integrations.normalize.timestamps import parse_timestamp

_REVOKE_STUB = ("1", "REVOKE")
# Receipt fields in the order that wins: PLAYED and READ both fill `readTimestamp` (§5).
_RECEIPT_FIELDS = (
    ("playedTimestamp", MessageStatus.PLAYED),
    ("readTimestamp", MessageStatus.READ),
    ("receiptTimestamp", MessageStatus.DELIVERED),
)


def parse_message_update(value: object, *, instance_key: str) -> BatchItem:
    """`{key, update}`: a status, a revoke (`message: null`, stub 1) or an edit."""
    if not isinstance(value, dict):
        return ignored(IgnoreReason.NOT_AN_OBJECT, instance_key)
    key, update = as_dict(value.get("key")), as_dict(value.get("update"))
    target = as_id(key.get("id"))
    if target is None:
        return ignored(IgnoreReason.MISSING_MESSAGE_ID, instance_key)
    chat = jid_of(key.get("remoteJid"))
    if chat is not None and (reason := chat_ignore_reason(chat)) is not None:
        return ignored(reason, instance_key)
    chat_key = normalized(chat)
    at = parse_timestamp(update.get("messageTimestamp"))

    if as_code(update.get("messageStubType")) in _REVOKE_STUB and update.get("message") is None:
        return revoke_item(
            instance_key=instance_key, target=target, chat=chat_key, at=at, own_id=None
        )
    edited = dig(update, "message", "editedMessage")
    if isinstance(edited, dict):
        return edit_item(
            instance_key=instance_key,
            target=target,
            chat=chat_key,
            new_text=preview_text(edited.get("message")),
            at=at,
            own_id=None,
        )
    raw_status = update.get("status", update.get("ack"))
    if raw_status is None:
        return ignored(IgnoreReason.UNSUPPORTED_UPDATE, instance_key)
    return ack_item(
        instance_key=instance_key,
        target=target,
        chat=chat_key,
        from_me=as_bool(key.get("fromMe")),
        raw_status=raw_status,
        participant=normalized(jid_of(key.get("participant"))),
        at=at,
        stub_parameters=update.get("messageStubParameters"),
    )


def parse_receipt_update(value: object, *, instance_key: str) -> BatchItem:
    """`{key, receipt: {userJid, receiptTimestamp | readTimestamp}}`: one group member's ack."""
    if not isinstance(value, dict):
        return ignored(IgnoreReason.NOT_AN_OBJECT, instance_key)
    key, receipt = as_dict(value.get("key")), as_dict(value.get("receipt"))
    target = as_id(key.get("id"))
    if target is None:
        return ignored(IgnoreReason.MISSING_MESSAGE_ID, instance_key)
    chat = jid_of(key.get("remoteJid"))
    if chat is not None and (reason := chat_ignore_reason(chat)) is not None:
        return ignored(reason, instance_key)
    found = next(
        ((status, receipt[field]) for field, status in _RECEIPT_FIELDS if receipt.get(field)),
        None,
    )
    if found is None:
        return ignored(IgnoreReason.UNSUPPORTED_UPDATE, instance_key)
    status, when = found
    member = jid_of(receipt.get("userJid")) or jid_of(key.get("participant"))
    participant = normalized(member)
    ack = AckUpdate(
        instance_key=instance_key,
        provider_message_id=target,
        chat=normalized(chat),
        from_me=as_bool(key.get("fromMe")),
        status=status,
        participant=participant,
        at=parse_timestamp(when),
    )
    return BatchItem(ack, ack_key(instance_key, target, status, participant or ""))


def ack_item(
    *,
    instance_key: str,
    target: str,
    chat: str | None,
    from_me: bool,
    raw_status: object,
    participant: str | None,
    at: datetime | None,
    stub_parameters: object,
) -> BatchItem:
    status = status_from_baileys(raw_status)
    if status is None:
        return ignored(IgnoreReason.UNKNOWN_STATUS, instance_key, as_code(raw_status))
    error_code = None
    if status is MessageStatus.FAILED:
        error_code = next((as_code(p) for p in as_list(stub_parameters) if as_code(p)), None)
    ack = AckUpdate(
        instance_key=instance_key,
        provider_message_id=target,
        chat=chat,
        from_me=from_me,
        status=status,
        participant=participant,
        at=at,
        error_code=error_code,
    )
    return BatchItem(ack, ack_key(instance_key, target, status, None))
