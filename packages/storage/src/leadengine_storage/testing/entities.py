"""Entities in the database for tests: `store` them through the repositories, or start from
a seeded tenant (`tenant_a`, `tenant_b`) that already has a queue, an instance and a contact."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
import pytest_asyncio
from leadengine_core.contacts import Contact
from leadengine_core.instances import WhatsAppInstance
from leadengine_core.leads import Lead, LeadActivity
from leadengine_core.messages import Message
from leadengine_core.ports import UnitOfWork
from leadengine_core.queues import Queue
from leadengine_core.tenants import Tenant
from leadengine_core.testing import EntityFactory
from leadengine_core.tickets import Ticket, TicketNote
from leadengine_core.users import User

from leadengine_storage.testing.databases import NewUnitOfWork

__all__ = [
    "SeededTenant",
    "assert_utc",
    "factory",
    "make_note",
    "seed_tenant",
    "store",
    "store_committed",
    "tenant_a",
    "tenant_b",
]


async def store(uow: UnitOfWork, *entities: object) -> None:
    """Add each entity through its repository, in the order given (parents first)."""
    for entity in entities:
        match entity:
            case Tenant():
                await uow.tenants.add(entity)
            case User():
                await uow.users.add(entity.tenant_id, entity)
            case Queue():
                await uow.queues.add(entity.tenant_id, entity)
            case Contact():
                await uow.contacts.add(entity.tenant_id, entity)
            case Lead():
                await uow.leads.add(entity.tenant_id, entity)
            case LeadActivity():
                await uow.leads.add_activity(entity.tenant_id, entity)
            case WhatsAppInstance():
                await uow.instances.add(entity.tenant_id, entity)
            case Ticket():
                await uow.tickets.add(entity.tenant_id, entity)
            case TicketNote():
                await uow.tickets.add_note(entity.tenant_id, entity)
            case Message():
                await uow.messages.add(entity.tenant_id, entity)
            case _:
                raise TypeError(f"no repository stores {type(entity).__name__}")


def assert_utc(*moments: datetime | None) -> None:
    """Every given time came back timezone-aware in UTC (SQLite stores them naive)."""
    for moment in moments:
        assert moment is not None
        assert moment.utcoffset() == timedelta(0), moment


def make_note(factory: EntityFactory, ticket: Ticket, **overrides: Any) -> TicketNote:
    """A note on `ticket` (core's EntityFactory has no notes), for `factory`'s tenant."""
    values: dict[str, Any] = {
        "tenant_id": factory.tenant_id,
        "id": factory.ids.new_id(),
        "ticket_id": ticket.id,
        "body": "Ligar amanhã",
        "created_at": factory.clock.now(),
    }
    return TicketNote(**(values | overrides))


async def store_committed(new_uow: Callable[[], UnitOfWork], *entities: object) -> None:
    """`store` in a unit of work of its own, committed."""
    async with new_uow() as uow:
        await store(uow, *entities)
        await uow.commit()


@dataclass(frozen=True, slots=True)
class SeededTenant:
    """A stored tenant with what most rows hang off: a queue, an instance and a contact."""

    factory: EntityFactory
    tenant: Tenant
    queue: Queue
    instance: WhatsAppInstance
    contact: Contact

    @property
    def id(self) -> UUID:
        return self.tenant.id

    def ticket(self, **overrides: Any) -> Ticket:
        """A new, unstored ticket of the seeded contact in the seeded queue and instance."""
        values: dict[str, Any] = {"instance_id": self.instance.id} | overrides
        return self.factory.ticket(self.contact.id, self.queue.id, **values)


async def seed_tenant(new_uow: Callable[[], UnitOfWork], factory: EntityFactory) -> SeededTenant:
    seeded = SeededTenant(
        factory=factory,
        tenant=factory.tenant(),
        queue=factory.queue(),
        instance=factory.instance(),
        contact=factory.contact(
            name="Maria Souza",
            primary_phone="+5531988887777",
            phone_identities={"+5531988887777"},
        ),
    )
    await store_committed(new_uow, seeded.tenant, seeded.queue, seeded.instance, seeded.contact)
    return seeded


@pytest.fixture
def factory() -> EntityFactory:
    return EntityFactory()


@pytest_asyncio.fixture
async def tenant_a(new_uow: NewUnitOfWork, factory: EntityFactory) -> SeededTenant:
    return await seed_tenant(new_uow, factory)


@pytest_asyncio.fixture
async def tenant_b(new_uow: NewUnitOfWork, factory: EntityFactory) -> SeededTenant:
    """A second tenant sharing `factory`'s clock and ids, for isolation tests."""
    return await seed_tenant(new_uow, factory.for_tenant(factory.ids.new_id()))
