"""Domain events → realtime contracts: one socket event per recorded state change.

An envelope is built once its `seq` is known, hence `Draft.build(seq)`. A message event names
the ticket's status only when the same commit also changed the ticket (inbound messages do):
the publisher never reads the database.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from uuid import UUID

from leadengine_contracts.events import (
    EventName,
    InstanceEvent,
    LeadEvent,
    MessageEvent,
    RealtimeEnvelope,
    TicketEvent,
)
from leadengine_contracts.leads import LeadActivityOut, LeadOut
from leadengine_contracts.messages import MessageOut
from leadengine_contracts.tickets import TicketOut
from leadengine_core.events import (
    DomainEvent,
    InstanceUpdated,
    LeadUpdated,
    MessageCreated,
    MessageUpdated,
    TicketCreated,
    TicketUpdated,
)
from leadengine_core.messages import Message
from leadengine_core.tickets import Ticket

from leadengine_api.features.instances.records import out as instance_out

__all__ = ["Draft", "drafts_for"]


@dataclass(frozen=True, slots=True)
class Draft:
    name: EventName
    tenant_id: UUID
    build: Callable[[int], RealtimeEnvelope]


def drafts_for(events: Sequence[DomainEvent]) -> list[Draft]:
    """In the order recorded, which is the order the changes happened."""
    tickets = {
        event.ticket.id: event.ticket
        for event in events
        if isinstance(event, TicketCreated | TicketUpdated)
    }
    return [_draft(event, tickets) for event in events]


def _draft(event: DomainEvent, tickets: dict[UUID, Ticket]) -> Draft:
    if isinstance(event, MessageCreated):
        return _message_draft(EventName.MESSAGES_NEW, event.message, frozenset(), tickets)
    if isinstance(event, MessageUpdated):
        return _message_draft(EventName.MESSAGES_UPDATED, event.message, event.changes, tickets)
    if isinstance(event, TicketCreated | TicketUpdated):
        return _ticket_draft(event)
    if isinstance(event, LeadUpdated):
        return _lead_draft(event)
    return _instance_draft(event)


def _message_draft(
    name: EventName, message: Message, changes: frozenset[str], tickets: dict[UUID, Ticket]
) -> Draft:
    ticket = tickets.get(message.ticket_id)
    payload = MessageOut.from_domain(message)

    def build(seq: int) -> MessageEvent:
        return MessageEvent(
            tenant_id=message.tenant_id,
            seq=seq,
            ticket_id=message.ticket_id,
            instance_id=message.instance_id,
            message_id=message.id,
            provider_message_id=message.provider_message_id,
            ticket_status=None if ticket is None else ticket.status,
            ticket_updated_at=None if ticket is None else ticket.updated_at,
            changes=sorted(changes),
            message=payload,
        )

    return Draft(name, message.tenant_id, build)


def _ticket_draft(event: TicketCreated | TicketUpdated) -> Draft:
    ticket = event.ticket
    created = isinstance(event, TicketCreated)
    changes = [] if isinstance(event, TicketCreated) else sorted(event.changes)
    payload = TicketOut.from_domain(ticket)

    def build(seq: int) -> TicketEvent:
        return TicketEvent(
            tenant_id=ticket.tenant_id,
            seq=seq,
            ticket_id=ticket.id,
            instance_id=ticket.instance_id,
            ticket_status=ticket.status,
            ticket_updated_at=ticket.updated_at,
            changes=changes,
            ticket=payload,
        )

    name = EventName.TICKETS_CREATED if created else EventName.TICKETS_UPDATED
    return Draft(name, ticket.tenant_id, build)


def _lead_draft(event: LeadUpdated) -> Draft:
    lead, activity = event.lead, event.activity
    payload = LeadOut.from_domain(lead)
    activity_out = None if activity is None else LeadActivityOut.from_domain(activity)

    def build(seq: int) -> LeadEvent:
        return LeadEvent(
            tenant_id=lead.tenant_id,
            seq=seq,
            lead_id=lead.id,
            contact_id=lead.contact_id,
            lead=payload,
            activity=activity_out,
        )

    return Draft(EventName.LEADS_UPDATED, lead.tenant_id, build)


def _instance_draft(event: InstanceUpdated) -> Draft:
    instance = event.instance
    payload = instance_out(instance)

    def build(seq: int) -> InstanceEvent:
        return InstanceEvent(
            tenant_id=instance.tenant_id,
            seq=seq,
            instance_id=instance.id,
            status=instance.status,
            qr=instance.qr,
            qr_expires_at=instance.qr_expires_at,
            instance=payload,
        )

    return Draft(EventName.INSTANCES_UPDATED, instance.tenant_id, build)
