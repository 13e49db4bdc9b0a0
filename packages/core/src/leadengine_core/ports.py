"""What core needs from the outside world, as `Protocol`s; adapters live in other packages.

Tenant isolation is built into the signatures: every repository method takes `tenant_id` first
and only ever sees that tenant's rows, and a write of an entity owned by another tenant is
refused with `Forbidden`. The lookups that cannot know the tenant yet are named for it:
`TenantRepository.get_by_slug` (login picks the tenant by slug),
`InstanceRepository.route_by_broker_id` (a broker webhook names only its session) and
`ApiKeyRepository.find_by_prefix` (a machine client's token names only its key).

Conventions every implementation follows:
- `get`/`find_*` return None when nothing matches in that tenant; `update` of a missing row
  raises NotFound; a unique rule that a write would break raises Conflict (OpenTicketExists
  for the one-open-ticket rule).
- A read returns the stored state: changing a returned entity changes nothing until `update`.
- Pages list newest first on the named key, with `id` as the tie-breaker; their cursors are
  opaque and only valid for the same method and filter.
"""

from __future__ import annotations

from collections.abc import Awaitable, Sequence
from datetime import datetime
from types import TracebackType
from typing import Protocol, Self
from uuid import UUID

from leadengine_core.api_keys import ApiKey
from leadengine_core.contacts import Contact, ContactFilter, ContactLinks, TagCount
from leadengine_core.events import DomainEvent
from leadengine_core.instances import WhatsAppInstance
from leadengine_core.leads import Lead, LeadActivity, LeadStatus
from leadengine_core.messages import Message
from leadengine_core.pagination import Page
from leadengine_core.queues import Queue
from leadengine_core.tenants import Tenant
from leadengine_core.tickets import Ticket, TicketNote
from leadengine_core.tickets import TicketFilter as TicketFilter
from leadengine_core.users import Role, User

DEFAULT_PAGE_SIZE = 50


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware in UTC."""
        ...


class IdGenerator(Protocol):
    def new_id(self) -> UUID:
        """A new time-ordered id (UUIDv7), so fresh rows land at the end of their indexes."""
        ...


class EventPublisher(Protocol):
    def publish(self, events: Sequence[DomainEvent]) -> Awaitable[None]:
        """Deliver committed events (realtime fan-out and other listeners)."""
        ...


class TenantRepository(Protocol):
    async def get(self, tenant_id: UUID) -> Tenant | None: ...

    async def get_by_slug(self, slug: str) -> Tenant | None:
        """Unscoped by necessity: at login the slug is how the tenant is chosen."""
        ...

    async def add(self, tenant: Tenant) -> None: ...

    async def update(self, tenant: Tenant) -> None: ...


class UserRepository(Protocol):
    async def get(self, tenant_id: UUID, user_id: UUID) -> User | None: ...

    async def active_role(self, tenant_id: UUID, user_id: UUID) -> Role | None:
        """The user's role while both the user and the tenant are active, else None: what every
        request signed in as a user checks, in one read."""
        ...

    async def get_by_email(self, tenant_id: UUID, email: str) -> User | None:
        """`email` is compared in its normalised (lower-case) form."""
        ...

    async def add(self, tenant_id: UUID, user: User) -> None: ...

    async def update(self, tenant_id: UUID, user: User) -> None: ...

    async def list_all(self, tenant_id: UUID) -> Sequence[User]:
        """All users of the tenant, by name."""
        ...

    async def list_page(
        self,
        tenant_id: UUID,
        *,
        is_active: bool | None = None,
        cursor: str | None = None,
        limit: int = DEFAULT_PAGE_SIZE,
    ) -> Page[User]:
        """Newest `created_at` first (people waiting for activation on top); None = all."""
        ...

    async def lock_active_admins(self, tenant_id: UUID) -> Sequence[User]:
        """The active ADMINs, locked until the unit of work ends, so two admins demoting each
        other at once cannot both succeed and leave the tenant without one."""
        ...


class QueueRepository(Protocol):
    async def get(self, tenant_id: UUID, queue_id: UUID) -> Queue | None: ...

    async def get_by_name(self, tenant_id: UUID, name: str) -> Queue | None: ...

    async def add(self, tenant_id: UUID, queue: Queue) -> None: ...

    async def update(self, tenant_id: UUID, queue: Queue) -> None: ...

    async def remove(self, tenant_id: UUID, queue_id: UUID) -> None: ...

    async def list_all(self, tenant_id: UUID) -> Sequence[Queue]:
        """All queues of the tenant by (`order_index`, name): the first is the default."""
        ...

    async def lock_all(self, tenant_id: UUID) -> Sequence[Queue]:
        """`list_all`, locking the rows until the unit of work ends, for changes that depend
        on the whole set (two deletes racing must not remove the tenant's last queue)."""
        ...


class ApiKeyRepository(Protocol):
    async def get(self, tenant_id: UUID, key_id: UUID) -> ApiKey | None: ...

    async def find_by_prefix(self, prefix: str) -> ApiKey | None:
        """Unscoped by necessity: a bearer token names only its key, and the key found here is
        what decides the tenant. Revoked keys are returned too; the caller refuses them."""
        ...

    async def add(self, tenant_id: UUID, key: ApiKey) -> None:
        """Raises Conflict when the prefix is taken, by any tenant."""
        ...

    async def update(self, tenant_id: UUID, key: ApiKey) -> None: ...

    async def list_active(self, tenant_id: UUID) -> Sequence[ApiKey]:
        """The keys not revoked, newest first."""
        ...


class ContactRepository(Protocol):
    async def get(self, tenant_id: UUID, contact_id: UUID) -> Contact | None: ...

    async def add(self, tenant_id: UUID, contact: Contact) -> None: ...

    async def update(self, tenant_id: UUID, contact: Contact) -> None: ...

    async def remove(self, tenant_id: UUID, contact_id: UUID) -> None:
        """Delete a contact, e.g. the duplicate left over after a merge."""
        ...

    async def find_by_phone_identity(self, tenant_id: UUID, identity: str) -> Contact | None:
        """`identity` is a `phone.phone_identity` key."""
        ...

    async def find_by_lid(self, tenant_id: UUID, lid: str) -> Contact | None:
        """`lid` is a normalised `…@lid` JID."""
        ...

    async def find_by_group_jid(self, tenant_id: UUID, group_jid: str) -> Contact | None: ...

    async def get_many(self, tenant_id: UUID, contact_ids: Sequence[UUID]) -> Sequence[Contact]:
        """The tenant's contacts among `contact_ids`, in that order; the others are left out."""
        ...

    async def list_page(
        self,
        tenant_id: UUID,
        filters: ContactFilter,
        *,
        cursor: str | None = None,
        limit: int = DEFAULT_PAGE_SIZE,
    ) -> Page[Contact]:
        """Newest `updated_at` first, narrowed by `filters` (`ContactFilter.matches`)."""
        ...

    async def tag_counts(self, tenant_id: UUID) -> Sequence[TagCount]:
        """Every tag in use with its number of contacts, most used first, then by name."""
        ...

    async def links(self, tenant_id: UUID, contact_ids: Sequence[UUID]) -> dict[UUID, ContactLinks]:
        """Open tickets and lead of each contact; one with neither is left out."""
        ...

    async def reassign_contact(self, tenant_id: UUID, source_id: UUID, target_id: UUID) -> None:
        """Re-point the source contact's tickets (their notes follow), messages and lead to the
        target contact of the same tenant (NotFound otherwise). The caller frees the target's
        slots first: a clash with its lead or with its open ticket on the same instance raises
        Conflict, and nothing moves."""
        ...


class LeadRepository(Protocol):
    async def get(self, tenant_id: UUID, lead_id: UUID) -> Lead | None: ...

    async def get_by_contact(self, tenant_id: UUID, contact_id: UUID) -> Lead | None:
        """A contact has at most one lead."""
        ...

    async def add(self, tenant_id: UUID, lead: Lead) -> None: ...

    async def update(self, tenant_id: UUID, lead: Lead) -> None: ...

    async def list_page(
        self,
        tenant_id: UUID,
        *,
        statuses: frozenset[LeadStatus] = frozenset(),
        cursor: str | None = None,
        limit: int = DEFAULT_PAGE_SIZE,
    ) -> Page[Lead]:
        """Newest `updated_at` first; with `statuses`, only leads in one of them."""
        ...

    async def fold_into(self, tenant_id: UUID, source_id: UUID, target_id: UUID) -> None:
        """Move the source lead's activities to the target lead, then delete the source (both
        leads of this tenant, else NotFound): what a contact merge does with a second lead."""
        ...

    async def add_activity(self, tenant_id: UUID, activity: LeadActivity) -> None: ...

    async def list_activities(
        self,
        tenant_id: UUID,
        lead_id: UUID,
        *,
        cursor: str | None = None,
        limit: int = DEFAULT_PAGE_SIZE,
    ) -> Page[LeadActivity]:
        """The lead's history in the order it happened: oldest `occurred_at` first."""
        ...


class TicketRepository(Protocol):
    async def get(self, tenant_id: UUID, ticket_id: UUID) -> Ticket | None: ...

    async def add(self, tenant_id: UUID, ticket: Ticket) -> None:
        """Raises OpenTicketExists when an open ticket holds the (contact, instance) slot."""
        ...

    async def update(self, tenant_id: UUID, ticket: Ticket) -> None:
        """Raises OpenTicketExists when reopening would give the slot a second open ticket."""
        ...

    async def find_open(
        self, tenant_id: UUID, contact_id: UUID, instance_id: UUID | None
    ) -> Ticket | None: ...

    async def list_page(
        self,
        tenant_id: UUID,
        filters: TicketFilter,
        *,
        cursor: str | None = None,
        limit: int = DEFAULT_PAGE_SIZE,
    ) -> Page[Ticket]:
        """The inbox: newest `last_activity_at` first, narrowed by `filters` (a search also
        looks at each ticket's contact, as `TicketFilter.matches` does when given it)."""
        ...

    async def add_note(self, tenant_id: UUID, note: TicketNote) -> None: ...

    async def list_notes(
        self,
        tenant_id: UUID,
        ticket_id: UUID,
        *,
        cursor: str | None = None,
        limit: int = DEFAULT_PAGE_SIZE,
    ) -> Page[TicketNote]:
        """A ticket's notes in the order they were written: oldest `created_at` first."""
        ...


class MessageRepository(Protocol):
    async def get(self, tenant_id: UUID, message_id: UUID) -> Message | None: ...

    async def add(self, tenant_id: UUID, message: Message) -> None:
        """Raises Conflict when (instance, provider id) or the idempotency key is taken."""
        ...

    async def update(self, tenant_id: UUID, message: Message) -> None: ...

    async def find_by_provider_id(
        self, tenant_id: UUID, instance_id: UUID | None, provider_message_id: str
    ) -> Message | None:
        """Provider ids are per WhatsApp account, so the instance is part of the key."""
        ...

    async def find_by_idempotency_key(self, tenant_id: UUID, key: str) -> Message | None: ...

    async def list_page(
        self,
        tenant_id: UUID,
        ticket_id: UUID,
        *,
        cursor: str | None = None,
        limit: int = DEFAULT_PAGE_SIZE,
        oldest_first: bool = False,
    ) -> Page[Message]:
        """A ticket's thread by `occurred_at` (WhatsApp time), newest first unless
        `oldest_first`; a cursor only works in the order that issued it."""
        ...


class InstanceRepository(Protocol):
    async def get(self, tenant_id: UUID, instance_id: UUID) -> WhatsAppInstance | None: ...

    async def route_by_broker_id(self, broker_id: str) -> WhatsAppInstance | None:
        """The one lookup without a tenant: a broker webhook names only its session id, and
        the instance found here is what decides the tenant. Tombstones are returned too, so
        the caller can drop their events instead of recreating the instance."""
        ...

    async def add(self, tenant_id: UUID, instance: WhatsAppInstance) -> None:
        """Raises Conflict when the broker id is taken, by any tenant."""
        ...

    async def update(self, tenant_id: UUID, instance: WhatsAppInstance) -> None: ...

    async def list_all(
        self, tenant_id: UUID, *, include_deleted: bool = False
    ) -> Sequence[WhatsAppInstance]:
        """Oldest first."""
        ...


class UnitOfWork(Protocol):
    """One transaction: entry points open it, commit on success, roll back on error.

    Leaving the `async with` block without `commit()` rolls back. Services `record` events as
    they change entities; after a commit the entry point takes them with `collect_events` and
    publishes them. Events recorded before a rollback are dropped.
    """

    @property
    def tenants(self) -> TenantRepository: ...
    @property
    def users(self) -> UserRepository: ...
    @property
    def queues(self) -> QueueRepository: ...
    @property
    def contacts(self) -> ContactRepository: ...
    @property
    def leads(self) -> LeadRepository: ...
    @property
    def tickets(self) -> TicketRepository: ...
    @property
    def messages(self) -> MessageRepository: ...
    @property
    def instances(self) -> InstanceRepository: ...
    @property
    def api_keys(self) -> ApiKeyRepository: ...

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None: ...

    async def commit(self) -> None: ...

    async def rollback(self) -> None: ...

    def record(self, *events: DomainEvent) -> None: ...

    def collect_events(self) -> list[DomainEvent]:
        """Committed events not yet collected, in the order recorded; collecting empties it."""
        ...
