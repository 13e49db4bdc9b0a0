import io
import json
import logging

from leadengine_shared.logging import bind_context, clear_context, configure_logging, get_logger
from opentelemetry.sdk.trace import TracerProvider


def test_lines_are_json_events_with_bound_context() -> None:
    stream = io.StringIO()
    configure_logging("info", stream=stream)
    bind_context(request_id="req-1", tenant_id="t-1", user_id=None)
    try:
        get_logger("test").info("broker.send.retrying", attempt=2)
        get_logger("test").debug("hidden.at.info")
        logging.getLogger("uvicorn.error").warning("plain %s", "stdlib")
    finally:
        clear_context()
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert len(lines) == 2
    event, stdlib = lines
    assert event["event"] == "broker.send.retrying"
    assert event["attempt"] == 2
    assert event["request_id"] == "req-1"
    assert event["tenant_id"] == "t-1"
    assert "user_id" not in event
    assert event["level"] == "info"
    assert stdlib["event"] == "plain stdlib"
    assert stdlib["level"] == "warning"


def test_trace_id_is_attached_inside_a_span() -> None:
    stream = io.StringIO()
    configure_logging("info", stream=stream)
    tracer = TracerProvider().get_tracer("test")
    with tracer.start_as_current_span("work") as span:
        get_logger("test").info("inside.span")
    line = json.loads(stream.getvalue())
    assert line["trace_id"] == format(span.get_span_context().trace_id, "032x")
