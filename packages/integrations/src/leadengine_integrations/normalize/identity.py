"""Who a payload is about, from its JIDs (whatsapp-payloads.md §8, lessons 23 and §10.16-23).

A phone is read only from a phone-number JID: `@lid`, group, broadcast and newsletter users
are digits too, but never phones. `…Alt` fields hold "the other namespace", which may be the
LID as well as the phone, so every candidate is checked for its kind rather than trusted by
its name. Core's `parse_jid` does the parsing and normalisation.
"""

from __future__ import annotations

from leadengine_core.jid import Jid, JidKind, try_parse_jid

from leadengine_integrations.normalize.coerce import ID_LIMIT, as_label
from leadengine_integrations.normalize.events import IgnoreReason

_CHAT_KINDS = frozenset({JidKind.PHONE, JidKind.LID, JidKind.GROUP, JidKind.BROADCAST})


def jid_of(value: object) -> Jid | None:
    return try_parse_jid(as_label(value, ID_LIMIT))


def normalized(value: Jid | None) -> str | None:
    return None if value is None else value.normalized


def first_phone(*candidates: Jid | None) -> str | None:
    """E.164 of the first candidate that is a phone-number JID."""
    return next((jid.phone for jid in candidates if jid is not None and jid.phone), None)


def first_lid(*candidates: Jid | None) -> str | None:
    return next(
        (jid.normalized for jid in candidates if jid is not None and jid.kind is JidKind.LID),
        None,
    )


def chat_ignore_reason(chat: Jid) -> IgnoreReason | None:
    """Why messages in this chat make no ticket: the Status feed, channels, bots (§10.23)."""
    if chat.is_status_broadcast:
        return IgnoreReason.STATUS_BROADCAST
    if chat.kind is JidKind.NEWSLETTER:
        return IgnoreReason.NEWSLETTER
    if chat.kind not in _CHAT_KINDS:
        return IgnoreReason.UNSUPPORTED_CHAT
    return None


def is_conversation_with_members(chat: Jid) -> bool:
    """Groups and broadcast lists: the author is `participant`, not the chat."""
    return chat.kind in (JidKind.GROUP, JidKind.BROADCAST)
