"""Contact routes over real HTTP on SQLite and PostgreSQL."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import httpx
import pytest
from leadengine_api.features.tickets.testing import Seeder, open_ticket, seeder
from leadengine_api.testing import Account, register_tenant
from leadengine_core.contacts import ContactKind


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


async def create(api: httpx.AsyncClient, account: Account, **body: Any) -> dict[str, Any]:
    response = await api.post("/api/contacts", json=body, headers=account.headers)
    assert response.status_code == 201, response.text
    contact: dict[str, Any] = response.json()
    return contact


async def get(api: httpx.AsyncClient, account: Account, path: str, **params: Any) -> Any:
    response = await api.get(path, headers=account.headers, params=params)
    assert response.status_code == 200, response.text
    return response.json()


def field_errors(response: httpx.Response) -> set[str]:
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["code"] == "VALIDATION_ERROR"
    return {error["field"] for error in problem["errors"]}


async def test_create_view_and_update_a_contact(api: httpx.AsyncClient, acme: Account) -> None:
    created = await create(
        api,
        acme,
        name="  Maria Souza ",
        phone="(31) 98888-7777",
        email="Maria@Example.COM",
        tags=["vip", "whatsapp", "vip"],
        customFields={"consent": {"granted": True}, "score": 7},
        status="INACTIVE",
        avatarUrl="https://cdn.example.com/maria.png",
    )

    assert created["name"] == "Maria Souza"
    assert created["phone"] == "+5531988887777"
    assert created["phones"] == ["+5531988887777"]
    assert (created["email"], created["emails"]) == ("maria@example.com", ["maria@example.com"])
    assert created["tags"] == ["vip", "whatsapp"]
    assert created["customFields"] == {"consent": {"granted": True}, "score": 7}
    assert (created["status"], created["kind"]) == ("INACTIVE", "PERSON")
    assert (created["openTickets"], created["leadId"]) == (0, None)
    assert await get(api, acme, f"/api/contacts/{created['id']}") == created

    patched = await api.patch(
        f"/api/contacts/{created['id']}",
        json={"name": "Maria S.", "avatarUrl": None, "phone": "+55 31 97777-6666", "tags": []},
        headers=acme.headers,
    )

    assert patched.status_code == 200, patched.text
    body = patched.json()
    assert (body["name"], body["avatarUrl"], body["tags"]) == ("Maria S.", None, [])
    assert body["phone"] == "+5531977776666"
    assert body["phones"] == ["+5531977776666", "+5531988887777"]
    assert body["status"] == "INACTIVE"
    assert body["updatedAt"] > created["updatedAt"]
    again = await api.patch(
        f"/api/contacts/{created['id']}", json={"name": "Maria S."}, headers=acme.headers
    )
    assert again.json()["updatedAt"] == body["updatedAt"]


async def test_one_person_per_phone_in_either_spelling(
    api: httpx.AsyncClient, acme: Account
) -> None:
    maria = await create(api, acme, name="Maria", phone="+5531988887777")
    other = await create(api, acme, name="Other")

    duplicate = await api.post(
        "/api/contacts", json={"name": "Again", "phone": "31 8888-7777"}, headers=acme.headers
    )
    taken = await api.patch(
        f"/api/contacts/{other['id']}", json={"phone": "031 98888 7777"}, headers=acme.headers
    )
    not_a_phone = await api.post(
        "/api/contacts", json={"name": "Bad", "phone": "12-34"}, headers=acme.headers
    )

    for conflict in (duplicate, taken):
        assert conflict.status_code == 409, conflict.text
        assert conflict.json()["code"] == "CONFLICT"
        assert conflict.json()["details"]["existingContactId"] == maria["id"]
    assert not_a_phone.status_code == 422
    assert not_a_phone.json()["code"] == "INVALID_PHONE"
    assert not_a_phone.json()["details"]["field"] == "phone"


async def test_a_contact_shows_its_open_tickets_and_its_lead(
    api: httpx.AsyncClient, seed: Seeder, acme: Account
) -> None:
    contact = await create(api, acme, name="Maria")
    instance = await seed.instance(acme)
    await open_ticket(api, acme, contact["id"], instanceId=str(instance.id))
    closed = await open_ticket(api, acme, contact["id"])
    await api.post(f"/api/tickets/{closed['id']}/close", json={}, headers=acme.headers)
    lead = await api.post(
        "/api/leads", json={"contactId": contact["id"], "source": "WEBSITE"}, headers=acme.headers
    )

    shown = await get(api, acme, f"/api/contacts/{contact['id']}")
    listed = await get(api, acme, "/api/contacts")

    assert (shown["openTickets"], shown["leadId"]) == (1, lead.json()["id"])
    assert listed["items"] == [shown]


async def test_contacts_page_newest_first_both_ways(api: httpx.AsyncClient, acme: Account) -> None:
    created = [await create(api, acme, name=f"Contact {n}") for n in range(5)]
    newest_first = [contact["id"] for contact in reversed(created)]

    pages = [await get(api, acme, "/api/contacts", limit=2)]
    while pages[-1]["nextCursor"]:
        pages.append(await get(api, acme, "/api/contacts", limit=2, cursor=pages[-1]["nextCursor"]))
    back = await get(api, acme, "/api/contacts", limit=2, cursor=pages[-1]["prevCursor"])

    assert [len(page["items"]) for page in pages] == [2, 2, 1]
    assert [item["id"] for page in pages for item in page["items"]] == newest_first
    assert pages[0]["prevCursor"] is None
    assert back["items"] == pages[1]["items"]


async def test_search_tags_and_status_narrow_the_list(
    api: httpx.AsyncClient, acme: Account, globex: Account
) -> None:
    maria = await create(api, acme, name="Maria Souza", phone="+5531988887777", tags=["vip"])
    joao = await create(
        api, acme, name="João", email="joao@example.com", tags=["hot"], status="ARCHIVED"
    )
    await create(api, acme, name="Ana", tags=["cold"])
    await create(api, globex, name="Maria of Globex", tags=["vip"])

    async def names(**params: Any) -> list[str]:
        page = await get(api, acme, "/api/contacts", **params)
        return sorted(item["name"] for item in page["items"])

    assert await names(search="MARIA") == ["Maria Souza"]
    assert await names(search="(31) 8888-7777") == ["Maria Souza"]
    assert await names(search="JOAO@EXAMPLE") == ["João"]
    assert await names(tags="vip,hot") == ["João", "Maria Souza"]
    assert await names(tags=["vip", "cold"]) == ["Ana", "Maria Souza"]
    assert await names(status="archived") == ["João"]
    assert await names(status=["ACTIVE"], tags="hot") == []
    assert {maria["id"], joao["id"]} <= {
        item["id"] for item in (await get(api, acme, "/api/contacts"))["items"]
    }


async def test_tags_are_counted_most_used_first(
    api: httpx.AsyncClient, acme: Account, globex: Account
) -> None:
    await create(api, acme, name="A", tags=["vip", "b"])
    await create(api, acme, name="B", tags=["b"])
    await create(api, acme, name="C", tags=["a", "vip"])
    await create(api, globex, name="D", tags=["zzz"])

    assert await get(api, acme, "/api/contacts/tags") == [
        {"tag": "b", "count": 2},
        {"tag": "vip", "count": 2},
        {"tag": "a", "count": 1},
    ]


async def test_merge_moves_everything_and_keeps_one_open_ticket_per_instance(
    api: httpx.AsyncClient, seed: Seeder, acme: Account
) -> None:
    instance = await seed.instance(acme)
    target = await create(api, acme, name="Maria", phone="+5531988887777", tags=["vip"])
    source = await create(
        api, acme, name="Maria (2)", phone="+5531977776666", email="m@x.com", tags=["hot"]
    )
    await seed.store(
        seed.of(acme).contact(lid_aliases={"123@lid"}, name="LID only"),
    )
    held = await open_ticket(api, acme, target["id"], instanceId=str(instance.id))
    clash = await open_ticket(api, acme, source["id"], instanceId=str(instance.id))
    free = await open_ticket(api, acme, source["id"])
    start = datetime(2025, 3, 1, tzinfo=UTC)
    messages = await seed.messages(acme, clash["id"], [start, start + timedelta(minutes=1)])
    note = await api.post(
        f"/api/tickets/{clash['id']}/notes", json={"body": "Cliente VIP"}, headers=acme.headers
    )
    kept_lead = await api.post(
        "/api/leads", json={"contactId": target["id"], "source": "WEBSITE"}, headers=acme.headers
    )
    folded_lead = await api.post(
        "/api/leads",
        json={"contactId": source["id"], "source": "WHATSAPP", "value": 500, "tags": ["inss"]},
        headers=acme.headers,
    )

    merged = await api.post(
        "/api/contacts/merge",
        json={"targetId": target["id"], "sourceIds": [source["id"]]},
        headers=acme.headers,
    )

    assert merged.status_code == 200, merged.text
    body = merged.json()
    assert body["id"] == target["id"]
    assert body["phone"] == "+5531988887777"
    assert body["phones"] == ["+5531977776666", "+5531988887777"]
    assert (body["emails"], body["tags"]) == (["m@x.com"], ["vip", "hot"])
    assert (body["openTickets"], body["leadId"]) == (2, kept_lead.json()["id"])
    gone = await api.get(f"/api/contacts/{source['id']}", headers=acme.headers)
    assert gone.status_code == 404
    closed = await get(api, acme, f"/api/tickets/{clash['id']}")
    assert (closed["contactId"], closed["status"]) == (target["id"], "CLOSED")
    assert closed["closeReason"] == "merged"
    assert (await get(api, acme, f"/api/tickets/{held['id']}"))["status"] == "OPEN"
    assert (await get(api, acme, f"/api/tickets/{free['id']}"))["contactId"] == target["id"]
    thread = await get(api, acme, f"/api/tickets/{clash['id']}/messages")
    assert {m["id"] for m in thread["items"]} == {str(m.id) for m in messages}
    assert {m["contactId"] for m in thread["items"]} == {target["id"]}
    notes = await get(api, acme, f"/api/tickets/{clash['id']}/notes")
    assert [n["id"] for n in notes["items"]] == [note.json()["id"]]
    lead = await get(api, acme, f"/api/leads/{kept_lead.json()['id']}")
    assert (lead["value"], lead["tags"]) == (500, ["inss"])
    history = await get(api, acme, f"/api/leads/{kept_lead.json()['id']}/activities")
    assert [a["leadId"] for a in history["items"]] == [kept_lead.json()["id"]] * 2
    missing = await api.get(f"/api/leads/{folded_lead.json()['id']}", headers=acme.headers)
    assert missing.status_code == 404
    again = await api.post(
        "/api/contacts", json={"name": "New", "phone": "+5531977776666"}, headers=acme.headers
    )
    assert again.json()["details"]["existingContactId"] == target["id"]


async def test_merge_gives_a_leadless_target_the_sources_lead(
    api: httpx.AsyncClient, acme: Account
) -> None:
    target = await create(api, acme, name="Target")
    sources = [await create(api, acme, name=f"Source {n}") for n in range(2)]
    lead = await api.post(
        "/api/leads", json={"contactId": sources[1]["id"], "source": "EVENT"}, headers=acme.headers
    )

    merged = await api.post(
        "/api/contacts/merge",
        json={"targetId": target["id"], "sourceIds": [s["id"] for s in sources]},
        headers=acme.headers,
    )

    assert merged.status_code == 200, merged.text
    assert merged.json()["leadId"] == lead.json()["id"]
    moved = await get(api, acme, f"/api/leads/{lead.json()['id']}")
    assert moved["contactId"] == target["id"]
    assert [item["id"] for item in (await get(api, acme, "/api/contacts"))["items"]] == [
        target["id"]
    ]


async def test_merge_refuses_foreign_ids_and_bad_requests_changing_nothing(
    api: httpx.AsyncClient, seed: Seeder, acme: Account, globex: Account
) -> None:
    target = await create(api, acme, name="Target")
    source = await create(api, acme, name="Source")
    theirs = await create(api, globex, name="Theirs")
    group = await seed.contact(acme, kind=ContactKind.GROUP, group_jid="1203@g.us", name="Group")

    async def merge(target_id: str, *source_ids: str) -> httpx.Response:
        return await api.post(
            "/api/contacts/merge",
            json={"targetId": target_id, "sourceIds": list(source_ids)},
            headers=acme.headers,
        )

    for foreign in (
        await merge(theirs["id"], source["id"]),
        await merge(target["id"], source["id"], theirs["id"]),
        await merge(str(uuid4()), source["id"]),
    ):
        assert foreign.status_code == 404, foreign.text
        assert foreign.json()["code"] == "NOT_FOUND"
    assert field_errors(await merge(target["id"], target["id"])) == {""}
    assert field_errors(await merge(target["id"])) == {"sourceIds"}
    assert "sourceIds" in field_errors(await merge(target["id"], *[str(uuid4())] * 51))
    assert field_errors(await merge("not-a-uuid", source["id"])) == {"targetId"}
    mixed = await merge(target["id"], str(group.id))
    assert mixed.status_code == 422
    assert mixed.json()["code"] == "VALIDATION_ERROR"
    names = {item["name"] for item in (await get(api, acme, "/api/contacts"))["items"]}
    assert names == {"Target", "Source", "Group"}
    assert (await get(api, globex, f"/api/contacts/{theirs['id']}"))["name"] == "Theirs"


async def test_bulk_sets_status_and_tags_and_counts_real_changes(
    api: httpx.AsyncClient, acme: Account
) -> None:
    first = await create(api, acme, name="First", tags=["old", "keep"])
    second = await create(api, acme, name="Second", tags=["keep"], status="INACTIVE")
    untouched = await create(api, acme, name="Untouched", tags=["old"])
    body = {
        "contactIds": [first["id"], second["id"], first["id"]],
        "status": "INACTIVE",
        "addTags": ["new"],
        "removeTags": ["old"],
    }

    done = await api.post("/api/contacts/actions/bulk", json=body, headers=acme.headers)
    repeated = await api.post("/api/contacts/actions/bulk", json=body, headers=acme.headers)

    assert (done.status_code, done.json()) == (200, {"updated": 2})
    assert repeated.json() == {"updated": 0}
    after_first = await get(api, acme, f"/api/contacts/{first['id']}")
    after_second = await get(api, acme, f"/api/contacts/{second['id']}")
    assert (after_first["tags"], after_first["status"]) == (["keep", "new"], "INACTIVE")
    assert (after_second["tags"], after_second["status"]) == (["keep", "new"], "INACTIVE")
    assert (await get(api, acme, f"/api/contacts/{untouched['id']}"))["tags"] == ["old"]


async def test_bulk_with_one_foreign_id_changes_nothing(
    api: httpx.AsyncClient, acme: Account, globex: Account
) -> None:
    mine = await create(api, acme, name="Mine")
    theirs = await create(api, globex, name="Theirs")

    refused = await api.post(
        "/api/contacts/actions/bulk",
        json={"contactIds": [mine["id"], theirs["id"]], "addTags": ["x"]},
        headers=acme.headers,
    )

    assert refused.status_code == 404
    assert refused.json()["details"]["contactIds"] == [theirs["id"]]
    assert (await get(api, acme, f"/api/contacts/{mine['id']}"))["tags"] == []
    assert (await get(api, globex, f"/api/contacts/{theirs['id']}"))["tags"] == []


async def test_another_tenants_contact_is_not_found(
    api: httpx.AsyncClient, acme: Account, globex: Account
) -> None:
    theirs = await create(api, globex, name="Theirs")

    responses = [
        await api.get(f"/api/contacts/{theirs['id']}", headers=acme.headers),
        await api.patch(
            f"/api/contacts/{theirs['id']}", json={"name": "Mine now"}, headers=acme.headers
        ),
        await api.get(f"/api/contacts/{uuid4()}", headers=acme.headers),
    ]

    assert [r.status_code for r in responses] == [404, 404, 404]
    assert {r.json()["code"] for r in responses} == {"NOT_FOUND"}
    assert (await get(api, globex, f"/api/contacts/{theirs['id']}"))["name"] == "Theirs"


async def test_invalid_requests_are_422_with_the_fields(
    api: httpx.AsyncClient, acme: Account
) -> None:
    contact = await create(api, acme, name="Maria")
    headers = acme.headers

    async def post(path: str, body: Any) -> httpx.Response:
        return await api.post(path, json=body, headers=headers)

    bad_create = {
        "name": "",
        "email": "nope",
        "tags": ["x" * 61],
        "status": "GONE",
        "avatarUrl": "javascript:alert(1)",
        "extra": 1,
    }
    assert field_errors(await post("/api/contacts", bad_create)) == {
        "name",
        "email",
        "tags.0",
        "status",
        "avatarUrl",
        "extra",
    }
    path = f"/api/contacts/{contact['id']}"
    assert field_errors(await api.patch(path, json={}, headers=headers)) == {""}
    assert field_errors(await api.patch(path, json={"name": None}, headers=headers)) == {"name"}
    bulk = "/api/contacts/actions/bulk"
    assert field_errors(await post(bulk, {"contactIds": [contact["id"]]})) == {""}
    assert field_errors(await post(bulk, {"contactIds": [], "status": "ACTIVE"})) == {"contactIds"}
    too_many = {"contactIds": [str(uuid4()) for _ in range(501)], "status": "ACTIVE"}
    assert field_errors(await post(bulk, too_many)) == {"contactIds"}
    for params, field in [
        ({"limit": 0}, "limit"),
        ({"limit": 101}, "limit"),
        ({"status": "ACTIVE,NOPE"}, "status"),
        ({"tags": "x" * 61}, "tags"),
        ({"tags": "vip,"}, "tags"),
        ({"search": "x" * 201}, "search"),
        ({"cursor": "not a cursor"}, ""),
    ]:
        response = await api.get("/api/contacts", params=params, headers=headers)
        assert response.status_code == 422, (params, response.text)
        if field:
            assert field in field_errors(response), params


async def test_every_route_needs_a_credential_of_the_named_tenant(
    api: httpx.AsyncClient, acme: Account, globex: Account
) -> None:
    contact = await create(api, acme, name="Maria")
    routes = [
        ("GET", "/api/contacts", None),
        ("POST", "/api/contacts", {"name": "New"}),
        ("GET", "/api/contacts/tags", None),
        ("POST", "/api/contacts/merge", {"targetId": contact["id"], "sourceIds": [str(uuid4())]}),
        ("POST", "/api/contacts/actions/bulk", {"contactIds": [contact["id"]], "status": "ACTIVE"}),
        ("GET", f"/api/contacts/{contact['id']}", None),
        ("PATCH", f"/api/contacts/{contact['id']}", {"name": "Changed"}),
    ]

    for method, path, body in routes:
        anonymous = await api.request(method, path, json=body)
        mismatched = await api.request(
            method, path, json=body, headers={**acme.headers, "X-Tenant-Id": globex.tenant_id}
        )
        assert (anonymous.status_code, anonymous.json()["code"]) == (401, "UNAUTHORIZED"), path
        assert (mismatched.status_code, mismatched.json()["code"]) == (403, "FORBIDDEN"), path
    assert (await get(api, acme, f"/api/contacts/{contact['id']}"))["name"] == "Maria"
