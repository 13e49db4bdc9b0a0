"""Load what a request names, in the caller's tenant only.

The foreign keys would accept another tenant's contact, queue, user or instance, so every id
from a path, a query or a body comes through here first; another tenant's id is the same 404
as an id that does not exist. `field` names where the id came from, for the client's sake.
"""

from __future__ import annotations

from uuid import UUID

from leadengine_core.contacts import Contact
from leadengine_core.errors import NotFound
from leadengine_core.instances import WhatsAppInstance
from leadengine_core.ports import UnitOfWork
from leadengine_core.queues import Queue
from leadengine_core.tickets import Ticket
from leadengine_core.users import User

from leadengine_api.features.tickets.errors import invalid_field

__all__ = [
    "active_queue",
    "active_user",
    "contact_of",
    "instance_of",
    "queue_of",
    "ticket_of",
    "user_of",
]


async def ticket_of(uow: UnitOfWork, tenant_id: UUID, ticket_id: UUID) -> Ticket:
    ticket = await uow.tickets.get(tenant_id, ticket_id)
    if ticket is None:
        raise _not_found("ticket", "ticketId", ticket_id)
    return ticket


async def contact_of(uow: UnitOfWork, tenant_id: UUID, contact_id: UUID) -> Contact:
    contact = await uow.contacts.get(tenant_id, contact_id)
    if contact is None:
        raise _not_found("contact", "contactId", contact_id)
    return contact


async def instance_of(
    uow: UnitOfWork, tenant_id: UUID, instance_id: UUID, *, include_deleted: bool = False
) -> WhatsAppInstance:
    """A deleted instance is kept as a tombstone: gone for new work, still there to look back
    at (`include_deleted`, e.g. to list its old tickets)."""
    instance = await uow.instances.get(tenant_id, instance_id)
    if instance is None or (instance.is_deleted and not include_deleted):
        raise _not_found("WhatsApp instance", "instanceId", instance_id)
    return instance


async def queue_of(uow: UnitOfWork, tenant_id: UUID, queue_id: UUID) -> Queue:
    queue = await uow.queues.get(tenant_id, queue_id)
    if queue is None:
        raise _not_found("queue", "queueId", queue_id)
    return queue


async def user_of(uow: UnitOfWork, tenant_id: UUID, user_id: UUID, field: str) -> User:
    user = await uow.users.get(tenant_id, user_id)
    if user is None:
        raise _not_found("user", field, user_id)
    return user


async def active_queue(uow: UnitOfWork, tenant_id: UUID, queue_id: UUID) -> Queue:
    """A queue that takes new work: an inactive one is refused (422)."""
    queue = await queue_of(uow, tenant_id, queue_id)
    if not queue.is_active:
        raise invalid_field("queueId", "the queue is not active", source="body")
    return queue


async def active_user(uow: UnitOfWork, tenant_id: UUID, user_id: UUID) -> User:
    """A user who can work tickets: a deactivated one is refused (422)."""
    user = await user_of(uow, tenant_id, user_id, "userId")
    if not user.is_active:
        raise invalid_field("userId", "the user is not active", source="body")
    return user


def _not_found(kind: str, field: str, record_id: UUID) -> NotFound:
    return NotFound(f"{kind} {record_id} does not exist", details={field: str(record_id)})
