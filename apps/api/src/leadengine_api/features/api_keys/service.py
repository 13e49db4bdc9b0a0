"""Tenant API keys: issue, list, revoke, and authenticate the requests that carry one."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from leadengine_contracts.api_keys import CreateApiKeyRequest
from leadengine_core.api_keys import TOKEN_SCHEME, ApiKey, ApiKeyToken
from leadengine_core.errors import NotFound
from leadengine_core.ports import Clock, IdGenerator, UnitOfWork

from leadengine_api.auth.principal import Principal
from leadengine_api.problems import ApiError

__all__ = ["IssuedKey", "authenticate", "is_api_key", "issue_key", "revoke_key"]


@dataclass(frozen=True, slots=True)
class IssuedKey:
    key: ApiKey
    token: ApiKeyToken


def is_api_key(bearer: str) -> bool:
    """API keys and JWTs share the bearer scheme; a JWT never starts with `le_`."""
    return bearer.startswith(f"{TOKEN_SCHEME}_")


async def issue_key(
    uow: UnitOfWork,
    clock: Clock,
    ids: IdGenerator,
    tenant_id: UUID,
    created_by: UUID,
    data: CreateApiKeyRequest,
) -> IssuedKey:
    token, now = ApiKeyToken.generate(), clock.now()
    key = ApiKey(
        tenant_id=tenant_id,
        id=ids.new_id(),
        name=data.name,
        role=data.role,
        prefix=token.prefix,
        secret_hash=token.secret_hash,
        created_by=created_by,
        created_at=now,
        updated_at=now,
    )
    await uow.api_keys.add(tenant_id, key)
    return IssuedKey(key=key, token=token)


async def revoke_key(uow: UnitOfWork, clock: Clock, tenant_id: UUID, key_id: UUID) -> None:
    """From the next request on the key is refused; a revoked key is gone (404) for the API."""
    key = await uow.api_keys.get(tenant_id, key_id)
    if key is None or key.is_revoked:
        raise NotFound("api key not found", details={"id": str(key_id)})
    key.revoke(clock.now())
    await uow.api_keys.update(tenant_id, key)


async def authenticate(uow: UnitOfWork, clock: Clock, bearer: str) -> Principal:
    """The key's tenant and role; 401 for a token that is malformed, unknown or revoked.

    Runs in the request's unit of work. A moved `last_used_at` is committed at once: the use
    counts even if the request then fails, and the key's row lock is not held through the
    handler, where concurrent requests with the same key would queue behind it.
    """
    token = ApiKeyToken.parse(bearer)
    key = None if token is None else await uow.api_keys.find_by_prefix(token.prefix)
    if token is None or key is None or not key.accepts(token):
        raise ApiError(401, "UNAUTHORIZED", "the API key is not valid")
    if key.record_use(clock.now()):
        await uow.api_keys.update(key.tenant_id, key)
        await uow.commit()
    return Principal(tenant_id=key.tenant_id, user_id=None, role=key.role, api_key_id=key.id)
