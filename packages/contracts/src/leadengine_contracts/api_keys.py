"""Tenant API keys for machine clients: the token is shown once, at creation."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Annotated
from uuid import UUID

from leadengine_core.api_keys import ApiKey, ApiKeyToken
from leadengine_core.users import Role
from pydantic import Field, StringConstraints

from leadengine_contracts.base import WireModel

__all__ = ["ApiKeyList", "ApiKeyOut", "CreateApiKeyRequest", "CreatedApiKey"]


KeyName = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True,
        min_length=1,
        max_length=120,
        pattern=r"^[^\x00]*$",  # PostgreSQL text cannot hold a NUL character
    ),
]


class CreateApiKeyRequest(WireModel):
    name: KeyName = Field(description="What the key is for, e.g. the integration that uses it.")
    role: Role = Field(description="The key acts with this role's permissions.")


class ApiKeyOut(WireModel):
    id: UUID
    name: str
    role: Role
    prefix: str = Field(description="The public part of the token, to tell keys apart.")
    created_at: datetime
    created_by: UUID | None
    last_used_at: datetime | None = Field(description="Accurate to about a minute.")

    @classmethod
    def from_domain(cls, key: ApiKey) -> ApiKeyOut:
        return cls(
            id=key.id,
            name=key.name,
            role=key.role,
            prefix=key.prefix,
            created_at=key.created_at,
            created_by=key.created_by,
            last_used_at=key.last_used_at,
        )


class CreatedApiKey(WireModel):
    key: ApiKeyOut
    token: str = Field(
        description="Send as `Authorization: Bearer <token>`. Shown only in this response: "
        "the server keeps a hash and cannot show it again."
    )

    @classmethod
    def from_domain(cls, key: ApiKey, token: ApiKeyToken) -> CreatedApiKey:
        return cls(key=ApiKeyOut.from_domain(key), token=token.bearer)


class ApiKeyList(WireModel):
    items: list[ApiKeyOut]

    @classmethod
    def from_domain(cls, keys: Sequence[ApiKey]) -> ApiKeyList:
        return cls(items=[ApiKeyOut.from_domain(key) for key in keys])
