"""A ticket's thread over real HTTP on SQLite and PostgreSQL: every field of a message, both
orders with cursors both ways across ties on WhatsApp time, and tenant scoping.

Messages are seeded through the storage unit of work (the inbound pipeline writes them)."""

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
from leadengine_api.features.tickets.testing import SEEDED_AT, Seeder, open_ticket, seeder
from leadengine_api.testing import Account, register_tenant
from leadengine_core.messages import (
    Direction,
    Location,
    MediaInfo,
    MessageEdit,
    MessageOrigin,
    MessageSender,
    MessageStatus,
    MessageType,
    Reaction,
    SharedContact,
)

T0 = SEEDED_AT


@pytest.fixture
async def seed(api: httpx.AsyncClient, database_url: str) -> AsyncIterator[Seeder]:
    async with seeder(api, database_url) as rows:
        yield rows


@pytest.fixture
async def acme(api: httpx.AsyncClient) -> Account:
    return await register_tenant(api, "acme")


@pytest.fixture
async def ticket(api: httpx.AsyncClient, seed: Seeder, acme: Account) -> dict[str, Any]:
    instance = await seed.instance(acme)
    contact = await seed.contact(acme)
    return await open_ticket(api, acme, contact.id, instanceId=str(instance.id))


def thread_url(ticket_id: str) -> str:
    return f"/api/tickets/{ticket_id}/messages"


def ids(page: httpx.Response) -> list[str]:
    assert page.status_code == 200, page.text
    return [message["id"] for message in page.json()["items"]]


async def test_a_message_shows_everything_a_client_needs(
    api: httpx.AsyncClient, seed: Seeder, acme: Account, ticket: dict[str, Any]
) -> None:
    later = T0 + timedelta(minutes=1)
    [message] = await seed.messages(
        acme,
        ticket["id"],
        [T0],
        type=MessageType.IMAGE,
        status=MessageStatus.READ,
        text=None,
        caption="Comprovante",
        media=MediaInfo(
            mime_type="image/jpeg",
            size=2048,
            file_name="pix.jpg",
            url="https://media.example/pix.jpg",
            media_key="secret-key",
            direct_path="/v/t62/secret",
        ),
        location=Location(latitude=-19.9, longitude=-43.9, name="Loja", address="Rua A, 1"),
        contacts=[SharedContact(display_name="Ana", vcard="BEGIN:VCARD\nEND:VCARD")],
        sender=MessageSender(jid="5531999990000@s.whatsapp.net", phone="+5531999990000"),
        quoted_provider_id="WAMID-QUOTED",
        edit_history=[MessageEdit(previous_text="Comprovante?", edited_at=later)],
        revoked_at=later,
        reactions={"5531999990000": Reaction(sender="5531999990000", emoji="👍", reacted_at=later)},
        provider_message_id="WAMID-1",
        delivered_at=later,
        read_at=later,
    )

    listed = await api.get(thread_url(ticket["id"]), headers=acme.headers)

    [shown] = listed.json()["items"]
    assert shown == {
        "id": str(message.id),
        "tenantId": acme.tenant_id,
        "ticketId": ticket["id"],
        "contactId": ticket["contactId"],
        "instanceId": ticket["instanceId"],
        "authorId": None,
        "direction": "INBOUND",
        "origin": "BROKER",
        "type": "IMAGE",
        "status": "READ",
        "text": None,
        "caption": "Comprovante",
        "media": {
            "mimeType": "image/jpeg",
            "size": 2048,
            "fileName": "pix.jpg",
            "url": "https://media.example/pix.jpg",
            "isVoiceNote": False,
        },
        "location": {"latitude": -19.9, "longitude": -43.9, "name": "Loja", "address": "Rua A, 1"},
        "contacts": [{"displayName": "Ana", "vcard": "BEGIN:VCARD\nEND:VCARD"}],
        "sender": {"jid": "5531999990000@s.whatsapp.net", "phone": "+5531999990000", "name": None},
        "quotedProviderMessageId": "WAMID-QUOTED",
        "editHistory": [{"previousText": "Comprovante?", "editedAt": "2025-01-01T12:01:00Z"}],
        "revoked": True,
        "revokedAt": "2025-01-01T12:01:00Z",
        "reactions": [
            {"sender": "5531999990000", "emoji": "👍", "reactedAt": "2025-01-01T12:01:00Z"}
        ],
        "providerMessageId": "WAMID-1",
        "idempotencyKey": None,
        "failureReason": None,
        "occurredAt": "2025-01-01T12:00:00Z",
        "deliveredAt": "2025-01-01T12:01:00Z",
        "readAt": "2025-01-01T12:01:00Z",
        "createdAt": "2025-01-01T12:00:00Z",
        "updatedAt": "2025-01-01T12:00:00Z",
    }


async def test_an_agents_failed_message_names_its_author_and_reason(
    api: httpx.AsyncClient, seed: Seeder, acme: Account, ticket: dict[str, Any]
) -> None:
    await seed.messages(
        acme,
        ticket["id"],
        [T0],
        direction=Direction.OUTBOUND,
        origin=MessageOrigin.AGENT,
        author_id=UUID(acme.user_id),
        status=MessageStatus.FAILED,
        failure_reason="INSTANCE_NOT_CONNECTED",
        idempotency_key="send-1",
    )

    [shown] = (await api.get(thread_url(ticket["id"]), headers=acme.headers)).json()["items"]

    assert (shown["direction"], shown["origin"], shown["authorId"]) == (
        "OUTBOUND",
        "AGENT",
        acme.user_id,
    )
    assert (shown["status"], shown["failureReason"], shown["idempotencyKey"]) == (
        "FAILED",
        "INSTANCE_NOT_CONNECTED",
        "send-1",
    )


@pytest.mark.parametrize("order", ["desc", "asc"])
async def test_the_thread_pages_both_ways_in_either_order(
    api: httpx.AsyncClient, seed: Seeder, acme: Account, ticket: dict[str, Any], order: str
) -> None:
    # WhatsApp time disagrees with arrival order and has ties, broken by id.
    offsets = [30, 0, 30, 10, 30, 20, 0]
    thread = await seed.messages(
        acme, ticket["id"], [T0 + timedelta(seconds=offset) for offset in offsets]
    )
    other = await open_ticket(api, acme, ticket["contactId"])
    await seed.messages(acme, other["id"], [T0])
    expected = [
        str(message.id)
        for message in sorted(
            thread, key=lambda m: (m.occurred_at, str(m.id)), reverse=order == "desc"
        )
    ]
    url = thread_url(ticket["id"])

    async def page(cursor: str | None = None) -> httpx.Response:
        params = {"order": order, "limit": 3} | ({"cursor": cursor} if cursor else {})
        return await api.get(url, params=params, headers=acme.headers)

    pages = [await page()]
    while cursor := pages[-1].json()["nextCursor"]:
        pages.append(await page(cursor))
    back = [pages[-1]]
    while cursor := back[-1].json()["prevCursor"]:
        back.append(await page(cursor))

    assert [message_id for response in pages for message_id in ids(response)] == expected
    assert [len(ids(response)) for response in pages] == [3, 3, 1]
    assert pages[0].json()["prevCursor"] is None
    assert [ids(response) for response in back] == [ids(response) for response in reversed(pages)]


async def test_newest_first_is_the_default_and_a_cursor_keeps_to_its_order(
    api: httpx.AsyncClient, seed: Seeder, acme: Account, ticket: dict[str, Any]
) -> None:
    oldest, newest = await seed.messages(acme, ticket["id"], [T0, T0 + timedelta(seconds=1)])
    url = thread_url(ticket["id"])

    default = await api.get(url, headers=acme.headers)
    newest_first = await api.get(url, params={"limit": 1}, headers=acme.headers)
    other_order = await api.get(
        url,
        params={"order": "asc", "cursor": newest_first.json()["nextCursor"]},
        headers=acme.headers,
    )

    assert ids(default) == [str(newest.id), str(oldest.id)]
    assert other_order.status_code == 422
    assert other_order.json()["code"] == "VALIDATION_ERROR"


async def test_another_tenants_thread_is_not_found(
    api: httpx.AsyncClient, seed: Seeder, acme: Account
) -> None:
    globex = await register_tenant(api, "globex")
    theirs = await open_ticket(api, globex, (await seed.contact(globex)).id)
    await seed.messages(globex, theirs["id"], [T0])

    foreign = await api.get(thread_url(theirs["id"]), headers=acme.headers)
    missing = await api.get(thread_url(str(uuid4())), headers=acme.headers)

    for refused in (foreign, missing):
        assert refused.status_code == 404
        assert refused.json()["code"] == "NOT_FOUND"


async def test_the_thread_needs_a_credential_of_the_tenant(
    api: httpx.AsyncClient, acme: Account, ticket: dict[str, Any]
) -> None:
    globex = await register_tenant(api, "globex")
    url = thread_url(ticket["id"])

    anonymous = await api.get(url)
    mismatched = await api.get(url, headers={**acme.headers, "X-Tenant-Id": globex.tenant_id})

    assert (anonymous.status_code, anonymous.json()["code"]) == (401, "UNAUTHORIZED")
    assert (mismatched.status_code, mismatched.json()["code"]) == (403, "FORBIDDEN")


async def test_invalid_thread_queries_are_422_with_the_fields(
    api: httpx.AsyncClient, acme: Account, ticket: dict[str, Any]
) -> None:
    url = thread_url(ticket["id"])
    cases = {
        "order": {"order": "sideways"},
        "limit": {"limit": "101"},
        "cursor": {"cursor": "x" * 2000},
    }

    for field, params in cases.items():
        response = await api.get(url, params=params, headers=acme.headers)

        assert response.status_code == 422, (field, response.text)
        assert {error["field"] for error in response.json()["errors"]} == {field}
    forged = await api.get(url, params={"cursor": "bm90IGEgY3Vyc29y"}, headers=acme.headers)
    assert (forged.status_code, forged.json()["code"]) == (422, "VALIDATION_ERROR")
