from collections.abc import Iterator

import pytest
from leadengine_shared.tracing import (
    capture_spans,
    client_span,
    current_traceparent,
    inject_traceparent,
    linked_span,
    span,
)
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    exporter = capture_spans()
    yield exporter
    exporter.shutdown()


def test_there_is_no_traceparent_outside_a_span() -> None:
    assert current_traceparent() is None


def test_the_traceparent_names_the_current_span(spans: InMemorySpanExporter) -> None:
    with span("work") as current:
        traceparent = current_traceparent()
    context = current.get_span_context()
    assert traceparent is not None
    version, trace_id, span_id, _flags = traceparent.split("-")
    assert (version, trace_id, span_id) == (
        "00",
        f"{context.trace_id:032x}",
        f"{context.span_id:016x}",
    )


def test_a_linked_span_starts_a_new_trace_linked_to_the_stored_one(
    spans: InMemorySpanExporter,
) -> None:
    with span("webhook"):
        stored = current_traceparent()
        # Even when started inside another span, the linked span is a root of its own.
        with linked_span("apply", stored, {"inbox.kind": "message"}):
            pass
    apply, webhook = spans.get_finished_spans()
    assert apply.kind is SpanKind.CONSUMER
    assert apply.parent is None
    assert apply.context is not None
    assert webhook.context is not None
    assert apply.context.trace_id != webhook.context.trace_id
    (link,) = apply.links
    assert (link.context.trace_id, link.context.span_id) == (
        webhook.context.trace_id,
        webhook.context.span_id,
    )
    assert apply.attributes == {"inbox.kind": "message"}


@pytest.mark.parametrize(
    "stored", [None, "", "not-a-traceparent", "00-" + "0" * 32 + "-" + "0" * 16 + "-01"]
)
def test_a_missing_or_invalid_traceparent_gives_a_span_without_links(
    spans: InMemorySpanExporter, stored: str | None
) -> None:
    with linked_span("apply", stored):
        pass
    (apply,) = spans.get_finished_spans()
    assert apply.links == ()


def test_a_client_span_travels_in_the_outgoing_headers(spans: InMemorySpanExporter) -> None:
    headers: dict[str, str] = {}
    with client_span("broker.send_text", {"broker.operation": "send_text"}):
        inject_traceparent(headers)
    (call,) = spans.get_finished_spans()
    assert call.kind is SpanKind.CLIENT
    assert call.context is not None
    assert headers["traceparent"].split("-")[1:3] == [
        f"{call.context.trace_id:032x}",
        f"{call.context.span_id:016x}",
    ]


def test_an_escaping_exception_marks_the_span_failed(spans: InMemorySpanExporter) -> None:
    with pytest.raises(RuntimeError), span("work"):
        raise RuntimeError("boom")
    (failed,) = spans.get_finished_spans()
    assert failed.status.status_code is StatusCode.ERROR
