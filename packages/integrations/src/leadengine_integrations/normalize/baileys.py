"""One Baileys `WAMessage` (proto `WebMessageInfo` as JSON) → one event.

Used for the broker's raw upserts and for Evolution's `messages.upsert`, which forwards the
same object. Order of decisions: the chat (no ticket for Status, channels and bots), stubs
(system events, not chat rows), then the content key: protocol messages become edits and
revokes, reactions and encrypted poll votes are annotations, everything else is a message.

A message with no content is ignored rather than stored as UNKNOWN: it is undecryptable
now, and the placeholder resend that fixes it later carries the same id, which must not
already be taken (§10.30). View-once content withheld from linked devices is the exception:
it never arrives, so it is stored as UNKNOWN with `is_view_once` (§10.31).
"""

from __future__ import annotations

from datetime import datetime

from leadengine_core.jid import Jid
from leadengine_core.message_status import status_from_baileys
from leadengine_core.messages import MessageType

from leadengine_integrations.normalize.audit import audit_copy
from leadengine_integrations.normalize.coerce import (
    as_bool,
    as_code,
    as_dict,
    as_id,
    as_label,
    as_text,
    dig,
)
from leadengine_integrations.normalize.content import (
    VIEW_ONCE_WRAPPERS,
    read_content,
    unwrap,
)
from leadengine_integrations.normalize.dedupe import message_key, reaction_key
from leadengine_integrations.normalize.events import (
    OWN_SENDER,
    BatchItem,
    Content,
    IgnoreReason,
    InboundMessage,
    Reaction,
    Sender,
    Source,
    ignored,
)
from leadengine_integrations.normalize.identity import (
    chat_ignore_reason,
    first_lid,
    first_phone,
    is_conversation_with_members,
    jid_of,
    normalized,
)
from leadengine_integrations.normalize.protocol import read_protocol
from leadengine_integrations.normalize.timestamps import parse_timestamp

_NAME_LIMIT = 256
_EMOJI_LIMIT = 64
_UPSERT_TYPE_LIMIT = 32
_ENCRYPTED_VOTES = frozenset({"pollUpdateMessage", "pollUpdateMessageV2", "pollUpdateMessageV3"})
_NO_STUB = (None, "0", "UNKNOWN")


def parse_wamessage(value: object, *, instance_key: str, upsert_type: object = None) -> BatchItem:
    if not isinstance(value, dict):
        return ignored(IgnoreReason.NOT_AN_OBJECT, instance_key)
    key = as_dict(value.get("key"))
    chat = jid_of(key.get("remoteJid"))
    if chat is None:
        return ignored(IgnoreReason.MISSING_CHAT, instance_key)
    reason = chat_ignore_reason(chat)
    if reason is not None:
        return ignored(reason, instance_key)
    stub = as_code(value.get("messageStubType"))
    if stub not in _NO_STUB:
        return ignored(IgnoreReason.STUB, instance_key, stub)

    own_id = as_id(key.get("id"))
    from_me = as_bool(key.get("fromMe"))
    at = parse_timestamp(value.get("messageTimestamp"))
    unwrapped = unwrap(value.get("message"))
    content_key = unwrapped.key
    if content_key == "protocolMessage":
        return read_protocol(
            unwrapped.content.get(content_key),
            instance_key=instance_key,
            chat=chat.normalized,
            at=at,
            own_id=own_id,
        )
    if "editedMessage" in unwrapped.wrappers:
        return ignored(IgnoreReason.MISSING_TARGET, instance_key, "editedMessage")
    if content_key == "reactionMessage":
        reaction = as_dict(unwrapped.content.get(content_key))
        return _reaction(reaction, instance_key, chat, key, from_me, at, own_id)
    if content_key in _ENCRYPTED_VOTES:
        return ignored(IgnoreReason.ENCRYPTED_POLL_VOTE, instance_key)

    view_once = bool(unwrapped.wrappers & VIEW_ONCE_WRAPPERS) or as_bool(key.get("isViewOnce"))
    if content_key is None:
        if not view_once:
            return ignored(IgnoreReason.EMPTY_MESSAGE, instance_key)
        content = Content(type=MessageType.UNKNOWN)
    else:
        content = read_content(
            unwrapped.content,
            content_key,
            quoted_fallback=value.get("contextInfo"),
            hosted_media_url=dig(value, "message", "mediaUrl"),
        )
        view_once = view_once or as_bool(dig(unwrapped.content, content_key, "viewOnce"))

    push_name = None if from_me else as_label(value.get("pushName"), _NAME_LIMIT)
    sender, customer_phone, customer_lid = _identity(key, chat, from_me, push_name)
    raw = as_dict(audit_copy(value))
    message = InboundMessage(
        instance_key=instance_key,
        provider_message_id=own_id,
        chat=chat.normalized,
        chat_kind=chat.kind,
        from_me=from_me,
        sender=sender,
        customer_phone=customer_phone,
        customer_lid=customer_lid,
        content=content,
        occurred_at=at,
        source=Source.RAW,
        status=status_from_baileys(value.get("status")),
        upsert_type=as_label(upsert_type, _UPSERT_TYPE_LIMIT),
        is_view_once=view_once,
        is_ephemeral="ephemeralMessage" in unwrapped.wrappers,
        raw=raw,
    )
    return BatchItem(message, message_key(instance_key, own_id, raw))


def _identity(
    key: dict[str, object], chat: Jid, from_me: bool, push_name: str | None
) -> tuple[Sender | None, str | None, str | None]:
    """(sender, customer phone, customer LID). In groups the customer is the group itself."""
    if is_conversation_with_members(chat):
        if from_me:
            return None, None, None
        participant = jid_of(key.get("participant"))
        alt = jid_of(key.get("participantAlt"))
        pn, lid_alias = jid_of(key.get("participantPn")), jid_of(key.get("participantLid"))
        sender = Sender(
            jid=normalized(participant),
            phone=first_phone(alt, participant, pn),
            lid=first_lid(participant, alt, lid_alias),
            push_name=push_name,
        )
        return sender, None, None
    # The pre-v7 sender fields describe whoever sent this message: on our own, that is us.
    peer_fields = () if from_me else ("senderPn", "senderLid", "participantPn", "participantAlt")
    candidates = (chat, jid_of(key.get("remoteJidAlt")), *(jid_of(key.get(f)) for f in peer_fields))
    phone, lid = first_phone(*candidates), first_lid(*candidates)
    if from_me:
        return None, phone, lid
    return Sender(jid=chat.normalized, phone=phone, lid=lid, push_name=push_name), phone, lid


def _reaction(
    body: dict[str, object],
    instance_key: str,
    chat: Jid,
    key: dict[str, object],
    from_me: bool,
    at: datetime | None,
    own_id: str | None,
) -> BatchItem:
    target = as_id(dig(body, "key", "id"))
    if target is None:
        return ignored(IgnoreReason.MISSING_TARGET, instance_key, "reactionMessage")
    if from_me:
        sender: str | None = OWN_SENDER
    elif is_conversation_with_members(chat):
        sender = normalized(jid_of(key.get("participant")))
    else:
        sender = chat.normalized
    if sender is None:
        return ignored(IgnoreReason.MISSING_SENDER, instance_key, "reactionMessage")
    emoji = as_text(body.get("text"), _EMOJI_LIMIT) or ""
    reacted_at = parse_timestamp(body.get("senderTimestampMs")) or at
    reaction = Reaction(
        instance_key=instance_key,
        target_provider_message_id=target,
        chat=chat.normalized,
        sender=sender,
        from_me=from_me,
        emoji=emoji,
        at=reacted_at,
        reaction_message_id=own_id,
    )
    return BatchItem(reaction, reaction_key(instance_key, target, sender, emoji, reacted_at))
