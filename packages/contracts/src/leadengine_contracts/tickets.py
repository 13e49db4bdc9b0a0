"""Tickets and their notes: what clients send to open and work a ticket, and what they get back."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, ClassVar, Self
from uuid import UUID

from leadengine_core.tickets import (
    Channel,
    NoteVisibility,
    Ticket,
    TicketNote,
    TicketPriority,
    TicketStatus,
)
from pydantic import AfterValidator, Field, StringConstraints, model_validator

from leadengine_contracts.base import WireModel
from leadengine_contracts.contacts import ContactOut, Tag
from leadengine_contracts.leads import LeadOut
from leadengine_contracts.partial_update import PartialUpdate

__all__ = [
    "AssignTicketRequest",
    "ChangeTicketStatusRequest",
    "CloseTicketRequest",
    "CreateNoteRequest",
    "CreateTicketRequest",
    "NoteOut",
    "TicketOut",
    "UpdateTicketRequest",
]


def _distinct(values: list[str]) -> list[str]:
    """Repeated tags collapse into one, first-seen order kept."""
    return list(dict.fromkeys(values))


Subject = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Tags = Annotated[list[Tag], Field(max_length=20), AfterValidator(_distinct)]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
NoteBody = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)]


class CreateTicketRequest(WireModel):
    """Without `queueId` the ticket goes to the tenant's default queue. A WhatsApp instance is a
    WhatsApp number, so a ticket with `instanceId` is on the WHATSAPP channel."""

    contact_id: UUID
    queue_id: UUID | None = None
    instance_id: UUID | None = None
    channel: Channel = Channel.WHATSAPP
    subject: Subject | None = None
    priority: TicketPriority = TicketPriority.NORMAL
    tags: Tags = []

    @model_validator(mode="after")
    def _instance_means_whatsapp(self) -> Self:
        if self.instance_id is not None and self.channel is not Channel.WHATSAPP:
            raise ValueError("a ticket on a WhatsApp instance is on the WHATSAPP channel")
        return self


class UpdateTicketRequest(PartialUpdate):
    """Status and assignee change through their own operations, where their rules live."""

    clearable: ClassVar[frozenset[str]] = frozenset({"subject"})

    subject: Subject | None = None
    priority: TicketPriority | None = None
    tags: Tags | None = None
    queue_id: UUID | None = None


class ChangeTicketStatusRequest(WireModel):
    """A finished ticket (RESOLVED, CLOSED) comes back only through reopen; ASSIGNED needs an
    assignee (use assign)."""

    status: TicketStatus
    reason: Reason | None = None


class AssignTicketRequest(WireModel):
    user_id: UUID


class CloseTicketRequest(WireModel):
    reason: Reason | None = None


class TicketOut(WireModel):
    """`lastActivityAt` (the newest message, or creation) is what the inbox sorts by."""

    id: UUID
    tenant_id: UUID
    contact_id: UUID
    queue_id: UUID
    instance_id: UUID | None = None
    assignee_id: UUID | None = None
    status: TicketStatus
    priority: TicketPriority
    channel: Channel
    subject: str | None = None
    tags: list[str] = []
    last_message_at: datetime | None = None
    last_message_preview: str | None = None
    last_activity_at: datetime
    unread_count: int
    closed_at: datetime | None = None
    closed_by: UUID | None = None
    close_reason: str | None = None
    metadata: dict[str, object] = {}
    created_at: datetime
    updated_at: datetime
    contact: ContactOut | None = None
    """Only with `?include=contact`."""
    lead: LeadOut | None = None
    """Only with `?include=lead`: the contact's lead, if it has one."""

    @classmethod
    def from_domain(
        cls, ticket: Ticket, *, contact: ContactOut | None = None, lead: LeadOut | None = None
    ) -> TicketOut:
        return cls(
            id=ticket.id,
            tenant_id=ticket.tenant_id,
            contact_id=ticket.contact_id,
            queue_id=ticket.queue_id,
            instance_id=ticket.instance_id,
            assignee_id=ticket.assignee_id,
            status=ticket.status,
            priority=ticket.priority,
            channel=ticket.channel,
            subject=ticket.subject,
            tags=ticket.tags,
            last_message_at=ticket.last_message_at,
            last_message_preview=ticket.last_message_preview,
            last_activity_at=ticket.last_activity_at,
            unread_count=ticket.unread_count,
            closed_at=ticket.closed_at,
            closed_by=ticket.closed_by,
            close_reason=ticket.close_reason,
            metadata=ticket.metadata,
            created_at=ticket.created_at,
            updated_at=ticket.updated_at,
            contact=contact,
            lead=lead,
        )


class CreateNoteRequest(WireModel):
    """An internal note: never sent to the customer. PRIVATE unless said otherwise."""

    body: NoteBody
    visibility: NoteVisibility = NoteVisibility.PRIVATE


class NoteOut(WireModel):
    id: UUID
    ticket_id: UUID
    author_id: UUID | None = None
    body: str
    visibility: NoteVisibility
    created_at: datetime

    @classmethod
    def from_domain(cls, note: TicketNote) -> NoteOut:
        return cls(
            id=note.id,
            ticket_id=note.ticket_id,
            author_id=note.author_id,
            body=note.body,
            visibility=note.visibility,
            created_at=note.created_at,
        )
