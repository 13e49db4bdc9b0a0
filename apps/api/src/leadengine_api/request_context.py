"""Request id and per-request log context, as a plain ASGI middleware.

Every response carries `X-Request-Id`: the caller's when it is a sane token, otherwise a new
one. The id is bound to the log context for the whole request and kept in `scope["state"]` so
error documents can quote it.
"""

from __future__ import annotations

import re
import time
import uuid
from typing import Any

from leadengine_shared.logging import bind_context, clear_context, get_logger
from leadengine_shared.metrics import HttpMetrics
from litestar.datastructures import MutableScopeHeaders
from litestar.enums import ScopeType
from litestar.types import ASGIApp, HTTPScope, Message, Receive, Scope, Send

__all__ = ["RequestContextMiddleware"]

_VALID_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
_log = get_logger("leadengine.api.http")


def _incoming_request_id(scope: Scope) -> str | None:
    for name, value in scope.get("headers", []):
        if name == b"x-request-id":
            text = value.decode("latin-1")
            return text if _VALID_ID.match(text) else None
    return None


def _route_template(scope: Scope) -> str:
    """The full template Litestar matched (`/api/tickets/{ticket_id:uuid}`): bounded, unlike
    the path, and unambiguous, unlike the handler's own (controller-relative) path."""
    template = scope.get("path_template")
    return template if isinstance(template, str) and template else "unmatched"


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp, metrics: HttpMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return
        http_scope: HTTPScope = scope
        request_id = _incoming_request_id(scope) or f"req_{uuid.uuid4().hex}"
        scope.setdefault("state", {})["request_id"] = request_id
        clear_context()
        bind_context(request_id=request_id)
        started = time.perf_counter()
        status: dict[str, Any] = {"code": 500}

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                MutableScopeHeaders.from_message(message)["X-Request-Id"] = request_id
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            route = _route_template(scope)
            self.metrics.requests.labels(
                route, http_scope["method"], f"{status['code'] // 100}xx"
            ).observe(elapsed)
            _log.info(
                "http.request",
                method=http_scope["method"],
                route=route,
                status=status["code"],
                duration_ms=round(elapsed * 1000, 2),
            )
            clear_context()
