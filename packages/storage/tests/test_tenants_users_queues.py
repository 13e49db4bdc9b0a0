"""Tenants, users and queues: round trips, lookups, unique rules and missing rows."""

from datetime import UTC, datetime, timedelta, timezone

import pytest
from leadengine_core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from leadengine_core.testing import EntityFactory
from leadengine_core.users import Role
from leadengine_storage.testing import NewUnitOfWork, SeededTenant, assert_utc, store_committed

SAO_PAULO = timezone(timedelta(hours=-3))


async def test_a_tenant_round_trips_with_its_settings(
    new_uow: NewUnitOfWork, factory: EntityFactory
) -> None:
    tenant = factory.tenant(
        name="Clínica São José",
        is_active=False,
        settings={"timezone": "America/Sao_Paulo", "limits": {"agents": 5}, "tags": ["vip"]},
        created_at=datetime(2025, 3, 4, 9, 30, 15, 123456, tzinfo=SAO_PAULO),
    )
    await store_committed(new_uow, tenant)

    async with new_uow() as uow:
        by_id = await uow.tenants.get(tenant.id)
        by_slug = await uow.tenants.get_by_slug(tenant.slug)

    assert by_id == tenant
    assert by_slug == tenant
    assert by_id is not None
    assert_utc(by_id.created_at, by_id.updated_at)


async def test_unknown_tenants_are_none(new_uow: NewUnitOfWork, factory: EntityFactory) -> None:
    async with new_uow() as uow:
        assert await uow.tenants.get(factory.ids.new_id()) is None
        assert await uow.tenants.get_by_slug("nobody") is None


async def test_a_tenant_update_is_stored_and_a_missing_one_is_not_found(
    new_uow: NewUnitOfWork, tenant_a: SeededTenant, factory: EntityFactory
) -> None:
    tenant = tenant_a.tenant
    tenant.name, tenant.settings = "Renamed", {"locale": "pt-BR"}
    async with new_uow() as uow:
        await uow.tenants.update(tenant)
        with pytest.raises(NotFound):
            await uow.tenants.update(factory.for_tenant(factory.ids.new_id()).tenant())
        await uow.commit()

    async with new_uow() as uow:
        assert await uow.tenants.get(tenant.id) == tenant


async def test_a_slug_belongs_to_one_tenant(
    new_uow: NewUnitOfWork, tenant_a: SeededTenant, factory: EntityFactory
) -> None:
    other = factory.for_tenant(factory.ids.new_id()).tenant(slug=tenant_a.tenant.slug)
    async with new_uow() as uow:
        with pytest.raises(Conflict) as taken:
            await uow.tenants.add(other)
        assert taken.value.details == {"slug": tenant_a.tenant.slug}
        assert taken.value.__cause__ is not None

        with pytest.raises(Conflict):
            await uow.tenants.add(tenant_a.tenant)


async def test_a_user_round_trips_and_is_found_by_normalised_email(
    new_uow: NewUnitOfWork, tenant_a: SeededTenant
) -> None:
    user = tenant_a.factory.user(
        email="Ana.Lima@Example.com",
        name="Ana Lima",
        role=Role.SUPERVISOR,
        is_active=False,
        password_hash="$2b$10$abcdefghijklmnopqrstuv",
        last_login_at=datetime(2025, 2, 1, 8, 0, 0, 1, tzinfo=SAO_PAULO),
    )
    await store_committed(new_uow, user)

    async with new_uow() as uow:
        stored = await uow.users.get(tenant_a.id, user.id)
        by_email = await uow.users.get_by_email(tenant_a.id, "  ANA.LIMA@example.COM ")
        nobody = await uow.users.get_by_email(tenant_a.id, "nobody@example.com")
        with pytest.raises(ValidationFailed):
            await uow.users.get_by_email(tenant_a.id, "not an email")

    assert stored == user
    assert by_email == user
    assert stored is not None
    assert stored.email == "ana.lima@example.com"
    assert_utc(stored.last_login_at)
    assert nobody is None


async def test_users_are_listed_by_name(new_uow: NewUnitOfWork, tenant_a: SeededTenant) -> None:
    bruno, ana, carla = (tenant_a.factory.user(name=name) for name in ("Bruno", "Ana", "Carla"))
    await store_committed(new_uow, bruno, ana, carla)

    async with new_uow() as uow:
        assert await uow.users.list_all(tenant_a.id) == [ana, bruno, carla]


async def test_an_email_is_unique_within_a_tenant_only(
    new_uow: NewUnitOfWork, tenant_a: SeededTenant, tenant_b: SeededTenant
) -> None:
    await store_committed(new_uow, tenant_a.factory.user(email="ana@example.com"))
    await store_committed(new_uow, tenant_b.factory.user(email="ana@example.com"))

    async with new_uow() as uow:
        with pytest.raises(Conflict) as taken:
            await uow.users.add(tenant_a.id, tenant_a.factory.user(email="ANA@example.com"))
    assert taken.value.details == {"email": "ana@example.com"}


async def test_a_user_update_is_stored_and_a_missing_one_is_not_found(
    new_uow: NewUnitOfWork, tenant_a: SeededTenant
) -> None:
    user = tenant_a.factory.user()
    await store_committed(new_uow, user)
    user.role, user.last_login_at = Role.ADMIN, datetime(2025, 5, 1, tzinfo=UTC)
    async with new_uow() as uow:
        await uow.users.update(tenant_a.id, user)
        with pytest.raises(NotFound):
            await uow.users.update(tenant_a.id, tenant_a.factory.user())
        await uow.commit()

    async with new_uow() as uow:
        assert await uow.users.get(tenant_a.id, user.id) == user


async def test_the_active_role_needs_an_active_user_of_an_active_tenant(
    new_uow: NewUnitOfWork, tenant_a: SeededTenant, tenant_b: SeededTenant
) -> None:
    agent, gone = tenant_a.factory.user(role=Role.AGENT), tenant_a.factory.user(is_active=False)
    await store_committed(new_uow, agent, gone)
    async with new_uow() as uow:
        assert await uow.users.active_role(tenant_a.id, agent.id) is Role.AGENT
        assert await uow.users.active_role(tenant_a.id, gone.id) is None
        assert await uow.users.active_role(tenant_b.id, agent.id) is None
        tenant_a.tenant.is_active = False
        await uow.tenants.update(tenant_a.tenant)
        assert await uow.users.active_role(tenant_a.id, agent.id) is None


async def test_a_user_of_a_tenant_that_does_not_exist_is_not_found(
    new_uow: NewUnitOfWork, factory: EntityFactory
) -> None:
    ghost = factory.for_tenant(factory.ids.new_id())
    async with new_uow() as uow:
        with pytest.raises(NotFound):
            await uow.users.add(ghost.tenant_id, ghost.user())


async def test_writes_for_another_tenant_are_forbidden(
    new_uow: NewUnitOfWork, tenant_a: SeededTenant, tenant_b: SeededTenant
) -> None:
    async with new_uow() as uow:
        with pytest.raises(Forbidden):
            await uow.users.add(tenant_a.id, tenant_b.factory.user())
        with pytest.raises(Forbidden):
            await uow.queues.add(tenant_a.id, tenant_b.factory.queue())


async def test_a_queue_round_trips_and_is_found_by_name(
    new_uow: NewUnitOfWork, tenant_a: SeededTenant
) -> None:
    queue = tenant_a.factory.queue(
        name="Vendas", description="Novos clientes", color="#ff8800", is_active=False, order_index=3
    )
    await store_committed(new_uow, queue)

    async with new_uow() as uow:
        assert await uow.queues.get(tenant_a.id, queue.id) == queue
        assert await uow.queues.get_by_name(tenant_a.id, "Vendas") == queue
        assert await uow.queues.get_by_name(tenant_a.id, "vendas") is None
        assert await uow.queues.get(tenant_a.id, tenant_a.factory.ids.new_id()) is None


async def test_queues_are_listed_by_order_then_name(
    new_uow: NewUnitOfWork, tenant_a: SeededTenant
) -> None:
    late = tenant_a.factory.queue(name="A late", order_index=5)
    second = tenant_a.factory.queue(name="B", order_index=1)
    first = tenant_a.factory.queue(name="A", order_index=1)
    await store_committed(new_uow, late, second, first)

    async with new_uow() as uow:
        listed = await uow.queues.list_all(tenant_a.id)

    assert listed == [tenant_a.queue, first, second, late]


async def test_a_queue_name_is_unique_per_tenant(
    new_uow: NewUnitOfWork, tenant_a: SeededTenant
) -> None:
    other = tenant_a.factory.queue(name="Suporte")
    await store_committed(new_uow, other)
    async with new_uow() as uow:
        with pytest.raises(Conflict) as taken:
            await uow.queues.add(tenant_a.id, tenant_a.factory.queue(name=tenant_a.queue.name))
        assert taken.value.details == {"name": tenant_a.queue.name}
        other.name = tenant_a.queue.name
        with pytest.raises(Conflict):
            await uow.queues.update(tenant_a.id, other)


async def test_a_queue_update_is_stored_and_a_missing_one_is_not_found(
    new_uow: NewUnitOfWork, tenant_a: SeededTenant
) -> None:
    queue = tenant_a.queue
    queue.order_index, queue.description = 9, "Fila principal"
    async with new_uow() as uow:
        await uow.queues.update(tenant_a.id, queue)
        with pytest.raises(NotFound):
            await uow.queues.update(tenant_a.id, tenant_a.factory.queue())
        await uow.commit()

    async with new_uow() as uow:
        assert await uow.queues.get(tenant_a.id, queue.id) == queue


async def test_a_queue_is_removed_unless_tickets_wait_in_it(
    new_uow: NewUnitOfWork, tenant_a: SeededTenant
) -> None:
    empty, busy = tenant_a.factory.queue(), tenant_a.factory.queue()
    await store_committed(
        new_uow, empty, busy, tenant_a.factory.ticket(tenant_a.contact.id, busy.id)
    )

    async with new_uow() as uow:
        await uow.queues.remove(tenant_a.id, empty.id)
        with pytest.raises(NotFound):
            await uow.queues.remove(tenant_a.id, empty.id)
        with pytest.raises(Conflict) as in_use:
            await uow.queues.remove(tenant_a.id, busy.id)
        assert in_use.value.details == {"queueId": str(busy.id)}
        await uow.commit()

    async with new_uow() as uow:
        assert await uow.queues.get(tenant_a.id, empty.id) is None
        assert await uow.queues.get(tenant_a.id, busy.id) == busy
