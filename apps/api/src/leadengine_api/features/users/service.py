"""Managing a tenant's users without ever locking the tenant out of itself."""

from __future__ import annotations

from uuid import UUID

from leadengine_contracts.users import CreateUserRequest, UpdateUserRequest
from leadengine_core.errors import NotFound
from leadengine_core.ports import Clock, IdGenerator, UnitOfWork
from leadengine_core.users import User, ensure_access_change_allowed

from leadengine_api.auth.passwords import hash_password

__all__ = ["create_user", "update_user"]


async def create_user(
    uow: UnitOfWork, clock: Clock, ids: IdGenerator, tenant_id: UUID, data: CreateUserRequest
) -> User:
    """An ADMIN's new user is active at once (unlike one who registers to join); a taken email
    is the repository's Conflict."""
    now = clock.now()
    user = User(
        tenant_id=tenant_id,
        id=ids.new_id(),
        email=data.email,
        name=data.name,
        password_hash=hash_password(data.password),
        role=data.role,
        created_at=now,
        updated_at=now,
    )
    await uow.users.add(tenant_id, user)
    return user


async def update_user(
    uow: UnitOfWork,
    clock: Clock,
    tenant_id: UUID,
    actor_id: UUID | None,
    user_id: UUID,
    data: UpdateUserRequest,
) -> User:
    """Nobody deactivates themselves or changes their own role, and the tenant always keeps an
    active ADMIN. The ADMINs are locked before the user is read, so concurrent changes are
    checked one after the other against what the previous one left."""
    admins = await uow.users.lock_active_admins(tenant_id)
    user = await uow.users.get(tenant_id, user_id)
    if user is None:
        raise NotFound("user not found", details={"id": str(user_id)})
    role = data.role or user.role
    is_active = user.is_active if data.is_active is None else data.is_active
    ensure_access_change_allowed(
        user,
        role=role,
        is_active=is_active,
        actor_id=actor_id,
        active_admin_ids={admin.id for admin in admins},
    )
    user.role, user.is_active = role, is_active
    user.name = data.name or user.name
    user.updated_at = clock.now()
    await uow.users.update(tenant_id, user)
    return user
