"""OpenTelemetry set-up: off unless `OTEL_TRACES_EXPORTER` names an exporter."""

from __future__ import annotations

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    ConsoleSpanExporter,
    SimpleSpanProcessor,
    SpanExporter,
)

from leadengine_shared.settings import ConfigurationError, Settings

__all__ = ["configure_tracing"]


def _otlp_exporter() -> SpanExporter:
    try:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    except ImportError as exc:
        raise ConfigurationError(
            "OTEL_TRACES_EXPORTER=otlp needs the OTLP exporter: "
            "pip install 'leadengine-shared[otlp]'"
        ) from exc
    return OTLPSpanExporter()


def configure_tracing(settings: Settings) -> TracerProvider | None:
    """Install a tracer provider for the configured exporter; return None when tracing is off.

    The OTLP exporter reads its endpoint from the standard `OTEL_EXPORTER_OTLP_*` variables.
    """
    if settings.otel_traces_exporter == "none":
        return None
    provider = TracerProvider(
        resource=Resource.create({"service.name": settings.otel_service_name})
    )
    if settings.otel_traces_exporter == "console":
        provider.add_span_processor(SimpleSpanProcessor(ConsoleSpanExporter()))
    else:
        provider.add_span_processor(BatchSpanProcessor(_otlp_exporter()))
    trace.set_tracer_provider(provider)
    return provider
