"""Registration, login, token refresh and the current user."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from leadengine_core.tenants import Tenant
from leadengine_core.users import Role, User
from pydantic import Field, StringConstraints

from leadengine_contracts.base import WireModel
from leadengine_contracts.types import Email, Name, Password, Slug

__all__ = [
    "LoginRequest",
    "MeResponse",
    "RefreshRequest",
    "RegisterRequest",
    "RegisterResponse",
    "TenantOut",
    "TokenResponse",
    "UserOut",
]


class RegisterRequest(WireModel):
    """A new tenant with its first ADMIN, or a request to join an existing tenant.

    Joining creates an inactive AGENT that an ADMIN of that tenant must activate: nobody can
    grant themselves access to someone else's tenant.
    """

    name: Name
    email: Email
    password: Password
    tenant_name: Name | None = None
    tenant_slug: Slug | None = None


class LoginRequest(WireModel):
    email: Email
    password: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    tenant_slug: Slug


class RefreshRequest(WireModel):
    refresh_token: Annotated[str, StringConstraints(min_length=1, max_length=4096)]


class TenantOut(WireModel):
    id: UUID
    name: str
    slug: str

    @classmethod
    def from_domain(cls, tenant: Tenant) -> TenantOut:
        return cls(id=tenant.id, name=tenant.name, slug=tenant.slug)


class UserOut(WireModel):
    id: UUID
    tenant_id: UUID
    email: str
    name: str
    role: Role
    is_active: bool
    created_at: datetime
    last_login_at: datetime | None = None

    @classmethod
    def from_domain(cls, user: User) -> UserOut:
        return cls(
            id=user.id,
            tenant_id=user.tenant_id,
            email=user.email,
            name=user.name,
            role=user.role,
            is_active=user.is_active,
            created_at=user.created_at,
            last_login_at=user.last_login_at,
        )


class TokenResponse(WireModel):
    access_token: str
    refresh_token: str
    token_type: str = "Bearer"  # noqa: S105 (the scheme name, not a secret)
    expires_in: int = Field(description="Seconds until the access token expires.")
    user: UserOut


class RegisterResponse(WireModel):
    tenant: TenantOut
    user: UserOut
    pending_activation: bool
    """True when the user joined an existing tenant and waits for an ADMIN to activate them."""


class MeResponse(WireModel):
    user: UserOut
    tenant: TenantOut
    permissions: list[str]
