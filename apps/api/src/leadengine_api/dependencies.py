"""Per-request dependencies: one unit of work per request, committed before the response, and
the caller, resolved from the bearer credential by `auth.middleware` (never from a header or the
body). An authenticated request's unit of work is the one the middleware opened and will end,
so a dependency that fails cannot strand it. A public operation's is opened here, so for those
dependencies must not raise: Litestar drops the cleanup of already-resolved dependencies when a
sibling fails.

The tenant of every request is the tenant of its credential. A client may still send
`X-Tenant-Id` (older clients do); when it names another tenant the request is refused (403).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import nullcontext
from typing import Any

from leadengine_core.ports import UnitOfWork
from litestar import Request
from litestar.di import Provide

from leadengine_api.auth.middleware import PRINCIPAL_STATE_KEY, UOW_STATE_KEY
from leadengine_api.auth.principal import Principal
from leadengine_api.context import AppContext
from leadengine_api.injected import Context
from leadengine_api.problems import ApiError

__all__ = ["request_dependencies"]


async def provide_uow(
    request: Request[Any, Any, Any], context: Context
) -> AsyncIterator[UnitOfWork]:
    """Commit when the handler returns; an exception rolls the whole request back.

    Litestar runs this cleanup after the handler but before the response is sent, so a failed
    commit becomes an error response, never a 2xx for a write that did not happen.
    The events the request recorded are published only after that commit (never raising).
    """
    opened: UnitOfWork | None = request.scope.get("state", {}).get(UOW_STATE_KEY)
    work = context.new_unit_of_work() if opened is None else nullcontext(opened)
    async with work as uow:
        yield uow
        await uow.commit()
    await context.realtime.publisher.publish(uow.collect_events())


def provide_principal(request: Request[Any, Any, Any]) -> Principal:
    """The caller `AuthenticationMiddleware` resolved before any dependency ran."""
    principal = request.scope.get("state", {}).get(PRINCIPAL_STATE_KEY)
    if not isinstance(principal, Principal):
        raise ApiError(401, "UNAUTHORIZED", "a bearer token is required")
    return principal


def request_dependencies(context: AppContext) -> dict[str, Provide]:
    return {
        "context": Provide(lambda: context, use_cache=True, sync_to_thread=False),
        "uow": Provide(provide_uow),
        "principal": Provide(provide_principal, sync_to_thread=False),
    }
