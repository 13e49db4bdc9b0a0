"""In-memory fakes of every port, for tests of core and of the packages built on it.

They behave like the real adapters where tests can tell: rows are scoped by tenant, reads
return copies, unique rules raise Conflict / OpenTicketExists, pages use real cursors, and a
unit of work rolls back everything written since its last commit.
"""

from __future__ import annotations

import copy
from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Any, Generic, Self, TypeVar
from uuid import UUID

from leadengine_core.api_keys import ApiKey, ApiKeyToken
from leadengine_core.contacts import Contact, ContactFilter, ContactLinks, TagCount
from leadengine_core.errors import (
    Conflict,
    DomainError,
    NotFound,
    OpenTicketExists,
    ValidationFailed,
)
from leadengine_core.events import DomainEvent
from leadengine_core.instances import WhatsAppInstance
from leadengine_core.leads import Lead, LeadActivity, LeadSource, LeadStatus
from leadengine_core.messages import Direction, Message, MessageOrigin
from leadengine_core.pagination import CursorValue, Page, decode_cursor, encode_cursor
from leadengine_core.ports import (
    DEFAULT_PAGE_SIZE,
    ApiKeyRepository,
    Clock,
    ContactRepository,
    EventPublisher,
    IdGenerator,
    InstanceRepository,
    LeadRepository,
    MessageRepository,
    QueueRepository,
    TenantRepository,
    TicketFilter,
    TicketRepository,
    UnitOfWork,
    UserRepository,
)
from leadengine_core.queues import Queue
from leadengine_core.tenants import Tenant, ensure_same_tenant
from leadengine_core.tickets import Ticket, TicketNote
from leadengine_core.users import Role, User, normalize_email

E = TypeVar("E")
DEFAULT_NOW = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_NO_LOGIN_HASH = "!"  # matches no password, like an unusable hash in /etc/shadow


class FixedClock(Clock):
    """A clock that moves only when told to."""

    def __init__(self, now: datetime = DEFAULT_NOW) -> None:
        self.set(now)

    def now(self) -> datetime:
        return self._now

    def set(self, now: datetime) -> None:
        if now.utcoffset() != timedelta(0):
            raise ValueError("FixedClock needs an aware UTC datetime")
        self._now = now

    def advance(self, delta: timedelta = timedelta(seconds=1)) -> datetime:
        self._now += delta
        return self._now


class SequentialIds(IdGenerator):
    """Valid, time-ordered UUIDv7s carrying a counter instead of a clock: 1, 2, 3…"""

    def __init__(self, start: int = 1) -> None:
        self._next = start

    def new_id(self) -> UUID:
        counter, self._next = self._next, self._next + 1
        return UUID(int=(counter << 80) | (0x7 << 76) | (0b10 << 62))


class RecordingPublisher(EventPublisher):
    def __init__(self) -> None:
        self.published: list[DomainEvent] = []

    async def publish(self, events: Sequence[DomainEvent]) -> None:
        self.published.extend(events)


@dataclass(frozen=True, slots=True)
class _Unique(Generic[E]):
    """A unique rule: the keys a row occupies (none = unconstrained) and the error for a clash."""

    keys: Callable[[E], Iterable[Hashable]]
    clash: Callable[[E], DomainError]


class _Table(Generic[E]):
    def __init__(
        self,
        name: str,
        *,
        id_of: Callable[[E], UUID],
        tenant_of: Callable[[E], UUID],
        uniques: Sequence[_Unique[E]] = (),
    ) -> None:
        self.name = name
        self.rows: dict[UUID, E] = {}
        self._id_of = id_of
        self._tenant_of = tenant_of
        self._uniques = uniques

    def get(self, tenant_id: UUID, row_id: UUID) -> E | None:
        row = self.rows.get(row_id)
        if row is None or self._tenant_of(row) != tenant_id:
            return None
        return copy.deepcopy(row)

    def select(self, tenant_id: UUID | None, where: Callable[[E], bool]) -> list[E]:
        """Matching rows of `tenant_id`; None only for the documented unscoped lookups."""
        return [
            copy.deepcopy(row)
            for row in self.rows.values()
            if (tenant_id is None or self._tenant_of(row) == tenant_id) and where(row)
        ]

    def first(self, tenant_id: UUID | None, where: Callable[[E], bool]) -> E | None:
        return next(iter(self.select(tenant_id, where)), None)

    def insert(self, tenant_id: UUID, row: E) -> None:
        ensure_same_tenant(tenant_id, self._tenant_of(row))
        if self._id_of(row) in self.rows:
            raise Conflict(f"{self.name} {self._id_of(row)} already exists")
        self._check_uniques(row)
        self.rows[self._id_of(row)] = copy.deepcopy(row)

    def replace(self, tenant_id: UUID, row: E) -> None:
        ensure_same_tenant(tenant_id, self._tenant_of(row))
        if self.get(tenant_id, self._id_of(row)) is None:
            raise NotFound(f"{self.name} {self._id_of(row)} does not exist")
        self._check_uniques(row)
        self.rows[self._id_of(row)] = copy.deepcopy(row)

    def delete(self, tenant_id: UUID, row_id: UUID) -> None:
        if self.get(tenant_id, row_id) is None:
            raise NotFound(f"{self.name} {row_id} does not exist")
        del self.rows[row_id]

    def _check_uniques(self, row: E) -> None:
        for unique in self._uniques:
            taken = set(unique.keys(row))
            for other in self.rows.values():
                if self._id_of(other) != self._id_of(row) and taken & set(unique.keys(other)):
                    raise unique.clash(other)


def _conflict(what: str) -> Callable[[object], DomainError]:
    return lambda _existing: Conflict(f"{what} is already taken")


def _open_ticket_slot(ticket: Ticket) -> Iterable[Hashable]:
    return [(ticket.tenant_id, ticket.contact_id, ticket.instance_id)] if ticket.is_open else []


def _contact_keys(contact: Contact) -> Iterable[Hashable]:
    yield from ((contact.tenant_id, "phone", key) for key in contact.phone_identities)
    yield from ((contact.tenant_id, "lid", key) for key in contact.lid_aliases)
    if contact.group_jid is not None:
        yield (contact.tenant_id, "group", contact.group_jid)


def _message_keys(message: Message) -> Iterable[Hashable]:
    if message.provider_message_id is not None:
        yield (message.tenant_id, message.instance_id, "provider", message.provider_message_id)
    if message.idempotency_key is not None:
        yield (message.tenant_id, "idempotency", message.idempotency_key)


class InMemoryStore:
    """The shared "database" behind the in-memory repositories."""

    def __init__(self) -> None:
        self.tenants = _Table[Tenant](
            "tenant",
            id_of=lambda t: t.id,
            tenant_of=lambda t: t.id,
            uniques=[_Unique(lambda t: [t.slug], _conflict("slug"))],
        )
        self.users = _Table[User](
            "user",
            id_of=lambda u: u.id,
            tenant_of=lambda u: u.tenant_id,
            uniques=[_Unique(lambda u: [(u.tenant_id, u.email)], _conflict("email"))],
        )
        self.queues = _Table[Queue](
            "queue",
            id_of=lambda q: q.id,
            tenant_of=lambda q: q.tenant_id,
            uniques=[_Unique(lambda q: [(q.tenant_id, q.name)], _conflict("queue name"))],
        )
        self.contacts = _Table[Contact](
            "contact",
            id_of=lambda c: c.id,
            tenant_of=lambda c: c.tenant_id,
            uniques=[_Unique(_contact_keys, _conflict("contact identity"))],
        )
        self.leads = _Table[Lead](
            "lead",
            id_of=lambda lead: lead.id,
            tenant_of=lambda lead: lead.tenant_id,
            uniques=[
                _Unique(lambda lead: [(lead.tenant_id, lead.contact_id)], _conflict("contact"))
            ],
        )
        self.lead_activities = _Table[LeadActivity](
            "lead activity", id_of=lambda a: a.id, tenant_of=lambda a: a.tenant_id
        )
        self.tickets = _Table[Ticket](
            "ticket",
            id_of=lambda t: t.id,
            tenant_of=lambda t: t.tenant_id,
            uniques=[_Unique(_open_ticket_slot, lambda existing: OpenTicketExists(existing.id))],
        )
        self.ticket_notes = _Table[TicketNote](
            "ticket note", id_of=lambda n: n.id, tenant_of=lambda n: n.tenant_id
        )
        self.messages = _Table[Message](
            "message",
            id_of=lambda m: m.id,
            tenant_of=lambda m: m.tenant_id,
            uniques=[_Unique(_message_keys, _conflict("message key"))],
        )
        self.instances = _Table[WhatsAppInstance](
            "instance",
            id_of=lambda i: i.id,
            tenant_of=lambda i: i.tenant_id,
            uniques=[_Unique(lambda i: [i.broker_id], _conflict("broker id"))],
        )
        self.api_keys = _Table[ApiKey](
            "api key",
            id_of=lambda k: k.id,
            tenant_of=lambda k: k.tenant_id,
            uniques=[_Unique(lambda k: [k.prefix], _conflict("api key prefix"))],
        )

    def _tables(self) -> list[_Table[Any]]:
        return [value for value in vars(self).values() if isinstance(value, _Table)]

    def snapshot(self) -> list[dict[UUID, Any]]:
        return [copy.deepcopy(table.rows) for table in self._tables()]

    def restore(self, snapshot: list[dict[UUID, Any]]) -> None:
        for table, rows in zip(self._tables(), snapshot, strict=True):
            table.rows = copy.deepcopy(rows)


def _micros(moment: datetime) -> int:
    return (moment - _EPOCH) // timedelta(microseconds=1)


def _page(
    rows: Sequence[E],
    sort_key: Callable[[E], tuple[CursorValue, ...]],
    cursor: str | None,
    limit: int,
    *,
    oldest_first: bool = False,
) -> Page[E]:
    """Keyset page, newest first unless `oldest_first`; a cursor is (direction, *sort key of
    the edge row), its direction spelled differently per order so one order refuses the
    other's cursors, as storage does."""
    if limit < 1:
        raise ValidationFailed("limit must be at least 1", details={"limit": limit})
    forward, backward = ("later", "earlier") if oldest_first else ("next", "prev")

    def after(key: tuple[CursorValue, ...], edge: tuple[CursorValue, ...]) -> bool:
        """Whether `key` comes after `edge` in list order."""
        return key > edge if oldest_first else key < edge

    ordered = sorted(rows, key=sort_key, reverse=not oldest_first)
    items = ordered[:limit]
    if cursor is not None:
        direction, *edge = decode_cursor(cursor) or ("",)
        try:
            if direction == forward:
                items = [row for row in ordered if after(sort_key(row), tuple(edge))][:limit]
            elif direction == backward:
                items = [row for row in ordered if after(tuple(edge), sort_key(row))][-limit:]
            else:
                raise ValidationFailed("invalid pagination cursor")
        except TypeError as error:
            raise ValidationFailed("invalid pagination cursor") from error
    if not items:
        return Page(items=())
    first, last = sort_key(items[0]), sort_key(items[-1])
    has_later = any(after(sort_key(row), last) for row in ordered)
    has_earlier = any(after(first, sort_key(row)) for row in ordered)
    return Page(
        items=tuple(items),
        next_cursor=encode_cursor([forward, *last]) if has_later else None,
        prev_cursor=encode_cursor([backward, *first]) if has_earlier else None,
    )


class InMemoryTenantRepository(TenantRepository):
    def __init__(self, store: InMemoryStore) -> None:
        self._table = store.tenants

    async def get(self, tenant_id: UUID) -> Tenant | None:
        return self._table.get(tenant_id, tenant_id)

    async def get_by_slug(self, slug: str) -> Tenant | None:
        return self._table.first(None, lambda tenant: tenant.slug == slug)

    async def add(self, tenant: Tenant) -> None:
        self._table.insert(tenant.id, tenant)

    async def update(self, tenant: Tenant) -> None:
        self._table.replace(tenant.id, tenant)


class InMemoryUserRepository(UserRepository):
    def __init__(self, store: InMemoryStore) -> None:
        self._table = store.users
        self._tenants = store.tenants

    async def get(self, tenant_id: UUID, user_id: UUID) -> User | None:
        return self._table.get(tenant_id, user_id)

    async def active_role(self, tenant_id: UUID, user_id: UUID) -> Role | None:
        user, tenant = self._table.get(tenant_id, user_id), self._tenants.get(tenant_id, tenant_id)
        active = user is not None and user.is_active and tenant is not None and tenant.is_active
        return user.role if active and user is not None else None

    async def get_by_email(self, tenant_id: UUID, email: str) -> User | None:
        wanted = normalize_email(email)
        return self._table.first(tenant_id, lambda user: user.email == wanted)

    async def add(self, tenant_id: UUID, user: User) -> None:
        self._table.insert(tenant_id, user)

    async def update(self, tenant_id: UUID, user: User) -> None:
        self._table.replace(tenant_id, user)

    async def list_all(self, tenant_id: UUID) -> Sequence[User]:
        users = self._table.select(tenant_id, lambda _: True)
        return sorted(users, key=lambda user: (user.name, str(user.id)))

    async def list_page(
        self,
        tenant_id: UUID,
        *,
        is_active: bool | None = None,
        cursor: str | None = None,
        limit: int = DEFAULT_PAGE_SIZE,
    ) -> Page[User]:
        rows = self._table.select(
            tenant_id, lambda user: is_active is None or user.is_active == is_active
        )
        return _page(rows, lambda u: (_micros(u.created_at), str(u.id)), cursor, limit)

    async def lock_active_admins(self, tenant_id: UUID) -> Sequence[User]:
        return self._table.select(tenant_id, lambda u: u.is_active and u.role is Role.ADMIN)


class InMemoryQueueRepository(QueueRepository):
    def __init__(self, store: InMemoryStore) -> None:
        self._table = store.queues

    async def get(self, tenant_id: UUID, queue_id: UUID) -> Queue | None:
        return self._table.get(tenant_id, queue_id)

    async def get_by_name(self, tenant_id: UUID, name: str) -> Queue | None:
        return self._table.first(tenant_id, lambda queue: queue.name == name)

    async def add(self, tenant_id: UUID, queue: Queue) -> None:
        self._table.insert(tenant_id, queue)

    async def update(self, tenant_id: UUID, queue: Queue) -> None:
        self._table.replace(tenant_id, queue)

    async def remove(self, tenant_id: UUID, queue_id: UUID) -> None:
        self._table.delete(tenant_id, queue_id)

    async def list_all(self, tenant_id: UUID) -> Sequence[Queue]:
        queues = self._table.select(tenant_id, lambda _: True)
        return sorted(queues, key=lambda queue: (queue.order_index, queue.name))

    async def lock_all(self, tenant_id: UUID) -> Sequence[Queue]:
        return await self.list_all(tenant_id)


class InMemoryContactRepository(ContactRepository):
    def __init__(self, store: InMemoryStore) -> None:
        self._store = store
        self._table = store.contacts

    async def get(self, tenant_id: UUID, contact_id: UUID) -> Contact | None:
        return self._table.get(tenant_id, contact_id)

    async def add(self, tenant_id: UUID, contact: Contact) -> None:
        self._table.insert(tenant_id, contact)

    async def update(self, tenant_id: UUID, contact: Contact) -> None:
        self._table.replace(tenant_id, contact)

    async def remove(self, tenant_id: UUID, contact_id: UUID) -> None:
        self._table.delete(tenant_id, contact_id)

    async def find_by_phone_identity(self, tenant_id: UUID, identity: str) -> Contact | None:
        return self._table.first(tenant_id, lambda contact: identity in contact.phone_identities)

    async def find_by_lid(self, tenant_id: UUID, lid: str) -> Contact | None:
        return self._table.first(tenant_id, lambda contact: lid in contact.lid_aliases)

    async def find_by_group_jid(self, tenant_id: UUID, group_jid: str) -> Contact | None:
        return self._table.first(tenant_id, lambda contact: contact.group_jid == group_jid)

    async def get_many(self, tenant_id: UUID, contact_ids: Sequence[UUID]) -> Sequence[Contact]:
        found = (self._table.get(tenant_id, each) for each in dict.fromkeys(contact_ids))
        return [contact for contact in found if contact is not None]

    async def list_page(
        self,
        tenant_id: UUID,
        filters: ContactFilter,
        *,
        cursor: str | None = None,
        limit: int = DEFAULT_PAGE_SIZE,
    ) -> Page[Contact]:
        rows = self._table.select(tenant_id, filters.matches)
        return _page(rows, lambda c: (_micros(c.updated_at), str(c.id)), cursor, limit)

    async def tag_counts(self, tenant_id: UUID) -> Sequence[TagCount]:
        contacts = self._table.select(tenant_id, lambda _: True)
        counts = Counter(tag for contact in contacts for tag in contact.tags)
        ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
        return [TagCount(tag, count) for tag, count in ranked]

    async def links(self, tenant_id: UUID, contact_ids: Sequence[UUID]) -> dict[UUID, ContactLinks]:
        wanted = set(contact_ids)
        tickets = self._store.tickets.select(
            tenant_id, lambda ticket: ticket.is_open and ticket.contact_id in wanted
        )
        open_tickets = Counter(ticket.contact_id for ticket in tickets)
        leads = self._store.leads.select(tenant_id, lambda lead: lead.contact_id in wanted)
        lead_ids = {lead.contact_id: lead.id for lead in leads}
        return {
            contact_id: ContactLinks(
                open_tickets=open_tickets[contact_id], lead_id=lead_ids.get(contact_id)
            )
            for contact_id in open_tickets.keys() | lead_ids.keys()
        }

    async def reassign_contact(self, tenant_id: UUID, source_id: UUID, target_id: UUID) -> None:
        if self._table.get(tenant_id, target_id) is None:
            raise NotFound(f"contact {target_id} does not exist")
        before = self._store.snapshot()
        try:
            for table in (self._store.tickets, self._store.messages, self._store.leads):
                _repoint(table, tenant_id, source_id, target_id)
        except DomainError:
            self._store.restore(before)
            raise


def _repoint(table: _Table[Any], tenant_id: UUID, source_id: UUID, target_id: UUID) -> None:
    """Give the source contact's rows of `table` (tickets, messages, leads) to the target."""
    for row in table.select(tenant_id, lambda row: row.contact_id == source_id):
        table.replace(tenant_id, replace(row, contact_id=target_id))


class InMemoryLeadRepository(LeadRepository):
    def __init__(self, store: InMemoryStore) -> None:
        self._table = store.leads
        self._activities = store.lead_activities

    async def get(self, tenant_id: UUID, lead_id: UUID) -> Lead | None:
        return self._table.get(tenant_id, lead_id)

    async def get_by_contact(self, tenant_id: UUID, contact_id: UUID) -> Lead | None:
        return self._table.first(tenant_id, lambda lead: lead.contact_id == contact_id)

    async def add(self, tenant_id: UUID, lead: Lead) -> None:
        self._table.insert(tenant_id, lead)

    async def update(self, tenant_id: UUID, lead: Lead) -> None:
        self._table.replace(tenant_id, lead)

    async def list_page(
        self,
        tenant_id: UUID,
        *,
        statuses: frozenset[LeadStatus] = frozenset(),
        cursor: str | None = None,
        limit: int = DEFAULT_PAGE_SIZE,
    ) -> Page[Lead]:
        rows = self._table.select(tenant_id, lambda lead: not statuses or lead.status in statuses)
        return _page(rows, lambda lead: (_micros(lead.updated_at), str(lead.id)), cursor, limit)

    async def fold_into(self, tenant_id: UUID, source_id: UUID, target_id: UUID) -> None:
        if source_id == target_id:
            raise ValidationFailed("a lead cannot be folded into itself")
        for lead_id in (source_id, target_id):
            if self._table.get(tenant_id, lead_id) is None:
                raise NotFound(f"lead {lead_id} does not exist")
        for activity in self._activities.select(tenant_id, lambda a: a.lead_id == source_id):
            self._activities.replace(tenant_id, replace(activity, lead_id=target_id))
        self._table.delete(tenant_id, source_id)

    async def add_activity(self, tenant_id: UUID, activity: LeadActivity) -> None:
        if self._table.get(tenant_id, activity.lead_id) is None:
            raise NotFound(f"lead {activity.lead_id} does not exist")
        self._activities.insert(tenant_id, activity)

    async def list_activities(
        self,
        tenant_id: UUID,
        lead_id: UUID,
        *,
        cursor: str | None = None,
        limit: int = DEFAULT_PAGE_SIZE,
    ) -> Page[LeadActivity]:
        activities = self._activities.select(tenant_id, lambda a: a.lead_id == lead_id)
        return _page(
            activities,
            lambda a: (_micros(a.occurred_at), str(a.id)),
            cursor,
            limit,
            oldest_first=True,
        )


class InMemoryTicketRepository(TicketRepository):
    def __init__(self, store: InMemoryStore) -> None:
        self._table = store.tickets
        self._notes = store.ticket_notes
        self._contacts = store.contacts

    async def get(self, tenant_id: UUID, ticket_id: UUID) -> Ticket | None:
        return self._table.get(tenant_id, ticket_id)

    async def add(self, tenant_id: UUID, ticket: Ticket) -> None:
        self._table.insert(tenant_id, ticket)

    async def update(self, tenant_id: UUID, ticket: Ticket) -> None:
        self._table.replace(tenant_id, ticket)

    async def find_open(
        self, tenant_id: UUID, contact_id: UUID, instance_id: UUID | None
    ) -> Ticket | None:
        return self._table.first(
            tenant_id,
            lambda t: t.is_open and t.contact_id == contact_id and t.instance_id == instance_id,
        )

    async def list_page(
        self,
        tenant_id: UUID,
        filters: TicketFilter,
        *,
        cursor: str | None = None,
        limit: int = DEFAULT_PAGE_SIZE,
    ) -> Page[Ticket]:
        def matches(ticket: Ticket) -> bool:
            return filters.matches(ticket, self._contacts.get(tenant_id, ticket.contact_id))

        rows = self._table.select(tenant_id, matches)
        return _page(rows, lambda t: (_micros(t.last_activity_at), str(t.id)), cursor, limit)

    async def add_note(self, tenant_id: UUID, note: TicketNote) -> None:
        if self._table.get(tenant_id, note.ticket_id) is None:
            raise NotFound(f"ticket {note.ticket_id} does not exist")
        self._notes.insert(tenant_id, note)

    async def list_notes(
        self,
        tenant_id: UUID,
        ticket_id: UUID,
        *,
        cursor: str | None = None,
        limit: int = DEFAULT_PAGE_SIZE,
    ) -> Page[TicketNote]:
        notes = self._notes.select(tenant_id, lambda note: note.ticket_id == ticket_id)
        return _page(
            notes,
            lambda note: (_micros(note.created_at), str(note.id)),
            cursor,
            limit,
            oldest_first=True,
        )


class InMemoryMessageRepository(MessageRepository):
    def __init__(self, store: InMemoryStore) -> None:
        self._table = store.messages

    async def get(self, tenant_id: UUID, message_id: UUID) -> Message | None:
        return self._table.get(tenant_id, message_id)

    async def add(self, tenant_id: UUID, message: Message) -> None:
        self._table.insert(tenant_id, message)

    async def update(self, tenant_id: UUID, message: Message) -> None:
        self._table.replace(tenant_id, message)

    async def find_by_provider_id(
        self, tenant_id: UUID, instance_id: UUID | None, provider_message_id: str
    ) -> Message | None:
        return self._table.first(
            tenant_id,
            lambda m: m.instance_id == instance_id and m.provider_message_id == provider_message_id,
        )

    async def find_by_idempotency_key(self, tenant_id: UUID, key: str) -> Message | None:
        return self._table.first(tenant_id, lambda message: message.idempotency_key == key)

    async def list_page(
        self,
        tenant_id: UUID,
        ticket_id: UUID,
        *,
        cursor: str | None = None,
        limit: int = DEFAULT_PAGE_SIZE,
        oldest_first: bool = False,
    ) -> Page[Message]:
        rows = self._table.select(tenant_id, lambda message: message.ticket_id == ticket_id)
        return _page(
            rows,
            lambda m: (_micros(m.occurred_at), str(m.id)),
            cursor,
            limit,
            oldest_first=oldest_first,
        )


class InMemoryInstanceRepository(InstanceRepository):
    def __init__(self, store: InMemoryStore) -> None:
        self._table = store.instances

    async def get(self, tenant_id: UUID, instance_id: UUID) -> WhatsAppInstance | None:
        return self._table.get(tenant_id, instance_id)

    async def route_by_broker_id(self, broker_id: str) -> WhatsAppInstance | None:
        return self._table.first(None, lambda instance: instance.broker_id == broker_id)

    async def add(self, tenant_id: UUID, instance: WhatsAppInstance) -> None:
        self._table.insert(tenant_id, instance)

    async def update(self, tenant_id: UUID, instance: WhatsAppInstance) -> None:
        self._table.replace(tenant_id, instance)

    async def list_all(
        self, tenant_id: UUID, *, include_deleted: bool = False
    ) -> Sequence[WhatsAppInstance]:
        instances = self._table.select(tenant_id, lambda i: include_deleted or not i.is_deleted)
        return sorted(instances, key=lambda instance: (instance.created_at, instance.id))


class InMemoryApiKeyRepository(ApiKeyRepository):
    def __init__(self, store: InMemoryStore) -> None:
        self._table = store.api_keys

    async def get(self, tenant_id: UUID, key_id: UUID) -> ApiKey | None:
        return self._table.get(tenant_id, key_id)

    async def find_by_prefix(self, prefix: str) -> ApiKey | None:
        return self._table.first(None, lambda key: key.prefix == prefix)

    async def add(self, tenant_id: UUID, key: ApiKey) -> None:
        self._table.insert(tenant_id, key)

    async def update(self, tenant_id: UUID, key: ApiKey) -> None:
        self._table.replace(tenant_id, key)

    async def list_active(self, tenant_id: UUID) -> Sequence[ApiKey]:
        keys = self._table.select(tenant_id, lambda key: not key.is_revoked)
        return sorted(keys, key=lambda key: (key.created_at, key.id), reverse=True)


class InMemoryUnitOfWork(UnitOfWork):
    """Share one `InMemoryStore` between units of work to see each other's commits.

    A rollback restores the store as this unit last saw it committed, so run the units that
    share a store one after another, not interleaved.
    """

    def __init__(self, store: InMemoryStore | None = None) -> None:
        self.store = store or InMemoryStore()
        self._tenants = InMemoryTenantRepository(self.store)
        self._users = InMemoryUserRepository(self.store)
        self._queues = InMemoryQueueRepository(self.store)
        self._contacts = InMemoryContactRepository(self.store)
        self._leads = InMemoryLeadRepository(self.store)
        self._tickets = InMemoryTicketRepository(self.store)
        self._messages = InMemoryMessageRepository(self.store)
        self._instances = InMemoryInstanceRepository(self.store)
        self._api_keys = InMemoryApiKeyRepository(self.store)
        self._committed_state = self.store.snapshot()
        self._recorded: list[DomainEvent] = []
        self._committed_events: list[DomainEvent] = []
        self.commits = 0

    @property
    def tenants(self) -> InMemoryTenantRepository:
        return self._tenants

    @property
    def users(self) -> InMemoryUserRepository:
        return self._users

    @property
    def queues(self) -> InMemoryQueueRepository:
        return self._queues

    @property
    def contacts(self) -> InMemoryContactRepository:
        return self._contacts

    @property
    def leads(self) -> InMemoryLeadRepository:
        return self._leads

    @property
    def tickets(self) -> InMemoryTicketRepository:
        return self._tickets

    @property
    def messages(self) -> InMemoryMessageRepository:
        return self._messages

    @property
    def instances(self) -> InMemoryInstanceRepository:
        return self._instances

    @property
    def api_keys(self) -> InMemoryApiKeyRepository:
        return self._api_keys

    async def __aenter__(self) -> Self:
        self._committed_state = self.store.snapshot()
        self._recorded.clear()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.rollback()

    async def commit(self) -> None:
        self._committed_state = self.store.snapshot()
        self._committed_events.extend(self._recorded)
        self._recorded.clear()
        self.commits += 1

    async def rollback(self) -> None:
        """Undo every write since the last commit (a no-op right after one)."""
        self.store.restore(self._committed_state)
        self._recorded.clear()

    def record(self, *events: DomainEvent) -> None:
        self._recorded.extend(events)

    def collect_events(self) -> list[DomainEvent]:
        events, self._committed_events = self._committed_events, []
        return events


@dataclass(slots=True)
class EntityFactory:
    """Valid entities with plain defaults for one tenant; pass keyword overrides to vary them."""

    clock: FixedClock = field(default_factory=FixedClock)
    ids: SequentialIds = field(default_factory=SequentialIds)
    tenant_id: UUID = field(init=False)

    def __post_init__(self) -> None:
        self.tenant_id = self.ids.new_id()

    def for_tenant(self, tenant_id: UUID) -> EntityFactory:
        """A factory for another tenant sharing this one's clock and ids."""
        other = EntityFactory(clock=self.clock, ids=self.ids)
        other.tenant_id = tenant_id
        return other

    def tenant(self, **overrides: Any) -> Tenant:
        now = self.clock.now()
        slug = f"tenant-{self.tenant_id.hex}"
        base = Tenant(id=self.tenant_id, name=slug, slug=slug, created_at=now, updated_at=now)
        return replace(base, **overrides)

    def user(self, **overrides: Any) -> User:
        now, user_id = self.clock.now(), self.ids.new_id()
        base = User(
            tenant_id=self.tenant_id,
            id=user_id,
            email=f"user-{user_id.hex}@example.com",
            name="Agent",
            password_hash=_NO_LOGIN_HASH,
            created_at=now,
            updated_at=now,
        )
        return replace(base, **overrides)

    def queue(self, **overrides: Any) -> Queue:
        now, queue_id = self.clock.now(), self.ids.new_id()
        base = Queue(
            tenant_id=self.tenant_id,
            id=queue_id,
            name=f"Queue {queue_id.hex}",
            created_at=now,
            updated_at=now,
        )
        return replace(base, **overrides)

    def contact(self, **overrides: Any) -> Contact:
        now = self.clock.now()
        base = Contact(
            tenant_id=self.tenant_id, id=self.ids.new_id(), created_at=now, updated_at=now
        )
        return replace(base, **overrides)

    def lead(self, contact_id: UUID, **overrides: Any) -> Lead:
        now = self.clock.now()
        base = Lead(
            tenant_id=self.tenant_id,
            id=self.ids.new_id(),
            contact_id=contact_id,
            source=LeadSource.WHATSAPP,
            created_at=now,
            updated_at=now,
        )
        return replace(base, **overrides)

    def instance(self, **overrides: Any) -> WhatsAppInstance:
        now, instance_id = self.clock.now(), self.ids.new_id()
        base = WhatsAppInstance(
            tenant_id=self.tenant_id,
            id=instance_id,
            broker_id=f"session-{instance_id.hex}",
            name="Main number",
            created_at=now,
            updated_at=now,
        )
        return replace(base, **overrides)

    def api_key(self, token: ApiKeyToken | None = None, **overrides: Any) -> ApiKey:
        """A key matching `token` (a new one when omitted); keep the token to authenticate."""
        now, token = self.clock.now(), token or ApiKeyToken.generate()
        base = ApiKey(
            tenant_id=self.tenant_id,
            id=self.ids.new_id(),
            name="Integration",
            role=Role.AGENT,
            prefix=token.prefix,
            secret_hash=token.secret_hash,
            created_at=now,
            updated_at=now,
        )
        return replace(base, **overrides)

    def ticket(self, contact_id: UUID, queue_id: UUID, **overrides: Any) -> Ticket:
        now = self.clock.now()
        base = Ticket(
            tenant_id=self.tenant_id,
            id=self.ids.new_id(),
            contact_id=contact_id,
            queue_id=queue_id,
            created_at=now,
            updated_at=now,
        )
        return replace(base, **overrides)

    def message(self, ticket: Ticket, **overrides: Any) -> Message:
        now = self.clock.now()
        base = Message(
            tenant_id=ticket.tenant_id,
            id=self.ids.new_id(),
            ticket_id=ticket.id,
            contact_id=ticket.contact_id,
            instance_id=ticket.instance_id,
            direction=Direction.INBOUND,
            origin=MessageOrigin.BROKER,
            text="Olá",
            occurred_at=now,
            created_at=now,
            updated_at=now,
        )
        return replace(base, **overrides)
