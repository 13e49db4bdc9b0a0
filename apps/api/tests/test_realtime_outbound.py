"""An agent's send as a socket sees it: `messages.new` when the API accepts it, then one
`messages.updated` per status the outbound and inbound workers commit (the broker simulator
as a real server; SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import httpx
import pytest
import socketio
from leadengine_api.app import create_app
from leadengine_api.testing import Account, register_tenant, serve
from leadengine_core.instances import InstanceStatus
from leadengine_core.testing import EntityFactory, FixedClock
from leadengine_integrations.simulator import SimulatorConfig, run_simulator
from leadengine_shared.settings import load_settings
from leadengine_storage.engine import create_engine
from leadengine_storage.testing import store_committed, truncate_all
from leadengine_storage.unit_of_work import unit_of_work_factory

JWT_SECRET = "realtime-test-secret-" + "x" * 32
BROKER_KEY = "broker-key"
WEBHOOK_KEY = "webhook-key"
WEBHOOK_SECRET = "webhook-secret"
BROKER_ID = "acme-sales"


@dataclass(slots=True)
class Heard:
    """What one socket of the tenant received, in arrival order."""

    events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    async def record(self, event: str, data: dict[str, Any]) -> None:
        self.events.append((event, data))
        self.arrived.set()

    async def wait_for(self, done: Callable[[], bool]) -> None:
        async with asyncio.timeout(30):
            while not done():
                self.arrived.clear()
                await self.arrived.wait()

    def statuses(self, message_id: str) -> list[str]:
        return [
            data["message"]["status"]
            for event, data in self.events
            if event.startswith("messages.") and data["messageId"] == message_id
        ]


@dataclass(slots=True)
class Sending:
    http: httpx.AsyncClient
    account: Account
    ticket_id: str
    heard: Heard


@pytest.fixture
async def sending(database_url: str) -> AsyncIterator[Sending]:
    """A tenant with a connected instance (the simulator's session) and an open ticket."""
    engine = create_engine(database_url)
    await truncate_all(engine)
    config = SimulatorConfig(
        api_key=BROKER_KEY,
        webhook_api_key=WEBHOOK_KEY,
        webhook_hmac_secret=WEBHOOK_SECRET,
        seed=7,
        ack_delay=0.1,
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
            async with (
                serve(create_app(settings)) as url,
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
                heard = Heard()
                client = socketio.AsyncClient(reconnection=False)
                client.on("*", heard.record)
                await client.connect(
                    url, auth={"token": account.access_token}, transports=["websocket"]
                )
                async with sim.client() as broker:
                    webhook = f"{url}/api/integrations/whatsapp/webhook"
                    await broker.create_instance(
                        account.tenant_id, BROKER_ID, "Vendas", webhook, "verify", "create-1"
                    )
                await sim.scan(BROKER_ID)
                try:
                    yield Sending(http, account, str(ticket.id), heard)
                finally:
                    await client.disconnect()
    finally:
        await engine.dispose()


async def test_a_send_is_announced_once_per_committed_status(sending: Sending) -> None:
    heard = sending.heard
    await heard.wait_for(
        lambda: any(
            event == "whatsapp.instances.updated" and data["status"] == "connected"
            for event, data in heard.events
        )
    )
    accepted = await sending.http.post(
        f"/api/tickets/{sending.ticket_id}/messages",
        json={"payload": {"type": "text", "text": "Olá!"}},
        headers={**sending.account.headers, "Idempotency-Key": "send-1"},
    )
    assert accepted.status_code == 202, accepted.text
    message_id = accepted.json()["messageId"]
    await heard.wait_for(lambda: "DELIVERED" in heard.statuses(message_id))

    events = [event for event, data in heard.events if data.get("messageId") == message_id]
    assert events[0] == "messages.new"
    assert heard.statuses(message_id)[:3] == ["PENDING", "SENT", "DELIVERED"]
    assert len(set(heard.statuses(message_id))) == len(heard.statuses(message_id))
