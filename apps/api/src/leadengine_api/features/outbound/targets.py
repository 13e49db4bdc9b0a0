"""Where a send goes: the ticket, its contact's phone and the instance, all in the caller's
tenant. Every lookup takes the tenant, so another tenant's id is simply "not found" (404).

The instance is checked before anything is written: an instance that is not connected answers
409 `INSTANCE_DISCONNECTED` and leaves no contact, ticket or message behind.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from leadengine_core.contacts import Contact
from leadengine_core.events import TicketCreated
from leadengine_core.instances import InstanceStatus, WhatsAppInstance
from leadengine_core.phone import normalize_phone, phone_identity
from leadengine_core.ports import IdGenerator, UnitOfWork
from leadengine_core.tickets import Channel, Ticket
from leadengine_storage.find_or_add import find_or_add_contact, find_or_open_ticket

from leadengine_api.features.inbound.apply_ticket import default_queue
from leadengine_api.problems import ApiError

__all__ = ["SendTarget", "contact_target", "phone_target", "ticket_target"]


@dataclass(frozen=True, slots=True)
class SendTarget:
    ticket: Ticket
    contact: Contact
    instance: WhatsAppInstance
    to: str


async def ticket_target(
    uow: UnitOfWork, tenant_id: UUID, ticket_id: UUID, instance_id: UUID | None
) -> SendTarget:
    ticket = await uow.tickets.get(tenant_id, ticket_id)
    if ticket is None:
        raise ApiError(404, "TICKET_NOT_FOUND", "the ticket does not exist")
    instance = await _connected_instance(uow, tenant_id, instance_id or ticket.instance_id)
    contact = await uow.contacts.get(tenant_id, ticket.contact_id)
    if contact is None:
        raise ApiError(404, "CONTACT_NOT_FOUND", "the ticket's contact does not exist")
    return SendTarget(ticket, contact, instance, _phone_of(contact))


async def contact_target(
    uow: UnitOfWork,
    ids: IdGenerator,
    tenant_id: UUID,
    contact_id: UUID,
    instance_id: UUID | None,
    now: datetime,
) -> SendTarget:
    contact = await uow.contacts.get(tenant_id, contact_id)
    if contact is None:
        raise ApiError(404, "CONTACT_NOT_FOUND", "the contact does not exist")
    to = _phone_of(contact)
    instance = await _connected_instance(
        uow, tenant_id, instance_id or await _only_instance(uow, tenant_id)
    )
    ticket = await _open_ticket(uow, ids, instance, contact, now)
    return SendTarget(ticket, contact, instance, to)


async def phone_target(
    uow: UnitOfWork, ids: IdGenerator, tenant_id: UUID, instance_id: UUID, to: str, now: datetime
) -> SendTarget:
    """The ad hoc route: the contact is found (or added) by phone identity, race-safely."""
    instance = await _connected_instance(uow, tenant_id, instance_id)
    e164 = normalize_phone(to)
    candidate = Contact(
        tenant_id=tenant_id,
        id=ids.new_id(),
        created_at=now,
        updated_at=now,
        primary_phone=e164,
        phone_identities={phone_identity(e164)},
    )
    contact, _ = await find_or_add_contact(uow.contacts, tenant_id, candidate)
    ticket = await _open_ticket(uow, ids, instance, contact, now)
    return SendTarget(ticket, contact, instance, contact.primary_phone or e164)


def _phone_of(contact: Contact) -> str:
    if not contact.primary_phone:
        raise ApiError(422, "CONTACT_PHONE_MISSING", "the contact has no phone number to send to")
    return contact.primary_phone


async def _only_instance(uow: UnitOfWork, tenant_id: UUID) -> UUID:
    """Without `instanceId`, a tenant's only instance is the obvious choice; else ask."""
    instances = await uow.instances.list_all(tenant_id)
    if len(instances) != 1:
        raise ApiError(
            422, "WHATSAPP_INSTANCE_REQUIRED", "name the WhatsApp instance with `instanceId`"
        )
    return instances[0].id


async def _connected_instance(
    uow: UnitOfWork, tenant_id: UUID, instance_id: UUID | None
) -> WhatsAppInstance:
    if instance_id is None:
        raise ApiError(
            422, "WHATSAPP_INSTANCE_REQUIRED", "name the WhatsApp instance with `instanceId`"
        )
    instance = await uow.instances.get(tenant_id, instance_id)
    if instance is None or instance.is_deleted:
        raise ApiError(404, "INSTANCE_NOT_FOUND", "the WhatsApp instance does not exist")
    if instance.status is not InstanceStatus.CONNECTED:
        raise ApiError(
            409,
            "INSTANCE_DISCONNECTED",
            "the WhatsApp instance is not connected",
            extra={"details": {"status": instance.status.value, "connected": False}},
        )
    return instance


async def _open_ticket(
    uow: UnitOfWork, ids: IdGenerator, instance: WhatsAppInstance, contact: Contact, now: datetime
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
        subject=contact.name or contact.primary_phone,
        metadata={"source": "OUTBOUND"},
    )
    ticket, opened = await find_or_open_ticket(uow.tickets, tenant_id, candidate)
    if opened:
        uow.record(TicketCreated(occurred_at=now, ticket=ticket))
    return ticket
