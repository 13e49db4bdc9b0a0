"""Messages: value objects round-trip as JSON, provider ids and idempotency keys are unique,
and a thread pages by WhatsApp time (`occurred_at`), not by arrival."""

from datetime import UTC, datetime, timedelta

import pytest
from leadengine_core.errors import Conflict, NotFound, ValidationFailed
from leadengine_core.messages import (
    Direction,
    Location,
    MediaInfo,
    Message,
    MessageOrigin,
    MessageSender,
    MessageStatus,
    MessageType,
    SharedContact,
)
from leadengine_core.pagination import Page
from leadengine_core.tickets import TicketStatus
from leadengine_storage.find_or_add import find_or_add_message
from leadengine_storage.testing import NewUnitOfWork, SeededTenant, assert_utc, store_committed

T0 = datetime(2025, 5, 6, 7, 8, 9, 101112, tzinfo=UTC)


async def test_a_message_round_trips_every_field(
    new_uow: NewUnitOfWork, tenant_a: SeededTenant
) -> None:
    ticket = tenant_a.ticket()
    await store_committed(new_uow, ticket)
    agent = tenant_a.factory.user()
    message = tenant_a.factory.message(
        ticket,
        direction=Direction.OUTBOUND,
        origin=MessageOrigin.AGENT,
        author_id=agent.id,
        type=MessageType.DOCUMENT,
        status=MessageStatus.FAILED,
        text=None,
        caption="Contrato assinado",
        media=MediaInfo(
            mime_type="application/pdf",
            size=48213,
            file_name="contrato.pdf",
            object_key="t/1/contrato.pdf",
            media_key="a2V5",
            direct_path="/v/t62/abc",
            is_voice_note=False,
        ),
        location=Location(latitude=-19.9191, longitude=-43.9386, name="BH", address="Centro"),
        contacts=[SharedContact(display_name="Ana", vcard="BEGIN:VCARD\nEND:VCARD")],
        provider_message_id="3EB0C767D26A1D8F5E2B",
        idempotency_key="send-42",
        sender=MessageSender(jid="5531988887777@s.whatsapp.net", phone="+5531988887777", name="M"),
        quoted_provider_id="3EB0AAAA",
        failure_reason="broker timeout",
        delivered_at=T0 + timedelta(seconds=1),
        read_at=T0 + timedelta(seconds=2),
        metadata={"broker": {"instanceId": "main", "attempts": 2}, "raw": None},
        occurred_at=T0,
    )
    message.edit("Contrato assinado (v2)", T0 + timedelta(minutes=1))
    message.react("5531988887777@s.whatsapp.net", "👍", T0 + timedelta(minutes=2))
    message.react("5511999990000@s.whatsapp.net", "❤️", T0 + timedelta(minutes=3))
    message.revoke(T0 + timedelta(minutes=4))
    await store_committed(new_uow, agent, message)

    async with new_uow() as uow:
        stored = await uow.messages.get(tenant_a.id, message.id)

    assert stored == message
    assert stored is not None
    assert_utc(
        stored.occurred_at,
        stored.delivered_at,
        stored.read_at,
        stored.revoked_at,
        stored.edit_history[0].edited_at,
        *(reaction.reacted_at for reaction in stored.reactions.values()),
    )


async def test_a_plain_inbound_message_round_trips(
    new_uow: NewUnitOfWork, tenant_a: SeededTenant
) -> None:
    ticket = tenant_a.ticket()
    await store_committed(new_uow, ticket)
    message = tenant_a.factory.message(ticket, text="Olá 😀", provider_message_id="ABC")
    await store_committed(new_uow, message)

    async with new_uow() as uow:
        stored = await uow.messages.get(tenant_a.id, message.id)
        missing = await uow.messages.get(tenant_a.id, tenant_a.factory.ids.new_id())

    assert stored == message
    assert stored is not None
    assert stored.media is None
    assert stored.contacts == []
    assert missing is None


async def test_a_provider_id_is_unique_per_instance(
    new_uow: NewUnitOfWork, tenant_a: SeededTenant
) -> None:
    f = tenant_a.factory
    ticket = tenant_a.ticket()
    await store_committed(new_uow, ticket)
    second_instance = f.instance()
    elsewhere = f.ticket(tenant_a.contact.id, tenant_a.queue.id, instance_id=second_instance.id)
    no_instance = f.ticket(tenant_a.contact.id, tenant_a.queue.id)
    first = f.message(ticket, provider_message_id="WAMID-1")
    same_id_other_account = f.message(elsewhere, provider_message_id="WAMID-1")
    same_id_no_account = f.message(no_instance, provider_message_id="WAMID-1")
    await store_committed(
        new_uow,
        second_instance,
        elsewhere,
        no_instance,
        first,
        same_id_other_account,
        same_id_no_account,
    )

    async with new_uow() as uow:
        found = await uow.messages.find_by_provider_id(tenant_a.id, tenant_a.instance.id, "WAMID-1")
        found_other = await uow.messages.find_by_provider_id(
            tenant_a.id, second_instance.id, "WAMID-1"
        )
        found_none = await uow.messages.find_by_provider_id(tenant_a.id, None, "WAMID-1")
        unknown = await uow.messages.find_by_provider_id(tenant_a.id, None, "WAMID-2")
        for duplicate in (
            f.message(ticket, provider_message_id="WAMID-1"),
            f.message(no_instance, provider_message_id="WAMID-1"),
        ):
            with pytest.raises(Conflict):
                await uow.messages.add(tenant_a.id, duplicate)

    assert (found, found_other, found_none, unknown) == (
        first,
        same_id_other_account,
        same_id_no_account,
        None,
    )


async def test_a_duplicate_names_the_stored_message_and_the_unit_goes_on(
    new_uow: NewUnitOfWork, tenant_a: SeededTenant
) -> None:
    ticket = tenant_a.ticket()
    await store_committed(new_uow, ticket)
    original = tenant_a.factory.message(ticket, provider_message_id="WAMID-9")
    await store_committed(new_uow, original)
    retry = tenant_a.factory.message(ticket, provider_message_id="WAMID-9")
    follow_up = tenant_a.factory.message(ticket, provider_message_id="WAMID-10")

    async with new_uow() as uow:
        with pytest.raises(Conflict) as taken:
            await uow.messages.add(tenant_a.id, retry)
        await uow.messages.add(tenant_a.id, follow_up)
        await uow.commit()

    assert taken.value.details == {
        "providerMessageId": "WAMID-9",
        "existingMessageId": str(original.id),
    }
    assert taken.value.__cause__ is not None
    async with new_uow() as uow:
        assert await uow.messages.get(tenant_a.id, follow_up.id) == follow_up
        assert await uow.messages.get(tenant_a.id, retry.id) is None


async def test_an_idempotency_key_is_used_once_per_tenant(
    new_uow: NewUnitOfWork, tenant_a: SeededTenant, tenant_b: SeededTenant
) -> None:
    ticket = tenant_a.ticket()
    await store_committed(new_uow, ticket)
    theirs = tenant_b.ticket()
    await store_committed(new_uow, theirs)
    outbound = {"direction": Direction.OUTBOUND, "origin": MessageOrigin.AGENT}
    sent = tenant_a.factory.message(ticket, idempotency_key="k-1", **outbound)
    await store_committed(new_uow, sent, tenant_b.factory.message(theirs, idempotency_key="k-1"))

    async with new_uow() as uow:
        assert await uow.messages.find_by_idempotency_key(tenant_a.id, "k-1") == sent
        assert await uow.messages.find_by_idempotency_key(tenant_a.id, "k-2") is None
        with pytest.raises(Conflict) as taken:
            await uow.messages.add(
                tenant_a.id, tenant_a.factory.message(ticket, idempotency_key="k-1", **outbound)
            )
    assert taken.value.details == {"idempotencyKey": "k-1", "existingMessageId": str(sent.id)}


async def test_find_or_add_message_returns_the_stored_one(
    new_uow: NewUnitOfWork, tenant_a: SeededTenant
) -> None:
    ticket = tenant_a.ticket()
    await store_committed(new_uow, ticket)
    first = tenant_a.factory.message(ticket, provider_message_id="WAMID-5")

    async with new_uow() as uow:
        stored, added = await find_or_add_message(uow.messages, tenant_a.id, first)
        replay, added_again = await find_or_add_message(
            uow.messages,
            tenant_a.id,
            tenant_a.factory.message(ticket, provider_message_id="WAMID-5"),
        )

    assert (stored, added) == (first, True)
    assert (replay, added_again) == (first, False)


async def test_a_message_update_is_stored_and_a_missing_one_is_not_found(
    new_uow: NewUnitOfWork, tenant_a: SeededTenant
) -> None:
    ticket = tenant_a.ticket()
    await store_committed(new_uow, ticket)
    message = tenant_a.factory.message(
        ticket, direction=Direction.OUTBOUND, origin=MessageOrigin.AGENT
    )
    await store_committed(new_uow, message)
    message.mark_sent("WAMID-77", T0)
    message.apply_status(MessageStatus.READ, T0 + timedelta(seconds=5))
    message.react("5531988887777@s.whatsapp.net", "🙏", T0 + timedelta(seconds=6))
    async with new_uow() as uow:
        await uow.messages.update(tenant_a.id, message)
        with pytest.raises(NotFound):
            await uow.messages.update(tenant_a.id, tenant_a.factory.message(ticket))
        await uow.commit()

    async with new_uow() as uow:
        assert await uow.messages.get(tenant_a.id, message.id) == message
        found = await uow.messages.find_by_provider_id(
            tenant_a.id, tenant_a.instance.id, "WAMID-77"
        )
    assert found == message


@pytest.mark.parametrize("oldest_first", [False, True], ids=["newest-first", "oldest-first"])
async def test_a_thread_pages_by_whatsapp_time_both_ways(
    new_uow: NewUnitOfWork, tenant_a: SeededTenant, oldest_first: bool
) -> None:
    ticket = tenant_a.ticket()
    await store_committed(new_uow, ticket)
    other_ticket = tenant_a.factory.ticket(
        tenant_a.contact.id, tenant_a.queue.id, status=TicketStatus.CLOSED
    )
    offsets = [0, 30, 30, 10, 30, 20, 0]
    # inserted in arrival order; WhatsApp time (occurred_at) disagrees and has ties
    thread = [
        tenant_a.factory.message(ticket, occurred_at=T0 + timedelta(seconds=offset))
        for offset in offsets
    ]
    await store_committed(
        new_uow, other_ticket, *thread, tenant_a.factory.message(other_ticket, occurred_at=T0)
    )
    in_order = sorted(thread, key=lambda m: (m.occurred_at, str(m.id)), reverse=not oldest_first)

    async with new_uow() as uow:

        async def page(cursor: str | None) -> Page[Message]:
            return await uow.messages.list_page(
                tenant_a.id, ticket.id, cursor=cursor, limit=3, oldest_first=oldest_first
            )

        pages = [await page(None)]
        while cursor := pages[-1].next_cursor:
            pages.append(await page(cursor))
        back = [pages[-1]]
        while cursor := back[-1].prev_cursor:
            back.append(await page(cursor))
        empty = await uow.messages.list_page(tenant_a.id, tenant_a.factory.ids.new_id())
        other_order = pages[0].next_cursor
        assert other_order is not None
        with pytest.raises(ValidationFailed):
            await uow.messages.list_page(
                tenant_a.id, ticket.id, cursor=other_order, oldest_first=not oldest_first
            )

    assert [message for page in pages for message in page.items] == in_order
    assert [len(page.items) for page in pages] == [3, 3, 1]
    assert [page.items for page in back] == [page.items for page in reversed(pages)]
    assert (empty.items, empty.next_cursor, empty.prev_cursor) == ((), None, None)
