"""The unit of work: one transaction per `async with`; commit, rollback and committed events."""

import asyncio

import pytest
from leadengine_core.events import TicketCreated, TicketUpdated
from leadengine_core.messages import Message
from leadengine_storage.find_or_add import find_or_add_message
from leadengine_storage.testing import NewUnitOfWork, SeededTenant, store, store_committed


class Boom(Exception):
    pass


async def test_leaving_without_commit_rolls_back(
    new_uow: NewUnitOfWork, tenant_a: SeededTenant
) -> None:
    ticket = tenant_a.factory.ticket(tenant_a.contact.id, tenant_a.queue.id)
    async with new_uow() as uow:
        await uow.tickets.add(tenant_a.id, ticket)
        assert await uow.tickets.get(tenant_a.id, ticket.id) == ticket

    async with new_uow() as uow:
        assert await uow.tickets.get(tenant_a.id, ticket.id) is None


async def test_an_error_rolls_back_and_propagates(
    new_uow: NewUnitOfWork, tenant_a: SeededTenant
) -> None:
    queue = tenant_a.factory.queue()

    async def add_then_fail() -> None:
        async with new_uow() as uow:
            await uow.queues.add(tenant_a.id, queue)
            raise Boom

    with pytest.raises(Boom):
        await add_then_fail()

    async with new_uow() as uow:
        assert await uow.queues.get(tenant_a.id, queue.id) is None


async def test_commit_keeps_earlier_work_and_later_work_needs_its_own_commit(
    new_uow: NewUnitOfWork, tenant_a: SeededTenant
) -> None:
    kept, discarded, dropped = (tenant_a.factory.queue() for _ in range(3))
    async with new_uow() as uow:
        await uow.queues.add(tenant_a.id, kept)
        await uow.commit()
        await uow.queues.add(tenant_a.id, discarded)
        await uow.rollback()
        await uow.queues.add(tenant_a.id, dropped)

    async with new_uow() as uow:
        assert await uow.queues.get(tenant_a.id, kept.id) == kept
        assert await uow.queues.get(tenant_a.id, discarded.id) is None
        assert await uow.queues.get(tenant_a.id, dropped.id) is None


async def test_events_are_collected_once_in_order_and_only_after_commit(
    new_uow: NewUnitOfWork, tenant_a: SeededTenant
) -> None:
    f = tenant_a.factory
    ticket = f.ticket(tenant_a.contact.id, tenant_a.queue.id)
    created = TicketCreated(occurred_at=f.clock.now(), ticket=ticket)
    updated = TicketUpdated(occurred_at=f.clock.now(), ticket=ticket)
    rolled_back = TicketUpdated(occurred_at=f.clock.now(), ticket=ticket, changes=frozenset({"x"}))
    uow = new_uow()
    async with uow:
        await store(uow, ticket)
        uow.record(created)
        uow.record(updated)
        assert uow.collect_events() == []
        await uow.commit()
        uow.record(rolled_back)
        await uow.rollback()

    assert uow.collect_events() == [created, updated]
    assert uow.collect_events() == []


async def test_events_recorded_without_a_commit_are_dropped(
    new_uow: NewUnitOfWork, tenant_a: SeededTenant
) -> None:
    f = tenant_a.factory
    ticket = f.ticket(tenant_a.contact.id, tenant_a.queue.id)
    forgotten = TicketCreated(occurred_at=f.clock.now(), ticket=ticket)
    kept = TicketUpdated(occurred_at=f.clock.now(), ticket=ticket)
    uow = new_uow()
    async with uow:
        uow.record(forgotten)
    async with uow:
        uow.record(kept)
        await uow.commit()

    assert uow.collect_events() == [kept]


async def test_a_unit_of_work_is_reusable_but_not_reentrant(
    new_uow: NewUnitOfWork, tenant_a: SeededTenant
) -> None:
    uow = new_uow()
    with pytest.raises(RuntimeError):
        _ = uow.tickets
    async with uow:
        with pytest.raises(RuntimeError):
            await uow.__aenter__()
    async with uow:
        assert await uow.tenants.get(tenant_a.id) == tenant_a.tenant
    with pytest.raises(RuntimeError):
        await uow.commit()


async def test_concurrent_units_of_work_wait_for_each_other_instead_of_failing(
    new_uow: NewUnitOfWork, tenant_a: SeededTenant
) -> None:
    """On SQLite each one takes the write lock at BEGIN, so none fails with "database is
    locked" halfway; on PostgreSQL they run side by side. Either way one row results."""
    f = tenant_a.factory
    ticket = tenant_a.ticket()
    await store_committed(new_uow, ticket)

    async def deliver() -> tuple[Message, bool]:
        async with new_uow() as uow:
            copy = f.message(ticket, provider_message_id="3EB0SAME")
            stored = await find_or_add_message(uow.messages, tenant_a.id, copy)
            await uow.commit()
        return stored

    results = await asyncio.gather(*(deliver() for _ in range(20)))

    assert sum(added for _, added in results) == 1
    assert len({message.id for message, _ in results}) == 1
