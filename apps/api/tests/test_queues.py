"""Queues over real HTTP: order, reorder atomicity, deletion rules, roles and isolation."""

from uuid import UUID

import httpx
from leadengine_api.testing import Account, register_tenant
from leadengine_core.queues import DEFAULT_QUEUE_NAME
from leadengine_core.testing import EntityFactory
from leadengine_storage.engine import create_engine
from leadengine_storage.unit_of_work import SqlUnitOfWork


async def _key_headers(api: httpx.AsyncClient, admin: Account, role: str) -> dict[str, str]:
    created = await api.post(
        "/api/api-keys", headers=admin.headers, json={"name": f"{role} robot", "role": role}
    )
    assert created.status_code == 201, created.text
    return {"Authorization": f"Bearer {created.json()['token']}"}


async def _create(api: httpx.AsyncClient, account: Account, **body: object) -> dict[str, object]:
    created = await api.post("/api/queues", headers=account.headers, json=body)
    assert created.status_code == 201, created.text
    queue: dict[str, object] = created.json()
    return queue


async def _listed(api: httpx.AsyncClient, account: Account) -> list[tuple[str, int]]:
    listed = await api.get("/api/queues", headers=account.headers)
    assert listed.status_code == 200
    return [(queue["name"], queue["orderIndex"]) for queue in listed.json()["items"]]


async def _put_a_ticket_in(database_url: str, account: Account, queue_id: str) -> None:
    """Tickets have routes of their own; here one is stored directly, as inbound would."""
    factory = EntityFactory().for_tenant(UUID(account.tenant_id))
    contact = factory.contact(name="Maria")
    engine = create_engine(database_url)
    try:
        async with SqlUnitOfWork(engine) as uow:
            await uow.contacts.add(contact.tenant_id, contact)
            ticket = factory.ticket(contact.id, UUID(queue_id))
            await uow.tickets.add(ticket.tenant_id, ticket)
            await uow.commit()
    finally:
        await engine.dispose()


async def test_a_new_tenant_has_the_default_queue(api: httpx.AsyncClient) -> None:
    admin = await register_tenant(api, "acme")
    assert await _listed(api, admin) == [(DEFAULT_QUEUE_NAME, 0)]


async def test_queues_are_created_after_the_last_and_listed_in_order(
    api: httpx.AsyncClient,
) -> None:
    admin = await register_tenant(api, "acme")
    sales = await _create(
        api, admin, name="  Vendas ", description="Novos clientes", color="#ff8800"
    )
    assert sales["name"] == "Vendas"
    assert sales["orderIndex"] == 1
    assert sales["isActive"] is True
    assert sales["description"] == "Novos clientes"
    await _create(api, admin, name="Suporte", orderIndex=1, isActive=False)
    await _create(api, admin, name="Cobrança", orderIndex=10)
    await _create(api, admin, name="Depois")

    assert await _listed(api, admin) == [
        (DEFAULT_QUEUE_NAME, 0),
        ("Suporte", 1),
        ("Vendas", 1),
        ("Cobrança", 10),
        ("Depois", 11),
    ]


async def test_a_queue_name_is_unique_in_a_tenant(api: httpx.AsyncClient) -> None:
    acme = await register_tenant(api, "acme")
    globex = await register_tenant(api, "globex")
    taken = await api.post("/api/queues", headers=acme.headers, json={"name": DEFAULT_QUEUE_NAME})
    assert taken.status_code == 409
    assert taken.json()["code"] == "CONFLICT"
    await _create(api, globex, name="Vendas")
    sales = await _create(api, acme, name="Vendas")

    renamed = await api.patch(
        f"/api/queues/{sales['id']}", headers=acme.headers, json={"name": DEFAULT_QUEUE_NAME}
    )
    assert renamed.status_code == 409
    assert renamed.json()["code"] == "CONFLICT"


async def test_a_queue_is_updated_field_by_field(api: httpx.AsyncClient) -> None:
    admin = await register_tenant(api, "acme")
    queue = await _create(api, admin, name="Vendas", description="Novos", color="#fff")
    url = f"/api/queues/{queue['id']}"

    renamed = await api.patch(url, headers=admin.headers, json={"name": "Comercial"})
    assert renamed.status_code == 200
    assert renamed.json()["description"] == "Novos"
    cleared = await api.patch(
        url, headers=admin.headers, json={"description": None, "isActive": False, "orderIndex": 7}
    )
    body = cleared.json()
    assert (body["name"], body["description"], body["color"]) == ("Comercial", None, "#fff")
    assert (body["isActive"], body["orderIndex"]) == (False, 7)
    assert ("Comercial", 7) in await _listed(api, admin)


async def test_reorder_is_not_shadowed_and_applies_all_positions(api: httpx.AsyncClient) -> None:
    admin = await register_tenant(api, "acme")
    first = await _create(api, admin, name="A")
    second = await _create(api, admin, name="B")
    positions = [{"id": first["id"], "orderIndex": 5}, {"id": second["id"], "orderIndex": 0}]
    reordered = await api.patch(
        "/api/queues/reorder", headers=admin.headers, json={"items": positions}
    )
    assert reordered.status_code == 200
    expected = [(DEFAULT_QUEUE_NAME, 0), ("B", 0), ("A", 5)]
    assert [(q["name"], q["orderIndex"]) for q in reordered.json()["items"]] == expected
    assert await _listed(api, admin) == expected


async def test_a_reorder_naming_a_foreign_or_unknown_queue_changes_nothing(
    api: httpx.AsyncClient,
) -> None:
    acme = await register_tenant(api, "acme")
    globex = await register_tenant(api, "globex")
    mine = await _create(api, acme, name="Mine")
    theirs = await _create(api, globex, name="Theirs")
    before_acme, before_globex = await _listed(api, acme), await _listed(api, globex)

    for stranger in (theirs["id"], "01900000-0000-7000-8000-000000000000"):
        refused = await api.patch(
            "/api/queues/reorder",
            headers=acme.headers,
            json={
                "items": [{"id": mine["id"], "orderIndex": 9}, {"id": stranger, "orderIndex": 0}]
            },
        )
        assert refused.status_code == 404
        assert refused.json()["code"] == "NOT_FOUND"

    assert await _listed(api, acme) == before_acme
    assert await _listed(api, globex) == before_globex


async def test_a_queue_is_deleted_unless_in_use_or_the_last(
    api: httpx.AsyncClient, database_url: str
) -> None:
    admin = await register_tenant(api, "acme")
    default_id = (await api.get("/api/queues", headers=admin.headers)).json()["items"][0]["id"]
    spare = await _create(api, admin, name="Spare")
    busy = await _create(api, admin, name="Busy")
    await _put_a_ticket_in(database_url, admin, str(busy["id"]))

    deleted = await api.delete(f"/api/queues/{spare['id']}", headers=admin.headers)
    assert deleted.status_code == 204
    again = await api.delete(f"/api/queues/{spare['id']}", headers=admin.headers)
    assert again.status_code == 404
    in_use = await api.delete(f"/api/queues/{busy['id']}", headers=admin.headers)
    assert in_use.status_code == 409
    assert in_use.json()["code"] == "QUEUE_IN_USE"

    assert (await api.delete(f"/api/queues/{default_id}", headers=admin.headers)).status_code == 204
    last = await api.delete(f"/api/queues/{busy['id']}", headers=admin.headers)
    assert last.status_code == 409
    assert last.json()["code"] == "LAST_QUEUE"
    assert await _listed(api, admin) == [("Busy", 2)]


async def test_every_role_reads_and_only_queue_writers_write(api: httpx.AsyncClient) -> None:
    admin = await register_tenant(api, "acme")
    agent = await _key_headers(api, admin, "AGENT")
    supervisor = await _key_headers(api, admin, "SUPERVISOR")
    queue = await _create(api, admin, name="Vendas")
    url = f"/api/queues/{queue['id']}"

    assert (await api.get("/api/queues", headers=agent)).status_code == 200
    refused = [
        await api.post("/api/queues", headers=agent, json={"name": "Nope"}),
        await api.patch(url, headers=agent, json={"name": "Nope"}),
        await api.patch(
            "/api/queues/reorder",
            headers=agent,
            json={"items": [{"id": queue["id"], "orderIndex": 3}]},
        ),
        await api.delete(url, headers=agent),
    ]
    for response in refused:
        assert response.status_code == 403
        assert response.json()["code"] == "FORBIDDEN"

    created = await api.post("/api/queues", headers=supervisor, json={"name": "Suporte"})
    assert created.status_code == 201
    assert (await api.delete(url, headers=supervisor)).status_code == 204


async def test_every_route_needs_a_credential(api: httpx.AsyncClient) -> None:
    admin = await register_tenant(api, "acme")
    queue = await _create(api, admin, name="Vendas")
    url = f"/api/queues/{queue['id']}"
    responses = [
        await api.get("/api/queues"),
        await api.post("/api/queues", json={"name": "X"}),
        await api.patch("/api/queues/reorder", json={"items": []}),
        await api.patch(url, json={"name": "X"}),
        await api.delete(url),
    ]
    assert [response.status_code for response in responses] == [401] * 5


async def test_another_tenants_queue_is_not_found(api: httpx.AsyncClient) -> None:
    acme = await register_tenant(api, "acme")
    globex = await register_tenant(api, "globex")
    await _create(api, globex, name="Spare")
    theirs = await _create(api, globex, name="Theirs")
    url = f"/api/queues/{theirs['id']}"

    for response in [
        await api.patch(url, headers=acme.headers, json={"name": "Mine now"}),
        await api.delete(url, headers=acme.headers),
    ]:
        assert response.status_code == 404
        assert response.json()["code"] == "NOT_FOUND"
    assert [name for name, _ in await _listed(api, acme)] == [DEFAULT_QUEUE_NAME]
    assert ("Theirs", 2) in await _listed(api, globex)


async def test_a_mismatched_tenant_header_is_refused(api: httpx.AsyncClient) -> None:
    acme = await register_tenant(api, "acme")
    globex = await register_tenant(api, "globex")
    queue = await _create(api, acme, name="Vendas")
    url = f"/api/queues/{queue['id']}"
    headers = {**acme.headers, "X-Tenant-Id": globex.tenant_id}
    responses = [
        await api.get("/api/queues", headers=headers),
        await api.post("/api/queues", headers=headers, json={"name": "X"}),
        await api.patch(
            "/api/queues/reorder",
            headers=headers,
            json={"items": [{"id": queue["id"], "orderIndex": 3}]},
        ),
        await api.patch(url, headers=headers, json={"name": "X"}),
        await api.delete(url, headers=headers),
    ]
    for response in responses:
        assert response.status_code == 403
        assert response.json()["code"] == "FORBIDDEN"


def _assert_invalid(response: httpx.Response, *fields: str) -> None:
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["code"] == "VALIDATION_ERROR"
    assert set(fields) <= {error["field"] for error in problem["errors"]}, problem


async def test_invalid_input_is_422_with_field_errors(api: httpx.AsyncClient) -> None:
    admin = await register_tenant(api, "acme")
    queue = await _create(api, admin, name="Vendas")
    url = f"/api/queues/{queue['id']}"
    headers = admin.headers

    too_long = {"name": "x" * 121, "description": "d" * 301, "color": "c" * 33, "orderIndex": -1}
    _assert_invalid(
        await api.post("/api/queues", headers=headers, json=too_long),
        "name",
        "description",
        "color",
        "orderIndex",
    )
    for name in ("  ", "nul\u0000byte"):
        _assert_invalid(await api.post("/api/queues", headers=headers, json={"name": name}), "name")
    _assert_invalid(
        await api.post("/api/queues", headers=headers, json={"name": "X", "settings": {}}),
        "settings",
    )
    _assert_invalid(await api.patch(url, headers=headers, json={}), "")
    _assert_invalid(await api.patch(url, headers=headers, json={"name": None}), "name")
    _assert_invalid(await api.patch(url, headers=headers, json={"isActive": None}), "isActive")
    reorder = "/api/queues/reorder"
    _assert_invalid(await api.patch(reorder, headers=headers, json={"items": []}), "items")
    twice = [{"id": queue["id"], "orderIndex": 1}, {"id": queue["id"], "orderIndex": 2}]
    _assert_invalid(await api.patch(reorder, headers=headers, json={"items": twice}), "items")
    not_an_id = [{"id": "queue-1", "orderIndex": 1}]
    _assert_invalid(
        await api.patch(reorder, headers=headers, json={"items": not_an_id}), "items.0.id"
    )
    assert (await api.delete("/api/queues/not-a-uuid", headers=headers)).status_code == 404
