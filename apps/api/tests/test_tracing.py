"""Traces, logs and metrics of a real flow: the API served on loopback with its in-process
workers, the broker simulator as a real server, spans recorded in memory (SQLite and
PostgreSQL)."""

from __future__ import annotations

import asyncio
import io
import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import httpx
import pytest
from leadengine_api.app import served_app
from leadengine_api.context import AppContext
from leadengine_api.testing import Account, register_tenant, serve
from leadengine_core.instances import InstanceStatus
from leadengine_core.testing import EntityFactory, FixedClock
from leadengine_integrations.simulator import RunningSimulator, SimulatorConfig, run_simulator
from leadengine_shared.logging import configure_logging
from leadengine_shared.settings import load_settings
from leadengine_shared.tracing import capture_spans
from leadengine_storage.engine import create_engine
from leadengine_storage.tables import inbound_inbox, messages
from leadengine_storage.tenant_scope import UNSCOPED
from leadengine_storage.testing import store_committed, truncate_all
from leadengine_storage.unit_of_work import unit_of_work_factory
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

JWT_SECRET = "tracing-test-secret-" + "x" * 32
BROKER_KEY = "broker-key-" + "b" * 20
WEBHOOK_KEY = "webhook-key-" + "w" * 20
WEBHOOK_SECRET = "webhook-secret-" + "s" * 20
BROKER_ID = "acme-sales"
CUSTOMER = "5511977776666"
WEBHOOK_ROUTE = "/api/integrations/whatsapp/webhook"


@dataclass(slots=True)
class Flow:
    http: httpx.AsyncClient
    context: AppContext
    account: Account
    sim: RunningSimulator
    engine: AsyncEngine
    ticket_id: str
    spans: InMemorySpanExporter
    logs: io.StringIO

    def finished(self) -> list[ReadableSpan]:
        return list(self.spans.get_finished_spans())

    def named(self, name: str) -> list[ReadableSpan]:
        return [span for span in self.finished() if span.name == name]

    def log_lines(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.logs.getvalue().splitlines() if line]

    async def eventually(self, check: Callable[[], Awaitable[bool]]) -> None:
        async with asyncio.timeout(30):
            while not await check():  # noqa: ASYNC110 (polls the database)
                await asyncio.sleep(0.05)

    async def message_status(self, message_id: str) -> str | None:
        query = select(messages.c.status).where(messages.c.id == UUID(message_id))
        async with self.engine.connect() as connection:
            status = await connection.scalar(query.execution_options(**UNSCOPED))
        return None if status is None else str(status)

    async def inbox_done(self) -> int:
        query = (
            select(func.count())
            .select_from(inbound_inbox)
            .where(inbound_inbox.c.status == "done", inbound_inbox.c.kind == "message")
        )
        async with self.engine.connect() as connection:
            return int(await connection.scalar(query.execution_options(**UNSCOPED)) or 0)

    async def send(self, text: str) -> str:
        accepted = await self.http.post(
            f"/api/tickets/{self.ticket_id}/messages",
            json={"payload": {"type": "text", "text": text}},
            headers={**self.account.headers, "Idempotency-Key": uuid.uuid4().hex},
        )
        assert accepted.status_code == 202, accepted.text
        message_id = str(accepted.json()["messageId"])

        async def sent() -> bool:
            return await self.message_status(message_id) in {"SENT", "DELIVERED", "READ"}

        await self.eventually(sent)
        return message_id

    async def customer_says(self, text: str) -> None:
        before = await self.inbox_done()
        await self.sim.customer_sends(BROKER_ID, text=text, sender_phone=CUSTOMER)

        async def applied() -> bool:
            return await self.inbox_done() > before

        await self.eventually(applied)


@pytest.fixture
async def flow(database_url: str) -> AsyncIterator[Flow]:
    """A tenant with a connected instance (the simulator's session) and an open ticket; every
    span recorded and every INFO log line kept."""
    engine = create_engine(database_url)
    await truncate_all(engine)
    spans = capture_spans()
    logs = io.StringIO()
    configure_logging("info", stream=logs)
    config = SimulatorConfig(
        api_key=BROKER_KEY,
        webhook_api_key=WEBHOOK_KEY,
        webhook_hmac_secret=WEBHOOK_SECRET,
        seed=11,
        ack_delay=0.05,
    )
    try:
        async with run_simulator(config) as sim:
            settings = load_settings(
                database_url=database_url,
                environment="test",
                jwt_secret=JWT_SECRET,
                whatsapp_broker_url=sim.url,
                whatsapp_broker_api_key=BROKER_KEY,
                whatsapp_webhook_api_key=WEBHOOK_KEY,
                whatsapp_webhook_hmac_secret=WEBHOOK_SECRET,
                outbound_worker_poll_seconds=0.05,
                inbound_worker_poll_seconds=0.1,
            )
            context = AppContext.build(settings)
            async with (
                serve(served_app(context)) as url,
                httpx.AsyncClient(base_url=url, timeout=30) as http,
            ):
                account = await register_tenant(http, "acme")
                factory = EntityFactory(FixedClock(datetime.now(UTC)))
                factory = factory.for_tenant(UUID(account.tenant_id))
                instance = factory.instance(broker_id=BROKER_ID, status=InstanceStatus.CONNECTED)
                contact = factory.contact(primary_phone="+5511988887777")
                queue = factory.queue()
                ticket = factory.ticket(contact.id, queue.id, instance_id=instance.id)
                await store_committed(
                    unit_of_work_factory(engine), instance, contact, queue, ticket
                )
                async with sim.client() as broker:
                    await broker.create_instance(
                        account.tenant_id,
                        BROKER_ID,
                        "Vendas",
                        f"{url}{WEBHOOK_ROUTE}",
                        "verify",
                        "create-1",
                    )
                await sim.scan(BROKER_ID)
                yield Flow(http, context, account, sim, engine, str(ticket.id), spans, logs)
    finally:
        spans.shutdown()
        configure_logging("info")
        await engine.dispose()


async def test_an_http_request_is_a_server_span_named_by_its_route(flow: Flow) -> None:
    answer = await flow.http.get("/api/users", headers=flow.account.headers)
    assert answer.status_code == 200

    (server,) = [
        span
        for span in flow.finished()
        if span.kind is SpanKind.SERVER and span.attributes.get("http.route") == "/api/users"
    ]
    assert server.name == "GET /api/users"
    assert server.attributes["http.status_code"] == 200


async def test_log_lines_of_a_request_carry_its_trace_request_tenant_and_user(flow: Flow) -> None:
    answer = await flow.http.get("/api/users", headers=flow.account.headers)
    assert answer.status_code == 200

    (server,) = [s for s in flow.finished() if s.attributes.get("http.route") == "/api/users"]
    (line,) = [
        line
        for line in flow.log_lines()
        if line["event"] == "http.request" and line.get("route") == "/api/users"
    ]
    assert server.context is not None
    assert line["trace_id"] == format(server.context.trace_id, "032x")
    assert line["request_id"] == answer.headers["x-request-id"]
    assert line["tenant_id"] == flow.account.tenant_id
    assert line["user_id"] == flow.account.user_id


async def test_the_worker_apply_of_a_webhook_event_is_linked_to_the_webhook_trace(
    flow: Flow,
) -> None:
    await flow.customer_says("olá, tudo bem?")

    accepts = {
        span.context.span_id: span
        for span in flow.named("webhook.accept")
        if span.context is not None
    }
    applied = [
        span for span in flow.named("inbound.apply") if span.attributes["inbox.kind"] == "message"
    ]
    assert applied
    for apply in applied:
        assert apply.kind is SpanKind.CONSUMER
        assert apply.parent is None
        (link,) = apply.links
        origin = accepts[link.context.span_id]
        assert origin.context is not None
        assert link.context.trace_id == origin.context.trace_id
        assert apply.context is not None
        assert apply.context.trace_id != origin.context.trace_id
        webhook_servers = [
            span
            for span in flow.finished()
            if span.kind is SpanKind.SERVER
            and span.context is not None
            and span.context.trace_id == origin.context.trace_id
        ]
        assert [span.attributes["http.route"] for span in webhook_servers] == [WEBHOOK_ROUTE]
    emits = [
        span
        for span in flow.named("realtime.emit")
        if span.parent is not None
        and any(apply.context and span.parent.span_id == apply.context.span_id for apply in applied)
    ]
    assert {span.attributes["realtime.event"] for span in emits} >= {"messages.new"}


async def test_a_broker_call_is_a_client_span(flow: Flow) -> None:
    await flow.send("bom dia")

    (send,) = flow.named("broker.send_text")
    assert send.kind is SpanKind.CLIENT
    assert send.attributes["http.request.method"] == "POST"
    assert send.attributes["http.response.status_code"] in {200, 201, 202}


async def test_a_full_inbound_and_outbound_flow_logs_no_message_text_or_secret(
    flow: Flow,
) -> None:
    inbound_text = f"inbound-private-{uuid.uuid4().hex}"
    outbound_text = f"outbound-private-{uuid.uuid4().hex}"
    await flow.customer_says(inbound_text)
    await flow.send(outbound_text)
    await flow.sim.webhooks_settled()

    lines = flow.log_lines()
    events = {line["event"] for line in lines}
    assert {"http.request", "outbound.sent"} <= events
    written = flow.logs.getvalue()
    for private in (
        inbound_text,
        outbound_text,
        WEBHOOK_KEY,
        WEBHOOK_SECRET,
        BROKER_KEY,
        JWT_SECRET,
        flow.account.access_token,
        flow.account.password,
    ):
        assert private not in written


CAPS = {
    "reason": 40,
    "kind": 12,
    "outcome": 8,
    "status": 10,
    "tenantId": 100,
    "instanceId": 200,
    "state": 4,
    "event": 20,
    "operation": 40,
    "code": 50,
}
"""The `LabelGuard` caps of the data-driven labels (`leadengine_shared.metrics`)."""
OTHER_LABEL_CAP = 100
"""Labels without a guard (route templates, methods, status classes) are bounded by code."""


async def test_metrics_after_traffic_have_the_named_families_and_bounded_labels(
    flow: Flow,
) -> None:
    await flow.customer_says("oi")
    await flow.send("olá")
    refused = await flow.http.post(WEBHOOK_ROUTE, content=b"{}", headers={"X-API-Key": "wrong"})
    assert refused.status_code == 401
    for index in range(CAPS["reason"] + 10):  # a flood of distinct reasons is folded
        flow.context.inbound_metrics.webhook("rejected", f"reason-{index}")

    scraped = await flow.http.get("/metrics")
    assert scraped.status_code == 200
    families = {family.name: family for family in text_string_to_metric_families(scraped.text)}
    assert {
        "whatsapp_webhook_events",
        "whatsapp_http_requests",
        "whatsapp_outbound",
        "ws_emit",
        "ws_connected_sockets",
        "inbound_messages_processed",
        "http_request_duration_seconds",
        "whatsapp_inbound_latency_seconds",
        "whatsapp_outbound_latency_seconds",
        "whatsapp_http_request_duration_seconds",
    } <= set(families)

    values: dict[tuple[str, str], set[str]] = {}
    for family in families.values():
        for sample in family.samples:
            for label, value in sample.labels.items():
                if label != "le":
                    values.setdefault((family.name, label), set()).add(value)
    for (family_name, label), seen in values.items():
        real = seen - {"overflow"}  # past its cap a guard folds newcomers into `overflow`
        assert len(real) <= CAPS.get(label, OTHER_LABEL_CAP), (family_name, label, len(real))
    reasons = values[("whatsapp_webhook_events", "reason")]
    assert "overflow" in reasons
    sent = [
        sample
        for sample in families["whatsapp_http_requests"].samples
        if sample.labels.get("operation") == "send_text" and sample.name.endswith("_total")
    ]
    assert sent
    assert sent[0].value >= 1
