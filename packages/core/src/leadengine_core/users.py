"""Users, their roles and what each role may do."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from types import MappingProxyType
from typing import ClassVar
from uuid import UUID

from leadengine_core.errors import Conflict, Forbidden, ValidationFailed


class Role(StrEnum):
    ADMIN = "ADMIN"
    SUPERVISOR = "SUPERVISOR"
    AGENT = "AGENT"


class Permission(StrEnum):
    TICKETS_READ = "tickets:read"
    TICKETS_WRITE = "tickets:write"
    CONTACTS_READ = "contacts:read"
    CONTACTS_WRITE = "contacts:write"
    LEADS_READ = "leads:read"
    LEADS_WRITE = "leads:write"
    QUEUES_READ = "queues:read"
    QUEUES_WRITE = "queues:write"
    INSTANCES_READ = "instances:read"
    INSTANCES_WRITE = "instances:write"
    USERS_READ = "users:read"
    USERS_WRITE = "users:write"
    REPORTS_READ = "reports:read"
    SETTINGS_READ = "settings:read"
    SETTINGS_WRITE = "settings:write"
    API_KEYS_WRITE = "api-keys:write"


_AGENT = frozenset(
    {
        Permission.TICKETS_READ,
        Permission.TICKETS_WRITE,
        Permission.CONTACTS_READ,
        Permission.CONTACTS_WRITE,
        Permission.LEADS_READ,
        Permission.LEADS_WRITE,
        Permission.QUEUES_READ,
        Permission.INSTANCES_READ,
    }
)
_SUPERVISOR = _AGENT | {
    Permission.QUEUES_WRITE,
    Permission.USERS_READ,
    Permission.REPORTS_READ,
    Permission.SETTINGS_READ,
}
PERMISSIONS: Mapping[Role, frozenset[Permission]] = MappingProxyType(
    {Role.AGENT: _AGENT, Role.SUPERVISOR: _SUPERVISOR, Role.ADMIN: frozenset(Permission)}
)
"""Agents work conversations; supervisors also run queues and read the team; admins do all,
including users, API keys, WhatsApp instances and tenant settings."""


def permissions_for(role: Role) -> frozenset[Permission]:
    return PERMISSIONS[role]


def normalize_email(value: str) -> str:
    """Trimmed and lower-cased, so `(tenant, email)` is unique however people type it."""
    email = value.strip().lower()
    local, at, domain = email.rpartition("@")
    if not (local and at and domain) or any(char.isspace() for char in email):
        raise ValidationFailed("not an email address", details={"email": value})
    return email


@dataclass(slots=True, kw_only=True)
class User:
    tenant_id: UUID
    id: UUID
    email: str
    name: str
    password_hash: str = field(repr=False)
    created_at: datetime
    updated_at: datetime
    role: Role = Role.AGENT
    is_active: bool = True
    last_login_at: datetime | None = None

    def __post_init__(self) -> None:
        self.email = normalize_email(self.email)

    @property
    def permissions(self) -> frozenset[Permission]:
        return permissions_for(self.role)

    def can(self, permission: Permission) -> bool:
        return self.is_active and permission in self.permissions


class LastAdmin(Conflict):
    """The change would leave the tenant without an active ADMIN, and nobody could manage it."""

    code: ClassVar[str] = "LAST_ADMIN"


class SelfLockout(Forbidden):
    """Users may not deactivate themselves or change their own role."""

    code: ClassVar[str] = "SELF_LOCKOUT"


def ensure_access_change_allowed(
    user: User,
    *,
    role: Role,
    is_active: bool,
    actor_id: UUID | None,
    active_admin_ids: Collection[UUID],
) -> None:
    """Refuse a new (`role`, `is_active`) for `user` that would lock people out.

    `actor_id` is the user making the change (None for an API key); `active_admin_ids` are the
    tenant's active ADMINs as they are now, `user` included when it is one.
    """
    if user.id == actor_id and (role is not user.role or not is_active):
        raise SelfLockout("you may not deactivate yourself or change your own role")
    stays_admin = role is Role.ADMIN and is_active
    others = set(active_admin_ids) - {user.id}
    if user.id in active_admin_ids and not stays_admin and not others:
        raise LastAdmin("the tenant must keep at least one active ADMIN")
