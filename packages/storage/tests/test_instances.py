"""WhatsApp instances: the broker session id is unique across tenants and routes webhooks."""

from datetime import UTC, datetime, timedelta

import pytest
from leadengine_core.errors import Conflict, NotFound
from leadengine_core.instances import InstanceStatus
from leadengine_storage.repositories import SqlInstanceRepository
from leadengine_storage.testing import NewUnitOfWork, SeededTenant, assert_utc, store_committed
from leadengine_storage.unit_of_work import SqlUnitOfWork

T0 = datetime(2025, 8, 9, 10, 11, 12, 131415, tzinfo=UTC)


async def test_an_instance_round_trips_every_field(
    new_uow: NewUnitOfWork, tenant_a: SeededTenant
) -> None:
    instance = tenant_a.factory.instance(
        broker_id="tenant-a-sales",
        name="Vendas",
        status=InstanceStatus.QR_REQUIRED,
        phone_number="+5531988880000",
        qr="2@abc,def,ghi",
        qr_expires_at=T0 + timedelta(seconds=60),
        last_seen_at=T0,
        metadata={"history": [{"status": "connecting", "at": "2025-08-09T10:11:12Z"}]},
    )
    await store_committed(new_uow, instance)

    async with new_uow() as uow:
        stored = await uow.instances.get(tenant_a.id, instance.id)
        missing = await uow.instances.get(tenant_a.id, tenant_a.factory.ids.new_id())

    assert stored == instance
    assert stored is not None
    assert stored.qr == "2@abc,def,ghi"
    assert_utc(stored.qr_expires_at, stored.last_seen_at)
    assert missing is None


async def test_a_broker_session_routes_to_its_tenant_even_when_tombstoned(
    new_uow: NewUnitOfWork, tenant_a: SeededTenant, tenant_b: SeededTenant
) -> None:
    gone = tenant_b.factory.instance(broker_id="old-session")
    gone.tombstone(T0)
    await store_committed(new_uow, gone)

    async with new_uow() as uow:
        routed_a = await uow.instances.route_by_broker_id(tenant_a.instance.broker_id)
        routed_gone = await uow.instances.route_by_broker_id("old-session")
        unknown = await uow.instances.route_by_broker_id("never-seen")

    assert routed_a == tenant_a.instance
    assert routed_gone == gone
    assert routed_gone is not None
    assert routed_gone.tenant_id == tenant_b.id
    assert unknown is None


async def test_a_batch_of_broker_sessions_routes_in_one_read(
    new_uow: NewUnitOfWork, tenant_a: SeededTenant, tenant_b: SeededTenant
) -> None:
    gone = tenant_b.factory.instance(broker_id="old-session")
    gone.tombstone(T0)
    await store_committed(new_uow, gone)
    asked = {tenant_a.instance.broker_id, tenant_b.instance.broker_id, "old-session", "never"}

    async with new_uow() as uow:
        assert isinstance(uow, SqlUnitOfWork)
        routes = await SqlInstanceRepository(uow.connection).route_by_broker_ids(asked)
        each = {broker_id: await uow.instances.route_by_broker_id(broker_id) for broker_id in asked}

    assert routes == {key: value for key, value in each.items() if value is not None}
    assert routes["old-session"].tenant_id == tenant_b.id
    assert "never" not in routes


async def test_a_taken_broker_id_is_refused_without_saying_by_whom(
    new_uow: NewUnitOfWork, tenant_a: SeededTenant, tenant_b: SeededTenant
) -> None:
    clash = tenant_a.factory.instance(broker_id=tenant_b.instance.broker_id)
    async with new_uow() as uow:
        with pytest.raises(Conflict) as taken:
            await uow.instances.add(tenant_a.id, clash)
        tenant_a.instance.broker_id = tenant_b.instance.broker_id
        with pytest.raises(Conflict):
            await uow.instances.update(tenant_a.id, tenant_a.instance)

    assert taken.value.details == {"brokerId": tenant_b.instance.broker_id}


async def test_instances_are_listed_oldest_first_without_tombstones_by_default(
    new_uow: NewUnitOfWork, tenant_a: SeededTenant
) -> None:
    f = tenant_a.factory
    older = f.instance(created_at=T0 - timedelta(days=400))
    deleted = f.instance(created_at=T0)
    deleted.tombstone(T0 + timedelta(days=1))
    await store_committed(new_uow, deleted, older)

    async with new_uow() as uow:
        live = await uow.instances.list_all(tenant_a.id)
        every = await uow.instances.list_all(tenant_a.id, include_deleted=True)

    assert live == [older, tenant_a.instance]
    assert every == [older, tenant_a.instance, deleted]


async def test_an_instance_update_is_stored_and_a_missing_one_is_not_found(
    new_uow: NewUnitOfWork, tenant_a: SeededTenant
) -> None:
    instance = tenant_a.instance
    instance.apply_connection_update(InstanceStatus.CONNECTED, T0, phone="+5531900001111")
    async with new_uow() as uow:
        await uow.instances.update(tenant_a.id, instance)
        with pytest.raises(NotFound):
            await uow.instances.update(tenant_a.id, tenant_a.factory.instance())
        await uow.commit()

    async with new_uow() as uow:
        assert await uow.instances.get(tenant_a.id, instance.id) == instance
