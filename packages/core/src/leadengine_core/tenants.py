"""Tenants: the isolation boundary. Every other row belongs to exactly one tenant."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

from leadengine_core.errors import Forbidden, ValidationFailed

_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*", re.ASCII)
_SLUG_GAPS = re.compile(r"[^a-z0-9]+")
MAX_SLUG_LENGTH = 100


@dataclass(slots=True, kw_only=True)
class Tenant:
    """`slug` is globally unique; people type it at login to pick their tenant."""

    id: UUID
    name: str
    slug: str
    created_at: datetime
    updated_at: datetime
    is_active: bool = True
    settings: dict[str, object] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.slug = ensure_slug(self.slug)


def slugify(name: str) -> str:
    """`"Clínica São José"` → `"clinica-sao-jose"`: accents dropped, gaps become one hyphen."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    return _SLUG_GAPS.sub("-", ascii_name.lower()).strip("-")[:MAX_SLUG_LENGTH].strip("-")


def ensure_slug(value: str) -> str:
    if len(value) > MAX_SLUG_LENGTH or _SLUG.fullmatch(value) is None:
        raise ValidationFailed(
            "a slug is lower-case letters and digits joined by single hyphens",
            details={"slug": value},
        )
    return value


def ensure_same_tenant(tenant_id: UUID, owner_tenant_id: UUID) -> None:
    """Refuse to act for `tenant_id` on something owned by another tenant."""
    if tenant_id != owner_tenant_id:
        raise Forbidden("the record belongs to another tenant")
