"""The HTTP tracing wrapper with tracing off: requests go straight to the app."""

from __future__ import annotations

import pytest
from leadengine_api import telemetry
from litestar.types import Message, Receive, ReceiveMessage, Scope, Send
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.trace import ProxyTracerProvider


async def _receive() -> ReceiveMessage:
    return {"type": "http.request", "body": b"", "more_body": False}


async def _send(message: Message) -> None:
    return None


def _scope() -> Scope:
    return {  # type: ignore[return-value]
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": "/api/tickets",
        "raw_path": b"/api/tickets",
        "query_string": b"",
        "root_path": "",
        "headers": [],
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 80),
        "state": {},
    }


async def _sends_seen_by_app() -> list[Send]:
    seen: list[Send] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append(send)
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"", "more_body": False})

    await telemetry.traced_http(app)(_scope(), _receive, _send)
    return seen


async def test_without_a_tracer_provider_requests_bypass_the_middleware(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(trace, "get_tracer_provider", ProxyTracerProvider)
    assert not telemetry.tracing_on()
    assert await _sends_seen_by_app() == [_send]


async def test_with_a_tracer_provider_requests_go_through_the_middleware(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(trace, "get_tracer_provider", TracerProvider)
    assert telemetry.tracing_on()
    seen = await _sends_seen_by_app()
    assert len(seen) == 1
    assert seen[0] is not _send
