"""Realtime (Socket.IO) events: what the server pushes, what clients send, and catch-up.

Every server event is an envelope: the ids a client routes on (`tenantId`, `ticketId`, …),
the entity as REST returns it, and `seq`, a per-tenant number that grows with every event of
the tenant. A client keeps the highest `seq` it has applied and, after a reconnect, asks
`GET /api/realtime/events?since=<seq>` for what it missed. Clients dedupe by `seq` (and by
`messageId`), never by arrival order alone: across API processes events may arrive out of
`seq` order.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, Literal
from uuid import UUID

from leadengine_core.instances import InstanceStatus
from leadengine_core.tickets import TicketStatus
from pydantic import Field

from leadengine_contracts.base import WireModel
from leadengine_contracts.instances import InstanceOut
from leadengine_contracts.leads import LeadActivityOut, LeadOut
from leadengine_contracts.messages import MessageOut
from leadengine_contracts.tickets import TicketOut

__all__ = [
    "PAYLOADS",
    "AckError",
    "CatchUpItem",
    "CatchUpPage",
    "CircuitBreakerEvent",
    "EventName",
    "InstanceEvent",
    "LeadEvent",
    "MessageEvent",
    "RealtimeEnvelope",
    "SocketAck",
    "TicketEvent",
    "TicketRoomRequest",
    "TicketTypingEvent",
    "TicketTypingRequest",
]


class EventName(StrEnum):
    """Server → client event names (the Socket.IO event, and `event` in catch-up items)."""

    MESSAGES_NEW = "messages.new"
    MESSAGES_UPDATED = "messages.updated"
    TICKETS_CREATED = "tickets.created"
    TICKETS_UPDATED = "tickets.updated"
    LEADS_UPDATED = "leads.updated"
    INSTANCES_UPDATED = "whatsapp.instances.updated"
    CIRCUIT_OPEN = "whatsapp.circuit_breaker.open"
    CIRCUIT_CLOSED = "whatsapp.circuit_breaker.closed"


class RealtimeEnvelope(WireModel):
    tenant_id: UUID
    seq: int = Field(ge=1)
    """Per tenant, strictly increasing in the order the server published the events."""


class MessageEvent(RealtimeEnvelope):
    """`messages.new` and `messages.updated` (acks, edits, revokes, reactions). `ticketStatus`
    and `ticketUpdatedAt` are set when the same change also moved the ticket; `changes` names
    what moved on an update (e.g. `status`, `text`, `reactions`, `revoked`)."""

    ticket_id: UUID
    instance_id: UUID | None
    message_id: UUID
    provider_message_id: str | None
    ticket_status: TicketStatus | None
    ticket_updated_at: datetime | None
    changes: list[str]
    message: MessageOut


class TicketEvent(RealtimeEnvelope):
    """`tickets.created` and `tickets.updated` (`changes` is empty on creation)."""

    ticket_id: UUID
    instance_id: UUID | None
    ticket_status: TicketStatus
    ticket_updated_at: datetime
    changes: list[str]
    ticket: TicketOut


class LeadEvent(RealtimeEnvelope):
    """`leads.updated`: a lead was created or changed; `activity` is the history line the
    change produced, if any."""

    lead_id: UUID
    contact_id: UUID
    lead: LeadOut
    activity: LeadActivityOut | None


class InstanceEvent(RealtimeEnvelope):
    """`whatsapp.instances.updated`: status changes and new QR codes. `qr` is set while the
    instance waits to be paired (the same value `GET …/qr` returns to any tenant user)."""

    instance_id: UUID
    status: InstanceStatus
    qr: str | None
    qr_expires_at: datetime | None
    instance: InstanceOut


class CircuitBreakerEvent(RealtimeEnvelope):
    """`whatsapp.circuit_breaker.open` / `.closed`: sends through the instance are paused
    (open) or flow again (closed)."""

    instance_id: UUID
    state: Literal["open", "closed"]
    failures: int | None = None


class TicketRoomRequest(WireModel):
    """`join-ticket` / `leave-ticket`: also accepted as a bare ticket id string."""

    ticket_id: UUID


class TicketTypingRequest(WireModel):
    """`ticket:typing` from a client that joined the ticket's room."""

    ticket_id: UUID
    typing: bool = True


class TicketTypingEvent(WireModel):
    """`ticket:typing` relayed to the other sockets in `ticket:{id}`; ephemeral (no `seq`)."""

    tenant_id: UUID
    ticket_id: UUID
    user_id: UUID
    typing: bool


class AckError(StrEnum):
    NOT_FOUND = "NOT_FOUND"
    """No such ticket in the socket's tenant (or, for typing, the ticket was not joined)."""
    INVALID = "INVALID"
    """The payload is not a ticket id / the request shape."""
    UNAVAILABLE = "UNAVAILABLE"
    """The database could not be asked; try again."""


class SocketAck(WireModel):
    """The acknowledgement of a client event: `{ok: true}` or `{ok: false, error}`."""

    ok: bool
    error: AckError | None = None


class CatchUpItem(WireModel):
    """One published event: `data` is the envelope exactly as it was emitted."""

    seq: int
    event: EventName
    data: dict[str, Any]


class CatchUpPage(WireModel):
    """`items` after `since`, oldest first. `lastSeq` is the newest `seq` of the tenant: when
    the last item is older, ask again from it. `truncated` means events after `since` are no
    longer kept (or the sequence restarted): reload the state through REST, then continue
    from `lastSeq`."""

    items: list[CatchUpItem]
    last_seq: int
    truncated: bool


PAYLOADS: dict[EventName, type[RealtimeEnvelope]] = {
    EventName.MESSAGES_NEW: MessageEvent,
    EventName.MESSAGES_UPDATED: MessageEvent,
    EventName.TICKETS_CREATED: TicketEvent,
    EventName.TICKETS_UPDATED: TicketEvent,
    EventName.LEADS_UPDATED: LeadEvent,
    EventName.INSTANCES_UPDATED: InstanceEvent,
    EventName.CIRCUIT_OPEN: CircuitBreakerEvent,
    EventName.CIRCUIT_CLOSED: CircuitBreakerEvent,
}
"""The envelope each server event carries (the AsyncAPI document is generated from this)."""
