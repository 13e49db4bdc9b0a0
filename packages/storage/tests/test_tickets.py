"""Tickets: round trips, the one-open-ticket rule under the database, and notes."""

from datetime import UTC, datetime, timedelta

import pytest
from leadengine_core.errors import Conflict, Forbidden, NotFound, OpenTicketExists
from leadengine_core.messages import Direction
from leadengine_core.tickets import Channel, NoteVisibility, TicketPriority, TicketStatus
from leadengine_storage.find_or_add import find_or_open_ticket
from leadengine_storage.testing import (
    NewUnitOfWork,
    SeededTenant,
    assert_utc,
    make_note,
    store_committed,
)


async def test_a_ticket_round_trips_every_field(
    new_uow: NewUnitOfWork, tenant_a: SeededTenant
) -> None:
    agent = tenant_a.factory.user()
    at = datetime(2025, 7, 8, 9, 10, 11, 121314, tzinfo=UTC)
    ticket = tenant_a.factory.ticket(
        tenant_a.contact.id,
        tenant_a.queue.id,
        instance_id=tenant_a.instance.id,
        assignee_id=agent.id,
        status=TicketStatus.RESOLVED,
        priority=TicketPriority.URGENT,
        channel=Channel.SMS,
        subject="Segunda via do boleto",
        tags=["financeiro", "boleto"],
        last_message_at=at,
        last_message_preview="Pode me mandar o boleto?",
        unread_count=3,
        closed_at=at + timedelta(minutes=5),
        closed_by=agent.id,
        close_reason="Resolvido",
        metadata={"whatsapp": {"pushName": "Maria", "remoteJid": "5531988887777@s.whatsapp.net"}},
    )
    await store_committed(new_uow, agent, ticket)

    async with new_uow() as uow:
        stored = await uow.tickets.get(tenant_a.id, ticket.id)
        missing = await uow.tickets.get(tenant_a.id, tenant_a.factory.ids.new_id())

    assert stored == ticket
    assert missing is None
    assert stored is not None
    assert_utc(stored.last_message_at, stored.closed_at, stored.created_at, stored.updated_at)


async def test_the_open_ticket_of_a_contact_is_found_per_instance(
    new_uow: NewUnitOfWork, tenant_a: SeededTenant
) -> None:
    f = tenant_a.factory
    other_instance = f.instance()
    on_instance = f.ticket(tenant_a.contact.id, tenant_a.queue.id, instance_id=tenant_a.instance.id)
    without_instance = f.ticket(tenant_a.contact.id, tenant_a.queue.id, status=TicketStatus.PENDING)
    closed = f.ticket(
        tenant_a.contact.id,
        tenant_a.queue.id,
        instance_id=other_instance.id,
        status=TicketStatus.CLOSED,
    )
    await store_committed(new_uow, other_instance, on_instance, without_instance, closed)

    async with new_uow() as uow:
        found = await uow.tickets.find_open(tenant_a.id, tenant_a.contact.id, tenant_a.instance.id)
        found_without = await uow.tickets.find_open(tenant_a.id, tenant_a.contact.id, None)
        found_closed = await uow.tickets.find_open(
            tenant_a.id, tenant_a.contact.id, other_instance.id
        )

    assert found == on_instance
    assert found_without == without_instance
    assert found_closed is None


@pytest.mark.parametrize("with_instance", [True, False], ids=["instance", "no-instance"])
async def test_a_second_open_ticket_for_the_slot_names_the_first_and_the_unit_goes_on(
    new_uow: NewUnitOfWork, tenant_a: SeededTenant, with_instance: bool
) -> None:
    instance_id = tenant_a.instance.id if with_instance else None
    first = tenant_a.factory.ticket(tenant_a.contact.id, tenant_a.queue.id, instance_id=instance_id)
    await store_committed(new_uow, first)
    second = tenant_a.factory.ticket(
        tenant_a.contact.id, tenant_a.queue.id, instance_id=instance_id, status=TicketStatus.PENDING
    )

    async with new_uow() as uow:
        with pytest.raises(OpenTicketExists) as taken:
            await uow.tickets.add(tenant_a.id, second)
        message = tenant_a.factory.message(first)
        await uow.messages.add(tenant_a.id, message)
        await uow.commit()

    assert taken.value.existing_ticket_id == first.id
    assert taken.value.details == {"existingTicketId": str(first.id)}
    assert taken.value.__cause__ is not None
    async with new_uow() as uow:
        assert await uow.tickets.get(tenant_a.id, second.id) is None
        assert await uow.messages.get(tenant_a.id, message.id) == message


async def test_finished_tickets_leave_the_slot_free(
    new_uow: NewUnitOfWork, tenant_a: SeededTenant
) -> None:
    f = tenant_a.factory
    history = [
        f.ticket(tenant_a.contact.id, tenant_a.queue.id, status=status)
        for status in (TicketStatus.CLOSED, TicketStatus.RESOLVED, TicketStatus.OPEN)
    ]
    other_instance = f.ticket(
        tenant_a.contact.id, tenant_a.queue.id, instance_id=tenant_a.instance.id
    )
    await store_committed(new_uow, *history, other_instance)

    async with new_uow() as uow:
        assert await uow.tickets.find_open(tenant_a.id, tenant_a.contact.id, None) == history[-1]


async def test_reopening_into_a_taken_slot_is_refused(
    new_uow: NewUnitOfWork, tenant_a: SeededTenant
) -> None:
    f = tenant_a.factory
    old = f.ticket(tenant_a.contact.id, tenant_a.queue.id, status=TicketStatus.CLOSED)
    current = f.ticket(tenant_a.contact.id, tenant_a.queue.id)
    await store_committed(new_uow, old, current)
    old.reopen(f.clock.advance())

    async with new_uow() as uow:
        with pytest.raises(OpenTicketExists) as taken:
            await uow.tickets.update(tenant_a.id, old)
    assert taken.value.existing_ticket_id == current.id


async def test_a_ticket_update_is_stored_and_a_missing_one_is_not_found(
    new_uow: NewUnitOfWork, tenant_a: SeededTenant
) -> None:
    f = tenant_a.factory
    agent = f.user()
    ticket = f.ticket(tenant_a.contact.id, tenant_a.queue.id, instance_id=tenant_a.instance.id)
    await store_committed(new_uow, agent, ticket)
    ticket.record_message(Direction.INBOUND, "Olá, tudo bem?", f.clock.advance())
    ticket.assign(agent.id, f.clock.advance())
    ticket.close(at=f.clock.advance(), actor_id=agent.id, reason="done")
    async with new_uow() as uow:
        await uow.tickets.update(tenant_a.id, ticket)
        with pytest.raises(NotFound):
            await uow.tickets.update(tenant_a.id, f.ticket(tenant_a.contact.id, tenant_a.queue.id))
        await uow.commit()

    async with new_uow() as uow:
        assert await uow.tickets.get(tenant_a.id, ticket.id) == ticket


async def test_a_ticket_must_reference_rows_that_exist(
    new_uow: NewUnitOfWork, tenant_a: SeededTenant
) -> None:
    f = tenant_a.factory
    async with new_uow() as uow:
        with pytest.raises(NotFound):
            await uow.tickets.add(tenant_a.id, f.ticket(tenant_a.contact.id, f.ids.new_id()))
        existing = f.ticket(tenant_a.contact.id, tenant_a.queue.id, status=TicketStatus.CLOSED)
        await uow.tickets.add(tenant_a.id, existing)
        with pytest.raises(Conflict):
            await uow.tickets.add(tenant_a.id, existing)


async def test_find_or_open_ticket_reuses_the_open_ticket(
    new_uow: NewUnitOfWork, tenant_a: SeededTenant
) -> None:
    f = tenant_a.factory

    async with new_uow() as uow:
        opened, created = await find_or_open_ticket(
            uow.tickets, tenant_a.id, f.ticket(tenant_a.contact.id, tenant_a.queue.id)
        )
        again, created_again = await find_or_open_ticket(
            uow.tickets, tenant_a.id, f.ticket(tenant_a.contact.id, tenant_a.queue.id)
        )

    assert (created, created_again) == (True, False)
    assert again == opened


async def test_notes_page_oldest_first_both_ways(
    new_uow: NewUnitOfWork, tenant_a: SeededTenant
) -> None:
    f = tenant_a.factory
    agent = f.user()
    ticket = f.ticket(tenant_a.contact.id, tenant_a.queue.id)
    at = datetime(2025, 1, 1, tzinfo=UTC)
    later = make_note(f, ticket, body="Cliente retornou", created_at=at + timedelta(hours=1))
    tied = [make_note(f, ticket, created_at=at) for _ in range(2)]
    earlier = make_note(
        f,
        ticket,
        body="Ligar amanhã",
        created_at=at - timedelta(hours=1),
        author_id=agent.id,
        visibility=NoteVisibility.TEAM,
    )
    await store_committed(new_uow, agent, ticket, later, *tied, earlier)

    async with new_uow() as uow:
        first = await uow.tickets.list_notes(tenant_a.id, ticket.id, limit=2)
        second = await uow.tickets.list_notes(
            tenant_a.id, ticket.id, cursor=first.next_cursor, limit=2
        )
        back = await uow.tickets.list_notes(
            tenant_a.id, ticket.id, cursor=second.prev_cursor, limit=2
        )
        none = await uow.tickets.list_notes(tenant_a.id, f.ids.new_id())

    assert [*first.items, *second.items] == [earlier, *tied, later]
    assert (first.prev_cursor, second.next_cursor) == (None, None)
    assert back.items == first.items
    assert_utc(*(note.created_at for note in first.items))
    assert none.items == ()


async def test_a_note_needs_a_ticket_of_the_tenant(
    new_uow: NewUnitOfWork, tenant_a: SeededTenant, tenant_b: SeededTenant
) -> None:
    theirs = tenant_b.factory.ticket(tenant_b.contact.id, tenant_b.queue.id)
    await store_committed(new_uow, theirs)
    mine = tenant_a.factory.ticket(tenant_a.contact.id, tenant_a.queue.id)

    async with new_uow() as uow:
        with pytest.raises(NotFound):
            await uow.tickets.add_note(tenant_a.id, make_note(tenant_a.factory, mine))
        with pytest.raises(NotFound):
            await uow.tickets.add_note(
                tenant_a.id, make_note(tenant_a.factory, theirs, tenant_id=tenant_a.id)
            )
        with pytest.raises(Forbidden):
            await uow.tickets.add_note(tenant_a.id, make_note(tenant_b.factory, theirs))
