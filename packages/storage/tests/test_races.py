"""Insert races on real concurrent PostgreSQL connections, one unit of work per racer.

`wait_after_first_call` holds every racer after its lookup until all 20 have looked and found
nothing, so all 20 insert and the unique indexes must settle it: one insert wins, the other 19
get the domain error, read the winner through the `find_or_add` helpers, keep using their unit
of work (the SAVEPOINT kept it usable) and commit.
"""

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar
from uuid import UUID

import pytest
from leadengine_core.contacts import Contact, ContactFilter
from leadengine_core.messages import Message
from leadengine_core.phone import phone_identity
from leadengine_core.tickets import Ticket, TicketFilter, TicketStatus
from leadengine_storage.find_or_add import (
    find_or_add_contact,
    find_or_add_message,
    find_or_open_ticket,
)
from leadengine_storage.testing import NewUnitOfWork, SeededTenant, wait_after_first_call
from leadengine_storage.unit_of_work import SqlUnitOfWork

pytestmark = pytest.mark.postgres

RACERS = 20
E = TypeVar("E", Ticket, Message, Contact)


@pytest.fixture
def database_url(postgres_database_url: str) -> str:
    """Only PostgreSQL: SQLite runs one writing transaction at a time (BEGIN IMMEDIATE)."""
    return postgres_database_url


async def _race(
    new_uow: NewUnitOfWork,
    attempt: Callable[[SqlUnitOfWork, asyncio.Barrier, int], Awaitable[tuple[E, bool]]],
) -> list[tuple[E, bool]]:
    barrier = asyncio.Barrier(RACERS)

    async def racer(number: int) -> tuple[E, bool]:
        async with new_uow() as uow:
            stored, added = await attempt(uow, barrier, number)
            await uow.commit()
        return stored, added

    async with asyncio.timeout(60):  # a stuck racer fails the test instead of hanging it
        return await asyncio.gather(*(racer(number) for number in range(RACERS)))


async def test_twenty_openers_leave_one_open_ticket(
    new_uow: NewUnitOfWork, tenant_a: SeededTenant
) -> None:
    f = tenant_a.factory
    messages: list[UUID] = []

    async def open_and_write(
        uow: SqlUnitOfWork, barrier: asyncio.Barrier, _: int
    ) -> tuple[Ticket, bool]:
        candidate = tenant_a.ticket()
        tickets = wait_after_first_call(uow.tickets, "find_open", barrier)
        ticket, opened = await find_or_open_ticket(tickets, tenant_a.id, candidate)
        message = f.message(ticket)
        await uow.messages.add(tenant_a.id, message)
        messages.append(message.id)
        return ticket, opened

    results = await _race(new_uow, open_and_write)

    assert sum(opened for _, opened in results) == 1
    assert len({ticket.id for ticket, _ in results}) == 1
    async with new_uow() as uow:
        open_tickets = await uow.tickets.list_page(
            tenant_a.id,
            TicketFilter(
                contact_id=tenant_a.contact.id,
                statuses=frozenset(
                    {TicketStatus.OPEN, TicketStatus.PENDING, TicketStatus.ASSIGNED}
                ),
            ),
        )
        thread = await uow.messages.list_page(tenant_a.id, results[0][0].id, limit=RACERS + 1)
    assert [ticket.id for ticket in open_tickets.items] == [results[0][0].id]
    assert sorted(message.id for message in thread.items) == sorted(messages)


async def test_twenty_copies_of_a_provider_message_leave_one_row(
    new_uow: NewUnitOfWork, tenant_a: SeededTenant
) -> None:
    f = tenant_a.factory
    ticket = tenant_a.ticket()
    async with new_uow() as uow:
        await uow.tickets.add(tenant_a.id, ticket)
        await uow.commit()

    async def insert_copy(
        uow: SqlUnitOfWork, barrier: asyncio.Barrier, _: int
    ) -> tuple[Message, bool]:
        copy = f.message(ticket, provider_message_id="3EB0RACE")
        repository = wait_after_first_call(uow.messages, "find_by_provider_id", barrier)
        return await find_or_add_message(repository, tenant_a.id, copy)

    results = await _race(new_uow, insert_copy)

    assert sum(added for _, added in results) == 1
    assert len({message.id for message, _ in results}) == 1
    async with new_uow() as uow:
        thread = await uow.messages.list_page(tenant_a.id, ticket.id)
    assert [message.id for message in thread.items] == [results[0][0].id]


async def test_twenty_creators_of_one_person_leave_one_contact_whichever_spelling_they_saw(
    new_uow: NewUnitOfWork, tenant_a: SeededTenant
) -> None:
    f = tenant_a.factory
    spellings = ["+5521987654321", "+552187654321"]  # with and without the 9th digit

    async def create(
        uow: SqlUnitOfWork, barrier: asyncio.Barrier, number: int
    ) -> tuple[Contact, bool]:
        candidate = f.contact()
        candidate.learn_phone(spellings[number % 2])
        repository = wait_after_first_call(uow.contacts, "find_by_phone_identity", barrier)
        return await find_or_add_contact(repository, tenant_a.id, candidate)

    results = await _race(new_uow, create)

    assert sum(added for _, added in results) == 1
    [winner_id] = {contact.id for contact, _ in results}
    async with new_uow() as uow:
        found = [
            await uow.contacts.find_by_phone_identity(tenant_a.id, phone_identity(spelling))
            for spelling in spellings
        ]
        everyone = await uow.contacts.list_page(tenant_a.id, ContactFilter(search="87654321"))
    assert [contact.id if contact else None for contact in found] == [winner_id, winner_id]
    assert [contact.id for contact in everyone.items] == [winner_id]
