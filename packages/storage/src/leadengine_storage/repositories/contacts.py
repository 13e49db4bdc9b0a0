"""Contacts, with their WhatsApp identities and tags in side tables.

Each phone identity key, `@lid` alias and group JID is a `contact_identities` row whose primary
key is (tenant, kind, value): two workers creating the same person race on that key, and the
loser gets a Conflict naming the contact that won. Tags keep their order in `contact_tags`.
A merge re-points the duplicate's tickets, messages and lead in one SAVEPOINT, so a clash
with the survivor's open ticket or lead moves nothing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any
from uuid import UUID

from leadengine_core.contacts import (
    Contact,
    ContactFilter,
    ContactKind,
    ContactLinks,
    ContactStatus,
    TagCount,
)
from leadengine_core.errors import Conflict, DomainError, NotFound
from leadengine_core.pagination import Page
from leadengine_core.ports import DEFAULT_PAGE_SIZE, ContactRepository
from leadengine_core.tenants import ensure_same_tenant
from sqlalchemy import (
    ColumnElement,
    Row,
    Select,
    Table,
    delete,
    func,
    insert,
    select,
    tuple_,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from leadengine_storage.integrity import Violation
from leadengine_storage.pagination import Keyset, fetch_page, page_of
from leadengine_storage.portable_sql import keys_in
from leadengine_storage.repositories.contact_filters import contact_conditions
from leadengine_storage.repositories.contact_identities import (
    Identity,
    IdentityKind,
    identities_of,
)
from leadengine_storage.repositories.guarded import ensure_changed, guarded, plain_error
from leadengine_storage.repositories.ticket_filters import is_open
from leadengine_storage.tables import (
    contact_identities,
    contact_tags,
    contacts,
    leads,
    messages,
    tickets,
)

__all__ = ["SqlContactRepository"]

_KEYSET = Keyset("contacts", contacts.c.updated_at, contacts.c.id)
_OPEN_TICKET_INDEX = "uq_tickets_one_open_per_contact_instance"
_ONE_LEAD_PER_CONTACT = "uq_leads_tenant_id_contact_id"


class SqlContactRepository(ContactRepository):
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def get(self, tenant_id: UUID, contact_id: UUID) -> Contact | None:
        query = select(contacts).where(
            contacts.c.tenant_id == tenant_id, contacts.c.id == contact_id
        )
        return await self._first(tenant_id, query)

    async def add(self, tenant_id: UUID, contact: Contact) -> None:
        ensure_same_tenant(tenant_id, contact.tenant_id)

        async def work() -> None:
            values = _values(contact)
            await self._connection.execute(
                insert(contacts).values(id=contact.id, tenant_id=tenant_id, **values)
            )
            await self._insert_identities(contact, identities_of(contact))
            await self._insert_tags(contact)

        await guarded(self._connection, work, partial(self._explain, contact))

    async def update(self, tenant_id: UUID, contact: Contact) -> None:
        ensure_same_tenant(tenant_id, contact.tenant_id)

        async def work() -> None:
            result = await self._connection.execute(
                update(contacts)
                .where(contacts.c.tenant_id == tenant_id, contacts.c.id == contact.id)
                .values(**_values(contact))
            )
            ensure_changed(result.rowcount, "contact", contact.id)
            await self._replace_identities(contact)
            await self._connection.execute(
                delete(contact_tags).where(
                    contact_tags.c.tenant_id == tenant_id, contact_tags.c.contact_id == contact.id
                )
            )
            await self._insert_tags(contact)

        await guarded(self._connection, work, partial(self._explain, contact))

    async def remove(self, tenant_id: UUID, contact_id: UUID) -> None:
        """Identities and tags go with the row (ON DELETE CASCADE), and so do its tickets,
        messages and lead: re-point those to the surviving contact first when merging."""
        result = await self._connection.execute(
            delete(contacts).where(contacts.c.tenant_id == tenant_id, contacts.c.id == contact_id)
        )
        ensure_changed(result.rowcount, "contact", contact_id)

    async def find_by_phone_identity(self, tenant_id: UUID, identity: str) -> Contact | None:
        return await self._find_by_identity(tenant_id, (IdentityKind.PHONE, identity))

    async def find_by_lid(self, tenant_id: UUID, lid: str) -> Contact | None:
        return await self._find_by_identity(tenant_id, (IdentityKind.LID, lid))

    async def find_by_group_jid(self, tenant_id: UUID, group_jid: str) -> Contact | None:
        return await self._find_by_identity(tenant_id, (IdentityKind.GROUP, group_jid))

    async def get_many(self, tenant_id: UUID, contact_ids: Sequence[UUID]) -> Sequence[Contact]:
        wanted = list(dict.fromkeys(contact_ids))
        if not wanted:
            return []
        query = select(contacts).where(contacts.c.tenant_id == tenant_id, contacts.c.id.in_(wanted))
        rows = (await self._connection.execute(query)).all()
        found = {contact.id: contact for contact in await self._assemble(tenant_id, rows)}
        return [found[contact_id] for contact_id in wanted if contact_id in found]

    async def list_page(
        self,
        tenant_id: UUID,
        filters: ContactFilter,
        *,
        cursor: str | None = None,
        limit: int = DEFAULT_PAGE_SIZE,
    ) -> Page[Contact]:
        conditions = contact_conditions(self._connection.dialect.name, tenant_id, filters)
        query = select(contacts).where(*conditions)
        page = await fetch_page(self._connection, query, _KEYSET, cursor=cursor, limit=limit)
        return page_of(page, await self._assemble(tenant_id, page.items))

    async def tag_counts(self, tenant_id: UUID) -> Sequence[TagCount]:
        count = func.count().label("count")
        query = (
            select(contact_tags.c.tag, count)
            .where(contact_tags.c.tenant_id == tenant_id)
            .group_by(contact_tags.c.tag)
            .order_by(count.desc(), contact_tags.c.tag)
        )
        return [TagCount(tag, total) for tag, total in await self._connection.execute(query)]

    async def links(self, tenant_id: UUID, contact_ids: Sequence[UUID]) -> dict[UUID, ContactLinks]:
        wanted = list(dict.fromkeys(contact_ids))
        if not wanted:
            return {}
        open_tickets = (
            select(tickets.c.contact_id, func.count())
            .where(tickets.c.tenant_id == tenant_id, tickets.c.contact_id.in_(wanted), is_open())
            .group_by(tickets.c.contact_id)
        )
        counts = {
            contact_id: total for contact_id, total in await self._connection.execute(open_tickets)
        }
        lead_ids = select(leads.c.contact_id, leads.c.id).where(
            leads.c.tenant_id == tenant_id, leads.c.contact_id.in_(wanted)
        )
        lead_of = {
            contact_id: lead_id for contact_id, lead_id in await self._connection.execute(lead_ids)
        }
        return {
            contact_id: ContactLinks(
                open_tickets=counts.get(contact_id, 0), lead_id=lead_of.get(contact_id)
            )
            for contact_id in counts.keys() | lead_of.keys()
        }

    async def reassign_contact(self, tenant_id: UUID, source_id: UUID, target_id: UUID) -> None:
        target = select(contacts.c.id).where(
            contacts.c.tenant_id == tenant_id, contacts.c.id == target_id
        )
        if await self._connection.scalar(target) is None:
            raise NotFound(f"contact {target_id} does not exist", details={"id": str(target_id)})

        async def work() -> None:
            for table in (tickets, messages, leads):
                await self._connection.execute(
                    update(table)
                    .where(table.c.tenant_id == tenant_id, table.c.contact_id == source_id)
                    .values(contact_id=target_id)
                )

        await guarded(self._connection, work, partial(self._explain_reassign, source_id))

    async def _find_by_identity(self, tenant_id: UUID, identity: Identity) -> Contact | None:
        kind, value = identity
        query = (
            select(contacts)
            .join(contact_identities, contact_identities.c.contact_id == contacts.c.id)
            .where(
                contact_identities.c.tenant_id == tenant_id,
                contact_identities.c.kind == kind.value,
                contact_identities.c.value == value,
                contacts.c.tenant_id == tenant_id,
            )
        )
        return await self._first(tenant_id, query)

    async def _first(self, tenant_id: UUID, query: Select[Any]) -> Contact | None:
        row = (await self._connection.execute(query)).first()
        if row is None:
            return None
        [contact] = await self._assemble(tenant_id, [row])
        return contact

    async def _assemble(self, tenant_id: UUID, rows: Sequence[Row[Any]]) -> list[Contact]:
        """Contacts of one tenant from their rows, with identities and tags in two queries."""
        ids = [row._mapping["id"] for row in rows]
        return await self._with_details(
            rows, lambda table: (table.c.tenant_id == tenant_id) & table.c.contact_id.in_(ids)
        )

    async def _assemble_across(self, rows: Sequence[Row[Any]]) -> list[Contact]:
        """The same for rows of many tenants (a worker batch): still two queries, not two per
        tenant."""
        owners = [(row._mapping["tenant_id"], row._mapping["id"]) for row in rows]
        return await self._with_details(
            rows, lambda table: keys_in([table.c.tenant_id, table.c.contact_id], owners)
        )

    async def _with_details(
        self, rows: Sequence[Row[Any]], owned_by: Callable[[Table], ColumnElement[bool]]
    ) -> list[Contact]:
        if not rows:
            return []
        identities: dict[UUID, list[Identity]] = defaultdict(list)
        identity_rows = await self._connection.execute(
            select(contact_identities).where(owned_by(contact_identities))
        )
        for identity in identity_rows:
            kind = IdentityKind(identity.kind)
            identities[identity.contact_id].append((kind, identity.value))
        tags: dict[UUID, list[str]] = defaultdict(list)
        tag_rows = await self._connection.execute(
            select(contact_tags)
            .where(owned_by(contact_tags))
            .order_by(contact_tags.c.contact_id, contact_tags.c.position)
        )
        for tag in tag_rows:
            tags[tag.contact_id].append(tag.tag)
        return [
            _contact(row, identities[row._mapping["id"]], tags[row._mapping["id"]]) for row in rows
        ]

    async def _replace_identities(self, contact: Contact) -> None:
        wanted = identities_of(contact)
        mine = (contact_identities.c.tenant_id == contact.tenant_id) & (
            contact_identities.c.contact_id == contact.id
        )
        current = await self._connection.execute(
            select(contact_identities.c.kind, contact_identities.c.value).where(mine)
        )
        held = {(IdentityKind(kind), value) for kind, value in current}
        dropped = held - set(wanted)
        if dropped:
            pairs = [(kind.value, value) for kind, value in dropped]
            await self._connection.execute(
                delete(contact_identities).where(
                    mine, tuple_(contact_identities.c.kind, contact_identities.c.value).in_(pairs)
                )
            )
        await self._insert_identities(contact, [key for key in wanted if key not in held])

    async def _insert_identities(self, contact: Contact, identities: list[Identity]) -> None:
        if identities:
            await self._connection.execute(
                insert(contact_identities),
                [
                    {
                        "tenant_id": contact.tenant_id,
                        "kind": kind.value,
                        "value": value,
                        "contact_id": contact.id,
                    }
                    for kind, value in identities
                ],
            )

    async def _insert_tags(self, contact: Contact) -> None:
        tags = list(dict.fromkeys(contact.tags))
        if tags:
            await self._connection.execute(
                insert(contact_tags),
                [
                    {
                        "tenant_id": contact.tenant_id,
                        "contact_id": contact.id,
                        "tag": tag,
                        "position": position,
                    }
                    for position, tag in enumerate(tags)
                ],
            )

    async def _explain(self, contact: Contact, violation: Violation) -> DomainError:
        if violation.constraint != "pk_contact_identities":
            return plain_error(violation, "contact", contact.id)
        pairs = [(kind.value, value) for kind, value in identities_of(contact)]
        holder = (
            await self._connection.execute(
                select(contact_identities)
                .where(
                    contact_identities.c.tenant_id == contact.tenant_id,
                    contact_identities.c.contact_id != contact.id,
                    tuple_(contact_identities.c.kind, contact_identities.c.value).in_(pairs),
                )
                .limit(1)
            )
        ).first()
        details: dict[str, object] = {"contactId": str(contact.id)}
        if holder is not None:
            details |= {
                "identityKind": holder.kind,
                "identity": holder.value,
                "existingContactId": str(holder.contact_id),
            }
        return Conflict("another contact already has this WhatsApp identity", details=details)

    async def _explain_reassign(self, source_id: UUID, violation: Violation) -> DomainError:
        message = {
            _ONE_LEAD_PER_CONTACT: "both contacts have a lead; fold one into the other first",
            _OPEN_TICKET_INDEX: "both contacts have an open ticket on one instance; close one",
        }.get(violation.constraint or "")
        if message is None:
            return plain_error(violation, "contact", source_id)
        return Conflict(message, details={"contactId": str(source_id)})


def _values(contact: Contact) -> dict[str, Any]:
    return {
        "kind": contact.kind.value,
        "name": contact.name,
        "primary_phone": contact.primary_phone,
        "group_jid": contact.group_jid,
        "avatar_url": contact.avatar_url,
        "status": contact.status.value,
        "emails": contact.emails,
        "custom_fields": contact.custom_fields,
        "last_interaction_at": contact.last_interaction_at,
        "created_at": contact.created_at,
        "updated_at": contact.updated_at,
    }


def _contact(row: Row[Any], identities: list[Identity], tags: list[str]) -> Contact:
    values = row._mapping
    return Contact(
        tenant_id=values["tenant_id"],
        id=values["id"],
        kind=ContactKind(values["kind"]),
        name=values["name"],
        primary_phone=values["primary_phone"],
        phone_identities={value for kind, value in identities if kind is IdentityKind.PHONE},
        lid_aliases={value for kind, value in identities if kind is IdentityKind.LID},
        group_jid=values["group_jid"],
        emails=values["emails"],
        tags=tags,
        custom_fields=values["custom_fields"],
        status=ContactStatus(values["status"]),
        avatar_url=values["avatar_url"],
        last_interaction_at=values["last_interaction_at"],
        created_at=values["created_at"],
        updated_at=values["updated_at"],
    )
