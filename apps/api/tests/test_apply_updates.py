"""apply_event for what follows a message (acks, edits, revokes, reactions, poll votes) and
for connection updates, on the real storage (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from leadengine_api.features.inbound.apply import ApplyResult, InboundEvent, apply_event
from leadengine_core.instances import InstanceStatus, WhatsAppInstance
from leadengine_core.messages import Direction, Message, MessageOrigin, MessageStatus
from leadengine_core.tickets import Ticket
from leadengine_integrations.normalize import IgnoredEvent, RejectedEvent, parse_evolution_webhook
from leadengine_integrations.normalize import samples as s
from leadengine_integrations.normalize.envelope import parse_webhook
from leadengine_shared.testing import postgres_url
from leadengine_storage.testing import (
    NewUnitOfWork,
    SeededTenant,
    database_url,
    engine,
    factory,
    new_uow,
    postgres_database_url,
    sqlite_database_url,
    store_committed,
    tenant_a,
)

__all__ = [
    "database_url",
    "engine",
    "factory",
    "new_uow",
    "postgres_database_url",
    "postgres_url",
    "sqlite_database_url",
    "tenant_a",
]

APPLIED = ApplyResult("applied")


def events_of(body: dict[str, Any]) -> list[InboundEvent]:
    events: list[InboundEvent] = []
    for item in parse_webhook(body).items:
        assert not isinstance(item.event, IgnoredEvent | RejectedEvent), item.event
        events.append(item.event)
    return events


async def send(
    new_uow: NewUnitOfWork, tenant: SeededTenant, body: dict[str, Any]
) -> list[ApplyResult]:
    """Each event of one webhook body in a committed unit of work of its own, as the worker does."""
    results = []
    for event in events_of(body):
        async with new_uow() as uow:
            instance = await uow.instances.get(tenant.id, tenant.instance.id)
            assert instance is not None
            results.append(
                await apply_event(uow, tenant.factory.clock, tenant.factory.ids, instance, event)
            )
            await uow.commit()
    return results


async def send_all(
    new_uow: NewUnitOfWork, tenant: SeededTenant, *bodies: dict[str, Any]
) -> list[ApplyResult]:
    return [result for body in bodies for result in await send(new_uow, tenant, body)]


def acks(tenant: SeededTenant, *entries: dict[str, Any]) -> dict[str, Any]:
    return s.messages_update(*entries, instance=tenant.instance.broker_id)


def upsert(tenant: SeededTenant, *messages: dict[str, Any]) -> dict[str, Any]:
    return s.upsert(*messages, instance=tenant.instance.broker_id)


async def stored(new_uow: NewUnitOfWork, tenant: SeededTenant, provider_id: str) -> Message:
    async with new_uow() as uow:
        message = await uow.messages.find_by_provider_id(tenant.id, tenant.instance.id, provider_id)
    assert message is not None
    return message


async def our_sent_message(new_uow: NewUnitOfWork, tenant: SeededTenant) -> Message:
    """A message an agent sent through the CRM, already handed to the broker."""
    ticket = tenant.ticket()
    message = tenant.factory.message(
        ticket,
        direction=Direction.OUTBOUND,
        origin=MessageOrigin.AGENT,
        status=MessageStatus.SENT,
        provider_message_id=s.MESSAGE_ID,
    )
    await store_committed(new_uow, ticket, message)
    return message


async def customer_message(
    new_uow: NewUnitOfWork,
    tenant: SeededTenant,
    provider_id: str = s.TARGET_ID,
    timestamp: int = s.TIMESTAMP,
) -> Message:
    message = s.wamessage(s.TEXT, message_id=provider_id, timestamp=timestamp)
    await send(new_uow, tenant, upsert(tenant, message))
    return await stored(new_uow, tenant, provider_id)


async def ticket_of(new_uow: NewUnitOfWork, tenant: SeededTenant, message: Message) -> Ticket:
    async with new_uow() as uow:
        ticket = await uow.tickets.get(tenant.id, message.ticket_id)
    assert ticket is not None
    return ticket


async def test_acks_move_forward_and_never_back(
    new_uow: NewUnitOfWork, tenant_a: SeededTenant
) -> None:
    await our_sent_message(new_uow, tenant_a)
    receipt = s.TIMESTAMP + 60
    results = await send_all(
        new_uow,
        tenant_a,
        acks(tenant_a, s.ack(s.MESSAGE_ID, 2)),
        acks(tenant_a, s.ack(s.MESSAGE_ID, 3, receipt_at=receipt)),
        acks(tenant_a, s.ack(s.MESSAGE_ID, 4, receipt_at=receipt + 60)),
        acks(tenant_a, s.ack(s.MESSAGE_ID, 2)),
        acks(tenant_a, s.ack(s.MESSAGE_ID, "READ")),
    )
    assert results == [
        ApplyResult("duplicate", "ack_repeated"),
        APPLIED,
        APPLIED,
        ApplyResult("duplicate", "ack_regression"),
        ApplyResult("duplicate", "ack_repeated"),
    ]
    message = await stored(new_uow, tenant_a, s.MESSAGE_ID)
    assert message.status is MessageStatus.READ
    assert message.delivered_at == datetime.fromtimestamp(receipt, UTC)
    assert message.read_at == datetime.fromtimestamp(receipt + 60, UTC)


async def test_a_failed_ack_keeps_the_error_code(
    new_uow: NewUnitOfWork, tenant_a: SeededTenant
) -> None:
    await our_sent_message(new_uow, tenant_a)
    nack = {
        "key": {"remoteJid": s.CUSTOMER_JID, "id": s.MESSAGE_ID, "fromMe": True},
        "update": {"status": 0, "messageStubParameters": ["463"]},
    }
    assert await send(new_uow, tenant_a, acks(tenant_a, nack)) == [APPLIED]
    message = await stored(new_uow, tenant_a, s.MESSAGE_ID)
    assert (message.status, message.failure_reason) == (MessageStatus.FAILED, "463")


async def test_an_ack_before_its_message_waits_for_it(
    new_uow: NewUnitOfWork, tenant_a: SeededTenant
) -> None:
    ack = acks(tenant_a, s.ack(s.MESSAGE_ID, 3))
    assert await send(new_uow, tenant_a, ack) == [
        ApplyResult("deferred", "message_not_found", s.MESSAGE_ID)
    ]
    await our_sent_message(new_uow, tenant_a)
    assert await send(new_uow, tenant_a, ack) == [APPLIED]  # re-armed by the worker
    assert (await stored(new_uow, tenant_a, s.MESSAGE_ID)).status is MessageStatus.DELIVERED


async def test_reading_the_customers_last_message_on_the_phone_clears_unread(
    new_uow: NewUnitOfWork, tenant_a: SeededTenant
) -> None:
    first = await customer_message(new_uow, tenant_a, "3A01")
    await customer_message(new_uow, tenant_a, "3A02", s.TIMESTAMP + 5)
    read_first, read_last = (
        acks(tenant_a, s.ack(provider_id, 4, from_me=False)) for provider_id in ("3A01", "3A02")
    )
    assert await send_all(new_uow, tenant_a, read_first, read_last, read_last) == [
        ApplyResult("ignored", "read_self"),  # a newer message is still unread
        APPLIED,
        ApplyResult("ignored", "read_self"),
    ]
    assert (await ticket_of(new_uow, tenant_a, first)).unread_count == 0
    message = await stored(new_uow, tenant_a, "3A02")
    assert message.status is MessageStatus.DELIVERED  # never an outbound status


async def test_an_edit_replaces_the_text_and_keeps_history(
    new_uow: NewUnitOfWork, tenant_a: SeededTenant
) -> None:
    edit = upsert(tenant_a, s.wamessage(s.edit("novo texto"), message_id="3A22"))
    assert await send(new_uow, tenant_a, edit) == [
        ApplyResult("deferred", "message_not_found", s.TARGET_ID)
    ]
    await customer_message(new_uow, tenant_a)
    assert await send_all(new_uow, tenant_a, edit, edit) == [
        APPLIED,
        ApplyResult("duplicate", "edit_unchanged"),
    ]
    message = await stored(new_uow, tenant_a, s.TARGET_ID)
    assert message.text == "novo texto"
    assert [e.previous_text for e in message.edit_history] == [s.TEXT["conversation"]]


async def test_a_revoke_flags_the_message_and_keeps_its_content(
    new_uow: NewUnitOfWork, tenant_a: SeededTenant
) -> None:
    await customer_message(new_uow, tenant_a)
    revoke = upsert(tenant_a, s.wamessage(s.revoke(), message_id="3A55"))
    assert await send_all(new_uow, tenant_a, revoke, revoke) == [
        APPLIED,
        ApplyResult("duplicate", "already_revoked"),
    ]
    message = await stored(new_uow, tenant_a, s.TARGET_ID)
    assert message.revoked
    assert message.text == s.TEXT["conversation"]


async def test_reactions_are_added_replaced_and_removed_per_sender(
    new_uow: NewUnitOfWork, tenant_a: SeededTenant
) -> None:
    def react(emoji: str, reaction_id: str) -> dict[str, Any]:
        return upsert(tenant_a, s.wamessage(s.reaction(emoji), message_id=reaction_id))

    assert await send(new_uow, tenant_a, react("👍", "3A01")) == [
        ApplyResult("deferred", "message_not_found", s.TARGET_ID)
    ]
    await customer_message(new_uow, tenant_a)
    assert await send_all(new_uow, tenant_a, react("👍", "3A01")) == [APPLIED]
    assert {
        k: r.emoji for k, r in (await stored(new_uow, tenant_a, s.TARGET_ID)).reactions.items()
    } == {s.CUSTOMER_JID: "👍"}
    assert await send_all(new_uow, tenant_a, react("❤️", "3A02"), react("❤️", "3A02")) == [
        APPLIED,
        ApplyResult("duplicate", "reaction_unchanged"),
    ]
    assert {
        k: r.emoji for k, r in (await stored(new_uow, tenant_a, s.TARGET_ID)).reactions.items()
    } == {s.CUSTOMER_JID: "❤️"}
    assert await send(new_uow, tenant_a, react("", "3A03")) == [APPLIED]
    assert (await stored(new_uow, tenant_a, s.TARGET_ID)).reactions == {}


async def test_poll_votes_are_recorded_on_the_poll(
    new_uow: NewUnitOfWork, tenant_a: SeededTenant
) -> None:
    instance_key = tenant_a.instance.broker_id
    vote, withdraw = (s.poll_choice(choice, instance=instance_key) for choice in (["Manhã"], []))
    assert await send(new_uow, tenant_a, vote) == [ApplyResult("ignored", "poll_not_found")]
    poll = s.wamessage(s.POLL_CREATION, from_me=True, message_id=s.TARGET_ID)
    await send(new_uow, tenant_a, upsert(tenant_a, poll))
    assert await send_all(new_uow, tenant_a, vote, vote) == [
        APPLIED,
        ApplyResult("duplicate", "vote_unchanged"),
    ]
    votes = (await stored(new_uow, tenant_a, s.TARGET_ID)).metadata["pollVotes"]
    assert isinstance(votes, dict)
    assert votes[s.CUSTOMER_JID]["options"] == ["Manhã"]
    assert await send(new_uow, tenant_a, withdraw) == [APPLIED]
    assert (await stored(new_uow, tenant_a, s.TARGET_ID)).metadata["pollVotes"] == {}


async def instance_of(new_uow: NewUnitOfWork, tenant: SeededTenant) -> WhatsAppInstance:
    async with new_uow() as uow:
        instance = await uow.instances.get(tenant.id, tenant.instance.id)
    assert instance is not None
    return instance


@pytest.mark.parametrize(
    ("raw", "status"),
    [
        (s.closed(401), InstanceStatus.DISCONNECTED),
        ({"connection": "open"}, InstanceStatus.CONNECTED),
    ],
    ids=["logged-out", "open"],
)
async def test_connection_updates_set_the_instance_status(
    new_uow: NewUnitOfWork, tenant_a: SeededTenant, raw: dict[str, Any], status: InstanceStatus
) -> None:
    update = s.connection_update(raw, instance=tenant_a.instance.broker_id)
    assert await send_all(new_uow, tenant_a, update, update) == [
        APPLIED,
        ApplyResult("duplicate", "connection_unchanged"),
    ]
    assert (await instance_of(new_uow, tenant_a)).status is status


async def test_a_qr_code_is_kept_until_the_session_connects(
    new_uow: NewUnitOfWork, tenant_a: SeededTenant
) -> None:
    key = tenant_a.instance.broker_id
    assert await send(new_uow, tenant_a, s.connection_update({"qr": "2@ref"}, instance=key)) == [
        APPLIED
    ]
    instance = await instance_of(new_uow, tenant_a)
    assert (instance.status, instance.qr) == (InstanceStatus.QR_REQUIRED, "2@ref")
    await send(new_uow, tenant_a, s.connection_update({"connection": "open"}, instance=key))
    assert (await instance_of(new_uow, tenant_a)).qr is None


@pytest.mark.parametrize(
    "body",
    [*s.broker_bodies(), *s.evolution_bodies()],
    ids=lambda body: str(body["event"]),
)
async def test_every_sample_body_applies_without_error(
    new_uow: NewUnitOfWork, tenant_a: SeededTenant, body: dict[str, Any]
) -> None:
    events = [
        item.event
        for batch in (parse_webhook(body), parse_evolution_webhook(body))
        for item in batch.items
        if not isinstance(item.event, IgnoredEvent | RejectedEvent)
    ]
    for event in events:
        async with new_uow() as uow:
            instance = await uow.instances.get(tenant_a.id, tenant_a.instance.id)
            assert instance is not None
            clock, ids = tenant_a.factory.clock, tenant_a.factory.ids
            result = await apply_event(uow, clock, ids, instance, event)
            await uow.commit()
        assert result.outcome in {"applied", "duplicate", "ignored", "deferred"}
        assert (result.outcome == "applied") == (result.reason is None)
