"""OpenTelemetry: off unless `OTEL_TRACES_EXPORTER` names an exporter; helpers for our spans.

Instrumented code always goes through the global API (`trace.get_tracer`): with no provider
installed every span is a no-op, so tracing costs next to nothing while it is off.

Trace context crosses process and queue boundaries as a W3C `traceparent` string
(`opentelemetry.propagate`): the webhook stores it on each inbox row, and the worker starts
one span per applied row *linked* to it (a new trace, since one webhook batch fans out into
many independent applies that may run much later, in another process, or be retried).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, MutableMapping
from contextlib import contextmanager

from opentelemetry import propagate, trace
from opentelemetry.context import Context
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    ConsoleSpanExporter,
    SimpleSpanProcessor,
    SpanExporter,
)
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import Link, Span, SpanKind
from opentelemetry.util.types import AttributeValue

from leadengine_shared.settings import ConfigurationError, Settings

__all__ = [
    "Attributes",
    "capture_spans",
    "client_span",
    "configure_tracing",
    "current_traceparent",
    "inject_traceparent",
    "linked_span",
    "span",
    "tracer",
]

Attributes = Mapping[str, AttributeValue]
TRACEPARENT = "traceparent"
_INSTRUMENTATION = "leadengine"


def _otlp_exporter() -> SpanExporter:
    try:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    except ImportError as exc:
        raise ConfigurationError(
            "OTEL_TRACES_EXPORTER=otlp needs the OTLP exporter: "
            "pip install 'leadengine-shared[otlp]'"
        ) from exc
    return OTLPSpanExporter()


def configure_tracing(settings: Settings, *, component: str = "api") -> TracerProvider | None:
    """Install a tracer provider for the configured exporter; return None when tracing is off.

    `component` (`api`, `worker`) tells the processes of one service apart. The OTLP exporter
    reads its endpoint from the standard `OTEL_EXPORTER_OTLP_*` variables.
    """
    if settings.otel_traces_exporter == "none":
        return None
    provider = TracerProvider(
        resource=Resource.create(
            {"service.name": settings.otel_service_name, "leadengine.component": component}
        )
    )
    if settings.otel_traces_exporter == "console":
        provider.add_span_processor(SimpleSpanProcessor(ConsoleSpanExporter()))
    else:
        provider.add_span_processor(BatchSpanProcessor(_otlp_exporter()))
    trace.set_tracer_provider(provider)
    return provider


def tracer() -> trace.Tracer:
    """Our tracer, resolved through the global provider at each call (a no-op while off)."""
    return trace.get_tracer(_INSTRUMENTATION)


@contextmanager
def span(
    name: str,
    attributes: Attributes | None = None,
    *,
    kind: SpanKind = SpanKind.INTERNAL,
    parent: Context | None = None,
) -> Iterator[Span]:
    """A child of the current span (or of `parent`, a context captured earlier); an exception
    escaping it is recorded and re-raised."""
    with tracer().start_as_current_span(
        name, context=parent, kind=kind, attributes=attributes
    ) as current:
        yield current


@contextmanager
def client_span(name: str, attributes: Attributes | None = None) -> Iterator[Span]:
    """An outgoing call (the broker's HTTP API); inject its context into the request."""
    with span(name, attributes, kind=SpanKind.CLIENT) as current:
        yield current


@contextmanager
def linked_span(
    name: str,
    traceparent: str | None,
    attributes: Attributes | None = None,
    *,
    kind: SpanKind = SpanKind.CONSUMER,
) -> Iterator[Span]:
    """A new root span linked to the span a stored `traceparent` names (when it is valid).

    Used where work picked from a queue continues what a request started: the request's trace
    ends at its answer, and this one says where the work came from.
    """
    links: list[Link] = []
    if traceparent:
        origin = trace.get_current_span(propagate.extract({TRACEPARENT: traceparent}))
        if origin.get_span_context().is_valid:
            links.append(Link(origin.get_span_context()))
    with tracer().start_as_current_span(
        name,
        context=trace.set_span_in_context(trace.INVALID_SPAN),
        kind=kind,
        links=links,
        attributes=attributes,
    ) as current:
        yield current


def inject_traceparent(headers: MutableMapping[str, str]) -> None:
    """Add the current span's `traceparent` (and `tracestate`) to outgoing headers."""
    propagate.inject(headers)


def current_traceparent() -> str | None:
    """The current span as a W3C `traceparent` value, None outside a valid span context."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return carrier.get(TRACEPARENT)


def capture_spans() -> InMemorySpanExporter:
    """For tests: record every finished span in memory.

    A process has one global tracer provider that can be set only once, so a test installs an
    SDK provider if there is none yet and otherwise adds a processor to the existing one.
    """
    exporter = InMemorySpanExporter()
    provider = trace.get_tracer_provider()
    if not isinstance(provider, TracerProvider):
        provider = TracerProvider(resource=Resource.create({"service.name": "leadengine-test"}))
        trace.set_tracer_provider(provider)
        provider = trace.get_tracer_provider()
        assert isinstance(provider, TracerProvider), "another provider was installed first"
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return exporter
