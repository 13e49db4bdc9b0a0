"""Managing the users of a tenant: list, create, change role, activate and deactivate."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from leadengine_core.users import Role

from leadengine_contracts.base import WireModel
from leadengine_contracts.partial_update import PartialUpdate
from leadengine_contracts.types import Email, Flag, Name, Password

__all__ = ["CreateUserRequest", "UpdateUserRequest", "UserStatus"]


class UserStatus(StrEnum):
    ACTIVE = "active"
    INACTIVE = "inactive"
    ALL = "all"

    @property
    def is_active(self) -> bool | None:
        """The `is_active` value this filter selects; None selects everyone."""
        return {UserStatus.ACTIVE: True, UserStatus.INACTIVE: False}.get(self)


class CreateUserRequest(WireModel):
    """A user created by an ADMIN is active at once and logs in with this password."""

    name: Name
    email: Email
    password: Password
    role: Role


class UpdateUserRequest(PartialUpdate):
    """Activating a user who joined through registration is `{"isActive": true}`."""

    role: Role | None = None
    is_active: Annotated[bool, Flag] | None = None
    name: Name | None = None
