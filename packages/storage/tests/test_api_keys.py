"""API keys: round trips, the cross-tenant prefix lookup, unique prefixes and isolation."""

from datetime import UTC, datetime

import pytest
from leadengine_core.api_keys import ApiKeyToken
from leadengine_core.errors import Conflict, Forbidden, NotFound
from leadengine_core.users import Role
from leadengine_storage.testing import NewUnitOfWork, SeededTenant, assert_utc, store_committed


async def test_a_key_round_trips_and_is_found_by_prefix_from_any_tenant(
    new_uow: NewUnitOfWork, tenant_a: SeededTenant
) -> None:
    creator = tenant_a.factory.user(role=Role.ADMIN)
    await store_committed(new_uow, creator)
    key = tenant_a.factory.api_key(name="CRM sync", role=Role.SUPERVISOR, created_by=creator.id)
    async with new_uow() as uow:
        await uow.api_keys.add(tenant_a.id, key)
        await uow.commit()

    async with new_uow() as uow:
        stored = await uow.api_keys.get(tenant_a.id, key.id)
        by_prefix = await uow.api_keys.find_by_prefix(key.prefix)
        unknown = await uow.api_keys.find_by_prefix(ApiKeyToken.generate().prefix)

    assert stored == key
    assert by_prefix == key
    assert unknown is None
    assert stored is not None
    assert_utc(stored.created_at, stored.updated_at)


async def test_use_and_revocation_are_stored_and_revoked_keys_are_not_listed(
    new_uow: NewUnitOfWork, tenant_a: SeededTenant
) -> None:
    f = tenant_a.factory
    older = f.api_key()
    f.clock.advance()
    newer, doomed = f.api_key(), f.api_key()
    async with new_uow() as uow:
        for key in (older, newer, doomed):
            await uow.api_keys.add(tenant_a.id, key)
        await uow.commit()

    used_at = datetime(2025, 2, 3, 4, 5, 6, 7, tzinfo=UTC)
    newer.record_use(used_at)
    doomed.revoke(used_at)
    async with new_uow() as uow:
        await uow.api_keys.update(tenant_a.id, newer)
        await uow.api_keys.update(tenant_a.id, doomed)
        with pytest.raises(NotFound):
            await uow.api_keys.update(tenant_a.id, f.api_key())
        await uow.commit()

    async with new_uow() as uow:
        assert await uow.api_keys.list_active(tenant_a.id) == [newer, older]
        revoked = await uow.api_keys.find_by_prefix(doomed.prefix)
    assert revoked == doomed
    assert revoked is not None
    assert revoked.revoked_at == used_at


async def test_a_prefix_is_unique_across_tenants(
    new_uow: NewUnitOfWork, tenant_a: SeededTenant, tenant_b: SeededTenant
) -> None:
    token = ApiKeyToken.generate()
    async with new_uow() as uow:
        await uow.api_keys.add(tenant_a.id, tenant_a.factory.api_key(token))
        with pytest.raises(Conflict) as taken:
            await uow.api_keys.add(tenant_b.id, tenant_b.factory.api_key(token))
    assert taken.value.details == {"prefix": token.prefix}


async def test_keys_of_another_tenant_are_invisible_and_untouchable(
    new_uow: NewUnitOfWork, tenant_a: SeededTenant, tenant_b: SeededTenant
) -> None:
    theirs = tenant_b.factory.api_key()
    async with new_uow() as uow:
        await uow.api_keys.add(tenant_b.id, theirs)
        await uow.commit()

    async with new_uow() as uow:
        assert await uow.api_keys.get(tenant_a.id, theirs.id) is None
        assert await uow.api_keys.list_active(tenant_a.id) == []
        with pytest.raises(Forbidden):
            await uow.api_keys.add(tenant_a.id, tenant_b.factory.api_key())
        with pytest.raises(Forbidden):
            await uow.api_keys.update(tenant_a.id, theirs)
