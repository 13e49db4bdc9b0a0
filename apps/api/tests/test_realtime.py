"""Socket.IO over a real loopback server (SQLite and PostgreSQL): authentication on connect,
tenant isolation of every event kind, ticket rooms and typing, publish-after-commit, `seq`
order and catch-up."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
import socketio
from leadengine_api.app import served_app
from leadengine_api.auth.tokens import TokenService
from leadengine_api.context import AppContext
from leadengine_api.testing import Account, register_tenant, serve
from leadengine_core.events import (
    DomainEvent,
    InstanceUpdated,
    MessageCreated,
    MessageUpdated,
)
from leadengine_core.instances import InstanceStatus
from leadengine_core.testing import EntityFactory
from leadengine_core.users import Role
from leadengine_shared.metrics import sample_value
from leadengine_shared.settings import load_settings
from leadengine_shared.testing import require_service_url
from leadengine_storage.engine import create_engine
from leadengine_storage.testing import truncate_all

JWT_SECRET = "realtime-test-secret-" + "x" * 32
EventLog = list[tuple[str, dict[str, Any]]]


@dataclass(slots=True)
class Live:
    url: str
    http: httpx.AsyncClient
    context: AppContext


@pytest.fixture
async def live(database_url: str) -> AsyncIterator[Live]:
    engine = create_engine(database_url)
    await truncate_all(engine)
    await engine.dispose()
    settings = load_settings(database_url=database_url, environment="test", jwt_secret=JWT_SECRET)
    context = AppContext.build(settings)
    async with (
        serve(served_app(context)) as url,
        httpx.AsyncClient(base_url=url, timeout=30) as http,
    ):
        yield Live(url, http, context)


@dataclass(slots=True)
class Listener:
    """A Socket.IO client that records every server event it receives, in arrival order."""

    client: socketio.AsyncClient = field(
        default_factory=lambda: socketio.AsyncClient(reconnection=False)
    )
    events: EventLog = field(default_factory=list)
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    def __post_init__(self) -> None:
        self.client.on("*", self._record)

    async def _record(self, event: str, data: dict[str, Any]) -> None:
        self.events.append((event, data))
        self.changed.set()

    async def wait_for(self, done: Callable[[EventLog], bool]) -> EventLog:
        async with asyncio.timeout(15):
            while not done(self.events):
                self.changed.clear()
                await self.changed.wait()
        return list(self.events)

    def named(self, name: str) -> list[dict[str, Any]]:
        return [data for event, data in self.events if event == name]


@pytest.fixture
async def listeners() -> AsyncIterator[Callable[[], Listener]]:
    made: list[Listener] = []

    def make() -> Listener:
        made.append(Listener())
        return made[-1]

    yield make
    for listener in made:
        await listener.client.disconnect()


async def connect(listener: Listener, live: Live, account: Account) -> Listener:
    await listener.client.connect(
        live.url, auth={"token": account.access_token}, transports=["websocket"], wait_timeout=10
    )
    return listener


def saw(name: str, **fields: object) -> Callable[[EventLog], bool]:
    def done(events: EventLog) -> bool:
        return any(
            event == name and all(data.get(k) == v for k, v in fields.items())
            for event, data in events
        )

    return done


async def new_contact(live: Live, account: Account, name: str = "Maria") -> str:
    created = await live.http.post("/api/contacts", json={"name": name}, headers=account.headers)
    assert created.status_code == 201, created.text
    return str(created.json()["id"])


async def new_ticket(live: Live, account: Account) -> dict[str, Any]:
    contact_id = await new_contact(live, account)
    created = await live.http.post(
        "/api/tickets", json={"contactId": contact_id}, headers=account.headers
    )
    assert created.status_code == 201, created.text
    return dict(created.json())


# --- authentication ----------------------------------------------------------------------


async def test_a_socket_without_a_valid_access_token_is_refused(live: Live) -> None:
    account = await register_tenant(live.http, "acme")
    tokens = TokenService(JWT_SECRET, access_ttl=60, refresh_ttl=300)
    issued_long_ago = tokens.issue(
        UUID(account.user_id),
        UUID(account.tenant_id),
        Role.ADMIN,
        now=datetime.now(UTC) - timedelta(hours=2),
    )
    forged = TokenService("another-secret-" + "y" * 32, access_ttl=60, refresh_ttl=300).issue(
        UUID(account.user_id), UUID(account.tenant_id), Role.ADMIN, now=datetime.now(UTC)
    )
    refresh = tokens.issue(
        UUID(account.user_id), UUID(account.tenant_id), Role.ADMIN, now=datetime.now(UTC)
    ).refresh_token
    refused: list[str] = []
    for auth in (
        None,
        {"token": "not-a-jwt"},
        {"token": issued_long_ago.access_token},
        {"token": forged.access_token},
        {"token": refresh},
    ):
        client = socketio.AsyncClient(reconnection=False)
        client.on("connect_error", lambda data: refused.append(data["message"]))
        with pytest.raises(socketio.exceptions.ConnectionError):
            await client.connect(live.url, auth=auth, transports=["websocket"], wait_timeout=10)
    assert refused == [
        "UNAUTHORIZED",
        "UNAUTHORIZED",
        "TOKEN_EXPIRED",
        "UNAUTHORIZED",
        "UNAUTHORIZED",
    ]
    assert sample_value(live.context.registry, "ws_connected_sockets") == 0


async def test_the_token_is_read_from_auth_the_authorization_header_or_the_query(
    live: Live,
) -> None:
    account = await register_tenant(live.http, "acme")
    token = account.access_token
    for options in (
        {"auth": {"token": token}},
        {"headers": {"Authorization": f"Bearer {token}"}},
        {"url": f"{live.url}?token={token}"},
    ):
        client = socketio.AsyncClient(reconnection=False)
        url = str(options.pop("url", live.url))
        await client.connect(url, transports=["websocket"], wait_timeout=10, **options)  # type: ignore[arg-type]
        assert client.connected
        await client.disconnect()


async def test_a_deactivated_user_cannot_connect(live: Live) -> None:
    admin = await register_tenant(live.http, "acme")
    created = await live.http.post(
        "/api/users",
        json={
            "name": "Ana",
            "email": "ana@acme.test",
            "password": "password-123",
            "role": "AGENT",
        },
        headers=admin.headers,
    )
    assert created.status_code == 201, created.text
    login = await live.http.post(
        "/api/auth/login",
        json={"email": "ana@acme.test", "password": "password-123", "tenantSlug": "acme"},
    )
    token = login.json()["accessToken"]
    user_id = created.json()["id"]
    deactivated = await live.http.patch(
        f"/api/users/{user_id}", json={"isActive": False}, headers=admin.headers
    )
    assert deactivated.status_code == 200, deactivated.text

    client = socketio.AsyncClient(reconnection=False)
    with pytest.raises(socketio.exceptions.ConnectionError):
        await client.connect(live.url, auth={"token": token}, transports=["websocket"])


# --- isolation ---------------------------------------------------------------------------


def direct_events(tenant_id: str) -> list[DomainEvent]:
    """The kinds REST cannot trigger without a broker: messages and instance status/QR."""
    factory = EntityFactory().for_tenant(UUID(tenant_id))
    contact, queue = factory.contact(), factory.queue()
    ticket = factory.ticket(contact.id, queue.id)
    message = factory.message(ticket)
    instance = factory.instance(status=InstanceStatus.QR_REQUIRED, qr="qr-payload")
    now = datetime.now(UTC)
    return [
        MessageCreated(occurred_at=now, message=message),
        MessageUpdated(occurred_at=now, message=message, changes=frozenset({"status"})),
        InstanceUpdated(occurred_at=now, instance=instance),
    ]


async def rest_changes(live: Live, account: Account) -> None:
    """tickets.created, tickets.updated and leads.updated through the API."""
    ticket = await new_ticket(live, account)
    updated = await live.http.patch(
        f"/api/tickets/{ticket['id']}", json={"subject": "Orçamento"}, headers=account.headers
    )
    assert updated.status_code == 200, updated.text
    lead = await live.http.post(
        "/api/leads",
        json={"contactId": ticket["contactId"], "source": "WHATSAPP"},
        headers=account.headers,
    )
    assert lead.status_code == 201, lead.text


ALL_KINDS = {
    "tickets.created",
    "tickets.updated",
    "leads.updated",
    "messages.new",
    "messages.updated",
    "whatsapp.instances.updated",
    "whatsapp.circuit_breaker.open",
    "whatsapp.circuit_breaker.closed",
}


async def every_kind_for(live: Live, account: Account) -> None:
    await rest_changes(live, account)
    publisher = live.context.realtime.publisher
    await publisher.publish(direct_events(account.tenant_id))
    instance_id = uuid4()
    tenant_id = UUID(account.tenant_id)
    await publisher.circuit_changed(tenant_id, instance_id, is_open=True, failures=5)
    await publisher.circuit_changed(tenant_id, instance_id, is_open=False)


async def test_a_socket_only_ever_hears_its_own_tenant(
    live: Live, listeners: Callable[[], Listener]
) -> None:
    acme = await register_tenant(live.http, "acme")
    globex = await register_tenant(live.http, "globex")
    acme_socket = await connect(listeners(), live, acme)
    globex_socket = await connect(listeners(), live, globex)

    await every_kind_for(live, globex)
    await every_kind_for(live, acme)

    def every_kind(events: EventLog) -> bool:
        return {event for event, _ in events} >= ALL_KINDS

    acme_heard = await acme_socket.wait_for(every_kind)
    globex_heard = await globex_socket.wait_for(every_kind)
    assert {data["tenantId"] for _, data in acme_heard} == {acme.tenant_id}
    assert {data["tenantId"] for _, data in globex_heard} == {globex.tenant_id}
    qr = acme_socket.named("whatsapp.instances.updated")[0]
    assert (qr["status"], qr["qr"]) == ("qr_required", "qr-payload")
    assert acme_socket.named("messages.updated")[0]["changes"] == ["status"]


# --- ticket rooms and typing -------------------------------------------------------------


async def test_join_ticket_checks_the_ticket_belongs_to_the_socket_tenant(
    live: Live, listeners: Callable[[], Listener]
) -> None:
    acme = await register_tenant(live.http, "acme")
    globex = await register_tenant(live.http, "globex")
    acme_ticket = await new_ticket(live, acme)
    globex_ticket = await new_ticket(live, globex)
    socket = await connect(listeners(), live, acme)

    own = await socket.client.call("join-ticket", acme_ticket["id"], timeout=10)
    own_as_object = await socket.client.call(
        "join-ticket", {"ticketId": acme_ticket["id"]}, timeout=10
    )
    foreign = await socket.client.call("join-ticket", globex_ticket["id"], timeout=10)
    unknown = await socket.client.call("join-ticket", str(uuid4()), timeout=10)
    invalid = await socket.client.call("join-ticket", {"ticket": 1}, timeout=10)
    left = await socket.client.call("leave-ticket", acme_ticket["id"], timeout=10)

    assert own == own_as_object == left == {"ok": True}
    assert foreign == unknown == {"ok": False, "error": "NOT_FOUND"}
    assert invalid == {"ok": False, "error": "INVALID"}


async def test_typing_is_relayed_only_inside_a_joined_ticket_room(
    live: Live, listeners: Callable[[], Listener]
) -> None:
    acme = await register_tenant(live.http, "acme")
    globex = await register_tenant(live.http, "globex")
    ticket = await new_ticket(live, acme)
    typist, watcher = await connect(listeners(), live, acme), await connect(listeners(), live, acme)
    intruder = await connect(listeners(), live, globex)
    for socket in (typist, watcher):
        assert await socket.client.call("join-ticket", ticket["id"], timeout=10) == {"ok": True}

    stranger = await intruder.client.call("ticket:typing", {"ticketId": ticket["id"]}, timeout=10)
    sent = await typist.client.call("ticket:typing", {"ticketId": ticket["id"]}, timeout=10)

    heard = await watcher.wait_for(saw("ticket:typing"))
    assert stranger == {"ok": False, "error": "NOT_FOUND"}
    assert sent == {"ok": True}
    assert [data for event, data in heard if event == "ticket:typing"] == [
        {
            "tenantId": acme.tenant_id,
            "ticketId": ticket["id"],
            "userId": acme.user_id,
            "typing": True,
        }
    ]
    assert typist.named("ticket:typing") == []


# --- after commit, once, in seq order; catch-up ------------------------------------------


async def test_events_follow_commits_once_and_in_seq_order(
    live: Live, listeners: Callable[[], Listener]
) -> None:
    acme = await register_tenant(live.http, "acme")
    socket = await connect(listeners(), live, acme)
    contact_id = await new_contact(live, acme)
    first = await live.http.post(
        "/api/tickets", json={"contactId": contact_id}, headers=acme.headers
    )
    # A second open ticket for the same contact breaks a rule: the request rolls back.
    refused = await live.http.post(
        "/api/tickets", json={"contactId": contact_id}, headers=acme.headers
    )
    closed = await live.http.post(
        f"/api/tickets/{first.json()['id']}/close", json={}, headers=acme.headers
    )
    assert (first.status_code, refused.status_code, closed.status_code) == (201, 409, 200)

    heard = await socket.wait_for(saw("tickets.updated", ticketStatus="CLOSED"))
    assert [event for event, _ in heard] == ["tickets.created", "tickets.updated"]
    assert [data["ticketId"] for _, data in heard] == [first.json()["id"]] * 2
    seqs = [data["seq"] for _, data in heard]
    assert seqs == sorted(seqs)
    assert len(set(seqs)) == len(seqs)
    emitted = sample_value(live.context.registry, "ws_emit_total", {"event": "tickets.created"})
    assert emitted == 1


async def test_publishes_made_at_once_arrive_everywhere_in_seq_order(
    live: Live, listeners: Callable[[], Listener]
) -> None:
    """A worker announces a whole batch at once: the publishes are sent together (their emits
    not awaited one by one), and still reach every socket once, numbered and in order."""
    acme = await register_tenant(live.http, "acme")
    globex = await register_tenant(live.http, "globex")
    acme_sockets = [await connect(listeners(), live, acme) for _ in range(3)]
    globex_socket = await connect(listeners(), live, globex)
    batches = [direct_events(account.tenant_id) for _ in range(20) for account in (acme, globex)]

    await asyncio.gather(*(live.context.realtime.publisher.publish(b) for b in batches))

    expected = ["messages.new", "messages.updated", "whatsapp.instances.updated"] * 20
    for socket in acme_sockets:
        heard = await socket.wait_for(lambda events: len(events) >= len(expected))
        assert [event for event, _ in heard] == expected
        assert [data["seq"] for _, data in heard] == list(range(1, len(expected) + 1))
    heard = await globex_socket.wait_for(lambda events: len(events) >= len(expected))
    assert {data["tenantId"] for _, data in heard} == {globex.tenant_id}
    assert [data["seq"] for _, data in heard] == list(range(1, len(expected) + 1))


@pytest.mark.redis
async def test_a_batch_published_by_another_process_arrives_once_in_seq_order(
    database_url: str, listeners: Callable[[], Listener]
) -> None:
    """Two API processes sharing Redis (two apps, each with its own manager): a batch
    published at once by B reaches a socket on A and a socket on B exactly once, in order."""
    redis_url = require_service_url("LEADENGINE_TEST_REDIS_URL")
    engine = create_engine(database_url)
    await truncate_all(engine)
    await engine.dispose()
    settings = load_settings(
        database_url=database_url, environment="test", jwt_secret=JWT_SECRET, redis_url=redis_url
    )
    a, b = AppContext.build(settings), AppContext.build(settings)
    async with (
        serve(served_app(a)) as url_a,
        serve(served_app(b)) as url_b,
        httpx.AsyncClient(base_url=url_a, timeout=30) as http,
    ):
        acme = await register_tenant(http, "acme")
        on_a, on_b = listeners(), listeners()
        for listener, url in ((on_a, url_a), (on_b, url_b)):
            await listener.client.connect(
                url, auth={"token": acme.access_token}, transports=["websocket"], wait_timeout=10
            )
        await asyncio.sleep(0.5)  # A's Redis listener is subscribed
        batches = [direct_events(acme.tenant_id) for _ in range(30)]

        await asyncio.gather(*(b.realtime.publisher.publish(batch) for batch in batches))

        for listener in (on_a, on_b):
            heard = await listener.wait_for(lambda events: len(events) >= 90)
            await asyncio.sleep(0.3)  # nothing more arrives
            assert len(listener.events) == 90
            seqs = [data["seq"] for _, data in heard]
            assert seqs == sorted(seqs)
            assert len(set(seqs)) == 90
        await a.realtime.close()
        await b.realtime.close()


async def test_catch_up_returns_what_a_disconnected_client_missed(
    live: Live, listeners: Callable[[], Listener]
) -> None:
    acme = await register_tenant(live.http, "acme")
    globex = await register_tenant(live.http, "globex")
    socket = await connect(listeners(), live, acme)
    await new_ticket(live, acme)
    heard = await socket.wait_for(saw("tickets.created"))
    last_seen = heard[-1][1]["seq"]
    await socket.client.disconnect()

    await rest_changes(live, acme)
    await rest_changes(live, globex)
    missed = await live.http.get(
        "/api/realtime/events", params={"since": last_seen}, headers=acme.headers
    )
    first_page = await live.http.get(
        "/api/realtime/events", params={"since": last_seen, "limit": 2}, headers=acme.headers
    )
    ahead = await live.http.get(
        "/api/realtime/events", params={"since": 10_000}, headers=acme.headers
    )
    anonymous = await live.http.get("/api/realtime/events")

    body = missed.json()
    assert missed.status_code == 200, missed.text
    assert [item["event"] for item in body["items"]] == [
        "tickets.created",
        "tickets.updated",
        "leads.updated",
    ]
    assert [item["seq"] for item in body["items"]] == [last_seen + 1, last_seen + 2, last_seen + 3]
    assert {item["data"]["tenantId"] for item in body["items"]} == {acme.tenant_id}
    assert all(item["data"]["seq"] == item["seq"] for item in body["items"])
    assert (body["lastSeq"], body["truncated"]) == (last_seen + 3, False)
    assert first_page.json()["items"] == body["items"][:2]
    assert ahead.json()["truncated"] is True
    assert anonymous.status_code == 401
