"""Two tenants, every operation that names an id, every id kind of the other tenant: tenant A
never reads or writes tenant B's data.

The operations come from the served OpenAPI document, so a new route joins the matrix by
existing. Each request must answer 404 (or 422 when the body is refused first) and tenant B's
data, read back through B's own credential, must be byte-for-byte what it was.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from leadengine_api.testing import Account, register_tenant
from leadengine_integrations.simulator import SimulatorConfig, run_simulator

METHODS = ("get", "post", "put", "patch", "delete")
VOLATILE = re.compile(r'"(lastUsedAt|uptimeSeconds|lastSeq)":[^,}]*')
PUBLIC = [{}]


async def _seed(api: httpx.AsyncClient, account: Account) -> dict[str, str]:
    """One record of every kind for a tenant, created through the API; returns their ids."""
    h = account.headers
    contact = (
        await api.post(
            "/api/contacts",
            headers=h,
            json={"name": "Customer", "phone": "+5531988887777", "tags": ["vip"]},
        )
    ).json()
    queues = (await api.get("/api/queues", headers=h)).json()["items"]
    ticket = (
        await api.post(
            "/api/tickets", headers=h, json={"contactId": contact["id"], "subject": "Hello"}
        )
    ).json()
    note = (
        await api.post(f"/api/tickets/{ticket['id']}/notes", headers=h, json={"body": "internal"})
    ).json()
    lead = (
        await api.post(
            "/api/leads", headers=h, json={"contactId": contact["id"], "source": "WHATSAPP"}
        )
    ).json()
    user = (
        await api.post(
            "/api/users",
            headers=h,
            json={
                "name": "Agent",
                "email": f"agent@{account.tenant_slug}.test",
                "password": "password-123",
                "role": "AGENT",
            },
        )
    ).json()
    key = (await api.post("/api/api-keys", headers=h, json={"name": "bot", "role": "AGENT"})).json()
    return {
        "contact": contact["id"],
        "queue": queues[0]["id"],
        "ticket": ticket["id"],
        "note": note["id"],
        "lead": lead["id"],
        "user": user["id"],
        "key": key["key"]["id"],
        "me": account.user_id,
        "tenant": account.tenant_id,
    }


async def _snapshot(api: httpx.AsyncClient, account: Account, ids: dict[str, str]) -> list[str]:
    """Everything tenant B can see about itself, as text, in a stable order."""
    h = account.headers
    paths = [
        "/api/contacts",
        f"/api/contacts/{ids['contact']}",
        "/api/contacts/tags",
        "/api/tickets",
        f"/api/tickets/{ids['ticket']}",
        f"/api/tickets/{ids['ticket']}/notes",
        f"/api/tickets/{ids['ticket']}/messages",
        "/api/leads",
        f"/api/leads/{ids['lead']}",
        f"/api/leads/{ids['lead']}/activities",
        "/api/queues",
        "/api/users",
        "/api/api-keys",
        "/api/auth/me",
    ]
    texts = []
    for path in paths:
        response = await api.get(path, headers=h)
        assert response.status_code == 200, (path, response.text)
        texts.append(f"{path} {VOLATILE.sub('', response.text)}")
    return texts


def _operations(document: dict[str, Any]) -> list[tuple[str, str, list[str]]]:
    found = []
    for path, item in document["paths"].items():
        params = re.findall(r"{(\w+)}", path)
        for method in METHODS:
            operation = item.get(method)
            if operation and params and operation.get("security") != PUBLIC:
                found.append((method, path, params))
    return found


@pytest.fixture
async def api_with_broker(serve_api: Any) -> AsyncIterator[httpx.AsyncClient]:
    """The API wired to a real broker simulator, so WhatsApp routes answer for real."""
    async with (
        run_simulator(SimulatorConfig(api_key="matrix-broker-key")) as sim,
        serve_api(
            whatsapp_broker_url=sim.url,
            whatsapp_broker_api_key="matrix-broker-key",
            whatsapp_webhook_url="http://127.0.0.1:9/unused",
            whatsapp_webhook_api_key="matrix-webhook-key",
        ) as http,
    ):
        yield http


async def test_no_operation_reaches_another_tenant(api_with_broker: httpx.AsyncClient) -> None:
    api = api_with_broker
    a = await register_tenant(api, "tenant-a")
    b = await register_tenant(api, "tenant-b")
    await _seed(api, a)
    b_ids = await _seed(api, b)
    before = await _snapshot(api, b, b_ids)

    document = (await api.get("/schema/openapi.json")).json()
    operations = _operations(document)
    assert len(operations) >= 20, "the matrix should cover the whole API"
    tried = 0
    for method, path, params in operations:
        for kind, foreign_id in b_ids.items():
            url = path
            for param in params:
                url = url.replace("{" + param + "}", foreign_id)
            response = await api.request(method.upper(), url, headers=a.headers, json={})
            tried += 1
            assert response.status_code in (404, 422), (method, path, kind, response.text)
            if response.status_code == 422:
                assert response.json()["code"] != "INTERNAL_ERROR"
    assert await _snapshot(api, b, b_ids) == before, "tenant B's data changed"
    assert tried >= 20 * len(b_ids)


async def test_ids_in_bodies_and_queries_never_cross_tenants(
    api_with_broker: httpx.AsyncClient,
) -> None:
    api = api_with_broker
    a = await register_tenant(api, "tenant-a")
    b = await register_tenant(api, "tenant-b")
    a_ids = await _seed(api, a)
    b_ids = await _seed(api, b)
    before = await _snapshot(api, b, b_ids)
    h = a.headers
    attempts = [
        ("POST", "/api/tickets", {"contactId": b_ids["contact"]}),
        ("POST", "/api/tickets", {"contactId": a_ids["contact"], "queueId": b_ids["queue"]}),
        ("POST", f"/api/tickets/{a_ids['ticket']}/assign", {"userId": b_ids["user"]}),
        ("PATCH", f"/api/tickets/{a_ids['ticket']}", {"queueId": b_ids["queue"]}),
        ("POST", "/api/leads", {"contactId": b_ids["contact"], "source": "WHATSAPP"}),
        (
            "POST",
            "/api/contacts/merge",
            {"targetId": a_ids["contact"], "sourceIds": [b_ids["contact"]]},
        ),
        (
            "POST",
            "/api/contacts/merge",
            {"targetId": b_ids["contact"], "sourceIds": [a_ids["contact"]]},
        ),
        (
            "POST",
            "/api/contacts/actions/bulk",
            {"contactIds": [a_ids["contact"], b_ids["contact"]], "addTags": ["x"]},
        ),
        ("PATCH", "/api/queues/reorder", {"items": [{"id": b_ids["queue"], "orderIndex": 3}]}),
    ]
    for method, url, body in attempts:
        response = await api.request(method, url, headers=h, json=body)
        assert response.status_code == 404, (method, url, body, response.text)
    filtered = await api.get(
        "/api/tickets", headers=h, params={"queueId": b_ids["queue"], "assigneeId": b_ids["me"]}
    )
    assert filtered.status_code in (200, 404)
    if filtered.status_code == 200:
        assert filtered.json()["items"] == []
    assert await _snapshot(api, b, b_ids) == before, "tenant B's data changed"
