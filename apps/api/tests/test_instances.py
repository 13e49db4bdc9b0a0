"""WhatsApp instance routes: the API and the broker simulator, both real servers.

Covers the lifecycle (create → QR → scan or pairing code → connected → disconnect → delete),
sync, idempotency, broker failures, and for every route: 503 while unconfigured, 401, 403,
another tenant's id (404) and validation (422).
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from leadengine_api.app import create_app
from leadengine_api.testing import Account, register_tenant, serve
from leadengine_integrations.simulator import RunningSimulator, SimulatorConfig, run_simulator
from leadengine_integrations.simulator.testing import run_webhook_receiver
from leadengine_shared.settings import load_settings
from leadengine_storage.engine import create_engine
from leadengine_storage.testing import truncate_all
from sqlalchemy import text

JWT_SECRET = "instances-test-secret-" + "x" * 32
BROKER_KEY = "broker-key"
VERIFY_TOKEN = "verify-me"
BASE = "/api/integrations/whatsapp/instances"
PHONE = "+5531988887777"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
UNCONFIGURED = {
    "whatsapp_broker_url": None,
    "whatsapp_broker_api_key": None,
    "whatsapp_webhook_url": None,
    "whatsapp_webhook_verify_token": None,
}

# (method, path under BASE, JSON body, needs INSTANCES_WRITE)
ROUTES: list[tuple[str, str, dict[str, Any] | None, bool]] = [
    ("GET", "", None, False),
    ("POST", "", {"name": "Vendas"}, True),
    ("GET", "/{id}", None, False),
    ("GET", "/{id}/qr", None, False),
    ("GET", "/{id}/qr.png", None, False),
    ("POST", "/{id}/pair", {"phoneNumber": PHONE}, True),
    ("POST", "/{id}/disconnect", {"wipe": False}, True),
    ("DELETE", "/{id}", None, True),
    ("POST", "/{id}/exists", {"to": PHONE}, False),
    ("GET", "/{id}/groups", None, False),
    ("GET", "/{id}/metrics", None, False),
]
INSTANCE_ROUTES = [route for route in ROUTES if "{id}" in route[1]]


@dataclass(slots=True)
class Stack:
    http: httpx.AsyncClient
    sim: RunningSimulator
    database_url: str
    webhook_url: str


@asynccontextmanager
async def served_api(database_url: str, **overrides: object) -> AsyncIterator[httpx.AsyncClient]:
    engine = create_engine(database_url)
    await truncate_all(engine)
    await engine.dispose()
    settings = load_settings(
        database_url=database_url, environment="test", jwt_secret=JWT_SECRET, **overrides
    )
    async with (
        serve(create_app(settings)) as base_url,
        httpx.AsyncClient(base_url=base_url, timeout=60) as http,
    ):
        yield http


@pytest.fixture
async def stack(database_url: str) -> AsyncIterator[Stack]:
    config = SimulatorConfig(api_key=BROKER_KEY, webhook_retry_delays=(), ack_delay=0.01)
    async with (
        run_webhook_receiver() as receiver,
        run_simulator(config) as sim,
        served_api(
            database_url,
            whatsapp_broker_url=sim.url + "/",
            whatsapp_broker_api_key=BROKER_KEY,
            whatsapp_webhook_url=receiver.url,
            whatsapp_webhook_verify_token=VERIFY_TOKEN,
        ) as http,
    ):
        yield Stack(http, sim, database_url, receiver.url)


async def instance_rows(database_url: str) -> int:
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            count = await connection.scalar(text("SELECT count(*) FROM whatsapp_instances"))
    finally:
        await engine.dispose()
    return int(count or 0)


async def create(
    http: httpx.AsyncClient, account: Account, name: str = "Vendas", **body: Any
) -> dict[str, Any]:
    response = await http.post(BASE, json={"name": name, **body}, headers=account.headers)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def agent_of(http: httpx.AsyncClient, admin: Account) -> dict[str, str]:
    email = f"agent@{admin.tenant_slug}.test"
    made = await http.post(
        "/api/users",
        json={"name": "Agent", "email": email, "password": "password-123", "role": "AGENT"},
        headers=admin.headers,
    )
    assert made.status_code == 201, made.text
    login = await http.post(
        "/api/auth/login",
        json={"email": email, "password": "password-123", "tenantSlug": admin.tenant_slug},
    )
    return {"Authorization": f"Bearer {login.json()['accessToken']}"}


async def call(
    http: httpx.AsyncClient,
    route: tuple[str, str, dict[str, Any] | None, bool],
    instance_id: str,
    headers: dict[str, str],
) -> httpx.Response:
    method, path, body, _ = route
    return await http.request(
        method, BASE + path.format(id=instance_id), json=body, headers=headers
    )


# lifecycle


async def test_create_then_qr_then_scan_connects(stack: Stack) -> None:
    admin = await register_tenant(stack.http, "acme")
    created = await create(stack.http, admin, "Vendas Centro")
    assert created["brokerId"] == "vendas-centro"
    assert created["status"] == "qr_required"
    assert created["connected"] is False
    session = stack.sim.state.instance("vendas-centro")
    assert session is not None
    assert session.tenant_id == admin.tenant_id
    assert session.webhook_url == stack.webhook_url

    path = f"{BASE}/{created['id']}"
    qr = await stack.http.get(f"{path}/qr", headers=admin.headers)
    assert qr.status_code == 200
    assert qr.json()["available"] is True
    assert qr.json()["qr"] == session.qr
    assert qr.json()["reason"] is None
    png = await stack.http.get(f"{path}/qr.png", headers=admin.headers)
    assert png.status_code == 200
    assert png.headers["content-type"] == "image/png"
    assert png.content.startswith(PNG_MAGIC)

    await stack.sim.scan("vendas-centro")
    detail = await stack.http.get(path, headers=admin.headers)
    assert detail.status_code == 200
    assert detail.json()["status"] == "connected"
    assert detail.json()["live"] is True
    assert detail.json()["phoneNumber"].startswith("+")

    gone_qr = await stack.http.get(f"{path}/qr", headers=admin.headers)
    assert gone_qr.json() == {
        "qr": None,
        "expiresAt": None,
        "available": False,
        "reason": "UNAVAILABLE",
    }
    gone_png = await stack.http.get(f"{path}/qr.png", headers=admin.headers)
    assert gone_png.status_code == 404
    assert gone_png.json()["code"] == "QR_NOT_AVAILABLE"
    listed = await stack.http.get(BASE, headers=admin.headers)
    assert [(i["id"], i["status"]) for i in listed.json()["instances"]] == [
        (created["id"], "connected")
    ]


async def test_pair_by_phone_number(stack: Stack) -> None:
    admin = await register_tenant(stack.http, "acme")
    created = await create(stack.http, admin, id="sales-01")
    paired = await stack.http.post(
        f"{BASE}/{created['id']}/pair",
        json={"phoneNumber": "(31) 98888-7777"},
        headers=admin.headers,
    )
    assert paired.status_code == 200, paired.text
    code = paired.json()["pairingCode"]
    assert len(code) == 8
    assert paired.json()["connected"] is False

    await stack.sim.confirm_pairing("sales-01", code)
    detail = await stack.http.get(f"{BASE}/{created['id']}", headers=admin.headers)
    assert detail.json()["status"] == "connected"
    assert detail.json()["phoneNumber"] == PHONE


async def test_exists_groups_and_metrics_of_a_connected_instance(stack: Stack) -> None:
    admin = await register_tenant(stack.http, "acme")
    created = await create(stack.http, admin, id="sales-01")
    path = f"{BASE}/{created['id']}"
    not_connected = await stack.http.post(
        f"{path}/exists", json={"to": PHONE}, headers=admin.headers
    )
    assert not_connected.status_code == 409
    assert not_connected.json()["code"] == "INSTANCE_NOT_CONNECTED"

    await stack.sim.scan("sales-01")
    exists = await stack.http.post(f"{path}/exists", json={"to": PHONE}, headers=admin.headers)
    assert exists.status_code == 200
    assert exists.json()["exists"] is True
    assert exists.json()["jid"] == "5531988887777@s.whatsapp.net"
    groups = await stack.http.get(f"{path}/groups", headers=admin.headers)
    assert groups.json() == {"groups": []}
    metrics = await stack.http.get(f"{path}/metrics", headers=admin.headers)
    assert metrics.json()["metrics"]["sent"] == 0


async def test_disconnect_with_wipe_and_again_when_already_gone(stack: Stack) -> None:
    admin = await register_tenant(stack.http, "acme")
    created = await create(stack.http, admin, id="sales-01")
    await stack.sim.scan("sales-01")
    path = f"{BASE}/{created['id']}/disconnect"

    first = await stack.http.post(path, json={"wipe": True}, headers=admin.headers)
    assert first.status_code == 200, first.text
    assert first.json() == {
        "instanceId": created["id"],
        "pending": False,
        "existed": True,
        "wiped": True,
        "status": "disconnected",
    }
    session = stack.sim.state.instance("sales-01")
    assert session is not None
    assert session.status == "disconnected"
    assert session.phone_number is None

    async with stack.sim.client() as broker:
        await broker.delete("sales-01")
    again = await stack.http.post(path, headers=admin.headers)
    assert again.status_code == 200
    assert again.json()["existed"] is False
    assert again.json()["pending"] is False
    no_qr = await stack.http.get(f"{BASE}/{created['id']}/qr", headers=admin.headers)
    assert no_qr.status_code == 200
    assert no_qr.json()["available"] is False
    no_png = await stack.http.get(f"{BASE}/{created['id']}/qr.png", headers=admin.headers)
    assert no_png.status_code == 404


async def test_disconnect_while_the_broker_is_down_is_retried_on_the_next_list(
    stack: Stack,
) -> None:
    admin = await register_tenant(stack.http, "acme")
    created = await create(stack.http, admin, id="sales-01")
    await stack.sim.scan("sales-01")
    seen = await stack.http.get(f"{BASE}/{created['id']}", headers=admin.headers)
    assert seen.json()["status"] == "connected"

    stack.sim.state.set_faults(down=True)
    pending = await stack.http.post(f"{BASE}/{created['id']}/disconnect", headers=admin.headers)
    assert pending.status_code == 202
    assert pending.json()["pending"] is True
    still_down = await stack.http.get(BASE, headers=admin.headers)
    assert still_down.json()["meta"]["disconnectsRetried"] == 0
    assert still_down.json()["instances"][0]["disconnectPending"] is True
    stale = await stack.http.get(f"{BASE}/{created['id']}", headers=admin.headers)
    assert stale.status_code == 200
    assert stale.json()["live"] is False
    assert stale.json()["brokerError"] == "BROKER_UNAVAILABLE"
    assert stale.json()["status"] == "connected"

    stack.sim.state.clear_faults()
    listed = await stack.http.get(BASE, headers=admin.headers)
    assert listed.json()["meta"]["disconnectsRetried"] == 1
    (instance,) = listed.json()["instances"]
    assert instance["status"] == "disconnected"
    assert instance["disconnectPending"] is False
    session = stack.sim.state.instance("sales-01")
    assert session is not None
    assert session.status == "disconnected"


async def test_delete_tombstones_and_sync_never_resurrects(stack: Stack) -> None:
    admin = await register_tenant(stack.http, "acme")
    created = await create(stack.http, admin, id="sales-01")
    deleted = await stack.http.delete(
        f"{BASE}/{created['id']}", params={"wipe": "true"}, headers=admin.headers
    )
    assert deleted.status_code == 200, deleted.text
    assert deleted.json()["id"] == created["id"]
    assert deleted.json()["brokerStatus"] == "deleted"
    assert deleted.json()["deletedAt"]
    assert stack.sim.state.instance("sales-01") is None
    gone = await stack.http.get(f"{BASE}/{created['id']}", headers=admin.headers)
    assert gone.status_code == 404
    assert gone.json()["code"] == "INSTANCE_NOT_FOUND"

    async with stack.sim.client() as broker:
        # The old session reappears on the broker, and one made elsewhere exists too.
        for session_id in ("sales-01", "made-elsewhere"):
            await broker.create_instance(
                admin.tenant_id, session_id, session_id, stack.webhook_url, "v", session_id
            )
    synced = await stack.http.get(BASE, params={"mode": "sync"}, headers=admin.headers)
    assert synced.status_code == 200, synced.text
    assert synced.json()["meta"]["sync"] == {
        "created": 1,
        "updated": 0,
        "unchanged": 0,
        "skipped": 1,
    }
    assert [i["brokerId"] for i in synced.json()["instances"]] == ["made-elsewhere"]
    again = await stack.http.get(BASE, params={"mode": "sync"}, headers=admin.headers)
    assert [i["brokerId"] for i in again.json()["instances"]] == ["made-elsewhere"]
    assert again.json()["meta"]["sync"]["unchanged"] == 1

    reused = await stack.http.post(
        BASE, json={"name": "Vendas", "id": "sales-01"}, headers=admin.headers
    )
    assert reused.status_code == 409
    assert reused.json()["suggestedId"] == "sales-01-2"
    deleted_again = await stack.http.delete(f"{BASE}/{created['id']}", headers=admin.headers)
    assert deleted_again.status_code == 404


async def test_sync_updates_status_and_drops_other_tenants_sessions(stack: Stack) -> None:
    acme = await register_tenant(stack.http, "acme")
    globex = await register_tenant(stack.http, "globex")
    ours = await create(stack.http, acme, id="acme-sales")
    await create(stack.http, globex, id="globex-sales")
    await stack.sim.scan("acme-sales")
    stack.sim.state.set_faults(leak_tenants=True)

    synced = await stack.http.get(BASE, params={"mode": "sync"}, headers=acme.headers)
    assert synced.status_code == 200
    assert synced.json()["meta"]["sync"]["created"] == 0
    assert synced.json()["meta"]["sync"]["updated"] == 1
    assert [(i["id"], i["status"]) for i in synced.json()["instances"]] == [
        (ours["id"], "connected")
    ]
    theirs = await stack.http.get(BASE, headers=globex.headers)
    assert [i["brokerId"] for i in theirs.json()["instances"]] == ["globex-sales"]


async def test_create_is_idempotent_by_key_and_a_taken_id_suggests_another(
    stack: Stack,
) -> None:
    acme = await register_tenant(stack.http, "acme")
    globex = await register_tenant(stack.http, "globex")
    headers = {**acme.headers, "Idempotency-Key": "create-vendas-1"}
    first = await stack.http.post(BASE, json={"name": "Vendas"}, headers=headers)
    replay = await stack.http.post(BASE, json={"name": "Vendas"}, headers=headers)
    assert first.status_code == 201
    assert replay.status_code == 200
    assert replay.json()["id"] == first.json()["id"]
    assert [s.id for s in stack.sim.state.all_instances()] == ["vendas"]

    for account in (acme, globex):
        taken = await stack.http.post(BASE, json={"name": "Vendas"}, headers=account.headers)
        assert taken.status_code == 409
        assert taken.json()["code"] == "INSTANCE_ALREADY_EXISTS"
        assert taken.json()["suggestedId"] == "vendas-2"
        assert acme.tenant_id not in taken.text
    suggested = await create(stack.http, globex, "Vendas", id="vendas-2")
    assert suggested["brokerId"] == "vendas-2"


async def test_broker_down_is_a_502_problem_and_nothing_is_written(stack: Stack) -> None:
    admin = await register_tenant(stack.http, "acme")
    stack.sim.state.set_faults(down=True)
    failed = await stack.http.post(BASE, json={"name": "Vendas"}, headers=admin.headers)
    assert failed.status_code == 502
    assert failed.headers["content-type"].startswith("application/problem+json")
    assert failed.json()["code"] == "BROKER_UNAVAILABLE"
    synced = await stack.http.get(BASE, params={"mode": "sync"}, headers=admin.headers)
    assert synced.status_code == 502
    assert await instance_rows(stack.database_url) == 0


async def test_a_wrong_broker_key_is_502_and_a_slow_broker_504(stack: Stack) -> None:
    async with served_api(
        stack.database_url,
        whatsapp_broker_url=stack.sim.url,
        whatsapp_broker_api_key="wrong-key",
        whatsapp_webhook_url=stack.webhook_url,
        whatsapp_broker_timeout_ms=100,
    ) as http:
        admin = await register_tenant(http, "acme")
        refused = await http.post(BASE, json={"name": "Vendas"}, headers=admin.headers)
        assert refused.status_code == 502
        assert refused.json()["code"] == "BROKER_AUTH"
        stack.sim.state.set_faults(latency=1.0)
        slow = await http.get(BASE, params={"mode": "sync"}, headers=admin.headers)
        assert slow.status_code == 504
        assert slow.json()["code"] == "BROKER_TIMEOUT"
    stack.sim.state.clear_faults()
    assert await instance_rows(stack.database_url) == 0


async def test_health_shows_the_configured_runtime(stack: Stack) -> None:
    health = (await stack.http.get("/healthz")).json()["whatsapp"]
    assert health["runtime"]["status"] == "configured"
    assert health["runtime"]["disabled"] is False
    assert health["runtime"]["mode"] == health["runtime"]["transport"] == "http"
    assert health["missing"] == []


# every route


async def test_every_route_answers_503_naming_the_missing_settings(database_url: str) -> None:
    async with served_api(database_url, **UNCONFIGURED) as http:
        admin = await register_tenant(http, "acme")
        some_id = "0190f5c2-0000-7000-8000-000000000000"
        for route in ROUTES:
            response = await call(http, route, some_id, admin.headers)
            assert response.status_code == 503, (route, response.text)
            assert response.headers["content-type"].startswith("application/problem+json")
            body = response.json()
            assert body["code"] == "WHATSAPP_NOT_CONFIGURED"
            assert body["details"]["missing"] == [
                "WHATSAPP_BROKER_URL",
                "WHATSAPP_BROKER_API_KEY",
            ]
            anonymous = await call(http, route, some_id, {})
            assert anonymous.status_code == 401, (route, anonymous.text)
        health = (await http.get("/healthz")).json()["whatsapp"]
        assert health["runtime"]["status"] == "not_configured"
        assert health["runtime"]["disabled"] is True
        assert health["missing"] == ["WHATSAPP_BROKER_URL", "WHATSAPP_BROKER_API_KEY"]
    assert await instance_rows(database_url) == 0


async def test_creating_needs_the_public_webhook_url(database_url: str) -> None:
    async with served_api(
        database_url,
        **{
            **UNCONFIGURED,
            "whatsapp_broker_url": "http://127.0.0.1:9",
            "whatsapp_broker_api_key": "k",
        },
    ) as http:
        admin = await register_tenant(http, "acme")
        refused = await http.post(BASE, json={"name": "Vendas"}, headers=admin.headers)
        assert refused.status_code == 503
        assert refused.json()["code"] == "WHATSAPP_NOT_CONFIGURED"
        assert refused.json()["details"]["missing"] == ["WHATSAPP_WEBHOOK_URL"]
        listed = await http.get(BASE, headers=admin.headers)
        assert listed.json()["instances"] == []
    assert await instance_rows(database_url) == 0


async def test_every_route_needs_a_credential_of_the_right_tenant(stack: Stack) -> None:
    acme = await register_tenant(stack.http, "acme")
    globex = await register_tenant(stack.http, "globex")
    created = await create(stack.http, acme, id="acme-sales")
    mismatch = {**acme.headers, "X-Tenant-Id": globex.tenant_id}
    for route in ROUTES:
        anonymous = await call(stack.http, route, created["id"], {})
        assert anonymous.status_code == 401, route
        assert anonymous.json()["code"] == "UNAUTHORIZED"
        wrong_tenant = await call(stack.http, route, created["id"], mismatch)
        assert wrong_tenant.status_code == 403, route
    for route in INSTANCE_ROUTES:
        other = await call(stack.http, route, created["id"], globex.headers)
        assert other.status_code == 404, (route, other.text)
        assert other.json()["code"] == "INSTANCE_NOT_FOUND"
    assert stack.sim.state.instance("acme-sales") is not None


async def test_agents_read_but_never_write(stack: Stack) -> None:
    admin = await register_tenant(stack.http, "acme")
    created = await create(stack.http, admin, id="sales-01")
    await stack.sim.scan("sales-01")
    agent = await agent_of(stack.http, admin)
    for route in ROUTES:
        response = await call(stack.http, route, created["id"], agent)
        if route[3]:
            assert response.status_code == 403, route
            assert response.json()["code"] == "FORBIDDEN"
        else:
            assert response.status_code in (200, 404), (route, response.text)
    session = stack.sim.state.instance("sales-01")
    assert session is not None
    assert session.connected


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "", {}),
        ("POST", "", {"name": ""}),
        ("POST", "", {"name": "Vendas", "id": "has space"}),
        ("POST", "", {"name": "Vendas", "id": "x" * 65}),
        ("POST", "", {"name": "!!!"}),
        ("POST", "", {"name": "Vendas", "unknown": 1}),
        ("POST", "/{id}/pair", {}),
        ("POST", "/{id}/pair", {"phoneNumber": "12"}),
        ("POST", "/{id}/disconnect", {"wipe": "maybe"}),
        ("POST", "/{id}/exists", {}),
        ("GET", "?mode=snapshot", None),
        ("DELETE", "/{id}?wipe=maybe", None),
    ],
)
async def test_invalid_input_is_422(
    stack: Stack, method: str, path: str, body: dict[str, Any] | None
) -> None:
    admin = await register_tenant(stack.http, "acme")
    created = await create(stack.http, admin, id="sales-01")
    response = await stack.http.request(
        method, BASE + path.format(id=created["id"]), json=body, headers=admin.headers
    )
    assert response.status_code == 422, response.text
    assert response.json()["code"] in ("VALIDATION_ERROR", "INVALID_PHONE")


async def test_a_path_id_that_is_not_a_uuid_is_never_a_server_error(stack: Stack) -> None:
    admin = await register_tenant(stack.http, "acme")
    for route in INSTANCE_ROUTES:
        response = await call(stack.http, route, "sales-01", admin.headers)
        assert response.status_code in (400, 404, 422), (route, response.text)
