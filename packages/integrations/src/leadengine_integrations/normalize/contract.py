"""The broker's own events: MESSAGE_INBOUND / MESSAGE_OUTBOUND and POLL_CHOICE (§9.1).

A contract message is a summary the broker derives from the Baileys message it also sends
raw: `{contact, message: {id, chatId, type, text | conversation, media?}, metadata}`, with no
top-level event id (the original API required one and so dropped every such event). Its
dedupe key equals the raw upsert's, so whichever arrives first is stored once.

`contact.phone` is not trusted: the broker computes it from whatever JID is left, which for a
LID-only sender is the LID's digits (lesson 23). The phone comes from the chat JID only, which
the broker resolves from LID to phone number when it knows the mapping.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from leadengine_core.jid import Jid
from leadengine_core.messages import MessageType

from leadengine_integrations.normalize.audit import audit_copy
from leadengine_integrations.normalize.coerce import (
    LIST_LIMIT,
    URL_LIMIT,
    as_count,
    as_dict,
    as_id,
    as_label,
    as_list,
    as_text,
    dig,
)
from leadengine_integrations.normalize.content import viewable_url
from leadengine_integrations.normalize.dedupe import message_key, vote_key
from leadengine_integrations.normalize.events import (
    BatchItem,
    Content,
    IgnoreReason,
    InboundMessage,
    InteractiveReply,
    Media,
    PollOption,
    PollVote,
    Sender,
    Source,
    ignored,
)
from leadengine_integrations.normalize.identity import (
    chat_ignore_reason,
    first_lid,
    is_conversation_with_members,
    jid_of,
    normalized,
)
from leadengine_integrations.normalize.timestamps import parse_timestamp

_NAME_LIMIT = 256
_TYPE_LIMIT = 64
# Type names are compared with case, `_` and the word "message" removed, so the broker's
# `buttons_response` and Baileys' `buttonsResponseMessage` read the same.
_TYPES = {
    "text": MessageType.TEXT,
    "conversation": MessageType.TEXT,
    "extendedtext": MessageType.TEXT,
    "image": MessageType.IMAGE,
    "video": MessageType.VIDEO,
    "ptv": MessageType.VIDEO,
    "audio": MessageType.AUDIO,
    "document": MessageType.DOCUMENT,
    "documentwithcaption": MessageType.DOCUMENT,
    "sticker": MessageType.STICKER,
    "location": MessageType.LOCATION,
    "livelocation": MessageType.LOCATION,
    "contact": MessageType.CONTACT,
    "contactsarray": MessageType.CONTACT,
    "poll": MessageType.POLL,
    "pollcreation": MessageType.POLL,
    "pollcreationv2": MessageType.POLL,
    "pollcreationv3": MessageType.POLL,
}
_MEDIA_TYPES = frozenset(
    {
        MessageType.IMAGE,
        MessageType.VIDEO,
        MessageType.AUDIO,
        MessageType.DOCUMENT,
        MessageType.STICKER,
    }
)
_REPLIES: dict[str, Literal["buttons", "list", "template", "interactive"]] = {
    "buttonsresponse": "buttons",
    "listresponse": "list",
    "templatebuttonreply": "template",
    "interactive": "interactive",
    "interactiveresponse": "interactive",
}
# Reactions, edits, revokes and votes: the summary lacks their target, the raw event has it.
_RAW_ONLY = frozenset({"pollupdate", "reaction", "protocol", "edited"})


def parse_contract_message(
    payload: dict[str, object],
    *,
    instance_key: str,
    outbound_event: bool,
    reported_at: datetime | None,
) -> BatchItem:
    message, contact = as_dict(payload.get("message")), as_dict(payload.get("contact"))
    metadata = as_dict(payload.get("metadata"))
    chat = (
        jid_of(message.get("chatId"))
        or jid_of(contact.get("remoteJid"))
        or jid_of(dig(metadata, "contact", "remoteJid"))
    )
    if chat is None:
        return ignored(IgnoreReason.MISSING_CHAT, instance_key)
    reason = chat_ignore_reason(chat)
    if reason is not None:
        return ignored(reason, instance_key)
    content = _content(message)
    if isinstance(content, IgnoreReason):
        return ignored(content, instance_key)

    directions = (payload.get("direction"), dig(metadata, "broker", "direction"))
    from_me = outbound_event or "outbound" in directions or contact.get("owner") == "device"
    provider_id = as_id(message.get("id")) or as_id(message.get("messageId"))
    raw = as_dict(audit_copy(payload))
    sender, phone, lid = _identity(chat, contact, from_me)
    inbound = InboundMessage(
        instance_key=instance_key,
        provider_message_id=provider_id,
        chat=chat.normalized,
        chat_kind=chat.kind,
        from_me=from_me,
        sender=sender,
        customer_phone=phone,
        customer_lid=lid,
        content=content,
        occurred_at=(
            parse_timestamp(metadata.get("timestamp"))
            or parse_timestamp(payload.get("timestamp"))
            or reported_at
        ),
        source=Source.CONTRACT,
        raw=raw,
    )
    return BatchItem(inbound, message_key(instance_key, provider_id, raw, contract=True))


def parse_poll_choice(
    payload: dict[str, object], *, instance_key: str, reported_at: datetime | None
) -> BatchItem:
    """The broker's decrypted vote: `{pollId, voterJid, selectedOptions[{id, text}], …}`."""
    poll_id = (
        as_id(payload.get("pollId"))
        or as_id(payload.get("pollCreationMessageId"))
        or as_id(dig(payload, "pollCreationMessageKey", "id"))
    )
    if poll_id is None:
        return ignored(IgnoreReason.MISSING_TARGET, instance_key, "POLL_CHOICE")
    selected = tuple(
        PollOption(
            id=as_id(option.get("id")),
            text=as_label(option.get("text")) or as_label(option.get("title")),
        )
        for option in as_list(payload.get("selectedOptions"))[:LIST_LIMIT]
        if isinstance(option, dict)
    )
    voter = normalized(jid_of(payload.get("voterJid")))
    at = parse_timestamp(payload.get("timestamp")) or reported_at
    vote = PollVote(
        instance_key=instance_key,
        poll_message_id=poll_id,
        chat=normalized(jid_of(payload.get("chatId"))),
        voter=voter,
        selected=selected,
        at=at,
        vote_message_id=as_id(payload.get("messageId")),
    )
    choice = (option.id or option.text or "" for option in selected)
    return BatchItem(vote, vote_key(instance_key, poll_id, voter, at, choice))


def _identity(
    chat: Jid, contact: dict[str, object], from_me: bool
) -> tuple[Sender | None, str | None, str | None]:
    """(sender, customer phone, customer LID), as for raw messages: groups are the customer."""
    name = None if from_me else _push_name(contact, chat)
    if is_conversation_with_members(chat):
        if from_me:
            return None, None, None
        participant = jid_of(contact.get("participant"))
        sender = Sender(
            jid=normalized(participant),
            phone=participant.phone if participant else None,
            lid=first_lid(participant),
            push_name=name,
        )
        return sender, None, None
    lid = first_lid(chat)
    if from_me:
        return None, chat.phone, lid
    return Sender(jid=chat.normalized, phone=chat.phone, lid=lid, push_name=name), chat.phone, lid


def _push_name(contact: dict[str, object], chat: Jid) -> str | None:
    """The broker falls back to the phone or JID for `displayName`; those are not names."""
    not_names = {chat.user, f"+{chat.user}", chat.normalized, as_label(contact.get("phone"))}
    for field in ("pushName", "displayName"):
        name = as_label(contact.get(field), _NAME_LIMIT)
        if name is not None and name not in not_names and jid_of(name) is None:
            return name
    return None


def _type_name(value: object) -> str | None:
    name = as_label(value, _TYPE_LIMIT)
    if name is None:
        return None
    return name.lower().replace("_", "").replace("message", "") or None


def _content(message: dict[str, object]) -> Content | IgnoreReason:
    media = as_dict(message.get("media"))
    label = as_label(message.get("type"), _TYPE_LIMIT)
    type_name = _type_name(label)
    if type_name == "media":
        type_name = _type_name(media.get("type"))
    text = as_text(message.get("text")) or as_text(message.get("conversation"))
    if type_name is None:
        # The broker forwards the edit wrapper as a message with no type and no text (§10.26).
        return Content(type=MessageType.TEXT, text=text) if text else IgnoreReason.EMPTY_MESSAGE
    if type_name in _RAW_ONLY:
        return IgnoreReason.NEEDS_RAW_EVENT
    reply_kind = _REPLIES.get(type_name)
    if reply_kind is not None:
        # The summary keeps the tapped text only; the selected id is in the raw event.
        reply = InteractiveReply(kind=reply_kind, selected_id=None)
        return Content(type=MessageType.TEXT, content_key=label, text=text, reply=reply)
    message_type = _TYPES.get(type_name, MessageType.UNKNOWN)
    if message_type in _MEDIA_TYPES:
        caption = as_text(media.get("caption")) or text
        return Content(type=message_type, content_key=label, caption=caption, media=_media(media))
    return Content(type=message_type, content_key=label, text=text)


def _media(media: dict[str, object]) -> Media:
    return Media(
        mime_type=as_label(media.get("mimetype")),
        size=as_count(media.get("size")),
        file_name=as_label(media.get("fileName")),
        media_key=as_label(media.get("mediaKey")),
        direct_path=as_label(media.get("directPath"), URL_LIMIT),
        url=viewable_url(media.get("url")),
    )
