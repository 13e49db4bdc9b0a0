"""Agent sends end to end: the API and the broker simulator as real servers on loopback, the
outbound worker in the API's lifespan, acks back through the real webhook and inbound worker.
Runs on SQLite and PostgreSQL (the `database_url` fixture)."""

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from leadengine_api.app import create_app
from leadengine_api.features.inbound.apply_ticket import default_queue
from leadengine_api.testing import Account, register_tenant, serve
from leadengine_core.contacts import Contact
from leadengine_core.instances import InstanceStatus, WhatsAppInstance
from leadengine_core.messages import Direction, Message, MessageOrigin, MessageStatus
from leadengine_core.phone import phone_identity
from leadengine_core.tickets import Ticket
from leadengine_integrations.simulator import SimulatorConfig, run_simulator
from leadengine_integrations.simulator.server import RunningSimulator
from leadengine_shared.runtime import Uuid7Ids
from leadengine_shared.settings import load_settings
from leadengine_storage import outbox
from leadengine_storage.engine import create_engine
from leadengine_storage.testing import truncate_all
from leadengine_storage.unit_of_work import SqlUnitOfWork
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

TEST_JWT_SECRET = "test-secret-" + "x" * 32
BROKER_KEY = "broker-key"
WEBHOOK_KEY = "webhook-key"
WEBHOOK_SECRET = "webhook-secret"
CUSTOMER = "+5511988887777"
SEND_PATHS = ("send-text", "send-media", "send-poll")

TEXT = {"type": "text", "text": "Olá!"}


@dataclass
class Env:
    http: httpx.AsyncClient
    sim: RunningSimulator
    engine: AsyncEngine
    account: Account
    broker_id: str
    instance_id: str
    contact_id: str
    ticket_id: str

    @property
    def headers(self) -> dict[str, str]:
        return self.account.headers

    def send(self, key: str, body: Any, path: str | None = None) -> Awaitable[httpx.Response]:
        return self.http.post(
            path or f"/api/tickets/{self.ticket_id}/messages",
            json=body,
            headers={**self.headers, "Idempotency-Key": key},
        )

    def broker_sends(self) -> list[Any]:
        return self.sim.state.sends(self.broker_id)

    def broker_send_calls(self) -> int:
        return sum(
            1
            for request in self.sim.state.requests("POST")
            if request.path.rsplit("/", 1)[-1] in SEND_PATHS
        )

    async def message(self, message_id: str) -> Message:
        async with SqlUnitOfWork(self.engine) as uow:
            found = await uow.messages.get(uuid.UUID(self.account.tenant_id), uuid.UUID(message_id))
        assert found is not None
        return found

    async def inbox_drained(self) -> bool:
        async with self.engine.connect() as connection:
            waiting = await connection.scalar(
                text("SELECT count(*) FROM inbound_inbox WHERE status IN ('pending', 'processing')")
            )
        return bool(waiting == 0)

    async def set_instance_status(self, status: InstanceStatus) -> None:
        tenant_id, instance_id = uuid.UUID(self.account.tenant_id), uuid.UUID(self.instance_id)
        async with SqlUnitOfWork(self.engine) as uow:
            instance = await uow.instances.get(tenant_id, instance_id)
            assert instance is not None
            instance.status = status
            await uow.instances.update(tenant_id, instance)
            await uow.commit()

    async def outbox_counts(self) -> dict[str, int]:
        async with self.engine.connect() as connection:
            return await outbox.count_by_status(connection, uuid.UUID(self.account.tenant_id))

    async def metric(self, name: str, **labels: str) -> float:
        text = (await self.http.get("/metrics")).text
        total = 0.0
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                if sample.name == name and all(
                    sample.labels.get(k) == v for k, v in labels.items()
                ):
                    total += sample.value
        return total


async def eventually(check: Callable[[], Awaitable[bool]], within: float = 30.0) -> None:
    """Wait for a state, not a duration: poll until `check` holds (fail after `within`)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not await check():
        assert loop.time() < deadline, "the expected state was never reached"
        await asyncio.sleep(0.05)


async def _seed(
    engine: AsyncEngine, account: Account, broker_id: str, status: InstanceStatus
) -> tuple[str, str, str]:
    """An instance, a contact with a phone and its open ticket, stored directly."""
    ids, now, tenant_id = Uuid7Ids(), datetime.now(UTC), uuid.UUID(account.tenant_id)
    async with SqlUnitOfWork(engine) as uow:
        instance = WhatsAppInstance(
            tenant_id=tenant_id,
            id=ids.new_id(),
            broker_id=broker_id,
            name=broker_id,
            created_at=now,
            updated_at=now,
            status=status,
        )
        await uow.instances.add(tenant_id, instance)
        contact = Contact(
            tenant_id=tenant_id,
            id=ids.new_id(),
            created_at=now,
            updated_at=now,
            name="Maria",
            primary_phone=CUSTOMER,
            phone_identities={phone_identity(CUSTOMER)},
        )
        await uow.contacts.add(tenant_id, contact)
        queue = await default_queue(uow, ids, tenant_id, now)
        ticket = Ticket(
            tenant_id=tenant_id,
            id=ids.new_id(),
            contact_id=contact.id,
            queue_id=queue.id,
            created_at=now,
            updated_at=now,
            instance_id=instance.id,
        )
        await uow.tickets.add(tenant_id, ticket)
        await uow.commit()
    return str(instance.id), str(contact.id), str(ticket.id)


@pytest.fixture
async def make_env(database_url: str) -> AsyncIterator[Callable[..., Awaitable[Env]]]:
    """Builds an Env; `broker=False` leaves the broker settings out of the API."""
    async with run_simulator(
        SimulatorConfig(
            api_key=BROKER_KEY,
            webhook_api_key=WEBHOOK_KEY,
            webhook_hmac_secret=WEBHOOK_SECRET,
            seed=7,
            ack_delay=0.2,
            webhook_retry_delays=(0.2, 0.5, 1.0, 2.0),
        )
    ) as sim:
        engine = create_engine(database_url)
        await truncate_all(engine)
        async with AsyncExitStack() as stack:

            async def build(*, broker: bool = True, **overrides: Any) -> Env:
                broker_settings = (
                    {"whatsapp_broker_url": sim.url, "whatsapp_broker_api_key": BROKER_KEY}
                    if broker
                    else {}
                )
                settings = load_settings(
                    database_url=database_url,
                    environment="test",
                    jwt_secret=TEST_JWT_SECRET,
                    whatsapp_webhook_api_key=WEBHOOK_KEY,
                    whatsapp_webhook_hmac_secret=WEBHOOK_SECRET,
                    outbound_worker_poll_seconds=0.05,
                    outbound_retry_max_seconds=0.5,
                    outbound_tps_default=1000,
                    inbound_worker_poll_seconds=0.1,
                    rate_limit_max_requests=10_000,
                    **broker_settings,
                    **overrides,
                )
                base_url = await stack.enter_async_context(serve(create_app(settings)))
                http = await stack.enter_async_context(
                    httpx.AsyncClient(base_url=base_url, timeout=30)
                )
                slug = f"t{uuid.uuid4().hex[:8]}"
                account = await register_tenant(http, slug)
                broker_id = f"{slug}-sales"
                # Our row first, so the session's QR and connection webhooks find it in order.
                ids = await _seed(engine, account, broker_id, InstanceStatus.CONNECTED)
                async with sim.client() as client:
                    await client.create_instance(
                        account.tenant_id,
                        broker_id,
                        "Vendas",
                        f"{base_url}/api/integrations/whatsapp/webhook",
                        "verify",
                        f"create-{broker_id}",
                    )
                await sim.scan(broker_id)
                env = Env(http, sim, engine, account, broker_id, *ids)
                await sim.webhooks_settled()  # the QR and connection updates of the session
                await eventually(env.inbox_drained)
                await env.set_instance_status(InstanceStatus.CONNECTED)
                return env

            yield build
        await engine.dispose()


PAYLOADS: dict[str, dict[str, Any]] = {
    "text": TEXT,
    "image": {
        "type": "image",
        "mediaUrl": "https://cdn.example.com/a.jpg",
        "caption": "foto",
        "mimeType": "image/jpeg",
    },
    "document": {
        "type": "document",
        "mediaUrl": "https://cdn.example.com/c.pdf",
        "fileName": "contrato.pdf",
    },
    "location": {"type": "location", "latitude": -23.5, "longitude": -46.6, "name": "Loja"},
    "contact": {
        "type": "contact",
        "fullName": "João",
        "phones": [{"phoneNumber": "+5511977776666"}],
    },
    "template": {
        "type": "template",
        "name": "boas_vindas",
        "language": "pt_BR",
        "components": [{"type": "body", "parameters": [{"type": "text", "text": "Maria"}]}],
    },
    "poll": {"type": "poll", "question": "Qual?", "options": ["A", "B", "C"]},
}
BROKER_TYPES = {"text": "text", "image": "image", "document": "document", "location": "location"}


async def test_each_payload_is_sent_once_and_reaches_read(
    make_env: Callable[..., Awaitable[Env]],
) -> None:
    env = await make_env()
    accepted: dict[str, dict[str, Any]] = {}
    for kind, payload in PAYLOADS.items():
        response = await env.send(f"k-{kind}", {"payload": payload})
        assert response.status_code == 202, response.text
        body = response.json()
        assert body["queued"] is True
        assert body["status"] == "PENDING"
        assert body["ticketId"] == env.ticket_id
        accepted[kind] = body

    async def all_sent() -> bool:
        return len(env.broker_sends()) == len(PAYLOADS)

    await eventually(all_sent)
    by_key = {send.idempotency_key: send for send in env.broker_sends()}
    for kind, body in accepted.items():
        send = by_key[body["messageId"]]  # the message id is the broker idempotency key
        assert send.to.endswith("5511988887777")
        if kind in BROKER_TYPES:
            assert send.type == BROKER_TYPES[kind]
    assert by_key[accepted["text"]["messageId"]].body["text"] == "Olá!"
    assert by_key[accepted["image"]["messageId"]].body["media"]["url"].endswith("a.jpg")
    assert by_key[accepted["location"]["messageId"]].body["location"]["latitude"] == -23.5
    assert by_key[accepted["poll"]["messageId"]].body["options"] == ["A", "B", "C"]
    assert by_key[accepted["template"]["messageId"]].body["template"]["name"] == "boas_vindas"

    for body in accepted.values():
        message_id = body["messageId"]

        async def read(message_id: str = message_id) -> bool:
            return (await env.message(message_id)).status is MessageStatus.READ

        await eventually(read)
        message = await env.message(message_id)
        assert message.provider_message_id == by_key[message_id].provider_id
        assert message.origin is MessageOrigin.AGENT
        assert message.author_id == uuid.UUID(env.account.user_id)
    assert await env.outbox_counts() == {"done": len(PAYLOADS)}
    assert await env.metric("whatsapp_outbound_total", status="sent") == len(PAYLOADS)
    assert await env.metric("whatsapp_outbound_latency_seconds_count") == len(PAYLOADS)


async def test_idempotent_replay_reuse_and_concurrency(
    make_env: Callable[..., Awaitable[Env]],
) -> None:
    env = await make_env()
    first = await env.send("same", {"payload": TEXT})
    again = await env.send("same", {"payload": TEXT})
    assert first.status_code == again.status_code == 202
    assert again.json()["messageId"] == first.json()["messageId"]
    reused = await env.send("same", {"payload": {"type": "text", "text": "outro"}})
    assert reused.status_code == 409
    assert reused.json()["code"] == "IDEMPOTENCY_KEY_REUSED"

    racing = await asyncio.gather(*(env.send("burst", {"payload": TEXT}) for _ in range(10)))
    assert {response.status_code for response in racing} == {202}
    assert len({response.json()["messageId"] for response in racing}) == 1

    async def both_sent() -> bool:
        return (await env.outbox_counts()).get("done") == 2

    await eventually(both_sent)
    await env.sim.webhooks_settled()
    keys = [send.idempotency_key for send in env.broker_sends()]
    assert sorted(keys) == sorted([first.json()["messageId"], racing[0].json()["messageId"]])


async def test_contact_and_phone_routes_reuse_the_open_ticket(
    make_env: Callable[..., Awaitable[Env]],
) -> None:
    env = await make_env()
    by_contact = await env.send(
        "c1", {"payload": TEXT}, path=f"/api/contacts/{env.contact_id}/messages"
    )
    assert by_contact.status_code == 202, by_contact.text
    assert by_contact.json()["ticketId"] == env.ticket_id
    by_phone = await env.send(
        "p1",
        {"to": "(11) 98888-7777", "payload": TEXT},
        path=f"/api/integrations/whatsapp/instances/{env.instance_id}/messages",
    )
    assert by_phone.status_code == 202, by_phone.text
    assert by_phone.json()["ticketId"] == env.ticket_id
    stranger = await env.send(
        "p2",
        {"to": "+55 21 97777-6666", "payload": TEXT},
        path=f"/api/integrations/whatsapp/instances/{env.instance_id}/messages",
    )
    assert stranger.status_code == 202
    assert stranger.json()["ticketId"] != env.ticket_id

    async def three_sent() -> bool:
        return len(env.broker_sends()) == 3

    await eventually(three_sent)
    assert {send.to for send in env.broker_sends()} == {CUSTOMER, "+5521977776666"}


async def test_other_tenants_ids_are_not_found(make_env: Callable[..., Awaitable[Env]]) -> None:
    env = await make_env()
    other = await register_tenant(env.http, f"o{uuid.uuid4().hex[:8]}")
    headers = {**other.headers, "Idempotency-Key": "x"}
    paths = [
        (f"/api/tickets/{env.ticket_id}/messages", {"payload": TEXT}, "TICKET_NOT_FOUND"),
        (f"/api/contacts/{env.contact_id}/messages", {"payload": TEXT}, "CONTACT_NOT_FOUND"),
        (
            f"/api/integrations/whatsapp/instances/{env.instance_id}/messages",
            {"to": CUSTOMER, "payload": TEXT},
            "INSTANCE_NOT_FOUND",
        ),
        (
            f"/api/tickets/{env.ticket_id}/messages",
            {"payload": TEXT, "instanceId": env.instance_id},
            "TICKET_NOT_FOUND",
        ),
    ]
    for path, body, code in paths:
        response = await env.http.post(path, json=body, headers=headers)
        assert response.status_code == 404, path
        assert response.json()["code"] == code
    assert await env.outbox_counts() == {}


async def test_disconnected_instance_is_refused(make_env: Callable[..., Awaitable[Env]]) -> None:
    env = await make_env()
    await env.set_instance_status(InstanceStatus.DISCONNECTED)
    response = await env.send("d1", {"payload": TEXT})
    assert response.status_code == 409
    assert response.json()["code"] == "INSTANCE_DISCONNECTED"
    assert response.json()["details"] == {"status": "disconnected", "connected": False}
    assert await env.outbox_counts() == {}


async def test_missing_broker_settings_is_503_and_writes_nothing(
    make_env: Callable[..., Awaitable[Env]],
) -> None:
    env = await make_env(broker=False)
    response = await env.send("n1", {"payload": TEXT})
    assert response.status_code == 503
    assert response.json()["code"] == "WHATSAPP_NOT_CONFIGURED"
    assert "WHATSAPP_BROKER_URL" in response.json()["details"]["missing"]
    async with SqlUnitOfWork(env.engine) as uow:
        tenant_id = uuid.UUID(env.account.tenant_id)
        assert await uow.messages.find_by_idempotency_key(tenant_id, "n1") is None
    assert await env.outbox_counts() == {}


INVALID: list[dict[str, Any]] = [
    {"type": "text", "text": ""},
    {"type": "text", "text": "x" * 4097},
    {"type": "text", "text": "oi", "extra": 1},
    {"type": "sticker", "mediaUrl": "https://x.test/a.webp"},
    {"text": "no type"},
    {"type": "image", "mediaUrl": "ftp://x.test/a.jpg"},
    {"type": "video", "mediaUrl": "not a url"},
    {"type": "audio"},
    {"type": "document", "mediaUrl": "https://x.test/a.pdf", "base64": "AAAA"},
    {"type": "location", "latitude": 91, "longitude": 0},
    {"type": "location", "latitude": 0, "longitude": -180.5},
    {"type": "contact", "fullName": "Ana", "phones": []},
    {"type": "contact", "phones": [{"phoneNumber": "+551199"}]},
    {"type": "template", "name": "t"},
    {"type": "template", "name": "t", "language": "pt_BR", "components": [{"type": "x"}]},
    {"type": "poll", "question": "q", "options": ["a"]},
    {"type": "poll", "question": "q", "options": ["a", "a"]},
    {"type": "poll", "question": "q", "options": [str(n) for n in range(13)]},
]


async def test_invalid_requests_are_problems_never_500(
    make_env: Callable[..., Awaitable[Env]],
) -> None:
    env = await make_env()
    for number, payload in enumerate(INVALID):
        response = await env.send(f"v{number}", {"payload": payload})
        assert response.status_code == 422, payload
        assert response.json()["code"] == "VALIDATION_ERROR"
    missing_key = await env.http.post(
        f"/api/tickets/{env.ticket_id}/messages", json={"payload": TEXT}, headers=env.headers
    )
    assert missing_key.status_code == 400
    assert missing_key.json()["code"] == "IDEMPOTENCY_KEY_REQUIRED"
    long_key = await env.send("k" * 201, {"payload": TEXT})
    assert long_key.status_code == 422
    bodies: list[Any] = [{"payload": TEXT, "unknown": 1}, {"payload": TEXT, "instanceId": "x"}, []]
    for body in bodies:
        response = await env.send("b", body)
        assert response.status_code == 422
    bad_phone = await env.send(
        "ph",
        {"to": "abc", "payload": TEXT},
        path=f"/api/integrations/whatsapp/instances/{env.instance_id}/messages",
    )
    assert bad_phone.status_code == 422
    unknown_ticket = await env.send("u", {"payload": TEXT}, path="/api/tickets/123/messages")
    assert unknown_ticket.status_code == 404
    assert await env.outbox_counts() == {}


async def test_a_broker_message_in_the_outbox_is_never_sent(
    make_env: Callable[..., Awaitable[Env]],
) -> None:
    """Defence in depth: even a row pointing at a broker-originated message is not dispatched."""
    env = await make_env()
    tenant_id, now = uuid.UUID(env.account.tenant_id), datetime.now(UTC)
    echo = Message(
        tenant_id=tenant_id,
        id=Uuid7Ids().new_id(),
        ticket_id=uuid.UUID(env.ticket_id),
        contact_id=uuid.UUID(env.contact_id),
        direction=Direction.OUTBOUND,
        origin=MessageOrigin.BROKER,
        occurred_at=now,
        created_at=now,
        updated_at=now,
        instance_id=uuid.UUID(env.instance_id),
        text="sent from the phone",
    )
    async with SqlUnitOfWork(env.engine) as uow:
        await uow.messages.add(tenant_id, echo)
        entry = outbox.OutboxEntry(
            tenant_id=tenant_id,
            message_id=echo.id,
            instance_id=echo.instance_id or uuid.uuid4(),
            broker_id=env.broker_id,
            to=CUSTOMER,
            payload=TEXT,
            accepted_at=now,
        )
        await outbox.enqueue(uow.connection, entry)
        await uow.commit()

    async def closed() -> bool:
        return (await env.outbox_counts()).get("done") == 1

    await eventually(closed)
    assert env.broker_sends() == []
    assert await env.metric("whatsapp_outbound_total", status="skipped") == 1


async def test_a_permanent_broker_error_fails_the_message(
    make_env: Callable[..., Awaitable[Env]],
) -> None:
    env = await make_env()
    tenant_id = uuid.UUID(env.account.tenant_id)
    async with SqlUnitOfWork(env.engine) as uow:
        contact = await uow.contacts.get(tenant_id, uuid.UUID(env.contact_id))
        assert contact is not None
        contact.primary_phone = "not-a-phone"  # e.g. imported data the broker refuses
        await uow.contacts.update(tenant_id, contact)
        await uow.commit()
    message_id = (await env.send("bad-to", {"payload": TEXT})).json()["messageId"]

    async def failed() -> bool:
        return (await env.message(message_id)).status is MessageStatus.FAILED

    await eventually(failed)
    assert (await env.message(message_id)).failure_reason == "INVALID_TO"
    assert await env.outbox_counts() == {"failed": 1}
    assert env.broker_sends() == []


async def test_an_outage_delays_sends_and_loses_none(
    make_env: Callable[..., Awaitable[Env]],
) -> None:
    """200 sends during an outage: the circuit opens and closes, every send reaches the broker
    exactly once, and broker calls per logical send stay at or below 1.5."""
    env = await make_env(
        whatsapp_outbound_circuit_max_failures=3,
        whatsapp_outbound_circuit_cooldown_ms=300,
    )
    env.sim.state.set_faults(down=True)
    agents = asyncio.Semaphore(20)  # twenty agents typing at once

    async def agent_sends(n: int) -> httpx.Response:
        async with agents:
            return await env.send(f"o-{n}", {"payload": {"type": "text", "text": f"#{n}"}})

    responses = await asyncio.gather(*(agent_sends(n) for n in range(200)))
    assert [r.text for r in responses if r.status_code != 202] == []

    async def opened() -> bool:
        return await env.metric("whatsapp_outbound_circuit_transitions_total", state="open") >= 1

    await eventually(opened)
    assert await env.metric("whatsapp_outbound_circuit_state") >= 1
    assert env.broker_sends() == []
    env.sim.state.clear_faults()

    async def all_delivered() -> bool:
        return (await env.outbox_counts()).get("done") == 200

    await eventually(all_delivered, within=120)
    sends = env.broker_sends()
    assert len(sends) == 200
    assert len({send.provider_id for send in sends}) == 200
    assert {send.idempotency_key for send in sends} == {r.json()["messageId"] for r in responses}
    assert await env.metric("whatsapp_outbound_circuit_transitions_total", state="closed") >= 1
    assert await env.metric("whatsapp_outbound_circuit_state") == 0
    assert env.broker_send_calls() / 200 <= 1.5
    for response in responses[:5]:
        message = await env.message(response.json()["messageId"])
        assert message.status is not MessageStatus.PENDING
        assert message.provider_message_id is not None
