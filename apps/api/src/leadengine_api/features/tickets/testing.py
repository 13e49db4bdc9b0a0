"""Test helpers for the ticket routes (ours and other teams').

Rows that no API creates yet, or not in the shape a test needs (contacts, WhatsApp instances,
users of each role, queues, messages), are written straight through the storage unit of work
into the database the served app uses; everything else goes through HTTP.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import httpx
from leadengine_core.contacts import Contact
from leadengine_core.instances import WhatsAppInstance
from leadengine_core.messages import Message
from leadengine_core.queues import Queue
from leadengine_core.testing import EntityFactory, FixedClock
from leadengine_core.users import Role
from leadengine_storage.engine import create_engine
from leadengine_storage.testing import store
from leadengine_storage.unit_of_work import SqlUnitOfWork
from sqlalchemy.ext.asyncio import AsyncEngine

from leadengine_api.auth.passwords import hash_password
from leadengine_api.testing import TEST_PASSWORD, Account

__all__ = ["Seeder", "open_ticket", "seeder"]

SEEDED_AT = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)


@dataclass
class Seeder:
    """Writes rows for the tenants of registered `Account`s."""

    api: httpx.AsyncClient
    engine: AsyncEngine
    factory: EntityFactory = field(default_factory=lambda: EntityFactory(FixedClock(SEEDED_AT)))

    def of(self, account: Account) -> EntityFactory:
        return self.factory.for_tenant(UUID(account.tenant_id))

    async def store(self, *entities: Any) -> None:
        async with SqlUnitOfWork(self.engine) as uow:
            await store(uow, *entities)
            await uow.commit()

    async def contact(self, account: Account, **overrides: Any) -> Contact:
        contact = self.of(account).contact(**overrides)
        await self.store(contact)
        return contact

    async def instance(self, account: Account, **overrides: Any) -> WhatsAppInstance:
        instance = self.of(account).instance(**overrides)
        await self.store(instance)
        return instance

    async def queue(self, account: Account, **overrides: Any) -> Queue:
        queue = self.of(account).queue(**overrides)
        await self.store(queue)
        return queue

    async def queue_named(self, account: Account, name: str) -> Queue:
        async with SqlUnitOfWork(self.engine) as uow:
            queue = await uow.queues.get_by_name(UUID(account.tenant_id), name)
        assert queue is not None, f"no queue {name!r} in tenant {account.tenant_id}"
        return queue

    async def user(self, account: Account, role: Role, *, is_active: bool = True) -> Account:
        """A user of the account's tenant with `role`; an active one comes back signed in."""
        user = self.of(account).user(
            role=role, is_active=is_active, password_hash=hash_password(TEST_PASSWORD)
        )
        await self.store(user)
        token = ""
        if is_active:
            login = await self.api.post(
                "/api/auth/login",
                json={
                    "email": user.email,
                    "password": TEST_PASSWORD,
                    "tenantSlug": account.tenant_slug,
                },
            )
            login.raise_for_status()
            token = login.json()["accessToken"]
        return Account(
            tenant_id=account.tenant_id,
            tenant_slug=account.tenant_slug,
            user_id=str(user.id),
            email=user.email,
            password=TEST_PASSWORD,
            access_token=token,
        )

    async def messages(
        self, account: Account, ticket_id: str, times: Sequence[datetime], **overrides: Any
    ) -> list[Message]:
        """Messages on the ticket at each WhatsApp time, recorded on the ticket as the inbound
        pipeline does (last message, preview, unread count)."""
        tenant_id = UUID(account.tenant_id)
        async with SqlUnitOfWork(self.engine) as uow:
            ticket = await uow.tickets.get(tenant_id, UUID(ticket_id))
            assert ticket is not None, f"no ticket {ticket_id} in tenant {tenant_id}"
            messages = [
                self.of(account).message(ticket, occurred_at=at, **overrides) for at in times
            ]
            for message in messages:
                await uow.messages.add(tenant_id, message)
                ticket.record_message(message.direction, message.text, message.occurred_at)
            await uow.tickets.update(tenant_id, ticket)
            await uow.commit()
        return messages


@asynccontextmanager
async def seeder(api: httpx.AsyncClient, database_url: str) -> AsyncIterator[Seeder]:
    engine = create_engine(database_url)
    try:
        yield Seeder(api, engine)
    finally:
        await engine.dispose()


async def open_ticket(
    api: httpx.AsyncClient, account: Account, contact_id: UUID, **body: Any
) -> dict[str, Any]:
    """POST /api/tickets for `contact_id`; the created ticket's JSON."""
    created = await api.post(
        "/api/tickets", json={"contactId": str(contact_id), **body}, headers=account.headers
    )
    assert created.status_code == 201, created.text
    ticket: dict[str, Any] = created.json()
    return ticket
