"""Registration, login and refresh as use cases over the unit of work."""

from __future__ import annotations

from dataclasses import dataclass

from leadengine_contracts.auth import LoginRequest, RegisterRequest
from leadengine_core.errors import Conflict
from leadengine_core.ports import Clock, IdGenerator, UnitOfWork
from leadengine_core.queues import DEFAULT_QUEUE_NAME, Queue
from leadengine_core.tenants import Tenant, slugify
from leadengine_core.users import Role, User, normalize_email

from leadengine_api.auth.passwords import hash_password, needs_rehash, verify_password
from leadengine_api.auth.tokens import TokenPair, TokenService
from leadengine_api.problems import ApiError

__all__ = ["Registration", "SignedIn", "login", "refresh", "register"]


@dataclass(frozen=True, slots=True)
class Registration:
    tenant: Tenant
    user: User
    pending_activation: bool


@dataclass(frozen=True, slots=True)
class SignedIn:
    tokens: TokenPair
    user: User


def _invalid_credentials() -> ApiError:
    return ApiError(401, "INVALID_CREDENTIALS", "email, password or tenant is wrong")


async def register(
    uow: UnitOfWork, clock: Clock, ids: IdGenerator, data: RegisterRequest
) -> Registration:
    """A new slug creates the tenant, its default queue and its first ADMIN; an existing slug
    creates an inactive AGENT waiting for an ADMIN of that tenant."""
    now = clock.now()
    slug = data.tenant_slug or slugify(data.tenant_name or data.name)
    if not slug:
        raise ApiError(422, "VALIDATION_ERROR", "tenantSlug or tenantName is required")
    tenant = await uow.tenants.get_by_slug(slug)
    joining = tenant is not None
    if tenant is None:
        tenant = Tenant(
            id=ids.new_id(),
            name=data.tenant_name or data.name,
            slug=slug,
            created_at=now,
            updated_at=now,
        )
        await uow.tenants.add(tenant)
        await uow.queues.add(
            tenant.id,
            Queue(
                tenant_id=tenant.id,
                id=ids.new_id(),
                name=DEFAULT_QUEUE_NAME,
                created_at=now,
                updated_at=now,
            ),
        )
    email = normalize_email(data.email)
    if await uow.users.get_by_email(tenant.id, email) is not None:
        raise Conflict(
            "a user with this email already exists in the tenant", details={"email": email}
        )
    user = User(
        tenant_id=tenant.id,
        id=ids.new_id(),
        email=email,
        name=data.name,
        password_hash=hash_password(data.password),
        role=Role.AGENT if joining else Role.ADMIN,
        is_active=not joining,
        created_at=now,
        updated_at=now,
    )
    await uow.users.add(tenant.id, user)
    return Registration(tenant=tenant, user=user, pending_activation=joining)


async def login(
    uow: UnitOfWork, clock: Clock, tokens: TokenService, data: LoginRequest
) -> SignedIn:
    tenant = await uow.tenants.get_by_slug(data.tenant_slug)
    user = await uow.users.get_by_email(tenant.id, normalize_email(data.email)) if tenant else None
    valid = verify_password(user.password_hash if user else None, data.password)
    if not (valid and user and tenant and user.is_active and tenant.is_active):
        raise _invalid_credentials()
    now = clock.now()
    user.last_login_at = now
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(data.password)
    await uow.users.update(tenant.id, user)
    return SignedIn(tokens=tokens.issue(user.id, tenant.id, user.role, now=now), user=user)


async def refresh(uow: UnitOfWork, clock: Clock, tokens: TokenService, token: str) -> SignedIn:
    claims = tokens.decode(token, "refresh")
    user = await uow.users.get(claims.tenant_id, claims.user_id)
    tenant = await uow.tenants.get(claims.tenant_id)
    if user is None or tenant is None or not (user.is_active and tenant.is_active):
        raise ApiError(401, "UNAUTHORIZED", "the account is not active")
    return SignedIn(tokens=tokens.issue(user.id, tenant.id, user.role, now=clock.now()), user=user)
