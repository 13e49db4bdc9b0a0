"""A ticket: one conversation with a contact on one channel, worked by a queue and an agent."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from uuid import UUID

from leadengine_core.contacts import Contact, ContactFilter
from leadengine_core.errors import ValidationFailed
from leadengine_core.messages import Direction
from leadengine_core.ticket_status import (
    FINISHED_STATUSES,
    OPEN_STATUSES,
    ensure_reopenable,
    ensure_transition,
)
from leadengine_core.ticket_status import TicketStatus as TicketStatus

PREVIEW_LENGTH = 280


class TicketPriority(StrEnum):
    LOW = "LOW"
    NORMAL = "NORMAL"
    HIGH = "HIGH"
    URGENT = "URGENT"


class Channel(StrEnum):
    WHATSAPP = "WHATSAPP"
    EMAIL = "EMAIL"
    SMS = "SMS"
    VOICE = "VOICE"
    CHAT = "CHAT"
    SOCIAL = "SOCIAL"


class NoteVisibility(StrEnum):
    PRIVATE = "PRIVATE"
    TEAM = "TEAM"
    PUBLIC = "PUBLIC"


@dataclass(slots=True, kw_only=True)
class Ticket:
    """Status changes go through the methods so the transition table and close fields hold.

    Invariant: an ASSIGNED ticket has an assignee.
    """

    tenant_id: UUID
    id: UUID
    contact_id: UUID
    queue_id: UUID
    created_at: datetime
    updated_at: datetime
    instance_id: UUID | None = None
    assignee_id: UUID | None = None
    status: TicketStatus = TicketStatus.OPEN
    priority: TicketPriority = TicketPriority.NORMAL
    channel: Channel = Channel.WHATSAPP
    subject: str | None = None
    tags: list[str] = field(default_factory=list)
    last_message_at: datetime | None = None
    last_message_preview: str | None = None
    unread_count: int = 0
    closed_at: datetime | None = None
    closed_by: UUID | None = None
    close_reason: str | None = None
    metadata: dict[str, object] = field(default_factory=dict)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def last_activity_at(self) -> datetime:
        """The inbox sort key: the newest message, or creation for a ticket without one."""
        return self.last_message_at or self.created_at

    def transition(
        self,
        to: TicketStatus,
        *,
        at: datetime,
        actor_id: UUID | None = None,
        reason: str | None = None,
    ) -> bool:
        """Move to `to` if the table allows it; finishing records who, when and why."""
        if to == self.status:
            return False
        ensure_transition(self.status, to)
        if to is TicketStatus.ASSIGNED and self.assignee_id is None:
            raise ValidationFailed("assign the ticket to a user to make it ASSIGNED")
        if to in FINISHED_STATUSES:
            self.closed_at = at
            self.closed_by = actor_id
            self.close_reason = reason or self.close_reason
        self.status = to
        self.updated_at = at
        return True

    def assign(self, user_id: UUID, at: datetime) -> bool:
        ensure_transition(self.status, TicketStatus.ASSIGNED)
        if self.assignee_id == user_id and self.status is TicketStatus.ASSIGNED:
            return False
        self.assignee_id = user_id
        self.status = TicketStatus.ASSIGNED
        self.updated_at = at
        return True

    def unassign(self, at: datetime) -> bool:
        """Drop the assignee; an ASSIGNED ticket goes back to OPEN for the queue to pick up."""
        if self.assignee_id is None:
            return False
        self.assignee_id = None
        if self.status is TicketStatus.ASSIGNED:
            self.status = TicketStatus.OPEN
        self.updated_at = at
        return True

    def close(
        self, *, at: datetime, actor_id: UUID | None = None, reason: str | None = None
    ) -> bool:
        return self.transition(TicketStatus.CLOSED, at=at, actor_id=actor_id, reason=reason)

    def reopen(self, at: datetime) -> bool:
        """Bring a RESOLVED or CLOSED ticket back to OPEN and forget how it was closed."""
        ensure_reopenable(self.status)
        self.status = TicketStatus.OPEN
        self.closed_at = None
        self.closed_by = None
        self.close_reason = None
        self.updated_at = at
        return True

    def record_message(self, direction: Direction, preview: str | None, at: datetime) -> None:
        """Note a new message; an older one (history backfill) does not replace the preview."""
        if self.last_message_at is None or at >= self.last_message_at:
            self.last_message_at = at
            self.last_message_preview = (preview or "")[:PREVIEW_LENGTH] or None
        if direction is Direction.INBOUND:
            self.unread_count += 1
        self.updated_at = max(self.updated_at, at)

    def mark_read(self) -> bool:
        if self.unread_count == 0:
            return False
        self.unread_count = 0
        return True


@dataclass(slots=True, kw_only=True)
class TicketNote:
    """An internal note on a ticket; never sent to the customer."""

    tenant_id: UUID
    id: UUID
    ticket_id: UUID
    body: str
    created_at: datetime
    author_id: UUID | None = None
    visibility: NoteVisibility = NoteVisibility.PRIVATE


@dataclass(frozen=True, slots=True, kw_only=True)
class TicketFilter:
    """Inbox filters; an empty set or None means "any". `matches` is the reference semantics."""

    statuses: frozenset[TicketStatus] = frozenset()
    priorities: frozenset[TicketPriority] = frozenset()
    queue_ids: frozenset[UUID] = frozenset()
    channels: frozenset[Channel] = frozenset()
    assignee_id: UUID | None = None
    unassigned: bool = False
    contact_id: UUID | None = None
    instance_id: UUID | None = None
    tags: frozenset[str] = frozenset()
    search: str | None = None
    active_from: datetime | None = None
    active_until: datetime | None = None

    @property
    def contact_search(self) -> ContactFilter:
        """The contacts a search also finds tickets through: those the contact list's own
        search finds (name, email, or a phone however it is punctuated)."""
        return ContactFilter(search=self.search)

    def matches(self, ticket: Ticket, contact: Contact | None = None) -> bool:
        """Any of the tags; search is a case-insensitive substring of the subject or the
        preview, or matches the ticket's `contact` (see `contact_search`)."""
        checks = (
            not self.statuses or ticket.status in self.statuses,
            not self.priorities or ticket.priority in self.priorities,
            not self.queue_ids or ticket.queue_id in self.queue_ids,
            not self.channels or ticket.channel in self.channels,
            self.assignee_id is None or ticket.assignee_id == self.assignee_id,
            not self.unassigned or ticket.assignee_id is None,
            self.contact_id is None or ticket.contact_id == self.contact_id,
            self.instance_id is None or ticket.instance_id == self.instance_id,
            not self.tags or not self.tags.isdisjoint(ticket.tags),
            self.active_from is None or ticket.last_activity_at >= self.active_from,
            self.active_until is None or ticket.last_activity_at < self.active_until,
            self._matches_search(ticket, contact),
        )
        return all(checks)

    def _matches_search(self, ticket: Ticket, contact: Contact | None) -> bool:
        needle = self.contact_search.needle.casefold()
        if not needle:
            return True
        texts = (ticket.subject or "", ticket.last_message_preview or "")
        if any(needle in text.casefold() for text in texts):
            return True
        return contact is not None and self.contact_search.matches(contact)
