"""HTTP server spans for every request the API serves (Socket.IO traffic excepted), the
span of each inbox row the inbound worker applies, and Socket.IO emits.

The OpenTelemetry ASGI middleware (the one Litestar's `OpenTelemetryPlugin` wraps) is put
around the whole HTTP app rather than inside Litestar: that way the span is open while the
request-context middleware writes its `http.request` access line (so the line carries the
trace id) and unmatched paths are traced too. Once the router has matched, the span is renamed
to the route template (`POST /api/tickets/{ticket_id:uuid}/messages`), which keeps span names
bounded. A long-lived websocket is not worth a span: Socket.IO is mounted outside this.

While no tracer provider is installed (`OTEL_TRACES_EXPORTER=none`), requests bypass the
middleware: its no-op span, header parsing and wrapped `send` still cost about 4% of a cheap
read. The provider is looked up per request, so installing one later (as tests do) turns spans
on without rebuilding the app.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, cast

from leadengine_shared.tracing import linked_span, span, tracer
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware
from opentelemetry.trace import ProxyTracerProvider, Span, SpanKind, Status, StatusCode
from opentelemetry.util.http import ExcludeList
from opentelemetry.util.types import AttributeValue
from sqlalchemy import Row

__all__ = ["emit_span", "emit_spans", "inbox_row_span", "resumed", "traced_http", "tracing_on"]

UNTRACED_PATHS = ExcludeList([r"/metrics$", r"/healthz$", r"/readyz$"])
"""Scrapes and probes would be most of the spans and say nothing."""


def _route_template(scope: Scope) -> str | None:
    """The full path template Litestar matched (`/api/tickets/{ticket_id:uuid}`), if any."""
    template = scope.get("path_template")
    return template if isinstance(template, str) and template else None


class _NameSpanByRoute:
    """Runs inside the server span; names it after the matched route when the response
    starts (the ASGI middleware ends the span with the last body chunk)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return
        server = trace.get_current_span()

        async def send_naming_span(message: Message) -> None:
            if message["type"] == "http.response.start":
                route = _route_template(scope)
                if route is not None and server.is_recording():
                    server.update_name(f"{scope['method']} {route}")
                    server.set_attribute("http.route", route)
            await send(message)

        await self.app(scope, receive, send_naming_span)


def _unmatched_span_name(scope: Scope) -> tuple[str, dict[str, str]]:
    """The name until the route is known: the method only, never the raw path (unbounded)."""
    return str(scope.get("method", "HTTP")), {}


def _drop_query_string(span: Span, scope: dict[str, Any]) -> None:
    """A query string can carry a credential (`hub.verify_token`): spans keep the path only."""
    if not scope.get("query_string") or not span.is_recording():
        return
    attributes = getattr(span, "attributes", None) or {}
    for key in ("http.url", "url.full"):
        value = attributes.get(key)
        if isinstance(value, str):
            span.set_attribute(key, value.split("?", 1)[0])
    if "url.query" in attributes:
        span.set_attribute("url.query", "")


def tracing_on() -> bool:
    """Whether a tracer provider is installed (the API's proxy stands in until one is)."""
    return not isinstance(trace.get_tracer_provider(), ProxyTracerProvider)


def traced_http(app: ASGIApp) -> ASGIApp:
    """`app` with a server span per HTTP request while tracing is on, `app` itself while off."""
    # Typed with plain mappings for scope and messages: the same ASGI callable all the same.
    traced = cast(
        "ASGIApp",
        OpenTelemetryMiddleware(
            _NameSpanByRoute(app),
            excluded_urls=UNTRACED_PATHS,
            default_span_details=_unmatched_span_name,
            server_request_hook=_drop_query_string,
            exclude_spans=["receive", "send"],
        ),
    )

    async def traced_when_on(scope: Scope, receive: Receive, send: Send) -> None:
        await (traced if tracing_on() else app)(scope, receive, send)

    return traced_when_on


@contextmanager
def inbox_row_span(row: Row[Any]) -> Iterator[Span]:
    """One span per inbox row the inbound worker applies, linked to the webhook's span whose
    `traceparent` the row keeps (a row has no parent: it may run much later, elsewhere)."""
    attributes: dict[str, AttributeValue] = {
        "inbox.id": str(row.id),
        "inbox.kind": str(row.kind),
        "inbox.attempt": int(row.attempts),
    }
    if row.tenant_id is not None:
        attributes["tenant.id"] = str(row.tenant_id)
    with linked_span("inbound.apply", getattr(row, "trace_context", None), attributes) as current:
        yield current


@contextmanager
def resumed(row_span: Span | None) -> Iterator[None]:
    """Make an inbox row's (ended) span current again, so the emits its events cause after the
    batch commits are its children, as they are when a row is applied on its own."""
    if row_span is None:
        yield
        return
    with trace.use_span(row_span, end_on_exit=False):
        yield


@contextmanager
def emit_span(event: str, tenant_id: object) -> Iterator[Span]:
    """A Socket.IO emit made on its own (a typing relay), a child of the current span."""
    attributes: dict[str, AttributeValue] = {"realtime.event": event, "tenant.id": str(tenant_id)}
    with span("realtime.emit", attributes, kind=SpanKind.PRODUCER) as current:
        yield current


@contextmanager
def emit_spans(emits: Sequence[tuple[str, object, int, Context]]) -> Iterator[None]:
    """One span per Socket.IO emit of a batch (to this process's sockets, or through Redis to
    every API process), each a child of the context its change was published in (its cause)."""
    spans = [
        tracer().start_span(
            "realtime.emit",
            context=cause,
            kind=SpanKind.PRODUCER,
            attributes={
                "realtime.event": event,
                "tenant.id": str(tenant_id),
                "realtime.seq": seq,
            },
        )
        for event, tenant_id, seq, cause in emits
    ]
    try:
        yield
    except Exception as error:
        for each in spans:
            each.record_exception(error)
            each.set_status(Status(StatusCode.ERROR))
        raise
    finally:
        for each in spans:
            each.end()
