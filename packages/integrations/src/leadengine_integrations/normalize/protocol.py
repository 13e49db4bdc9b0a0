"""`protocolMessage`: REVOKE and MESSAGE_EDIT become events; every other type is control
traffic (key shares, history sync, ephemeral settings…) and never a chat row (§4).

The inner `key` is written from the sender's side: when a customer edits or revokes their own
message it reads `{remoteJid: <our number>, fromMe: true}`. Only its `id` is used; the chat
is the outer message's (§4 trap, §10.25).
"""

from __future__ import annotations

from datetime import datetime

from leadengine_integrations.normalize.coerce import as_code, as_dict, as_id, as_int, dig
from leadengine_integrations.normalize.content import preview_text
from leadengine_integrations.normalize.dedupe import edit_key, revoke_key
from leadengine_integrations.normalize.events import (
    BatchItem,
    IgnoreReason,
    MessageEdit,
    MessageRevoke,
    ignored,
)
from leadengine_integrations.normalize.timestamps import parse_timestamp

REVOKE = "REVOKE"
MESSAGE_EDIT = "MESSAGE_EDIT"
HISTORY_SYNC = "HISTORY_SYNC_NOTIFICATION"
_NAMES_BY_NUMBER = {0: REVOKE, 5: HISTORY_SYNC, 14: MESSAGE_EDIT}


def read_protocol(
    value: object,
    *,
    instance_key: str,
    chat: str | None,
    at: datetime | None,
    own_id: str | None,
) -> BatchItem:
    """`own_id` is the protocol message's own key id; `at` its time, used when the protocol
    message does not say when the edit happened."""
    protocol = as_dict(value)
    kind = _type_name(protocol.get("type"))
    target = as_id(dig(protocol, "key", "id"))
    if kind == REVOKE:
        return revoke_item(
            instance_key=instance_key, target=target, chat=chat, at=at, own_id=own_id
        )
    if kind == MESSAGE_EDIT:
        return edit_item(
            instance_key=instance_key,
            target=target,
            chat=chat,
            new_text=preview_text(protocol.get("editedMessage")),
            at=parse_timestamp(protocol.get("timestampMs")) or at,
            own_id=own_id,
        )
    if kind == HISTORY_SYNC or protocol.get("historySyncNotification") is not None:
        return ignored(IgnoreReason.HISTORY_SYNC, instance_key)
    return ignored(IgnoreReason.PROTOCOL_MESSAGE, instance_key, kind)


def revoke_item(
    *,
    instance_key: str,
    target: str | None,
    chat: str | None,
    at: datetime | None,
    own_id: str | None,
) -> BatchItem:
    if target is None:
        return ignored(IgnoreReason.MISSING_TARGET, instance_key, REVOKE)
    revoke = MessageRevoke(
        instance_key=instance_key,
        target_provider_message_id=target,
        chat=chat,
        at=at,
        revoke_message_id=own_id,
    )
    return BatchItem(revoke, revoke_key(instance_key, target))


def edit_item(
    *,
    instance_key: str,
    target: str | None,
    chat: str | None,
    new_text: str | None,
    at: datetime | None,
    own_id: str | None,
) -> BatchItem:
    if target is None:
        return ignored(IgnoreReason.MISSING_TARGET, instance_key, MESSAGE_EDIT)
    edit = MessageEdit(
        instance_key=instance_key,
        target_provider_message_id=target,
        chat=chat,
        new_text=new_text,
        at=at,
        edit_message_id=own_id,
    )
    return BatchItem(edit, edit_key(instance_key, target, at, own_id))


def _type_name(value: object) -> str | None:
    number = as_int(value)
    if number is not None and number in _NAMES_BY_NUMBER:
        return _NAMES_BY_NUMBER[number]
    code = as_code(value)
    return None if code is None else code.upper()
