"""Users of a tenant; the email is unique per tenant in its normalised form."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import Any
from uuid import UUID

from leadengine_core.errors import Conflict, DomainError
from leadengine_core.pagination import Page
from leadengine_core.ports import DEFAULT_PAGE_SIZE, UserRepository
from leadengine_core.tenants import ensure_same_tenant
from leadengine_core.users import Role, User, normalize_email
from sqlalchemy import Row, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from leadengine_storage.integrity import Violation
from leadengine_storage.pagination import Keyset, fetch_page, page_of
from leadengine_storage.repositories.guarded import ensure_changed, guarded, plain_error
from leadengine_storage.tables import tenants, users

__all__ = ["SqlUserRepository"]

_NEWEST = Keyset("users", users.c.created_at, users.c.id)


class SqlUserRepository(UserRepository):
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def get(self, tenant_id: UUID, user_id: UUID) -> User | None:
        query = select(users).where(users.c.tenant_id == tenant_id, users.c.id == user_id)
        row = (await self._connection.execute(query)).first()
        return None if row is None else _user(row)

    async def active_role(self, tenant_id: UUID, user_id: UUID) -> Role | None:
        query = (
            select(users.c.role)
            .join(tenants, tenants.c.id == users.c.tenant_id)
            .where(
                users.c.tenant_id == tenant_id,
                users.c.id == user_id,
                users.c.is_active,
                tenants.c.is_active,
            )
        )
        role = (await self._connection.execute(query)).scalar_one_or_none()
        return None if role is None else Role(role)

    async def get_by_email(self, tenant_id: UUID, email: str) -> User | None:
        wanted = normalize_email(email)
        query = select(users).where(users.c.tenant_id == tenant_id, users.c.email == wanted)
        row = (await self._connection.execute(query)).first()
        return None if row is None else _user(row)

    async def add(self, tenant_id: UUID, user: User) -> None:
        ensure_same_tenant(tenant_id, user.tenant_id)
        statement = insert(users).values(id=user.id, tenant_id=tenant_id, **_values(user))
        await guarded(
            self._connection, lambda: self._connection.execute(statement), partial(_explain, user)
        )

    async def update(self, tenant_id: UUID, user: User) -> None:
        ensure_same_tenant(tenant_id, user.tenant_id)
        statement = (
            update(users)
            .where(users.c.tenant_id == tenant_id, users.c.id == user.id)
            .values(**_values(user))
        )

        async def work() -> None:
            result = await self._connection.execute(statement)
            ensure_changed(result.rowcount, "user", user.id)

        await guarded(self._connection, work, partial(_explain, user))

    async def list_all(self, tenant_id: UUID) -> Sequence[User]:
        query = (
            select(users).where(users.c.tenant_id == tenant_id).order_by(users.c.name, users.c.id)
        )
        return [_user(row) for row in await self._connection.execute(query)]

    async def list_page(
        self,
        tenant_id: UUID,
        *,
        is_active: bool | None = None,
        cursor: str | None = None,
        limit: int = DEFAULT_PAGE_SIZE,
    ) -> Page[User]:
        query = select(users).where(users.c.tenant_id == tenant_id)
        if is_active is not None:
            query = query.where(users.c.is_active == is_active)
        page = await fetch_page(self._connection, query, _NEWEST, cursor=cursor, limit=limit)
        return page_of(page, [_user(row) for row in page.items])

    async def lock_active_admins(self, tenant_id: UUID) -> Sequence[User]:
        query = (
            select(users)
            .where(
                users.c.tenant_id == tenant_id,
                users.c.role == Role.ADMIN.value,
                users.c.is_active.is_(True),
            )
            .order_by(users.c.id)
            .with_for_update()
        )
        return [_user(row) for row in await self._connection.execute(query)]


async def _explain(user: User, violation: Violation) -> DomainError:
    if violation.constraint == "uq_users_tenant_id_email":
        return Conflict("the email is already in use", details={"email": user.email})
    return plain_error(violation, "user", user.id)


def _values(user: User) -> dict[str, Any]:
    return {
        "email": user.email,
        "name": user.name,
        "role": user.role.value,
        "is_active": user.is_active,
        "password_hash": user.password_hash,
        "last_login_at": user.last_login_at,
        "created_at": user.created_at,
        "updated_at": user.updated_at,
    }


def _user(row: Row[Any]) -> User:
    values = row._mapping
    return User(
        tenant_id=values["tenant_id"],
        id=values["id"],
        email=values["email"],
        name=values["name"],
        role=Role(values["role"]),
        is_active=values["is_active"],
        password_hash=values["password_hash"],
        last_login_at=values["last_login_at"],
        created_at=values["created_at"],
        updated_at=values["updated_at"],
    )
