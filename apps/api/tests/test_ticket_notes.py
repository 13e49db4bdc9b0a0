"""Ticket notes over real HTTP on SQLite and PostgreSQL: stored, oldest first, tenant-scoped."""

from collections.abc import AsyncIterator
from typing import Any
from uuid import uuid4

import httpx
import pytest
from leadengine_api.features.tickets.testing import Seeder, open_ticket, seeder
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
async def ticket(api: httpx.AsyncClient, seed: Seeder, acme: Account) -> dict[str, Any]:
    return await open_ticket(api, acme, (await seed.contact(acme)).id)


def notes_url(ticket_id: str) -> str:
    return f"/api/tickets/{ticket_id}/notes"


async def test_notes_are_stored_with_their_author_and_listed_oldest_first(
    api: httpx.AsyncClient, seed: Seeder, acme: Account, ticket: dict[str, Any]
) -> None:
    agent = await seed.user(acme, Role.AGENT)
    url = notes_url(ticket["id"])

    first = await api.post(url, json={"body": "  Ligar amanhã  "}, headers=acme.headers)
    second = await api.post(
        url, json={"body": "Cliente retornou", "visibility": "TEAM"}, headers=agent.headers
    )
    listed = await api.get(url, headers=agent.headers)

    assert first.status_code == 201
    assert first.json() == {
        "id": first.json()["id"],
        "ticketId": ticket["id"],
        "authorId": acme.user_id,
        "body": "Ligar amanhã",
        "visibility": "PRIVATE",
        "createdAt": first.json()["createdAt"],
    }
    assert (second.json()["authorId"], second.json()["visibility"]) == (agent.user_id, "TEAM")
    assert listed.status_code == 200
    assert listed.json() == {
        "items": [first.json(), second.json()],
        "nextCursor": None,
        "prevCursor": None,
    }


async def test_notes_page_both_ways(
    api: httpx.AsyncClient, acme: Account, ticket: dict[str, Any]
) -> None:
    url = notes_url(ticket["id"])
    written = []
    for number in range(5):
        note = await api.post(url, json={"body": f"nota {number}"}, headers=acme.headers)
        written.append(note.json()["id"])

    pages = [await api.get(url, params={"limit": 2}, headers=acme.headers)]
    while cursor := pages[-1].json()["nextCursor"]:
        pages.append(
            await api.get(url, params={"limit": 2, "cursor": cursor}, headers=acme.headers)
        )
    back = [pages[-1]]
    while cursor := back[-1].json()["prevCursor"]:
        back.append(await api.get(url, params={"limit": 2, "cursor": cursor}, headers=acme.headers))

    def ids(page: httpx.Response) -> list[str]:
        return [note["id"] for note in page.json()["items"]]

    assert [note_id for page in pages for note_id in ids(page)] == written
    assert [ids(page) for page in back] == [ids(page) for page in reversed(pages)]


async def test_notes_of_another_tenants_ticket_are_not_found(
    api: httpx.AsyncClient, seed: Seeder, acme: Account
) -> None:
    globex = await register_tenant(api, "globex")
    theirs = await open_ticket(api, globex, (await seed.contact(globex)).id)
    url = notes_url(theirs["id"])
    await api.post(url, json={"body": "segredo"}, headers=globex.headers)

    read = await api.get(url, headers=acme.headers)
    written = await api.post(url, json={"body": "intruso"}, headers=acme.headers)
    missing = await api.get(notes_url(str(uuid4())), headers=acme.headers)

    for refused in (read, written, missing):
        assert refused.status_code == 404
        assert refused.json()["code"] == "NOT_FOUND"
    bodies = [note["body"] for note in (await api.get(url, headers=globex.headers)).json()["items"]]
    assert bodies == ["segredo"]


async def test_notes_need_a_credential_of_the_tenant(
    api: httpx.AsyncClient, acme: Account, ticket: dict[str, Any]
) -> None:
    globex = await register_tenant(api, "globex")
    url = notes_url(ticket["id"])
    mismatched = {**acme.headers, "X-Tenant-Id": globex.tenant_id}

    for method, body in (("GET", None), ("POST", {"body": "x"})):
        anonymous = await api.request(method, url, json=body)
        foreign_header = await api.request(method, url, json=body, headers=mismatched)

        assert anonymous.status_code == 401, method
        assert anonymous.json()["code"] == "UNAUTHORIZED", method
        assert foreign_header.status_code == 403, method
        assert foreign_header.json()["code"] == "FORBIDDEN", method


async def test_invalid_notes_are_422_with_the_fields(
    api: httpx.AsyncClient, acme: Account, ticket: dict[str, Any]
) -> None:
    url = notes_url(ticket["id"])
    cases: dict[str, tuple[str, dict[str, Any] | None, str, set[str]]] = {
        "no-body": ("POST", {}, "", {"body"}),
        "blank-body": ("POST", {"body": "   "}, "", {"body"}),
        "long-body": ("POST", {"body": "x" * 4001}, "", {"body"}),
        "unknown-visibility": ("POST", {"body": "x", "visibility": "SECRET"}, "", {"visibility"}),
        "unknown-field": ("POST", {"body": "x", "tags": ["a"]}, "", {"tags"}),
        "limit-zero": ("GET", None, "?limit=0", {"limit"}),
        "limit-too-big": ("GET", None, "?limit=101", {"limit"}),
    }

    for name, (method, body, query, fields) in cases.items():
        response = await api.request(method, url + query, json=body, headers=acme.headers)

        assert response.status_code == 422, (name, response.text)
        assert {error["field"] for error in response.json()["errors"]} == fields, name
    bad_cursor = await api.get(url, params={"cursor": "nope"}, headers=acme.headers)
    assert (bad_cursor.status_code, bad_cursor.json()["code"]) == (422, "VALIDATION_ERROR")
    assert (await api.get(url, headers=acme.headers)).json()["items"] == []
