"""The app factory: settings in, ASGI app out. Building the app opens no connection."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.metadata import version

from leadengine_shared.settings import Settings
from litestar import Litestar, Router
from litestar.config.cors import CORSConfig
from litestar.datastructures import State
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import ScalarRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme
from litestar.plugins.pydantic import PydanticPlugin
from litestar.types import ASGIApp

from leadengine_api import health
from leadengine_api.auth.middleware import AuthenticationMiddleware
from leadengine_api.context import AppContext
from leadengine_api.dependencies import request_dependencies
from leadengine_api.features.api_keys.routes import ApiKeysController
from leadengine_api.features.auth.routes import AuthController
from leadengine_api.features.contacts.routes import ContactsController
from leadengine_api.features.inbound.routes import (
    BenchBaselineController,
    InboxAdminController,
    WebhookController,
)
from leadengine_api.features.instances.broker import APP_STATE_KEY as WHATSAPP_STATE_KEY
from leadengine_api.features.instances.routes import InstancesController
from leadengine_api.features.leads.routes import LeadsController
from leadengine_api.features.outbound.routes import OutboundController
from leadengine_api.features.queues.routes import QueuesController
from leadengine_api.features.tickets.message_routes import TicketMessagesController
from leadengine_api.features.tickets.note_routes import TicketNotesController
from leadengine_api.features.tickets.routes import TicketsController
from leadengine_api.features.users.routes import UsersController
from leadengine_api.outbox_worker.running import embedded_outbound_worker
from leadengine_api.problems import exception_handlers
from leadengine_api.ratelimit import RateLimitMiddleware, RequestLimiter
from leadengine_api.realtime.routes import RealtimeController
from leadengine_api.request_context import RequestContextMiddleware
from leadengine_api.telemetry import traced_http
from leadengine_api.worker.embedded import embedded_inbound_worker

__all__ = ["build_litestar", "create_app", "served_app"]

API_CONTROLLERS = [
    AuthController,
    UsersController,
    ApiKeysController,
    QueuesController,
    InboxAdminController,
    InstancesController,
    OutboundController,
    TicketsController,
    TicketNotesController,
    TicketMessagesController,
    ContactsController,
    LeadsController,
    RealtimeController,
]
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
        middleware=[
            RateLimitMiddleware(RequestLimiter(settings)),
            AuthenticationMiddleware(context),
        ],
    )
    return Litestar(
        # Webhooks authenticate by key and must not share the per-IP limit of user traffic.
        route_handlers=[health.router, api, WebhookController, *_bench_routes(settings)],
        lifespan=[lifespan, embedded_inbound_worker(context), embedded_outbound_worker(context)],
        dependencies=request_dependencies(context),
        state=State({WHATSAPP_STATE_KEY: context.whatsapp}),
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


def _bench_routes(settings: Settings) -> list[type[BenchBaselineController]]:
    return [BenchBaselineController] if settings.webhook_bench_endpoint else []


def create_app(settings: Settings) -> ASGIApp:
    return served_app(AppContext.build(settings))


def served_app(context: AppContext) -> ASGIApp:
    """Socket.IO at `SOCKET_IO_PATH` in front; server spans, request ids and access metrics
    wrap all HTTP traffic, unmatched paths too. Tests pass their own context to reach its
    publisher."""
    settings = context.settings
    http = RequestContextMiddleware(build_litestar(settings, context), context.http_metrics)
    return context.realtime.wrap(traced_http(http), settings.socket_io_path)
