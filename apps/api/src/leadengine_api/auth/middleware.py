"""Authentication before anything else runs, inside the request's one unit of work.

Litestar resolves dependencies together and drops the cleanup of those already resolved when
one fails, so a unit of work opened by a dependency could be stranded (on SQLite, holding the
write lock). This middleware therefore owns the unit of work of every authenticated request: it
opens it, reads the caller's user and tenant in it, and leaves it in the scope for the `uow`
dependency, which commits after the handler. Whatever happens in between, the middleware ends
it (rolling back what was not committed) when the response starts, so a request costs one
connection checkout and one transaction, and a slow client never holds a connection. Operations
documented as public (`security=PUBLIC`) are skipped: the OpenAPI document and the check agree
by construction.
"""

from __future__ import annotations

from contextlib import AsyncExitStack
from typing import Any

from leadengine_core.ports import UnitOfWork
from leadengine_shared.logging import bind_context
from litestar import Request
from litestar.enums import ScopeType
from litestar.handlers import HTTPRouteHandler
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from leadengine_api.api_docs import PUBLIC
from leadengine_api.auth.principal import Principal
from leadengine_api.context import AppContext
from leadengine_api.features.api_keys import service as api_keys
from leadengine_api.problems import ApiError

__all__ = ["PRINCIPAL_STATE_KEY", "UOW_STATE_KEY", "AuthenticationMiddleware"]

PRINCIPAL_STATE_KEY = "principal"
UOW_STATE_KEY = "uow"


def _bearer_token(request: Request[Any, Any, Any]) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(401, "UNAUTHORIZED", "a bearer token is required")
    return token.strip()


async def _signed_in_user(context: AppContext, uow: UnitOfWork, bearer: str) -> Principal:
    claims = context.tokens.decode(bearer, "access")
    role = await uow.users.active_role(claims.tenant_id, claims.user_id)
    if role is None:
        raise ApiError(401, "UNAUTHORIZED", "the account is not active")
    return Principal(tenant_id=claims.tenant_id, user_id=claims.user_id, role=role)


async def _api_client(context: AppContext, uow: UnitOfWork, bearer: str) -> Principal:
    principal = await api_keys.authenticate(uow, context.clock, bearer)
    tenant = await uow.tenants.get(principal.tenant_id)
    if tenant is None or not tenant.is_active:
        raise ApiError(401, "UNAUTHORIZED", "the account is not active")
    return principal


async def authenticate(
    context: AppContext, uow: UnitOfWork, request: Request[Any, Any, Any]
) -> Principal:
    """A user signed in with a JWT, or a machine client with a tenant API key (`le_…`), of an
    active tenant; a user must be active too (one indexed read)."""
    bearer = _bearer_token(request)
    if api_keys.is_api_key(bearer):
        principal = await _api_client(context, uow, bearer)
    else:
        principal = await _signed_in_user(context, uow, bearer)
    claimed_tenant = request.headers.get("x-tenant-id")
    if claimed_tenant is not None and claimed_tenant.strip() != str(principal.tenant_id):
        raise ApiError(403, "FORBIDDEN", "X-Tenant-Id does not match the credential's tenant")
    return principal


class AuthenticationMiddleware(ASGIMiddleware):
    scopes = (ScopeType.HTTP,)

    def __init__(self, context: AppContext) -> None:
        self.context = context

    def __deepcopy__(self, memo: dict[int, object]) -> AuthenticationMiddleware:
        """Litestar copies middleware per route; this one shares the process's resources."""
        return self

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        handler = scope["route_handler"]
        if isinstance(handler, HTTPRouteHandler) and handler.resolve_security() == PUBLIC:
            await next_app(scope, receive, send)
            return
        async with AsyncExitStack() as request_work:
            uow = await request_work.enter_async_context(self.context.new_unit_of_work())
            principal = await authenticate(self.context, uow, Request(scope))
            state = scope.setdefault("state", {})
            state[PRINCIPAL_STATE_KEY], state[UOW_STATE_KEY] = principal, uow
            bind_context(tenant_id=str(principal.tenant_id), user_id=str(principal.user_id))

            async def send_ending_work(message: Message) -> None:
                if message["type"] == "http.response.start":
                    await request_work.aclose()
                await send(message)

            await next_app(scope, receive, send_ending_work)
