"""Tenants: rows scoped by their own id, plus the one lookup by slug that login needs."""

from __future__ import annotations

from functools import partial
from typing import Any
from uuid import UUID

from leadengine_core.errors import Conflict, DomainError
from leadengine_core.ports import TenantRepository
from leadengine_core.tenants import Tenant
from sqlalchemy import Row, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from leadengine_storage.integrity import Violation
from leadengine_storage.repositories.guarded import ensure_changed, guarded, plain_error
from leadengine_storage.tables import tenants

__all__ = ["SqlTenantRepository"]


class SqlTenantRepository(TenantRepository):
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def get(self, tenant_id: UUID) -> Tenant | None:
        row = (
            await self._connection.execute(select(tenants).where(tenants.c.id == tenant_id))
        ).first()
        return None if row is None else _tenant(row)

    async def get_by_slug(self, slug: str) -> Tenant | None:
        row = (
            await self._connection.execute(select(tenants).where(tenants.c.slug == slug))
        ).first()
        return None if row is None else _tenant(row)

    async def add(self, tenant: Tenant) -> None:
        statement = insert(tenants).values(id=tenant.id, **_values(tenant))
        await guarded(
            self._connection,
            lambda: self._connection.execute(statement),
            partial(_explain, tenant),
        )

    async def update(self, tenant: Tenant) -> None:
        statement = update(tenants).where(tenants.c.id == tenant.id).values(**_values(tenant))

        async def work() -> None:
            result = await self._connection.execute(statement)
            ensure_changed(result.rowcount, "tenant", tenant.id)

        await guarded(self._connection, work, partial(_explain, tenant))


async def _explain(tenant: Tenant, violation: Violation) -> DomainError:
    if violation.constraint == "uq_tenants_slug":
        return Conflict("the slug is already taken", details={"slug": tenant.slug})
    return plain_error(violation, "tenant", tenant.id)


def _values(tenant: Tenant) -> dict[str, Any]:
    return {
        "name": tenant.name,
        "slug": tenant.slug,
        "is_active": tenant.is_active,
        "settings": tenant.settings,
        "created_at": tenant.created_at,
        "updated_at": tenant.updated_at,
    }


def _tenant(row: Row[Any]) -> Tenant:
    values = row._mapping
    return Tenant(
        id=values["id"],
        name=values["name"],
        slug=values["slug"],
        is_active=values["is_active"],
        settings=values["settings"],
        created_at=values["created_at"],
        updated_at=values["updated_at"],
    )
