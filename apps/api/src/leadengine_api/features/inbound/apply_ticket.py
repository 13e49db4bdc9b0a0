"""The ticket a message lands in: the contact's open ticket on the instance, or a new one in
the tenant's default queue (the first by order, "Atendimento Geral" created when there is none).
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from leadengine_core.contacts import Contact
from leadengine_core.errors import Conflict
from leadengine_core.events import TicketCreated
from leadengine_core.instances import WhatsAppInstance
from leadengine_core.ports import IdGenerator, UnitOfWork
from leadengine_core.queues import DEFAULT_QUEUE_NAME, Queue
from leadengine_core.tickets import Channel, Ticket
from leadengine_storage.find_or_add import find_or_open_ticket

from leadengine_api.features.inbound.apply_contact import INBOUND_TAGS


async def ticket_for_message(
    uow: UnitOfWork,
    ids: IdGenerator,
    instance: WhatsAppInstance,
    contact: Contact,
    chat: str,
    now: datetime,
) -> Ticket:
    tenant_id = instance.tenant_id
    existing = await uow.tickets.find_open(tenant_id, contact.id, instance.id)
    if existing is not None:
        return existing
    queue = await default_queue(uow, ids, tenant_id, now)
    candidate = Ticket(
        tenant_id=tenant_id,
        id=ids.new_id(),
        contact_id=contact.id,
        queue_id=queue.id,
        created_at=now,
        updated_at=now,
        instance_id=instance.id,
        channel=Channel.WHATSAPP,
        subject=contact.name or contact.primary_phone or contact.group_jid,
        tags=list(INBOUND_TAGS),
        metadata={"source": "WHATSAPP", "chatId": chat},
    )
    ticket, opened = await find_or_open_ticket(uow.tickets, tenant_id, candidate)
    if opened:
        uow.record(TicketCreated(occurred_at=now, ticket=ticket))
    return ticket


async def default_queue(uow: UnitOfWork, ids: IdGenerator, tenant_id: UUID, now: datetime) -> Queue:
    """The first active queue by order (the first of all if none is active); a tenant without
    queues gets the default one, race-safely."""
    queues = await uow.queues.list_all(tenant_id)
    active = [queue for queue in queues if queue.is_active]
    if active or queues:
        return (active or list(queues))[0]
    queue = Queue(
        tenant_id=tenant_id,
        id=ids.new_id(),
        name=DEFAULT_QUEUE_NAME,
        created_at=now,
        updated_at=now,
    )
    try:
        await uow.queues.add(tenant_id, queue)
    except Conflict:
        winner = await uow.queues.get_by_name(tenant_id, DEFAULT_QUEUE_NAME)
        if winner is None:
            raise
        return winner
    return queue
