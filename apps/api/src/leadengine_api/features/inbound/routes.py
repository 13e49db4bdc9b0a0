"""The WhatsApp webhooks (public, authenticated by key and signature, never by JWT) and the
inbox admin views (ADMIN, own tenant only)."""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal
from uuid import UUID

from leadengine_core.ports import UnitOfWork
from leadengine_core.users import Role
from leadengine_shared.tracing import current_traceparent, span
from leadengine_storage import inbox
from leadengine_storage.unit_of_work import SqlUnitOfWork
from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, FromQuery, QueryParameter
from litestar.status_codes import HTTP_200_OK, HTTP_202_ACCEPTED
from sqlalchemy.ext.asyncio import AsyncConnection

from leadengine_api.api_docs import PUBLIC, USER_ERRORS, problems
from leadengine_api.features.inbound import service
from leadengine_api.features.inbound.envelopes import Source, parse_body
from leadengine_api.features.inbound.schemas import (
    InboxPage,
    InboxRowOut,
    ReplayResponse,
    WebhookAccepted,
)
from leadengine_api.features.inbound.webhook_auth import (
    WebhookRefused,
    check_api_key,
    check_evolution_key,
    check_signature,
    read_body,
    required_key,
    same_secret,
)
from leadengine_api.injected import Caller, Context, Uow
from leadengine_api.problems import ApiError

__all__ = ["BenchBaselineController", "InboxAdminController", "WebhookController"]

WEBHOOK_ERRORS = problems(400, 401, 413, 422, 503)
InboxStatus = Literal[
    "pending", "processing", "done", "deferred", "failed", "unroutable", "ignored"
]


class WebhookController(Controller):
    tags = ["webhooks"]

    @post(
        "/api/integrations/whatsapp/webhook",
        operation_id="receiveWhatsAppWebhook",
        status_code=HTTP_202_ACCEPTED,
        security=PUBLIC,
        responses=WEBHOOK_ERRORS,
    )
    async def broker(self, request: Request[Any, Any, Any], context: Context) -> WebhookAccepted:
        """A broker delivery: one event, an array, or `{events: [...]}`. Answered only after
        the events are stored; a redelivery is counted as duplicates."""
        return await _broker_delivery(request, context)

    @post(
        "/api/webhooks/whatsapp",
        operation_id="receiveWhatsAppWebhookAlias",
        status_code=HTTP_202_ACCEPTED,
        security=PUBLIC,
        responses=WEBHOOK_ERRORS,
    )
    async def broker_alias(
        self, request: Request[Any, Any, Any], context: Context
    ) -> WebhookAccepted:
        """The same as `receiveWhatsAppWebhook`, at the path older brokers are set up with."""
        return await _broker_delivery(request, context)

    @post(
        "/api/webhooks/evolution",
        operation_id="receiveEvolutionWebhook",
        status_code=HTTP_202_ACCEPTED,
        security=PUBLIC,
        responses=WEBHOOK_ERRORS,
    )
    async def evolution(self, request: Request[Any, Any, Any], context: Context) -> WebhookAccepted:
        """An Evolution API v2 delivery; its `apikey` (header or body) authenticates it."""
        try:
            key = required_key(context.settings.evolution_webhook_key)
            body = await read_body(request)
            decoded = _decoded(body)
            check_evolution_key(request.headers, decoded, key)
            return await _accept(request, context, Source.EVOLUTION, decoded)
        except WebhookRefused as refused:
            _count_refusal(context, refused)
            raise

    @get(
        "/api/webhooks/whatsapp",
        operation_id="verifyWhatsAppWebhook",
        security=PUBLIC,
        media_type="text/plain",
        responses=problems(403),
    )
    async def verify(
        self,
        context: Context,
        mode: Annotated[str | None, QueryParameter(query="hub.mode")] = None,
        token: Annotated[str | None, QueryParameter(query="hub.verify_token")] = None,
        challenge: Annotated[str, QueryParameter(query="hub.challenge")] = "",
    ) -> str:
        """The subscription handshake: echo `hub.challenge` when the verify token matches."""
        expected = context.settings.whatsapp_webhook_verify_token
        if (
            mode != "subscribe"
            or token is None
            or expected is None
            or not same_secret(token, expected.get_secret_value())
        ):
            raise ApiError(403, "FORBIDDEN", "the verify token does not match")
        return challenge


class InboxAdminController(Controller):
    path = "/api/admin/inbox"
    tags = ["admin"]

    @get("/", operation_id="listInbox", responses=USER_ERRORS)
    async def list_inbox(
        self,
        principal: Caller,
        uow: Uow,
        status: FromQuery[InboxStatus | None] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=500)] = 50,
    ) -> InboxPage:
        """This tenant's inbox rows, newest first (unroutable rows belong to no tenant)."""
        _require_admin(principal.role)
        rows = await inbox.list_rows(
            _connection(uow),
            tenant_id=principal.tenant_id,
            statuses=[status] if status else [],
            limit=limit,
        )
        return InboxPage(items=[InboxRowOut.from_row(row) for row in rows])

    @post(
        "/{row_id:uuid}/replay",
        operation_id="replayInboxRow",
        status_code=HTTP_200_OK,
        responses=USER_ERRORS,
    )
    async def replay(
        self, principal: Caller, uow: Uow, context: Context, row_id: FromPath[UUID]
    ) -> ReplayResponse:
        """Queue a failed (or finished) row again with fresh attempts."""
        _require_admin(principal.role)
        connection = _connection(uow)
        replayed = await inbox.replay(
            connection, row_id, tenant_id=principal.tenant_id, now=context.clock.now()
        )
        if replayed:
            await inbox.notify(connection)
        if not replayed:
            raise ApiError(404, "NOT_FOUND", "no replayable inbox row with this id")
        context.inbox_signal.set()
        return ReplayResponse(id=row_id, status="pending")


class BenchBaselineController(Controller):
    """Mounted only with WEBHOOK_BENCH_ENDPOINT: the benchmark's bare-endpoint baseline."""

    @post(
        "/api/bench/webhook-baseline",
        operation_id="benchWebhookBaseline",
        status_code=HTTP_202_ACCEPTED,
        security=PUBLIC,
        include_in_schema=False,
    )
    async def baseline(self, request: Request[Any, Any, Any]) -> Response[bytes]:
        await read_body(request)
        return Response(b"{}", status_code=HTTP_202_ACCEPTED, media_type="application/json")


async def _broker_delivery(request: Request[Any, Any, Any], context: Context) -> WebhookAccepted:
    settings = context.settings
    try:
        key = required_key(settings.whatsapp_webhook_api_key)
        check_api_key(request.headers, key)
        body = await read_body(request)
        if settings.whatsapp_webhook_hmac_secret is not None:
            secret = settings.whatsapp_webhook_hmac_secret.get_secret_value()
            check_signature(body, request.headers.get("x-signature"), secret)
        return await _accept(request, context, Source.BROKER, _decoded(body))
    except WebhookRefused as refused:
        _count_refusal(context, refused)
        raise


async def _accept(
    request: Request[Any, Any, Any], context: Context, source: Source, body: object
) -> WebhookAccepted:
    try:
        parsed = parse_body(source, body)
    except RecursionError as error:
        raise WebhookRefused(400, "BAD_REQUEST", "the body nests too deeply", "too_deep") from error
    with span("webhook.accept", {"webhook.source": source.value, "webhook.events": len(parsed)}):
        # Stored on each inbox row: the worker's apply spans link back to this span.
        result = await service.accept(
            context.inbox_intake,
            context.ids,
            context.clock.now(),
            context.inbound_metrics,
            source,
            parsed,
            current_traceparent() or request.headers.get("traceparent"),
        )
    if result.accepted:
        context.inbox_signal.set()
    return WebhookAccepted(accepted=result.accepted, duplicates=result.duplicates)


def _decoded(body: bytes) -> object:
    try:
        return json.loads(body)
    except (ValueError, RecursionError) as error:
        raise WebhookRefused(400, "BAD_REQUEST", "the body is not JSON", "invalid_json") from error


def _count_refusal(context: Context, refused: WebhookRefused) -> None:
    if refused.status != 503 or refused.reason == "not_configured":
        context.inbound_metrics.webhook("rejected", refused.reason)


def _connection(uow: UnitOfWork) -> AsyncConnection:
    """The request's own transaction: on SQLite a second one would wait for this one."""
    assert isinstance(uow, SqlUnitOfWork)
    return uow.connection


def _require_admin(role: Role) -> None:
    if role is not Role.ADMIN:
        raise ApiError(403, "FORBIDDEN", "only an ADMIN may manage the inbox")
