"""A chat message: contact, lead, ticket and the message row, or nothing new for a redelivery.

The row is unique per (tenant, instance, provider id), so a broker retry, or the contract
event and the raw upsert of one message, store it once. The duplicate is looked for before
anything else is touched, so a replay never bumps unread counters or reopens a ticket. Our own
messages (`fromMe`: typed on the phone, or the echo of a CRM send) are OUTBOUND rows with
origin BROKER, which the outbound worker never sends again.
"""

from __future__ import annotations

from datetime import datetime

from leadengine_core.contacts import ContactKind
from leadengine_core.events import MessageCreated, MessageUpdated, TicketUpdated
from leadengine_core.instances import WhatsAppInstance
from leadengine_core.jid import JidKind, is_status_broadcast
from leadengine_core.messages import (
    Direction,
    Message,
    MessageOrigin,
    MessageSender,
    MessageStatus,
)
from leadengine_core.ports import Clock, IdGenerator, UnitOfWork
from leadengine_core.tickets import Ticket
from leadengine_integrations.normalize import InboundMessage
from leadengine_storage.find_or_add import find_or_add_message

from leadengine_api.features.inbound.apply_contact import contact_for_message
from leadengine_api.features.inbound.apply_content import (
    content_metadata,
    enrich_from_raw,
    location_of,
    media_info,
    preview,
    raw_view_of_summary,
    shared_contacts,
)
from leadengine_api.features.inbound.apply_lead import record_message_on_lead
from leadengine_api.features.inbound.apply_result import (
    APPLIED,
    ApplyResult,
    Reason,
    duplicate,
    ignored,
)
from leadengine_api.features.inbound.apply_ticket import ticket_for_message

_CONVERSATION_KINDS = frozenset({JidKind.PHONE, JidKind.LID, JidKind.GROUP})


async def apply_message(
    uow: UnitOfWork,
    clock: Clock,
    ids: IdGenerator,
    instance: WhatsAppInstance,
    event: InboundMessage,
) -> ApplyResult:
    if event.chat_kind not in _CONVERSATION_KINDS:
        return ignored(_unsupported_chat_reason(event))
    provider_id = event.provider_message_id
    if provider_id is None:
        return ignored(Reason.MISSING_MESSAGE_ID)
    tenant_id, now = instance.tenant_id, clock.now()
    stored = await uow.messages.find_by_provider_id(tenant_id, instance.id, provider_id)
    if stored is not None and raw_view_of_summary(stored, event):
        # The summary names only the phone; the raw view may link the LID too (and merge).
        await contact_for_message(uow, ids, tenant_id, event, now)
        stored = await uow.messages.find_by_provider_id(tenant_id, instance.id, provider_id)
    if stored is not None:
        return await _redelivered(uow, stored, event, now)
    contact = await contact_for_message(uow, ids, tenant_id, event, now)
    if contact is None:
        return ignored(Reason.MISSING_CUSTOMER)
    ticket = await ticket_for_message(uow, ids, instance, contact, event.chat, now)
    candidate = _new_message(ids, ticket, event, provider_id, now)
    message, added = await find_or_add_message(uow.messages, tenant_id, candidate)
    if not added:
        return await _redelivered(uow, message, event, now)
    uow.record(MessageCreated(occurred_at=now, message=message))
    await _note_on_ticket(uow, ticket, message, now)
    if message.direction is Direction.INBOUND and contact.kind is ContactKind.PERSON:
        await record_message_on_lead(uow, ids, contact.id, message, now)
    return APPLIED


def _unsupported_chat_reason(event: InboundMessage) -> Reason:
    """Status posts and channels are dropped upstream; this guard keeps them out regardless."""
    if is_status_broadcast(event.chat):
        return Reason.STATUS_BROADCAST
    if event.chat_kind is JidKind.NEWSLETTER:
        return Reason.NEWSLETTER
    return Reason.UNSUPPORTED_CHAT


async def _redelivered(
    uow: UnitOfWork, stored: Message, event: InboundMessage, now: datetime
) -> ApplyResult:
    """A message already stored: the raw view may enrich a row stored from the summary, and
    an echo of our own message may carry a newer ack; anything else is a duplicate."""
    changes: set[str] = set()
    if enrich_from_raw(stored, event):
        changes.add("content")
    if event.from_me and event.status is not None and stored.apply_status(event.status, now):
        changes.add("status")
    if not changes:
        return duplicate(Reason.MESSAGE_EXISTS)
    stored.updated_at = now
    await uow.messages.update(stored.tenant_id, stored)
    uow.record(MessageUpdated(occurred_at=now, message=stored, changes=frozenset(changes)))
    return APPLIED if "content" in changes else duplicate(Reason.MESSAGE_EXISTS)


def _new_message(
    ids: IdGenerator, ticket: Ticket, event: InboundMessage, provider_id: str, now: datetime
) -> Message:
    content, occurred_at = event.content, event.occurred_at or now
    message = Message(
        tenant_id=ticket.tenant_id,
        id=ids.new_id(),
        ticket_id=ticket.id,
        contact_id=ticket.contact_id,
        direction=Direction.OUTBOUND if event.from_me else Direction.INBOUND,
        origin=MessageOrigin.BROKER,
        occurred_at=occurred_at,
        created_at=now,
        updated_at=now,
        instance_id=ticket.instance_id,
        type=content.type,
        status=MessageStatus.SENT if event.from_me else MessageStatus.DELIVERED,
        text=content.text,
        caption=content.caption,
        media=media_info(content.media),
        location=location_of(content.location),
        contacts=shared_contacts(content.contacts),
        provider_message_id=provider_id,
        sender=_group_sender(event),
        quoted_provider_id=content.quoted.provider_message_id if content.quoted else None,
        delivered_at=None if event.from_me else occurred_at,
        metadata=content_metadata(event),
    )
    if event.from_me and event.status is not None:
        message.apply_status(event.status, occurred_at)
    message.updated_at = now
    return message


def _group_sender(event: InboundMessage) -> MessageSender | None:
    """Who wrote a group message; in a direct chat the contact is the sender."""
    sender = event.sender
    if event.chat_kind is not JidKind.GROUP or sender is None:
        return None
    jid = sender.jid or sender.lid
    if jid is None:
        return None
    return MessageSender(jid=jid, phone=sender.phone, name=sender.push_name)


async def _note_on_ticket(uow: UnitOfWork, ticket: Ticket, message: Message, now: datetime) -> None:
    """Last activity and preview follow WhatsApp time; only the customer's messages are unread."""
    ticket.record_message(message.direction, preview(message), message.occurred_at)
    ticket.updated_at = max(ticket.updated_at, now)
    await uow.tickets.update(ticket.tenant_id, ticket)
    changes = {"last_message"} | (
        {"unread_count"} if message.direction is Direction.INBOUND else set()
    )
    uow.record(TicketUpdated(occurred_at=now, ticket=ticket, changes=frozenset(changes)))
