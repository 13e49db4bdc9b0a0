"""Tenant API keys; the public prefix is unique across tenants because it alone finds the key."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import Any
from uuid import UUID

from leadengine_core.api_keys import ApiKey
from leadengine_core.errors import Conflict, DomainError
from leadengine_core.ports import ApiKeyRepository
from leadengine_core.tenants import ensure_same_tenant
from leadengine_core.users import Role
from sqlalchemy import Row, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from leadengine_storage.integrity import Violation
from leadengine_storage.repositories.guarded import ensure_changed, guarded, plain_error
from leadengine_storage.tables import api_keys
from leadengine_storage.tenant_scope import UNSCOPED

__all__ = ["SqlApiKeyRepository"]


class SqlApiKeyRepository(ApiKeyRepository):
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def get(self, tenant_id: UUID, key_id: UUID) -> ApiKey | None:
        query = select(api_keys).where(api_keys.c.tenant_id == tenant_id, api_keys.c.id == key_id)
        row = (await self._connection.execute(query)).first()
        return None if row is None else _api_key(row)

    async def find_by_prefix(self, prefix: str) -> ApiKey | None:
        query = select(api_keys).where(api_keys.c.prefix == prefix).execution_options(**UNSCOPED)
        row = (await self._connection.execute(query)).first()
        return None if row is None else _api_key(row)

    async def add(self, tenant_id: UUID, key: ApiKey) -> None:
        ensure_same_tenant(tenant_id, key.tenant_id)
        statement = insert(api_keys).values(
            id=key.id,
            tenant_id=tenant_id,
            prefix=key.prefix,
            secret_hash=key.secret_hash,
            created_by=key.created_by,
            created_at=key.created_at,
            **_values(key),
        )
        await guarded(
            self._connection, lambda: self._connection.execute(statement), partial(_explain, key)
        )

    async def update(self, tenant_id: UUID, key: ApiKey) -> None:
        """Changes what may change after creation; the prefix and secret hash never do."""
        ensure_same_tenant(tenant_id, key.tenant_id)
        statement = (
            update(api_keys)
            .where(api_keys.c.tenant_id == tenant_id, api_keys.c.id == key.id)
            .values(**_values(key))
        )

        async def work() -> None:
            result = await self._connection.execute(statement)
            ensure_changed(result.rowcount, "api key", key.id)

        await guarded(self._connection, work, partial(_explain, key))

    async def list_active(self, tenant_id: UUID) -> Sequence[ApiKey]:
        query = (
            select(api_keys)
            .where(api_keys.c.tenant_id == tenant_id, api_keys.c.revoked_at.is_(None))
            .order_by(api_keys.c.created_at.desc(), api_keys.c.id.desc())
        )
        return [_api_key(row) for row in await self._connection.execute(query)]


async def _explain(key: ApiKey, violation: Violation) -> DomainError:
    if violation.constraint == "uq_api_keys_prefix":
        return Conflict("the api key prefix is taken", details={"prefix": key.prefix})
    return plain_error(violation, "api key", key.id)


def _values(key: ApiKey) -> dict[str, Any]:
    return {
        "name": key.name,
        "role": key.role.value,
        "last_used_at": key.last_used_at,
        "revoked_at": key.revoked_at,
        "updated_at": key.updated_at,
    }


def _api_key(row: Row[Any]) -> ApiKey:
    values = row._mapping
    return ApiKey(
        tenant_id=values["tenant_id"],
        id=values["id"],
        name=values["name"],
        role=Role(values["role"]),
        prefix=values["prefix"],
        secret_hash=values["secret_hash"],
        created_by=values["created_by"],
        created_at=values["created_at"],
        updated_at=values["updated_at"],
        last_used_at=values["last_used_at"],
        revoked_at=values["revoked_at"],
    )
