"""A WhatsApp message and what may happen to it after it exists: acks, edits, revokes, reactions.

Every mutator returns whether anything changed, so a replayed broker event can be recognised
as a no-op (no event, no realtime emission, no unread bump).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from uuid import UUID

from leadengine_core.errors import ValidationFailed
from leadengine_core.message_status import MessageStatus as MessageStatus
from leadengine_core.message_status import can_advance


class MessageType(StrEnum):
    TEXT = "TEXT"
    IMAGE = "IMAGE"
    AUDIO = "AUDIO"
    VIDEO = "VIDEO"
    DOCUMENT = "DOCUMENT"
    STICKER = "STICKER"
    LOCATION = "LOCATION"
    CONTACT = "CONTACT"
    TEMPLATE = "TEMPLATE"
    POLL = "POLL"
    REACTION = "REACTION"
    UNKNOWN = "UNKNOWN"


class Direction(StrEnum):
    INBOUND = "INBOUND"
    OUTBOUND = "OUTBOUND"


class MessageOrigin(StrEnum):
    """Who created the row. Only AGENT rows are ever sent; BROKER rows already exist on WhatsApp."""

    AGENT = "AGENT"
    BROKER = "BROKER"


@dataclass(frozen=True, slots=True, kw_only=True)
class MediaInfo:
    """Where the bytes are. `object_key` is ours (sign on read); `direct_path`/`media_key` let a
    job fetch and decrypt from WhatsApp's CDN later; `url` is only ever a URL we host."""

    mime_type: str | None = None
    size: int | None = None
    file_name: str | None = None
    url: str | None = None
    object_key: str | None = None
    media_key: str | None = None
    direct_path: str | None = None
    is_voice_note: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class Location:
    latitude: float
    longitude: float
    name: str | None = None
    address: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class SharedContact:
    """A vCard inside a message: payload data, never a CRM contact of its own."""

    display_name: str
    vcard: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class MessageSender:
    """Who wrote a group message; the conversation (and the ticket) belongs to the group."""

    jid: str
    phone: str | None = None
    name: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class MessageEdit:
    """A text the message held before an edit replaced it at `edited_at`."""

    previous_text: str | None
    edited_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class Reaction:
    sender: str
    emoji: str
    reacted_at: datetime


@dataclass(slots=True, kw_only=True)
class Message:
    """One message of a ticket. `occurred_at` is WhatsApp time, so threads sort by it."""

    tenant_id: UUID
    id: UUID
    ticket_id: UUID
    contact_id: UUID
    direction: Direction
    origin: MessageOrigin
    occurred_at: datetime
    created_at: datetime
    updated_at: datetime
    instance_id: UUID | None = None
    author_id: UUID | None = None
    type: MessageType = MessageType.TEXT
    status: MessageStatus = MessageStatus.PENDING
    text: str | None = None
    caption: str | None = None
    media: MediaInfo | None = None
    location: Location | None = None
    contacts: list[SharedContact] = field(default_factory=list)
    provider_message_id: str | None = None
    idempotency_key: str | None = None
    sender: MessageSender | None = None
    quoted_provider_id: str | None = None
    edit_history: list[MessageEdit] = field(default_factory=list)
    revoked_at: datetime | None = None
    reactions: dict[str, Reaction] = field(default_factory=dict)
    failure_reason: str | None = None
    delivered_at: datetime | None = None
    read_at: datetime | None = None
    metadata: dict[str, object] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.direction is Direction.INBOUND and self.origin is not MessageOrigin.BROKER:
            raise ValidationFailed(
                "an inbound message can only come from the broker",
                details={"direction": self.direction, "origin": self.origin},
            )

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None

    @property
    def is_dispatchable(self) -> bool:
        """Whether the outbound worker may send it: an agent's message not yet handed over."""
        return (
            self.origin is MessageOrigin.AGENT
            and self.direction is Direction.OUTBOUND
            and self.status is MessageStatus.PENDING
            and self.provider_message_id is None
        )

    def apply_status(self, new: MessageStatus, at: datetime, *, reason: str | None = None) -> bool:
        """Apply an ack; regressions and repeats are no-ops (see `message_status`)."""
        if not can_advance(self.status, new):
            return False
        self.status = new
        self.failure_reason = reason if new is MessageStatus.FAILED else None
        if new in (MessageStatus.DELIVERED, MessageStatus.READ, MessageStatus.PLAYED):
            self.delivered_at = self.delivered_at or at
        if new in (MessageStatus.READ, MessageStatus.PLAYED):
            self.read_at = self.read_at or at
        self.updated_at = at
        return True

    def mark_sent(self, provider_message_id: str, at: datetime) -> bool:
        """Record the broker's id for our send; an ack that beat the reply keeps its status."""
        id_changed = self.provider_message_id != provider_message_id
        self.provider_message_id = provider_message_id
        if id_changed:
            self.updated_at = at
        return self.apply_status(MessageStatus.SENT, at) or id_changed

    def edit(self, text: str, at: datetime) -> bool:
        """Replace the body (the caption of a media message); the old text goes to history."""
        if self.revoked:
            return False
        current = self.caption if self.media is not None else self.text
        if current == text:
            return False
        self.edit_history.append(MessageEdit(previous_text=current, edited_at=at))
        if self.media is not None:
            self.caption = text
        else:
            self.text = text
        self.updated_at = at
        return True

    def revoke(self, at: datetime) -> bool:
        """Mark deleted for everyone; the content stays for audit and the UI hides it."""
        if self.revoked:
            return False
        self.revoked_at = at
        self.updated_at = at
        return True

    def react(self, sender: str, emoji: str, at: datetime) -> bool:
        """One reaction per sender, replaced by the next one; an empty emoji removes it."""
        existing = self.reactions.get(sender)
        if not emoji:
            if existing is None:
                return False
            del self.reactions[sender]
        elif existing is not None and existing.emoji == emoji:
            return False
        else:
            self.reactions[sender] = Reaction(sender=sender, emoji=emoji, reacted_at=at)
        self.updated_at = at
        return True
