"""Contacts as the API shows them: with their open-ticket count and lead id."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from leadengine_contracts.contacts import ContactOut
from leadengine_core.contacts import Contact, ContactLinks
from leadengine_core.ports import UnitOfWork

__all__ = ["contact_out", "contacts_out"]

_NO_LINKS = ContactLinks()


async def contacts_out(
    uow: UnitOfWork, tenant_id: UUID, contacts: Sequence[Contact]
) -> list[ContactOut]:
    """One query for the links of all of them, whatever their number."""
    links = await uow.contacts.links(tenant_id, [contact.id for contact in contacts])
    return [ContactOut.from_domain(c, links.get(c.id, _NO_LINKS)) for c in contacts]


async def contact_out(uow: UnitOfWork, tenant_id: UUID, contact: Contact) -> ContactOut:
    [out] = await contacts_out(uow, tenant_id, [contact])
    return out
