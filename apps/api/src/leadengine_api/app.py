"""The app factory: settings in, ASGI app out. Building the app opens no connection."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.metadata import version

from leadengine_shared.settings import Settings
from litestar import Litestar, Router
from litestar.config.cors import CORSConfig
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import ScalarRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme
from litestar.plugins.pydantic import PydanticPlugin
from litestar.types import ASGIApp

from leadengine_api import health
from leadengine_api.context import AppContext
from leadengine_api.dependencies import request_dependencies
from leadengine_api.features.auth.routes import AuthController
from leadengine_api.problems import exception_handlers
from leadengine_api.ratelimit import RateLimitMiddleware, RequestLimiter
from leadengine_api.request_context import RequestContextMiddleware

__all__ = ["build_litestar", "create_app"]

API_CONTROLLERS = [AuthController]
BODY_LIMIT_BYTES = 1_048_576


def openapi_config() -> OpenAPIConfig:
    return OpenAPIConfig(
        title="LeadEngine API",
        version=version("leadengine-api"),
        description="Tickets, leads, contacts and WhatsApp messages for many tenants. "
        "Errors are RFC 9457 problem details with a stable `code`.",
        path="/schema",
        render_plugins=[ScalarRenderPlugin()],
        components=Components(
            security_schemes={
                "BearerToken": SecurityScheme(type="http", scheme="bearer", bearer_format="JWT")
            }
        ),
        security=[{"BearerToken": []}],
        use_handler_docstrings=True,
    )


def build_litestar(settings: Settings, context: AppContext) -> Litestar:
    """The Litestar app alone (the OpenAPI generator uses it without serving)."""

    @asynccontextmanager
    async def lifespan(_: Litestar) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await context.close()

    api = Router(
        path="/",
        route_handlers=API_CONTROLLERS,
        middleware=[RateLimitMiddleware(RequestLimiter(settings))],
    )
    return Litestar(
        route_handlers=[health.router, api],
        lifespan=[lifespan],
        dependencies=request_dependencies(context),
        exception_handlers=exception_handlers,
        cors_config=CORSConfig(
            allow_origins=settings.cors_origins,
            allow_headers=[
                "authorization",
                "content-type",
                "x-tenant-id",
                "x-request-id",
                "idempotency-key",
                "x-api-key",
            ],
            expose_headers=["x-request-id", "retry-after"],
            allow_credentials=True,
        )
        if settings.cors_origins
        else None,
        openapi_config=openapi_config(),
        plugins=[PydanticPlugin(prefer_alias=True)],
        request_max_body_size=BODY_LIMIT_BYTES,
        logging_config=None,
        debug=False,
    )


def create_app(settings: Settings) -> ASGIApp:
    """The served app: request ids and access metrics wrap everything, unmatched paths too."""
    context = AppContext.build(settings)
    return RequestContextMiddleware(build_litestar(settings, context), context.http_metrics)
