"""Contact use cases: create, change, and change many at once.

A person's phone is unique per tenant in either spelling of a Brazilian mobile: storage keys it
by `phone_identity`, and these use cases look the holder up first so the 409 can name it
(`existingContactId`) instead of failing on the key.
"""

from __future__ import annotations

import copy
from uuid import UUID

from leadengine_contracts.contacts import (
    BulkContactsRequest,
    CreateContactRequest,
    UpdateContactRequest,
)
from leadengine_core.contacts import Contact
from leadengine_core.errors import Conflict, InvalidPhone, NotFound
from leadengine_core.phone import normalize_phone, phone_identity
from leadengine_core.ports import Clock, IdGenerator, UnitOfWork
from leadengine_core.users import normalize_email

from leadengine_api.features.tickets.lookups import contact_of

__all__ = ["bulk_update", "create_contact", "update_contact"]


async def create_contact(
    uow: UnitOfWork, clock: Clock, ids: IdGenerator, tenant_id: UUID, data: CreateContactRequest
) -> Contact:
    now = clock.now()
    contact = Contact(
        tenant_id=tenant_id,
        id=ids.new_id(),
        name=data.name,
        emails=[normalize_email(data.email)] if data.email else [],
        tags=list(dict.fromkeys(data.tags)),
        custom_fields=dict(data.custom_fields),
        status=data.status,
        avatar_url=data.avatar_url,
        created_at=now,
        updated_at=now,
    )
    if data.phone is not None:
        contact.learn_phone(await _free_phone(uow, contact, data.phone))
    await uow.contacts.add(tenant_id, contact)
    return contact


async def update_contact(
    uow: UnitOfWork, clock: Clock, tenant_id: UUID, contact_id: UUID, data: UpdateContactRequest
) -> Contact:
    """Only the fields sent change; `updatedAt` moves only if something did."""
    contact = await contact_of(uow, tenant_id, contact_id)
    before = copy.deepcopy(contact)
    if data.phone is not None:
        contact.set_primary_phone(await _free_phone(uow, contact, data.phone))
    if data.email is not None:
        email = normalize_email(data.email)
        contact.emails = [email, *(known for known in contact.emails if known != email)]
    if data.tags is not None:
        contact.tags = list(dict.fromkeys(data.tags))
    if data.custom_fields is not None:
        contact.custom_fields = dict(data.custom_fields)
    contact.name = data.name or contact.name
    contact.status = data.status or contact.status
    if data.sent("avatar_url"):
        contact.avatar_url = data.avatar_url
    if contact != before:
        contact.updated_at = clock.now()
        await uow.contacts.update(tenant_id, contact)
    return contact


async def bulk_update(
    uow: UnitOfWork, clock: Clock, tenant_id: UUID, data: BulkContactsRequest
) -> int:
    """How many contacts changed. Every id must be the tenant's: one that is not (or does not
    exist) is a 404 naming it, and the request's transaction leaves everything as it was."""
    contacts = await uow.contacts.get_many(tenant_id, data.contact_ids)
    missing = set(data.contact_ids) - {contact.id for contact in contacts}
    if missing:
        raise NotFound(
            "some contacts do not exist", details={"contactIds": sorted(map(str, missing))}
        )
    now, removed, updated = clock.now(), set(data.remove_tags), 0
    for contact in contacts:
        tags = [tag for tag in dict.fromkeys([*contact.tags, *data.add_tags]) if tag not in removed]
        status = data.status or contact.status
        if (tags, status) == (contact.tags, contact.status):
            continue
        contact.tags, contact.status, contact.updated_at = tags, status, now
        await uow.contacts.update(tenant_id, contact)
        updated += 1
    return updated


async def _free_phone(uow: UnitOfWork, contact: Contact, raw: str) -> str:
    """`raw` in E.164, if no other contact of the tenant is that person (in either spelling)."""
    try:
        e164 = normalize_phone(raw)
    except InvalidPhone as error:
        raise InvalidPhone(error.message, details={**error.details, "field": "phone"}) from error
    holder = await uow.contacts.find_by_phone_identity(contact.tenant_id, phone_identity(e164))
    if holder is not None and holder.id != contact.id:
        raise Conflict(
            "another contact already has this phone",
            details={"existingContactId": str(holder.id), "phone": e164},
        )
    return e164
