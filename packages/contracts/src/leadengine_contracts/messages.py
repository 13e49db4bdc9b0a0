"""A message of a ticket's thread as clients see it, in lists, realtime events and sends.

Only what a client can show or act on goes out: where the media bytes can be fetched from,
never the WhatsApp decryption key or CDN path, and no raw broker metadata.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from leadengine_core.messages import (
    Direction,
    Location,
    MediaInfo,
    Message,
    MessageEdit,
    MessageOrigin,
    MessageSender,
    MessageStatus,
    MessageType,
    Reaction,
    SharedContact,
)

from leadengine_contracts.base import WireModel

__all__ = [
    "LocationOut",
    "MediaOut",
    "MessageEditOut",
    "MessageOut",
    "MessageSenderOut",
    "ReactionOut",
    "SharedContactOut",
]


class MediaOut(WireModel):
    """`url` is set once the bytes are somewhere we serve them from; until then the media is
    known (type, size, name) but not yet downloadable."""

    mime_type: str | None = None
    size: int | None = None
    file_name: str | None = None
    url: str | None = None
    is_voice_note: bool = False

    @classmethod
    def from_domain(cls, media: MediaInfo) -> MediaOut:
        return cls(
            mime_type=media.mime_type,
            size=media.size,
            file_name=media.file_name,
            url=media.url,
            is_voice_note=media.is_voice_note,
        )


class LocationOut(WireModel):
    latitude: float
    longitude: float
    name: str | None = None
    address: str | None = None

    @classmethod
    def from_domain(cls, location: Location) -> LocationOut:
        return cls(
            latitude=location.latitude,
            longitude=location.longitude,
            name=location.name,
            address=location.address,
        )


class SharedContactOut(WireModel):
    display_name: str
    vcard: str | None = None

    @classmethod
    def from_domain(cls, shared: SharedContact) -> SharedContactOut:
        return cls(display_name=shared.display_name, vcard=shared.vcard)


class MessageSenderOut(WireModel):
    """Who wrote a group message (the ticket's contact is the group)."""

    jid: str
    phone: str | None = None
    name: str | None = None

    @classmethod
    def from_domain(cls, sender: MessageSender) -> MessageSenderOut:
        return cls(jid=sender.jid, phone=sender.phone, name=sender.name)


class MessageEditOut(WireModel):
    """A text the message held until an edit replaced it at `editedAt`."""

    previous_text: str | None
    edited_at: datetime

    @classmethod
    def from_domain(cls, edit: MessageEdit) -> MessageEditOut:
        return cls(previous_text=edit.previous_text, edited_at=edit.edited_at)


class ReactionOut(WireModel):
    sender: str
    emoji: str
    reacted_at: datetime

    @classmethod
    def from_domain(cls, reaction: Reaction) -> ReactionOut:
        return cls(sender=reaction.sender, emoji=reaction.emoji, reacted_at=reaction.reacted_at)


class MessageOut(WireModel):
    """`occurredAt` is WhatsApp time, which threads sort by. `origin` BROKER means the row came
    from WhatsApp (including messages typed on the phone); AGENT rows were written here.
    `authorId` is the agent who sent an AGENT row. A revoked message keeps its content for
    audit; clients show it as deleted."""

    id: UUID
    tenant_id: UUID
    ticket_id: UUID
    contact_id: UUID
    instance_id: UUID | None = None
    author_id: UUID | None = None
    direction: Direction
    origin: MessageOrigin
    type: MessageType
    status: MessageStatus
    text: str | None = None
    caption: str | None = None
    media: MediaOut | None = None
    location: LocationOut | None = None
    contacts: list[SharedContactOut] = []
    sender: MessageSenderOut | None = None
    quoted_provider_message_id: str | None = None
    edit_history: list[MessageEditOut] = []
    revoked: bool = False
    revoked_at: datetime | None = None
    reactions: list[ReactionOut] = []
    provider_message_id: str | None = None
    idempotency_key: str | None = None
    failure_reason: str | None = None
    occurred_at: datetime
    delivered_at: datetime | None = None
    read_at: datetime | None = None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_domain(cls, message: Message) -> MessageOut:
        reactions = sorted(message.reactions.values(), key=lambda r: (r.reacted_at, r.sender))
        return cls(
            id=message.id,
            tenant_id=message.tenant_id,
            ticket_id=message.ticket_id,
            contact_id=message.contact_id,
            instance_id=message.instance_id,
            author_id=message.author_id,
            direction=message.direction,
            origin=message.origin,
            type=message.type,
            status=message.status,
            text=message.text,
            caption=message.caption,
            media=None if message.media is None else MediaOut.from_domain(message.media),
            location=None
            if message.location is None
            else LocationOut.from_domain(message.location),
            contacts=[SharedContactOut.from_domain(shared) for shared in message.contacts],
            sender=None if message.sender is None else MessageSenderOut.from_domain(message.sender),
            quoted_provider_message_id=message.quoted_provider_id,
            edit_history=[MessageEditOut.from_domain(edit) for edit in message.edit_history],
            revoked=message.revoked,
            revoked_at=message.revoked_at,
            reactions=[ReactionOut.from_domain(reaction) for reaction in reactions],
            provider_message_id=message.provider_message_id,
            idempotency_key=message.idempotency_key,
            failure_reason=message.failure_reason,
            occurred_at=message.occurred_at,
            delivered_at=message.delivered_at,
            read_at=message.read_at,
            created_at=message.created_at,
            updated_at=message.updated_at,
        )
