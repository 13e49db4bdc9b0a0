"""Ticket routes over real HTTP on SQLite and PostgreSQL: open, read, edit, move, assign, close,
reopen, and the inbox with its filters and cursors."""

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from uuid import uuid4

import httpx
import pytest
from leadengine_api.features.tickets.testing import SEEDED_AT, Seeder, open_ticket, seeder
from leadengine_api.testing import Account, register_tenant
from leadengine_core.leads import LeadStatus
from leadengine_core.queues import DEFAULT_QUEUE_NAME
from leadengine_core.users import Role

T0 = SEEDED_AT


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


def ids_of(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


def field_errors(response: httpx.Response) -> set[str]:
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["code"] == "VALIDATION_ERROR"
    return {error["field"] for error in body["errors"]}


# --- opening and reading -----------------------------------------------------------------


async def test_a_ticket_opens_in_the_default_queue_and_reads_back(
    api: httpx.AsyncClient, seed: Seeder, acme: Account
) -> None:
    contact = await seed.contact(acme, name="Maria Souza", primary_phone="+5531988887777")
    default_queue = await seed.queue_named(acme, DEFAULT_QUEUE_NAME)

    created = await open_ticket(api, acme, contact.id)
    fetched = await api.get(f"/api/tickets/{created['id']}", headers=acme.headers)

    assert created["queueId"] == str(default_queue.id)
    assert created["contactId"] == str(contact.id)
    assert created["tenantId"] == acme.tenant_id
    assert (created["status"], created["priority"], created["channel"]) == (
        "OPEN",
        "NORMAL",
        "WHATSAPP",
    )
    assert (created["instanceId"], created["assigneeId"], created["contact"]) == (None, None, None)
    assert created["lastActivityAt"] == created["createdAt"]
    assert fetched.status_code == 200
    assert fetched.json() == created


async def test_a_ticket_takes_every_field_it_is_given(
    api: httpx.AsyncClient, seed: Seeder, acme: Account
) -> None:
    contact, instance = await seed.contact(acme), await seed.instance(acme)
    sales = await seed.queue(acme, name="Vendas")

    created = await open_ticket(
        api,
        acme,
        contact.id,
        queueId=str(sales.id),
        instanceId=str(instance.id),
        subject="  Segunda via do boleto ",
        priority="URGENT",
        tags=["boleto", "vip", "boleto"],
    )

    assert created["queueId"] == str(sales.id)
    assert created["instanceId"] == str(instance.id)
    assert created["subject"] == "Segunda via do boleto"
    assert created["priority"] == "URGENT"
    assert created["tags"] == ["boleto", "vip"]


async def test_include_embeds_the_contact_and_its_lead(
    api: httpx.AsyncClient, seed: Seeder, acme: Account
) -> None:
    contact = await seed.contact(acme, name="Maria Souza", primary_phone="+5531988887777")
    lead = seed.of(acme).lead(contact.id, status=LeadStatus.QUALIFIED)
    await seed.store(lead)
    ticket = await open_ticket(api, acme, contact.id)
    url = f"/api/tickets/{ticket['id']}"

    both = await api.get(url, params={"include": "contact,lead"}, headers=acme.headers)
    only_contact = await api.get(url, params={"include": "contact"}, headers=acme.headers)

    assert both.status_code == 200
    embedded = both.json()["contact"]
    assert (embedded["id"], embedded["name"], embedded["phone"]) == (
        str(contact.id),
        "Maria Souza",
        "+5531988887777",
    )
    assert (embedded["openTickets"], embedded["leadId"]) == (1, str(lead.id))
    assert (both.json()["lead"]["id"], both.json()["lead"]["status"]) == (str(lead.id), "QUALIFIED")
    assert only_contact.json()["lead"] is None


async def test_one_open_ticket_per_contact_and_instance(
    api: httpx.AsyncClient, seed: Seeder, acme: Account
) -> None:
    contact, instance = await seed.contact(acme), await seed.instance(acme)
    on_instance = await open_ticket(api, acme, contact.id, instanceId=str(instance.id))
    without_instance = await open_ticket(api, acme, contact.id)

    again = await api.post(
        "/api/tickets",
        json={"contactId": str(contact.id), "instanceId": str(instance.id)},
        headers=acme.headers,
    )
    again_without = await api.post(
        "/api/tickets", json={"contactId": str(contact.id)}, headers=acme.headers
    )

    assert again.status_code == 409
    assert again.json()["code"] == "CONFLICT"
    assert again.json()["details"] == {"existingTicketId": on_instance["id"]}
    assert again_without.json()["details"] == {"existingTicketId": without_instance["id"]}
    await api.post(f"/api/tickets/{on_instance['id']}/close", headers=acme.headers)
    reopened_slot = await open_ticket(api, acme, contact.id, instanceId=str(instance.id))
    assert reopened_slot["id"] != on_instance["id"]


async def test_an_inactive_queue_or_deleted_instance_takes_no_new_ticket(
    api: httpx.AsyncClient, seed: Seeder, acme: Account
) -> None:
    contact = await seed.contact(acme)
    closed_queue = await seed.queue(acme, is_active=False)
    gone = await seed.instance(acme, deleted_at=T0)

    to_closed_queue = await api.post(
        "/api/tickets",
        json={"contactId": str(contact.id), "queueId": str(closed_queue.id)},
        headers=acme.headers,
    )
    to_gone_instance = await api.post(
        "/api/tickets",
        json={"contactId": str(contact.id), "instanceId": str(gone.id)},
        headers=acme.headers,
    )

    assert field_errors(to_closed_queue) == {"queueId"}
    assert to_gone_instance.status_code == 404


# --- editing ------------------------------------------------------------------------------


async def test_patch_changes_only_what_is_sent_and_null_clears_the_subject(
    api: httpx.AsyncClient, seed: Seeder, acme: Account
) -> None:
    contact, sales = await seed.contact(acme), await seed.queue(acme, name="Vendas")
    ticket = await open_ticket(api, acme, contact.id, subject="Boleto", tags=["a"])
    url = f"/api/tickets/{ticket['id']}"

    moved = await api.patch(
        url, json={"queueId": str(sales.id), "priority": "HIGH"}, headers=acme.headers
    )
    cleared = await api.patch(url, json={"subject": None, "tags": []}, headers=acme.headers)

    assert moved.status_code == 200
    assert (moved.json()["queueId"], moved.json()["priority"]) == (str(sales.id), "HIGH")
    assert (moved.json()["subject"], moved.json()["tags"]) == ("Boleto", ["a"])
    assert (cleared.json()["subject"], cleared.json()["tags"]) == (None, [])
    assert cleared.json()["priority"] == "HIGH"
    assert (await api.get(url, headers=acme.headers)).json() == cleared.json()


# --- status, close, reopen ----------------------------------------------------------------


async def test_status_moves_follow_the_table(
    api: httpx.AsyncClient, seed: Seeder, acme: Account
) -> None:
    ticket = await open_ticket(api, acme, (await seed.contact(acme)).id)
    url = f"/api/tickets/{ticket['id']}/status"

    pending = await api.post(url, json={"status": "PENDING"}, headers=acme.headers)
    same = await api.post(url, json={"status": "PENDING"}, headers=acme.headers)
    resolved = await api.post(
        url, json={"status": "RESOLVED", "reason": "Boleto enviado"}, headers=acme.headers
    )
    back_to_pending = await api.post(url, json={"status": "PENDING"}, headers=acme.headers)
    straight_to_open = await api.post(url, json={"status": "OPEN"}, headers=acme.headers)
    closed = await api.post(url, json={"status": "CLOSED"}, headers=acme.headers)

    assert pending.json()["status"] == "PENDING"
    assert same.status_code == 200
    assert same.json()["updatedAt"] == pending.json()["updatedAt"]
    assert resolved.json()["status"] == "RESOLVED"
    assert resolved.json()["closeReason"] == "Boleto enviado"
    assert resolved.json()["closedBy"] == acme.user_id
    assert resolved.json()["closedAt"] is not None
    for refused in (back_to_pending, straight_to_open):
        assert refused.status_code == 409
        assert refused.json()["code"] == "INVALID_TRANSITION"
    assert straight_to_open.json()["details"] == {"from": "RESOLVED", "to": "OPEN"}
    assert (closed.json()["status"], closed.json()["closeReason"]) == ("CLOSED", "Boleto enviado")


async def test_assigned_needs_an_assignee(
    api: httpx.AsyncClient, seed: Seeder, acme: Account
) -> None:
    ticket = await open_ticket(api, acme, (await seed.contact(acme)).id)

    refused = await api.post(
        f"/api/tickets/{ticket['id']}/status", json={"status": "ASSIGNED"}, headers=acme.headers
    )

    assert refused.status_code == 422
    assert refused.json()["code"] == "VALIDATION_ERROR"


async def test_close_then_reopen_clears_how_it_was_closed(
    api: httpx.AsyncClient, seed: Seeder, acme: Account
) -> None:
    ticket = await open_ticket(api, acme, (await seed.contact(acme)).id)
    url = f"/api/tickets/{ticket['id']}"

    closed = await api.post(f"{url}/close", json={"reason": "Sem resposta"}, headers=acme.headers)
    closed_again = await api.post(f"{url}/close", headers=acme.headers)
    reopened = await api.post(f"{url}/reopen", headers=acme.headers)
    reopened_again = await api.post(f"{url}/reopen", headers=acme.headers)

    assert closed.status_code == 200
    assert (closed.json()["status"], closed.json()["closeReason"]) == ("CLOSED", "Sem resposta")
    assert closed_again.json() == closed.json()
    assert reopened.status_code == 200
    assert reopened.json()["status"] == "OPEN"
    assert [reopened.json()[key] for key in ("closedAt", "closedBy", "closeReason")] == [None] * 3
    assert reopened_again.status_code == 409
    assert reopened_again.json()["code"] == "INVALID_TRANSITION"


async def test_reopen_is_refused_while_another_ticket_holds_the_slot(
    api: httpx.AsyncClient, seed: Seeder, acme: Account
) -> None:
    contact, instance = await seed.contact(acme), await seed.instance(acme)
    old = await open_ticket(api, acme, contact.id, instanceId=str(instance.id))
    await api.post(f"/api/tickets/{old['id']}/close", headers=acme.headers)
    current = await open_ticket(api, acme, contact.id, instanceId=str(instance.id))

    refused = await api.post(f"/api/tickets/{old['id']}/reopen", headers=acme.headers)

    assert refused.status_code == 409
    assert refused.json()["code"] == "CONFLICT"
    assert refused.json()["details"] == {"existingTicketId": current["id"]}
    still = await api.get(f"/api/tickets/{old['id']}", headers=acme.headers)
    assert still.json()["status"] == "CLOSED"


# --- assignment and roles -----------------------------------------------------------------


async def test_supervisors_and_admins_assign_anyone_agents_only_themselves(
    api: httpx.AsyncClient, seed: Seeder, acme: Account
) -> None:
    agent = await seed.user(acme, Role.AGENT)
    other_agent = await seed.user(acme, Role.AGENT)
    supervisor = await seed.user(acme, Role.SUPERVISOR)
    ticket = await open_ticket(api, acme, (await seed.contact(acme)).id)
    url = f"/api/tickets/{ticket['id']}/assign"

    by_admin = await api.post(url, json={"userId": agent.user_id}, headers=acme.headers)
    by_supervisor = await api.post(
        url, json={"userId": other_agent.user_id}, headers=supervisor.headers
    )
    agent_to_other = await api.post(
        url, json={"userId": agent.user_id}, headers=other_agent.headers
    )
    agent_takes_it = await api.post(url, json={"userId": agent.user_id}, headers=agent.headers)

    assert by_admin.status_code == 200
    assert (by_admin.json()["status"], by_admin.json()["assigneeId"]) == ("ASSIGNED", agent.user_id)
    assert by_supervisor.json()["assigneeId"] == other_agent.user_id
    assert agent_to_other.status_code == 403
    assert agent_to_other.json()["code"] == "FORBIDDEN"
    assert agent_takes_it.status_code == 200
    assert agent_takes_it.json()["assigneeId"] == agent.user_id


async def test_only_active_users_and_open_tickets_are_assigned(
    api: httpx.AsyncClient, seed: Seeder, acme: Account
) -> None:
    inactive = await seed.user(acme, Role.AGENT, is_active=False)
    ticket = await open_ticket(api, acme, (await seed.contact(acme)).id)
    url = f"/api/tickets/{ticket['id']}"

    to_inactive = await api.post(
        f"{url}/assign", json={"userId": inactive.user_id}, headers=acme.headers
    )
    await api.post(f"{url}/close", headers=acme.headers)
    closed = await api.post(f"{url}/assign", json={"userId": acme.user_id}, headers=acme.headers)

    assert field_errors(to_inactive) == {"userId"}
    assert closed.status_code == 409
    assert closed.json()["code"] == "INVALID_TRANSITION"


# --- the inbox ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Inbox:
    """Five tickets, newest activity first t1…t5 (see `inbox`)."""

    tickets: list[str]
    agent: Account
    sales_queue: str
    instance: str

    def __getitem__(self, number: int) -> str:
        return self.tickets[number - 1]


@pytest.fixture
async def inbox(api: httpx.AsyncClient, seed: Seeder, acme: Account) -> Inbox:
    maria = await seed.contact(acme, name="Maria Souza", primary_phone="+5531988887777")
    joao = await seed.contact(
        acme, name="João Pereira", primary_phone="+5511977776666", emails=["joao@x.com"]
    )
    ana = await seed.contact(acme, name="Ana")
    instance, sales = await seed.instance(acme), await seed.queue(acme, name="Vendas")
    agent = await seed.user(acme, Role.AGENT)
    specs: list[tuple[Any, dict[str, Any]]] = [
        (
            maria,
            {
                "instanceId": str(instance.id),
                "subject": "Segunda via do boleto",
                "tags": ["boleto"],
                "priority": "HIGH",
            },
        ),
        (joao, {"queueId": str(sales.id), "tags": ["vip"], "channel": "EMAIL"}),
        (ana, {"tags": ["vip", "boleto"]}),
        (maria, {"priority": "URGENT", "channel": "SMS"}),
        (joao, {"instanceId": str(instance.id)}),
    ]
    tickets = [(await open_ticket(api, acme, contact.id, **body))["id"] for contact, body in specs]
    for position, (ticket_id, text) in enumerate(
        zip(tickets, ["Oi", "Olá", "Bom dia", "Boa tarde", "Muito obrigado!"], strict=True)
    ):
        await seed.messages(acme, ticket_id, [T0 + timedelta(minutes=5 - position)], text=text)
    t1, t2, t3, t4, _ = tickets
    moves = [
        (f"{t1}/status", {"status": "PENDING"}),
        (f"{t2}/assign", {"userId": agent.user_id}),
        (f"{t3}/close", {}),
        (f"{t4}/status", {"status": "RESOLVED"}),
    ]
    for path, body in moves:
        moved = await api.post(f"/api/tickets/{path}", json=body, headers=acme.headers)
        assert moved.status_code == 200, moved.text
    return Inbox(tickets, agent, str(sales.id), str(instance.id))


FILTERS: dict[str, tuple[Any, list[int]]] = {
    "everything": ({}, [1, 2, 3, 4, 5]),
    "one-status": ({"status": "OPEN"}, [5]),
    "statuses-comma-and-repeated": (
        [("status", "OPEN,PENDING"), ("status", "ASSIGNED")],
        [1, 2, 5],
    ),
    "state-open": ({"state": "open"}, [1, 2, 5]),
    "state-closed": ({"state": "closed"}, [3, 4]),
    "status-wins-over-state": ({"state": "closed", "status": "PENDING"}, [1]),
    "queue": (lambda inbox: {"queueId": inbox.sales_queue}, [2]),
    "assignee": (lambda inbox: {"assigneeId": inbox.agent.user_id}, [2]),
    "unassigned": ({"unassigned": "true"}, [1, 3, 4, 5]),
    "priorities": ({"priority": "HIGH,URGENT"}, [1, 4]),
    "channels": ({"channel": ["EMAIL", "SMS"]}, [2, 4]),
    "one-tag": ({"tags": "vip"}, [2, 3]),
    "any-of-tags": ({"tags": "boleto,vip"}, [1, 2, 3]),
    "instance": (lambda inbox: {"instanceId": inbox.instance}, [1, 5]),
    "search-subject": ({"search": "BOLETO"}, [1]),
    "search-preview": ({"search": "obrigado"}, [5]),
    "search-contact-name": ({"search": "pereira"}, [2, 5]),
    "search-contact-email": ({"search": "joao@"}, [2, 5]),
    "search-contact-phone": ({"search": "(31) 98888-7777"}, [1, 4]),
    "updated-after": ({"updatedAfter": (T0 + timedelta(minutes=3)).isoformat()}, [1, 2, 3]),
    "open-untaken-tagged": (
        {"state": "open", "unassigned": "true", "tags": "vip,boleto"},
        [1],
    ),
    "instance-and-contact": (
        lambda inbox: {"instanceId": inbox.instance, "search": "pereira"},
        [5],
    ),
    "nothing": ({"search": "no such words"}, []),
}


async def test_each_filter_and_their_combinations(
    api: httpx.AsyncClient, acme: Account, inbox: Inbox
) -> None:
    for name, (params, expected) in FILTERS.items():
        query = params(inbox) if callable(params) else params

        listed = await api.get("/api/tickets", params=query, headers=acme.headers)

        assert ids_of(listed) == [inbox[number] for number in expected], name
        assert (listed.json()["nextCursor"], listed.json()["prevCursor"]) == (None, None), name


async def test_scope_mine_is_the_callers_tickets(
    api: httpx.AsyncClient, acme: Account, inbox: Inbox
) -> None:
    agents = await api.get("/api/tickets", params={"scope": "mine"}, headers=inbox.agent.headers)
    admins = await api.get("/api/tickets", params={"scope": "mine"}, headers=acme.headers)
    contradictory = await api.get(
        "/api/tickets",
        params={"scope": "mine", "assigneeId": acme.user_id},
        headers=inbox.agent.headers,
    )

    assert ids_of(agents) == [inbox[2]]
    assert ids_of(admins) == []
    assert field_errors(contradictory) == {"assigneeId"}


async def test_the_inbox_pages_both_ways_without_gaps_or_repeats(
    api: httpx.AsyncClient, seed: Seeder, acme: Account
) -> None:
    tickets = []
    for minutes in [3, 1, 3, 2, 3, 0, 1]:  # ties on activity are broken by id
        ticket = await open_ticket(api, acme, (await seed.contact(acme)).id)
        await seed.messages(acme, ticket["id"], [T0 + timedelta(minutes=minutes)])
        tickets.append(ticket["id"])
    everything = ids_of(await api.get("/api/tickets", headers=acme.headers))

    pages = [await api.get("/api/tickets", params={"limit": 2}, headers=acme.headers)]
    while cursor := pages[-1].json()["nextCursor"]:
        params = {"limit": 2, "cursor": cursor}
        pages.append(await api.get("/api/tickets", params=params, headers=acme.headers))
    back = [pages[-1]]
    while cursor := back[-1].json()["prevCursor"]:
        params = {"limit": 2, "cursor": cursor}
        back.append(await api.get("/api/tickets", params=params, headers=acme.headers))

    walked = [ticket_id for page in pages for ticket_id in ids_of(page)]
    assert sorted(everything) == sorted(tickets)
    assert walked == everything
    assert [len(ids_of(page)) for page in pages] == [2, 2, 2, 1]
    assert pages[0].json()["prevCursor"] is None
    assert [ids_of(page) for page in back] == [ids_of(page) for page in reversed(pages)]


async def test_a_cursor_from_another_list_is_a_validation_error(
    api: httpx.AsyncClient, seed: Seeder, acme: Account
) -> None:
    ticket = await open_ticket(api, acme, (await seed.contact(acme)).id)
    await seed.messages(acme, ticket["id"], [T0, T0 + timedelta(seconds=1)])
    thread = await api.get(
        f"/api/tickets/{ticket['id']}/messages", params={"limit": 1}, headers=acme.headers
    )

    misused = await api.get(
        "/api/tickets", params={"cursor": thread.json()["nextCursor"]}, headers=acme.headers
    )
    garbage = await api.get(
        "/api/tickets", params={"cursor": "not a cursor!"}, headers=acme.headers
    )

    for refused in (misused, garbage):
        assert refused.status_code == 422
        assert refused.json()["code"] == "VALIDATION_ERROR"


# --- tenancy, credentials and validation on every route ------------------------------------


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    body: dict[str, Any] | None = None

    async def call(
        self, api: httpx.AsyncClient, ticket_id: str, headers: dict[str, str]
    ) -> httpx.Response:
        return await api.request(
            self.method, self.path.format(id=ticket_id), json=self.body, headers=headers
        )


ROUTES = {
    "list": Route("GET", "/api/tickets"),
    "get": Route("GET", "/api/tickets/{id}"),
    "update": Route("PATCH", "/api/tickets/{id}", {"priority": "HIGH"}),
    "status": Route("POST", "/api/tickets/{id}/status", {"status": "PENDING"}),
    "assign": Route("POST", "/api/tickets/{id}/assign", {"userId": str(uuid4())}),
    "close": Route("POST", "/api/tickets/{id}/close", {}),
    "reopen": Route("POST", "/api/tickets/{id}/reopen"),
    "create": Route("POST", "/api/tickets", {"contactId": str(uuid4())}),
}


async def test_every_route_needs_a_credential_and_refuses_a_foreign_tenant_header(
    api: httpx.AsyncClient, acme: Account, globex: Account
) -> None:
    ticket_id = str(uuid4())
    for name, route in ROUTES.items():
        anonymous = await route.call(api, ticket_id, {})
        garbled = await route.call(api, ticket_id, {"Authorization": "Bearer nope"})
        mismatched = await route.call(
            api, ticket_id, {**acme.headers, "X-Tenant-Id": globex.tenant_id}
        )

        assert (anonymous.status_code, garbled.status_code) == (401, 401), name
        assert mismatched.status_code == 403, name
        assert mismatched.json()["code"] == "FORBIDDEN", name


async def test_another_tenants_ticket_is_not_found(
    api: httpx.AsyncClient, seed: Seeder, acme: Account, globex: Account
) -> None:
    theirs = await open_ticket(api, globex, (await seed.contact(globex)).id)
    await api.post(f"/api/tickets/{theirs['id']}/close", headers=globex.headers)
    by_id = {name: route for name, route in ROUTES.items() if "{id}" in route.path}
    by_id["assign"] = Route("POST", "/api/tickets/{id}/assign", {"userId": acme.user_id})

    for name, route in by_id.items():
        foreign = await route.call(api, theirs["id"], acme.headers)
        missing = await route.call(api, str(uuid4()), acme.headers)

        assert (foreign.status_code, missing.status_code) == (404, 404), name
        assert foreign.json()["code"] == missing.json()["code"] == "NOT_FOUND", name
    untouched = await api.get(f"/api/tickets/{theirs['id']}", headers=globex.headers)
    assert untouched.json()["status"] == "CLOSED"


async def test_ids_of_another_tenant_in_bodies_and_queries_are_not_found(
    api: httpx.AsyncClient, seed: Seeder, acme: Account, globex: Account
) -> None:
    mine = await seed.contact(acme)
    theirs = {
        "contactId": str((await seed.contact(globex)).id),
        "queueId": str((await seed.queue(globex)).id),
        "instanceId": str((await seed.instance(globex)).id),
        "userId": globex.user_id,
    }
    ticket = await open_ticket(api, acme, mine.id)
    url = f"/api/tickets/{ticket['id']}"

    refused = {
        "create-contactId": await api.post(
            "/api/tickets", json={"contactId": theirs["contactId"]}, headers=acme.headers
        ),
        "create-queueId": await api.post(
            "/api/tickets",
            json={"contactId": str(mine.id), "queueId": theirs["queueId"]},
            headers=acme.headers,
        ),
        "create-instanceId": await api.post(
            "/api/tickets",
            json={"contactId": str(mine.id), "instanceId": theirs["instanceId"]},
            headers=acme.headers,
        ),
        "update-queueId": await api.patch(
            url, json={"queueId": theirs["queueId"]}, headers=acme.headers
        ),
        "assign-userId": await api.post(
            f"{url}/assign", json={"userId": theirs["userId"]}, headers=acme.headers
        ),
        "list-queueId": await api.get(
            "/api/tickets", params={"queueId": theirs["queueId"]}, headers=acme.headers
        ),
        "list-assigneeId": await api.get(
            "/api/tickets", params={"assigneeId": theirs["userId"]}, headers=acme.headers
        ),
        "list-instanceId": await api.get(
            "/api/tickets", params={"instanceId": theirs["instanceId"]}, headers=acme.headers
        ),
    }

    for name, response in refused.items():
        assert response.status_code == 404, name
        assert response.json()["code"] == "NOT_FOUND", name
    unchanged = await api.get(url, headers=acme.headers)
    assert unchanged.json() == ticket


INVALID: dict[str, tuple[str, str, Any, set[str]]] = {
    "create-contact-not-a-uuid": ("POST", "", {"contactId": "x"}, {"contactId"}),
    "create-unknown-field": ("POST", "", {"contactId": str(uuid4()), "stage": "novo"}, {"stage"}),
    "create-bad-priority": (
        "POST",
        "",
        {"contactId": str(uuid4()), "priority": "SOON"},
        {"priority"},
    ),
    "create-long-subject": (
        "POST",
        "",
        {"contactId": str(uuid4()), "subject": "x" * 201},
        {"subject"},
    ),
    "create-instance-on-email": (
        "POST",
        "",
        {"contactId": str(uuid4()), "instanceId": str(uuid4()), "channel": "EMAIL"},
        {""},
    ),
    "update-nothing": ("PATCH", "/{id}", {}, {""}),
    "update-null-priority": ("PATCH", "/{id}", {"priority": None}, {"priority"}),
    "update-status": ("PATCH", "/{id}", {"status": "CLOSED"}, {"status"}),
    "status-unknown": ("POST", "/{id}/status", {"status": "DONE"}, {"status"}),
    "status-long-reason": (
        "POST",
        "/{id}/status",
        {"status": "CLOSED", "reason": "x" * 501},
        {"reason"},
    ),
    "assign-without-user": ("POST", "/{id}/assign", {}, {"userId"}),
    "close-blank-reason": ("POST", "/{id}/close", {"reason": "   "}, {"reason"}),
    "list-limit-zero": ("GET", "?limit=0", None, {"limit"}),
    "list-limit-too-big": ("GET", "?limit=101", None, {"limit"}),
    "list-unknown-status": ("GET", "?status=OPEN,DONE", None, {"status"}),
    "list-unknown-state": ("GET", "?state=archived", None, {"state"}),
    "list-queue-not-a-uuid": ("GET", "?queueId=1", None, {"queueId"}),
    "list-assignee-not-a-uuid": ("GET", "?assigneeId=1", None, {"assigneeId"}),
    "list-instance-not-a-uuid": ("GET", "?instanceId=1", None, {"instanceId"}),
    "list-unassigned-not-a-bool": ("GET", "?unassigned=maybe", None, {"unassigned"}),
    "list-unknown-scope": ("GET", "?scope=ours", None, {"scope"}),
    "list-not-a-time": ("GET", "?updatedAfter=yesterday", None, {"updatedAfter"}),
    "list-time-out-of-range": (
        "GET",
        "?updatedAfter=9999-12-31T23:59:00-05:00",
        None,
        {"updatedAfter"},
    ),
    "list-naive-time": ("GET", "?updatedAfter=2025-01-01T00:00:00", None, {"updatedAfter"}),
    "list-long-search": ("GET", "?search=" + "x" * 201, None, {"search"}),
    "get-unknown-include": ("GET", "/{id}?include=contact,notes", None, {"include"}),
}


async def test_invalid_requests_are_422_with_the_fields(
    api: httpx.AsyncClient, seed: Seeder, acme: Account
) -> None:
    ticket = await open_ticket(api, acme, (await seed.contact(acme)).id)
    for name, (method, suffix, body, fields) in INVALID.items():
        url = "/api/tickets" + suffix.format(id=ticket["id"])

        response = await api.request(method, url, json=body, headers=acme.headers)

        assert response.status_code == 422, (name, response.text)
        assert field_errors(response) == fields, (name, response.text)
    unchanged = await api.get(f"/api/tickets/{ticket['id']}", headers=acme.headers)
    assert unchanged.json() == ticket
    # a refused request leaves no transaction behind to block the next write
    written = await api.patch(
        f"/api/tickets/{ticket['id']}", json={"priority": "LOW"}, headers=acme.headers
    )
    assert written.status_code == 200
