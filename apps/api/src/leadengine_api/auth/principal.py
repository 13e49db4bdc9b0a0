"""Who is calling: a user of one tenant with one role (see `dependencies.provide_principal`)."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from leadengine_core.users import Permission, Role, permissions_for

from leadengine_api.problems import ApiError

__all__ = ["Principal"]


@dataclass(frozen=True, slots=True)
class Principal:
    tenant_id: UUID
    user_id: UUID
    role: Role

    def can(self, permission: Permission) -> bool:
        return permission in permissions_for(self.role)

    def require(self, permission: Permission) -> None:
        if not self.can(permission):
            raise ApiError(403, "FORBIDDEN", f"the {self.role.value} role may not do this")
