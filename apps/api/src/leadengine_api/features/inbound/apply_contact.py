"""The contact a message belongs to: a person found by any of their WhatsApp identities, or
the group itself (one contact, and so one ticket, per group JID).

A direct chat keys the person by the E.164 phone identity (Brazil's 9th-digit variants are one
person) or, without a phone, by the `@lid` alias. When a message reveals both and they had
become two contacts, they are merged. A group's participants are message senders, never
contacts of their own, and a group is never named after a participant's pushName.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from leadengine_core.contacts import Contact, ContactKind
from leadengine_core.jid import JidKind
from leadengine_core.phone import phone_identity
from leadengine_core.ports import IdGenerator, UnitOfWork
from leadengine_integrations.normalize import InboundMessage
from leadengine_storage.find_or_add import find_or_add_contact

from leadengine_api.features.inbound.apply_merge import merge_contacts

INBOUND_TAGS = ("whatsapp", "inbound")


async def contact_for_message(
    uow: UnitOfWork, ids: IdGenerator, tenant_id: UUID, event: InboundMessage, now: datetime
) -> Contact | None:
    """The stored, refreshed contact of the conversation; None when the event names no
    customer (a direct chat with neither a phone nor a LID)."""
    if event.chat_kind is JidKind.GROUP:
        contact = await _group(uow, ids, tenant_id, event.chat, now)
    else:
        person = await _person(uow, ids, tenant_id, event, now)
        if person is None:
            return None
        push_name = event.sender.push_name if event.sender is not None else None
        person.learn_push_name(push_name, from_me=event.from_me, at=now)
        contact = person
    contact.tags.extend(tag for tag in INBOUND_TAGS if tag not in contact.tags)
    contact.record_interaction(event.occurred_at or now)
    contact.updated_at = max(contact.updated_at, now)
    await uow.contacts.update(tenant_id, contact)
    return contact


async def _person(
    uow: UnitOfWork, ids: IdGenerator, tenant_id: UUID, event: InboundMessage, now: datetime
) -> Contact | None:
    phone, lid = event.customer_phone, event.customer_lid
    if phone is None and lid is None:
        return None
    by_phone = (
        await uow.contacts.find_by_phone_identity(tenant_id, phone_identity(phone))
        if phone is not None
        else None
    )
    by_lid = await uow.contacts.find_by_lid(tenant_id, lid) if lid is not None else None
    if by_phone is not None and by_lid is not None and by_phone.id != by_lid.id:
        contact: Contact | None = await merge_contacts(uow, tenant_id, by_phone, by_lid, at=now)
    else:
        contact = by_phone or by_lid
    if contact is None:
        candidate = Contact(tenant_id=tenant_id, id=ids.new_id(), created_at=now, updated_at=now)
        _learn(candidate, phone, lid, now)
        contact, _ = await find_or_add_contact(uow.contacts, tenant_id, candidate)
    _learn(contact, phone, lid, now)
    return contact


def _learn(contact: Contact, phone: str | None, lid: str | None, now: datetime) -> None:
    if phone is not None:
        contact.learn_phone(phone, at=now)
    if lid is not None:
        contact.add_lid(lid, at=now)


async def _group(
    uow: UnitOfWork, ids: IdGenerator, tenant_id: UUID, group_jid: str, now: datetime
) -> Contact:
    found = await uow.contacts.find_by_group_jid(tenant_id, group_jid)
    if found is not None:
        return found
    candidate = Contact(
        tenant_id=tenant_id,
        id=ids.new_id(),
        created_at=now,
        updated_at=now,
        kind=ContactKind.GROUP,
        group_jid=group_jid,
    )
    contact, _ = await find_or_add_contact(uow.contacts, tenant_id, candidate)
    return contact
