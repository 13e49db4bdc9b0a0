"""The user list pages newest first on its index; the locks behind the last-admin and
last-queue rules.

The lock tests hold a lock in one unit of work and check that a second one waits for it and
then sees what the first committed; on SQLite the second waits at BEGIN IMMEDIATE instead, so
they run on PostgreSQL only, where the row locks are what does it.
"""

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

import pytest
from leadengine_core.users import Role
from leadengine_storage.testing import (
    NewUnitOfWork,
    SeededTenant,
    capture_queries,
    query_plan,
    store_committed,
)
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

T = TypeVar("T")


async def test_users_page_newest_first_and_filter_on_activity(
    new_uow: NewUnitOfWork, tenant_a: SeededTenant, tenant_b: SeededTenant
) -> None:
    f = tenant_a.factory
    users = []
    for number in range(5):
        f.clock.advance()
        users.append(f.user(name=f"User {number}", is_active=number != 2))
    await store_committed(new_uow, *users, tenant_b.factory.user())
    newest_first = users[::-1]

    async with new_uow() as uow:
        first = await uow.users.list_page(tenant_a.id, limit=2)
        second = await uow.users.list_page(tenant_a.id, cursor=first.next_cursor, limit=2)
        third = await uow.users.list_page(tenant_a.id, cursor=second.next_cursor, limit=2)
        back = await uow.users.list_page(tenant_a.id, cursor=second.prev_cursor, limit=2)
        active = await uow.users.list_page(tenant_a.id, is_active=True)
        inactive = await uow.users.list_page(tenant_a.id, is_active=False)

    assert [*first.items, *second.items, *third.items] == newest_first
    assert first.prev_cursor is None
    assert third.next_cursor is None
    assert back.items == first.items
    assert active.items == tuple(user for user in newest_first if user.is_active)
    assert inactive.items == (users[2],)


async def test_a_users_page_reads_its_index_in_order(
    engine: AsyncEngine, new_uow: NewUnitOfWork, tenant_a: SeededTenant
) -> None:
    await store_committed(new_uow, *(tenant_a.factory.user() for _ in range(5)))
    async with new_uow() as uow:
        with capture_queries(engine) as queries:
            first = await uow.users.list_page(tenant_a.id, limit=2)
            await uow.users.list_page(
                tenant_a.id, is_active=True, cursor=first.next_cursor, limit=2
            )

    pages = [(sql, parameters) for sql, parameters in queries if "LIMIT" in sql]
    assert len(pages) == 3, "2 pages and the second's 'is there a row before?' probe"
    async with engine.connect() as connection:
        for sql, parameters in pages:
            plan = await query_plan(connection, sql, parameters)
            assert "ix_users_tenant_created" in plan.indexes, (sql, plan)
            assert not plan.sorts, (sql, plan)


async def _blocked_on_a_lock(engine: AsyncEngine) -> None:
    """Returns once some session of this database waits for a row lock."""
    waiting = text(
        "SELECT count(*) FROM pg_stat_activity "
        "WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    async with asyncio.timeout(30):
        while True:
            async with engine.connect() as connection:
                if await connection.scalar(waiting):
                    return
            await asyncio.sleep(0.01)


async def _second_waits_for_first(
    engine: AsyncEngine, second: Awaitable[T], commit_first: Callable[[], Awaitable[None]]
) -> T:
    task = asyncio.ensure_future(second)
    await _blocked_on_a_lock(engine)
    assert not task.done()
    await commit_first()
    async with asyncio.timeout(30):
        return await task


@pytest.mark.postgres
async def test_locked_admins_make_a_second_change_see_the_first(
    database_url: str, engine: AsyncEngine, new_uow: NewUnitOfWork, tenant_a: SeededTenant
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite serialises writers at BEGIN IMMEDIATE")
    ana, bia = (tenant_a.factory.user(role=Role.ADMIN) for _ in range(2))
    await store_committed(
        new_uow, ana, bia, tenant_a.factory.user(role=Role.ADMIN, is_active=False)
    )

    async def locked_admin_ids() -> set[object]:
        async with new_uow() as uow:
            return {admin.id for admin in await uow.users.lock_active_admins(tenant_a.id)}

    async with new_uow() as first:
        assert {a.id for a in await first.users.lock_active_admins(tenant_a.id)} == {ana.id, bia.id}
        ana.role = Role.AGENT
        await first.users.update(tenant_a.id, ana)
        seen = await _second_waits_for_first(engine, locked_admin_ids(), first.commit)

    assert seen == {bia.id}


@pytest.mark.postgres
async def test_locked_queues_make_a_second_delete_see_the_first(
    database_url: str, engine: AsyncEngine, new_uow: NewUnitOfWork, tenant_a: SeededTenant
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite serialises writers at BEGIN IMMEDIATE")
    other = tenant_a.factory.queue()
    await store_committed(new_uow, other)

    async def locked_queue_ids() -> set[object]:
        async with new_uow() as uow:
            return {queue.id for queue in await uow.queues.lock_all(tenant_a.id)}

    async with new_uow() as first:
        assert len(await first.queues.lock_all(tenant_a.id)) == 2
        await first.queues.remove(tenant_a.id, other.id)
        seen = await _second_waits_for_first(engine, locked_queue_ids(), first.commit)

    assert seen == {tenant_a.queue.id}
