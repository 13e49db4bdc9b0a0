"""A unit of work for a batch of inbound events: reads are served from a cache that a few bulk
queries fill, writes are buffered and flushed as one statement per table.

Applied row by row, each inbound message costs dozens of round trips (every write in its own
SAVEPOINT); a batch of a hundred costs about a dozen here. The apply code is the same: it runs
against the core ports. Every repository method this layer does not buffer (merges, listings,
queue creation, …) raises `Unbatchable`; the caller then rolls the batch back and applies its
rows one by one, so the batch is an optimisation that never changes an outcome. A race lost
to another worker surfaces as an IntegrityError at `flush` and takes the same way back.

Contacts are read FOR UPDATE in id order, and everything a contact owns (its tickets, lead and
messages) is read after that lock: two workers whose batches share a customer apply them one
after the other instead of overwriting each other's counters.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from types import TracebackType
from typing import Any, Self, TypeVar
from uuid import UUID

from leadengine_core.contacts import Contact
from leadengine_core.events import DomainEvent
from leadengine_core.leads import Lead, LeadActivity
from leadengine_core.messages import Message
from leadengine_core.queues import Queue
from leadengine_core.tenants import ensure_same_tenant
from leadengine_core.tickets import Ticket
from sqlalchemy import Table, bindparam, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from leadengine_storage.portable_sql import keys_in
from leadengine_storage.repositories import (
    SqlContactRepository,
    SqlLeadRepository,
    SqlMessageRepository,
    SqlQueueRepository,
    SqlTicketRepository,
)
from leadengine_storage.repositories.contact_identities import (
    Identity,
    IdentityKind,
    identities_of,
)
from leadengine_storage.repositories.contacts import _values as contact_values
from leadengine_storage.repositories.leads import _activity_values, _lead
from leadengine_storage.repositories.leads import _values as lead_values
from leadengine_storage.repositories.messages import _instance_slot, _message
from leadengine_storage.repositories.messages import _values as message_values
from leadengine_storage.repositories.ticket_filters import is_open
from leadengine_storage.repositories.tickets import _ticket
from leadengine_storage.repositories.tickets import _values as ticket_values
from leadengine_storage.tables import (
    contact_identities,
    contact_tags,
    contacts,
    lead_activities,
    leads,
    messages,
    tickets,
)

__all__ = ["BatchUnitOfWork", "ContactKey", "MessageKey", "Unbatchable"]

ContactKey = tuple[UUID, IdentityKind, str]
"""(tenant, identity kind, value): how an event names its customer."""
MessageKey = tuple[UUID, UUID | None, str]
"""(tenant, instance, provider message id)."""
R = TypeVar("R")


class Unbatchable(Exception):
    """The batch needs an operation that is not buffered: apply its rows one by one."""


def _buffered_only(cls: type[R]) -> type[R]:
    """Every public method of the SQL repository that `cls` does not define refuses, so no
    statement can bypass the buffer and read or write around it."""

    def refusal(name: str) -> Callable[..., Any]:
        async def refuse(*_: object, **__: object) -> Any:
            raise Unbatchable(f"{cls.__name__}.{name}")

        return refuse

    base = cls.__mro__[1]
    for name, member in vars(base).items():
        if callable(member) and not name.startswith("_") and name not in vars(cls):
            setattr(cls, name, refusal(name))
    return cls


class _Buffer:
    """New and changed entities by id; the entity objects are the ones apply code holds, so
    flushing writes their final state once."""

    def __init__(self) -> None:
        self.new: dict[UUID, Any] = {}
        self.dirty: dict[UUID, Any] = {}

    def added(self, entity: Any) -> None:
        self.new[entity.id] = entity

    def changed(self, entity: Any) -> None:
        if entity.id not in self.new:
            self.dirty[entity.id] = entity


@_buffered_only
class _Contacts(SqlContactRepository):
    def __init__(self, connection: AsyncConnection) -> None:
        super().__init__(connection)
        self.buffer = _Buffer()
        self._by_key: dict[ContactKey, Contact | None] = {}
        self._stored: dict[UUID, tuple[set[Identity], list[str]]] = {}

    async def load(self, keys: Iterable[ContactKey]) -> list[Contact]:
        """Lock and cache the contacts holding these identities; remember the misses.

        Two statements, not a join: only the identities' primary key can answer the first,
        whatever the statistics say, where a join planned on stale statistics (a new table, a
        fast-growing tenant) became a nested loop over the tenant's contacts per identity."""
        wanted = [key for key in dict.fromkeys(keys) if key not in self._by_key]
        if not wanted:
            return []
        identities = contact_identities.c
        named = select(identities.tenant_id, identities.contact_id).where(
            keys_in(
                [identities.tenant_id, identities.kind, identities.value],
                [(tenant, kind.value, value) for tenant, kind, value in wanted],
            )
        )
        holders = set((await self._connection.execute(named)).all())
        rows = []
        if holders:
            locked = (
                select(contacts)
                .where(keys_in([contacts.c.tenant_id, contacts.c.id], holders))
                .order_by(contacts.c.id)
                .with_for_update()
            )
            rows = list((await self._connection.execute(locked)).all())
        found = await self._assemble_across(rows)
        for key in wanted:
            self._by_key.setdefault(key, None)
        for contact in found:
            self._stored[contact.id] = (set(identities_of(contact)), _tags(contact))
            self._index(contact)
        return found

    async def find_by_phone_identity(self, tenant_id: UUID, identity: str) -> Contact | None:
        return await self._find((tenant_id, IdentityKind.PHONE, identity))

    async def find_by_lid(self, tenant_id: UUID, lid: str) -> Contact | None:
        return await self._find((tenant_id, IdentityKind.LID, lid))

    async def find_by_group_jid(self, tenant_id: UUID, group_jid: str) -> Contact | None:
        return await self._find((tenant_id, IdentityKind.GROUP, group_jid))

    async def add(self, tenant_id: UUID, contact: Contact) -> None:
        ensure_same_tenant(tenant_id, contact.tenant_id)
        self.buffer.added(contact)
        self._index(contact)

    async def update(self, tenant_id: UUID, contact: Contact) -> None:
        ensure_same_tenant(tenant_id, contact.tenant_id)
        self.buffer.changed(contact)
        self._index(contact)

    async def flush(self) -> None:
        new, dirty = list(self.buffer.new.values()), list(self.buffer.dirty.values())
        await _insert(self._connection, contacts, [_contact_row(c) for c in new])
        await _update(self._connection, contacts, [_contact_row(c) for c in dirty])
        identities: list[dict[str, Any]] = []
        retagged: list[Contact] = list(new)
        for contact in new:
            identities += _identity_rows(contact, identities_of(contact))
        for contact in dirty:
            held, tags = self._stored[contact.id]
            now = identities_of(contact)
            if held - set(now):
                raise Unbatchable("a contact lost an identity")
            identities += _identity_rows(contact, [key for key in now if key not in held])
            if _tags(contact) != tags:
                retagged.append(contact)
        await _insert(self._connection, contact_identities, identities)
        stale = [(c.tenant_id, c.id) for c in retagged if c.id not in self.buffer.new]
        if stale:
            await self._connection.execute(
                delete(contact_tags).where(
                    keys_in([contact_tags.c.tenant_id, contact_tags.c.contact_id], stale)
                )
            )
        await _insert(
            self._connection,
            contact_tags,
            [
                {"tenant_id": c.tenant_id, "contact_id": c.id, "tag": tag, "position": position}
                for c in retagged
                for position, tag in enumerate(_tags(c))
            ],
        )

    async def _find(self, key: ContactKey) -> Contact | None:
        if key not in self._by_key:
            await self.load([key])
        return self._by_key[key]

    def _index(self, contact: Contact) -> None:
        for kind, value in identities_of(contact):
            self._by_key[(contact.tenant_id, kind, value)] = contact


@_buffered_only
class _Tickets(SqlTicketRepository):
    def __init__(self, connection: AsyncConnection, fresh: Mapping[UUID, Contact]) -> None:
        """`fresh`: the contacts this batch created, which own nothing stored yet."""
        super().__init__(connection)
        self._fresh = fresh
        self.buffer = _Buffer()
        self._by_id: dict[UUID, Ticket] = {}
        self._open: dict[tuple[UUID, UUID, UUID | None], Ticket] = {}
        self._loaded: set[tuple[UUID, UUID]] = set()

    async def load(self, owners: Iterable[tuple[UUID, UUID]]) -> None:
        """Cache the open tickets of these (tenant, contact) pairs."""
        wanted = [
            owner
            for owner in dict.fromkeys(owners)
            if owner not in self._loaded and owner[1] not in self._fresh
        ]
        if not wanted:
            return
        query = select(tickets).where(
            keys_in([tickets.c.tenant_id, tickets.c.contact_id], wanted), is_open()
        )
        for row in await self._connection.execute(query):
            self._index(self._by_id.setdefault(row.id, _ticket(row)))
        self._loaded.update(wanted)

    async def get(self, tenant_id: UUID, ticket_id: UUID) -> Ticket | None:
        cached = self._by_id.get(ticket_id)
        if cached is None:
            cached = await super().get(tenant_id, ticket_id)
            if cached is not None:
                self._by_id[cached.id] = cached
        return cached if cached is not None and cached.tenant_id == tenant_id else None

    async def find_open(
        self, tenant_id: UUID, contact_id: UUID, instance_id: UUID | None
    ) -> Ticket | None:
        await self.load([(tenant_id, contact_id)])
        return self._open.get((tenant_id, contact_id, instance_id))

    async def add(self, tenant_id: UUID, ticket: Ticket) -> None:
        ensure_same_tenant(tenant_id, ticket.tenant_id)
        self.buffer.added(ticket)
        self._by_id[ticket.id] = ticket
        self._index(ticket)

    async def update(self, tenant_id: UUID, ticket: Ticket) -> None:
        ensure_same_tenant(tenant_id, ticket.tenant_id)
        self.buffer.changed(ticket)
        self._index(ticket)

    async def flush(self) -> None:
        await _insert(self._connection, tickets, [_ticket_row(t) for t in self.buffer.new.values()])
        await _update(
            self._connection, tickets, [_ticket_row(t) for t in self.buffer.dirty.values()]
        )

    def _index(self, ticket: Ticket) -> None:
        slot = (ticket.tenant_id, ticket.contact_id, ticket.instance_id)
        if ticket.is_open:
            self._open[slot] = ticket
        elif self._open.get(slot) is ticket:
            del self._open[slot]


@_buffered_only
class _Messages(SqlMessageRepository):
    def __init__(self, connection: AsyncConnection) -> None:
        super().__init__(connection)
        self.buffer = _Buffer()
        self._by_key: dict[tuple[UUID, UUID, str], Message | None] = {}

    async def load(self, keys: Iterable[MessageKey]) -> None:
        """Cache the messages stored under these provider ids; remember the misses."""
        wanted = [_slot(key) for key in keys]
        wanted = [key for key in dict.fromkeys(wanted) if key not in self._by_key]
        if not wanted:
            return
        query = select(messages).where(
            keys_in(
                [messages.c.tenant_id, _instance_slot(), messages.c.provider_message_id], wanted
            )
        )
        for key in wanted:
            self._by_key[key] = None
        for row in await self._connection.execute(query):
            self._index(_message(row))

    async def find_by_provider_id(
        self, tenant_id: UUID, instance_id: UUID | None, provider_message_id: str
    ) -> Message | None:
        key = _slot((tenant_id, instance_id, provider_message_id))
        if key not in self._by_key:
            await self.load([(tenant_id, instance_id, provider_message_id)])
        return self._by_key[key]

    async def add(self, tenant_id: UUID, message: Message) -> None:
        ensure_same_tenant(tenant_id, message.tenant_id)
        if message.idempotency_key is not None:
            raise Unbatchable("messages with an idempotency key are not buffered")
        self.buffer.added(message)
        self._index(message)

    async def update(self, tenant_id: UUID, message: Message) -> None:
        ensure_same_tenant(tenant_id, message.tenant_id)
        self.buffer.changed(message)

    async def flush(self) -> None:
        new, dirty = self.buffer.new.values(), self.buffer.dirty.values()
        await _insert(self._connection, messages, [_message_row(m) for m in new])
        await _update(self._connection, messages, [_message_row(m) for m in dirty])

    def _index(self, message: Message) -> None:
        if message.provider_message_id is not None:
            key = (message.tenant_id, message.instance_id, message.provider_message_id)
            self._by_key[_slot(key)] = message


@_buffered_only
class _Leads(SqlLeadRepository):
    def __init__(self, connection: AsyncConnection, fresh: Mapping[UUID, Contact]) -> None:
        """`fresh`: the contacts this batch created, which have no stored lead."""
        super().__init__(connection)
        self._fresh = fresh
        self.buffer = _Buffer()
        self._by_contact: dict[tuple[UUID, UUID], Lead | None] = {}
        self._known: set[UUID] = set()
        self._activities: list[LeadActivity] = []

    async def load(self, owners: Iterable[tuple[UUID, UUID]]) -> None:
        """Cache the leads of these (tenant, contact) pairs; remember the misses."""
        wanted = [owner for owner in dict.fromkeys(owners) if owner not in self._by_contact]
        for owner in wanted:
            self._by_contact[owner] = None
        wanted = [owner for owner in wanted if owner[1] not in self._fresh]
        if not wanted:
            return
        query = select(leads).where(keys_in([leads.c.tenant_id, leads.c.contact_id], wanted))
        for row in await self._connection.execute(query):
            self._index(_lead(row))

    async def get_by_contact(self, tenant_id: UUID, contact_id: UUID) -> Lead | None:
        await self.load([(tenant_id, contact_id)])
        return self._by_contact[(tenant_id, contact_id)]

    async def add(self, tenant_id: UUID, lead: Lead) -> None:
        ensure_same_tenant(tenant_id, lead.tenant_id)
        self.buffer.added(lead)
        self._index(lead)

    async def update(self, tenant_id: UUID, lead: Lead) -> None:
        ensure_same_tenant(tenant_id, lead.tenant_id)
        self.buffer.changed(lead)

    async def add_activity(self, tenant_id: UUID, activity: LeadActivity) -> None:
        ensure_same_tenant(tenant_id, activity.tenant_id)
        if activity.lead_id not in self._known:
            raise Unbatchable("an activity for a lead this batch has not read")
        self._activities.append(activity)

    async def flush(self) -> None:
        new, dirty = self.buffer.new.values(), self.buffer.dirty.values()
        await _insert(self._connection, leads, [_lead_row(lead) for lead in new])
        await _update(self._connection, leads, [_lead_row(lead) for lead in dirty])
        await _insert(
            self._connection, lead_activities, [_activity_values(a) for a in self._activities]
        )

    def _index(self, lead: Lead) -> None:
        self._by_contact[(lead.tenant_id, lead.contact_id)] = lead
        self._known.add(lead.id)


@_buffered_only
class _Queues(SqlQueueRepository):
    """Read only: a tenant's first queue is created on the row-by-row path."""

    def __init__(self, connection: AsyncConnection) -> None:
        super().__init__(connection)
        self._lists: dict[UUID, list[Queue]] = {}

    async def list_all(self, tenant_id: UUID) -> list[Queue]:
        if tenant_id not in self._lists:
            self._lists[tenant_id] = list(await super().list_all(tenant_id))
        return self._lists[tenant_id]


class BatchUnitOfWork:
    """Runs inside the caller's transaction on `connection`: `prefetch`, apply the events,
    `flush`, then the caller finishes its queue rows and commits."""

    def __init__(self, connection: AsyncConnection) -> None:
        self.connection = connection
        self.contacts = _Contacts(connection)
        self.tickets = _Tickets(connection, self.contacts.buffer.new)
        self.messages = _Messages(connection)
        self.leads = _Leads(connection, self.contacts.buffer.new)
        self.queues = _Queues(connection)
        self._recorded: list[DomainEvent] = []

    async def prefetch(
        self, contact_keys: Iterable[ContactKey], message_keys: Iterable[MessageKey]
    ) -> None:
        """Everything the batch will probably read, in five queries; what it misses is read
        (and cached) when asked for."""
        found = await self.contacts.load(contact_keys)
        owners = [(contact.tenant_id, contact.id) for contact in found]
        await self.tickets.load(owners)
        await self.leads.load(owners)
        await self.messages.load(message_keys)

    async def flush(self) -> None:
        """Write everything buffered, parents before children."""
        for repository in (self.contacts, self.tickets, self.messages, self.leads):
            await repository.flush()

    @property
    def tenants(self) -> Any:
        raise Unbatchable("tenants")

    @property
    def users(self) -> Any:
        raise Unbatchable("users")

    @property
    def instances(self) -> Any:
        raise Unbatchable("instances")

    @property
    def api_keys(self) -> Any:
        raise Unbatchable("api_keys")

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        return None

    async def commit(self) -> None:
        raise Unbatchable("the batch's owner commits")

    async def rollback(self) -> None:
        raise Unbatchable("the batch's owner rolls back")

    def record(self, *events: DomainEvent) -> None:
        self._recorded.extend(events)

    def collect_events(self) -> list[DomainEvent]:
        events, self._recorded = self._recorded, []
        return events


def _slot(key: MessageKey) -> tuple[UUID, UUID, str]:
    """The key as `uq_messages_provider_message` spells it: the tenant stands for no instance."""
    tenant_id, instance_id, provider_message_id = key
    return tenant_id, instance_id or tenant_id, provider_message_id


def _tags(contact: Contact) -> list[str]:
    return list(dict.fromkeys(contact.tags))


def _identity_rows(contact: Contact, identities: Iterable[Identity]) -> list[dict[str, Any]]:
    return [
        {
            "tenant_id": contact.tenant_id,
            "kind": kind.value,
            "value": value,
            "contact_id": contact.id,
        }
        for kind, value in identities
    ]


def _contact_row(contact: Contact) -> dict[str, Any]:
    return {"id": contact.id, "tenant_id": contact.tenant_id, **contact_values(contact)}


def _ticket_row(ticket: Ticket) -> dict[str, Any]:
    return {"id": ticket.id, "tenant_id": ticket.tenant_id, **ticket_values(ticket)}


def _message_row(message: Message) -> dict[str, Any]:
    return {"id": message.id, "tenant_id": message.tenant_id, **message_values(message)}


def _lead_row(lead: Lead) -> dict[str, Any]:
    return {"id": lead.id, "tenant_id": lead.tenant_id, **lead_values(lead)}


async def _insert(connection: AsyncConnection, table: Table, rows: list[dict[str, Any]]) -> None:
    if rows:
        await connection.execute(insert(table), rows)


async def _update(connection: AsyncConnection, table: Table, rows: list[dict[str, Any]]) -> None:
    """One UPDATE per row, sent as one executemany, each matched by (tenant, id)."""
    if not rows:
        return
    columns = [name for name in rows[0] if name not in ("id", "tenant_id")]
    statement = (
        update(table)
        .where(table.c.tenant_id == bindparam("row_tenant"), table.c.id == bindparam("row_id"))
        .values({name: bindparam(name) for name in columns})
    )
    params = [
        {"row_tenant": row["tenant_id"], "row_id": row["id"], **{n: row[n] for n in columns}}
        for row in rows
    ]
    result = await connection.execute(statement, params)
    if result.rowcount not in (-1, len(rows)):
        raise Unbatchable(f"{table.name}: a buffered row is gone")
