"""Delivery acks: a message's status only moves forward (see `message_status`).

An ack for a message not stored yet (the ack beat the message or the echo) is deferred until
that message arrives. An ack with `fromMe` False is this account reading the customer's
message on the phone (read-self): it is never an outbound status; when it reads the newest
message of an open ticket, the ticket's unread counter is cleared instead.
"""

from __future__ import annotations

from datetime import datetime

from leadengine_core.events import MessageUpdated, TicketUpdated
from leadengine_core.instances import WhatsAppInstance
from leadengine_core.messages import Direction, Message, MessageStatus
from leadengine_core.ports import Clock, UnitOfWork
from leadengine_integrations.normalize import AckUpdate

from leadengine_api.features.inbound.apply_result import (
    APPLIED,
    ApplyResult,
    Reason,
    duplicate,
    ignored,
    waiting_for,
)

_READ = frozenset({MessageStatus.READ, MessageStatus.PLAYED})


async def apply_ack(
    uow: UnitOfWork, clock: Clock, instance: WhatsAppInstance, event: AckUpdate
) -> ApplyResult:
    tenant_id, now = instance.tenant_id, clock.now()
    message = await uow.messages.find_by_provider_id(
        tenant_id, instance.id, event.provider_message_id
    )
    if message is None:
        return waiting_for(event.provider_message_id)
    if not event.from_me:
        return await _read_self(uow, message, event, now)
    if message.direction is Direction.INBOUND:
        return ignored(Reason.ACK_ON_INBOUND)
    if not message.apply_status(event.status, event.at or now, reason=event.error_code):
        same = event.status is message.status
        return duplicate(Reason.ACK_REPEATED if same else Reason.ACK_REGRESSION)
    await uow.messages.update(tenant_id, message)
    uow.record(MessageUpdated(occurred_at=now, message=message, changes=frozenset({"status"})))
    return APPLIED


async def _read_self(
    uow: UnitOfWork, message: Message, event: AckUpdate, now: datetime
) -> ApplyResult:
    if message.direction is not Direction.INBOUND or event.status not in _READ:
        return ignored(Reason.READ_SELF)
    ticket = await uow.tickets.get(message.tenant_id, message.ticket_id)
    newest = ticket is not None and (
        ticket.last_message_at is None or message.occurred_at >= ticket.last_message_at
    )
    if ticket is None or not ticket.is_open or not newest or not ticket.mark_read():
        return ignored(Reason.READ_SELF)
    ticket.updated_at = max(ticket.updated_at, now)
    await uow.tickets.update(ticket.tenant_id, ticket)
    uow.record(TicketUpdated(occurred_at=now, ticket=ticket, changes=frozenset({"unread_count"})))
    return APPLIED
