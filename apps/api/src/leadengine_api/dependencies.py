"""Per-request dependencies: one unit of work per request, committed before the response, and
the caller, resolved from the bearer credential, never from a header or the body.

The tenant of every request is the tenant of its credential. A client may still send
`X-Tenant-Id` (older clients do); when it names another tenant the request is refused (403).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from leadengine_core.ports import UnitOfWork
from litestar import Request
from litestar.di import Provide

from leadengine_api.auth.principal import Principal
from leadengine_api.context import AppContext
from leadengine_api.injected import Context, Uow
from leadengine_api.problems import ApiError

__all__ = ["request_dependencies"]


async def provide_uow(context: Context) -> AsyncIterator[UnitOfWork]:
    """Commit when the handler returns; an exception rolls the whole request back.

    Litestar runs this cleanup after the handler but before the response is sent, so a failed
    commit becomes an error response, never a 2xx for a write that did not happen.
    """
    async with context.new_unit_of_work() as uow:
        yield uow
        await uow.commit()


def _bearer_token(request: Request[Any, Any, Any]) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(401, "UNAUTHORIZED", "a bearer token is required")
    return token.strip()


async def provide_principal(
    request: Request[Any, Any, Any],
    context: Context,
    uow: Uow,
) -> Principal:
    claims = context.tokens.decode(_bearer_token(request), "access")
    user = await uow.users.get(claims.tenant_id, claims.user_id)
    tenant = await uow.tenants.get(claims.tenant_id)
    if user is None or not user.is_active or tenant is None or not tenant.is_active:
        raise ApiError(401, "UNAUTHORIZED", "the account is not active")
    claimed_tenant = request.headers.get("x-tenant-id")
    if claimed_tenant is not None and claimed_tenant.strip() != str(tenant.id):
        raise ApiError(403, "FORBIDDEN", "X-Tenant-Id does not match the credential's tenant")
    return Principal(tenant_id=tenant.id, user_id=user.id, role=user.role)


def request_dependencies(context: AppContext) -> dict[str, Provide]:
    return {
        "context": Provide(lambda: context, use_cache=True, sync_to_thread=False),
        "uow": Provide(provide_uow),
        "principal": Provide(provide_principal),
    }
