"""Who is calling: a user or an API key of one tenant, with one role (see
`dependencies.provide_principal`)."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from leadengine_core.users import Permission, Role, permissions_for

from leadengine_api.problems import ApiError

__all__ = ["Principal"]


@dataclass(frozen=True, slots=True)
class Principal:
    """Exactly one of `user_id` (a person, signed in with a JWT) and `api_key_id` (a machine
    client) is set."""

    tenant_id: UUID
    user_id: UUID | None
    role: Role
    api_key_id: UUID | None = None

    def __post_init__(self) -> None:
        if (self.user_id is None) == (self.api_key_id is None):
            raise ValueError("a principal is either a user or an API key")

    def can(self, permission: Permission) -> bool:
        return permission in permissions_for(self.role)

    def require(self, permission: Permission) -> None:
        if not self.can(permission):
            raise ApiError(403, "FORBIDDEN", f"the {self.role.value} role may not do this")

    def require_user(self) -> UUID:
        """The caller's user id; 403 for an API key, where only a person may act."""
        if self.user_id is None:
            raise ApiError(
                403, "USER_CREDENTIAL_REQUIRED", "only a signed-in user may do this, not an API key"
            )
        return self.user_id
