"""Lead routes over real HTTP on SQLite and PostgreSQL."""

from collections.abc import AsyncIterator
from typing import Any
from uuid import uuid4

import httpx
import pytest
from leadengine_api.features.tickets.testing import Seeder, seeder
from leadengine_api.testing import Account, register_tenant
from leadengine_core.users import Role


@pytest.fixture
async def seed(api: httpx.AsyncClient, database_url: str) -> AsyncIterator[Seeder]:
    async with seeder(api, database_url) as rows:
        yield rows


@pytest.fixture
async def acme(api: httpx.AsyncClient) -> Account:
    return await register_tenant(api, "acme")


@pytest.fixture
async def globex(api: httpx.AsyncClient) -> Account:
    return await register_tenant(api, "globex")


async def contact(api: httpx.AsyncClient, account: Account, name: str = "Maria") -> str:
    created = await api.post("/api/contacts", json={"name": name}, headers=account.headers)
    assert created.status_code == 201, created.text
    contact_id: str = created.json()["id"]
    return contact_id


async def lead(api: httpx.AsyncClient, account: Account, **body: Any) -> dict[str, Any]:
    body = {"source": "WHATSAPP", **body}
    if "contactId" not in body:
        body["contactId"] = await contact(api, account)
    created = await api.post("/api/leads", json=body, headers=account.headers)
    assert created.status_code == 201, created.text
    result: dict[str, Any] = created.json()
    return result


async def get(api: httpx.AsyncClient, account: Account, path: str, **params: Any) -> Any:
    response = await api.get(path, headers=account.headers, params=params)
    assert response.status_code == 200, response.text
    return response.json()


def field_errors(response: httpx.Response) -> set[str]:
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "VALIDATION_ERROR"
    return {error["field"] for error in response.json()["errors"]}


async def test_create_and_view_a_lead_with_its_contact(
    api: httpx.AsyncClient, acme: Account
) -> None:
    contact_id = await contact(api, acme)

    created = await lead(
        api,
        acme,
        contactId=contact_id,
        source="paid_ads",
        status="qualified",
        value=1500.5,
        probability=60,
        tags=["inss", "inss", "consignado"],
        notes="Prefere à tarde",
    )

    assert created["contactId"] == contact_id
    assert (created["source"], created["status"]) == ("PAID_ADS", "QUALIFIED")
    assert (created["value"], created["probability"]) == (1500.5, 60)
    assert (created["tags"], created["notes"]) == (["inss", "consignado"], "Prefere à tarde")
    assert created["contact"] is None
    assert await get(api, acme, f"/api/leads/{created['id']}") == created
    with_contact = await get(api, acme, f"/api/leads/{created['id']}", include="contact")
    assert with_contact["contact"]["id"] == contact_id
    assert with_contact["contact"]["leadId"] == created["id"]
    history = await get(api, acme, f"/api/leads/{created['id']}/activities")
    assert [(a["type"], a["actorId"]) for a in history["items"]] == [("CREATED", acme.user_id)]


async def test_a_contact_has_one_lead(api: httpx.AsyncClient, acme: Account) -> None:
    first = await lead(api, acme)

    second = await api.post(
        "/api/leads",
        json={"contactId": first["contactId"], "source": "EMAIL"},
        headers=acme.headers,
    )

    assert second.status_code == 409
    assert second.json()["code"] == "CONFLICT"
    assert second.json()["details"]["existingLeadId"] == first["id"]


async def test_status_changes_and_assignment_are_recorded_with_the_actor(
    api: httpx.AsyncClient, seed: Seeder, acme: Account
) -> None:
    created = await lead(api, acme)
    agent = await seed.user(acme, Role.AGENT)
    path = f"/api/leads/{created['id']}"

    steps = [
        (acme, {"status": "CONTACTED", "value": 10}),
        (agent, {"status": "LOST", "reason": "Sem interesse"}),
        (agent, {"status": "converted", "assigneeId": agent.user_id}),
        (acme, {"status": "CONVERTED", "notes": "fechado"}),
        (acme, {"assigneeId": None, "value": None}),
    ]
    for account, body in steps:
        response = await api.patch(path, json=body, headers=account.headers)
        assert response.status_code == 200, response.text

    final = await get(api, acme, path)
    history = await get(api, acme, f"{path}/activities")
    assert (final["status"], final["value"], final["notes"]) == ("CONVERTED", None, "fechado")
    assert final["assigneeId"] is None
    assert [(a["type"], a["actorId"]) for a in history["items"]] == [
        ("CREATED", acme.user_id),
        ("STATUS_CHANGED", acme.user_id),
        ("LOST", agent.user_id),
        ("ASSIGNED", agent.user_id),
        ("CONVERTED", agent.user_id),
        ("ASSIGNED", acme.user_id),
    ]
    lost = history["items"][2]
    assert (lost["description"], lost["metadata"]) == (
        "Sem interesse",
        {"from": "CONTACTED", "to": "LOST"},
    )


async def test_activities_page_oldest_first(api: httpx.AsyncClient, acme: Account) -> None:
    created = await lead(api, acme)
    path = f"/api/leads/{created['id']}"
    for status in ("CONTACTED", "ENGAGED", "QUALIFIED", "PROPOSAL"):
        await api.patch(path, json={"status": status}, headers=acme.headers)

    pages = [await get(api, acme, f"{path}/activities", limit=2)]
    while pages[-1]["nextCursor"]:
        cursor = pages[-1]["nextCursor"]
        pages.append(await get(api, acme, f"{path}/activities", limit=2, cursor=cursor))
    back = await get(api, acme, f"{path}/activities", limit=2, cursor=pages[-1]["prevCursor"])

    statuses = [a["metadata"].get("to") for page in pages for a in page["items"]]
    assert statuses == [None, "CONTACTED", "ENGAGED", "QUALIFIED", "PROPOSAL"]
    assert back["items"] == pages[1]["items"]


async def test_leads_page_newest_first_and_filter_by_status(
    api: httpx.AsyncClient, acme: Account, globex: Account
) -> None:
    created = [
        await lead(api, acme, status=status)
        for status in ("NEW", "LOST", "NEW", "CONVERTED", "NURTURING")
    ]
    await lead(api, globex, status="NEW")

    pages = [await get(api, acme, "/api/leads", limit=2)]
    while pages[-1]["nextCursor"]:
        pages.append(await get(api, acme, "/api/leads", limit=2, cursor=pages[-1]["nextCursor"]))

    assert [item["id"] for page in pages for item in page["items"]] == [
        item["id"] for item in reversed(created)
    ]

    async def statuses(**params: Any) -> list[str]:
        page = await get(api, acme, "/api/leads", **params)
        return sorted(item["status"] for item in page["items"])

    assert await statuses(status="NEW") == ["NEW", "NEW"]
    assert await statuses(status="lost,converted") == ["CONVERTED", "LOST"]
    assert await statuses(status=["LOST", "NURTURING"]) == ["LOST", "NURTURING"]
    with_contacts = await get(api, acme, "/api/leads", include="contact", status="LOST")
    assert with_contacts["items"][0]["contact"]["id"] == created[1]["contactId"]


async def test_another_tenants_ids_are_not_found(
    api: httpx.AsyncClient, seed: Seeder, acme: Account, globex: Account
) -> None:
    theirs = await lead(api, globex)
    mine = await lead(api, acme)
    their_user = await seed.user(globex, Role.AGENT)

    responses = [
        await api.post(
            "/api/leads",
            json={"contactId": theirs["contactId"], "source": "EMAIL"},
            headers=acme.headers,
        ),
        await api.get(f"/api/leads/{theirs['id']}", headers=acme.headers),
        await api.patch(
            f"/api/leads/{theirs['id']}", json={"status": "LOST"}, headers=acme.headers
        ),
        await api.get(f"/api/leads/{theirs['id']}/activities", headers=acme.headers),
        await api.patch(
            f"/api/leads/{mine['id']}",
            json={"assigneeId": their_user.user_id},
            headers=acme.headers,
        ),
        await api.get(f"/api/leads/{uuid4()}", headers=acme.headers),
    ]

    assert [r.status_code for r in responses] == [404] * 6
    assert {r.json()["code"] for r in responses} == {"NOT_FOUND"}
    assert (await get(api, globex, f"/api/leads/{theirs['id']}"))["status"] == "NEW"
    assert (await get(api, acme, f"/api/leads/{mine['id']}"))["assigneeId"] is None


async def test_invalid_requests_are_422_with_the_fields(
    api: httpx.AsyncClient, seed: Seeder, acme: Account
) -> None:
    created = await lead(api, acme)
    path = f"/api/leads/{created['id']}"
    inactive = await seed.user(acme, Role.AGENT, is_active=False)

    bad_create = {
        "contactId": "nope",
        "source": "CARRIER_PIGEON",
        "probability": 101,
        "value": -1,
        "tags": [""],
        "extra": True,
    }
    assert field_errors(await api.post("/api/leads", json=bad_create, headers=acme.headers)) == {
        "contactId",
        "source",
        "probability",
        "value",
        "tags.0",
        "extra",
    }
    missing = await api.post("/api/leads", json={}, headers=acme.headers)
    assert field_errors(missing) == {"contactId", "source"}
    for body, field in [
        ({}, ""),
        ({"status": None}, "status"),
        ({"reason": "why"}, ""),
        ({"probability": -5}, "probability"),
        ({"assigneeId": inactive.user_id}, "assigneeId"),
    ]:
        response = await api.patch(path, json=body, headers=acme.headers)
        assert field_errors(response) == {field}, body
    for params, field in [
        ({"status": "NEW,WON"}, "status"),
        ({"include": "everything"}, "include"),
        ({"limit": 0}, "limit"),
    ]:
        assert field in field_errors(
            await api.get("/api/leads", params=params, headers=acme.headers)
        )
    activities = await api.get(f"{path}/activities", params={"limit": 101}, headers=acme.headers)
    assert field_errors(activities) == {"limit"}


async def test_every_route_needs_a_credential_of_the_named_tenant(
    api: httpx.AsyncClient, acme: Account, globex: Account
) -> None:
    created = await lead(api, acme)
    routes = [
        ("GET", "/api/leads", None),
        ("POST", "/api/leads", {"contactId": created["contactId"], "source": "EMAIL"}),
        ("GET", f"/api/leads/{created['id']}", None),
        ("PATCH", f"/api/leads/{created['id']}", {"status": "LOST"}),
        ("GET", f"/api/leads/{created['id']}/activities", None),
    ]

    for method, path, body in routes:
        anonymous = await api.request(method, path, json=body)
        mismatched = await api.request(
            method, path, json=body, headers={**acme.headers, "X-Tenant-Id": globex.tenant_id}
        )
        assert (anonymous.status_code, anonymous.json()["code"]) == (401, "UNAUTHORIZED"), path
        assert (mismatched.status_code, mismatched.json()["code"]) == (403, "FORBIDDEN"), path
    assert (await get(api, acme, f"/api/leads/{created['id']}"))["status"] == "NEW"
