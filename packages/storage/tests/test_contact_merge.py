"""What the contact API needs beyond CRUD: filters, batches, tag and ticket counts, and the
re-pointing a merge does, each scoped to one tenant."""

from dataclasses import replace

import pytest
from leadengine_core.contacts import ContactFilter, ContactLinks, ContactStatus
from leadengine_core.errors import Conflict, NotFound
from leadengine_core.tickets import TicketStatus
from leadengine_storage.testing import (
    NewUnitOfWork,
    SeededTenant,
    make_note,
    store,
    store_committed,
)


async def test_contacts_filter_by_any_tag_and_by_status(
    new_uow: NewUnitOfWork, tenant_a: SeededTenant, tenant_b: SeededTenant
) -> None:
    f = tenant_a.factory
    vip = f.contact(name="vip", tags=["vip", "whatsapp"])
    hot = f.contact(name="hot", tags=["hot"], status=ContactStatus.ARCHIVED)
    plain = f.contact(name="plain", tags=["whatsapp"])
    await store_committed(new_uow, vip, hot, plain, tenant_b.factory.contact(tags=["vip"]))

    async def names(filters: ContactFilter) -> list[str | None]:
        async with new_uow() as uow:
            page = await uow.contacts.list_page(tenant_a.id, filters)
        return sorted(contact.name for contact in page.items if contact.name)

    assert await names(ContactFilter(tags=frozenset({"vip", "hot"}))) == ["hot", "vip"]
    assert await names(ContactFilter(statuses=frozenset({ContactStatus.ARCHIVED}))) == ["hot"]
    both = ContactFilter(tags=frozenset({"whatsapp"}), search="PLA")
    assert await names(both) == ["plain"]


async def test_get_many_returns_only_the_tenants_contacts_in_the_order_asked(
    new_uow: NewUnitOfWork, tenant_a: SeededTenant, tenant_b: SeededTenant
) -> None:
    extra = tenant_a.factory.contact(name="Extra")
    await store_committed(new_uow, extra)

    async with new_uow() as uow:
        found = await uow.contacts.get_many(
            tenant_a.id, [extra.id, tenant_b.contact.id, tenant_a.contact.id, extra.id]
        )
        assert await uow.contacts.get_many(tenant_a.id, []) == []

    assert found == [extra, tenant_a.contact]


async def test_tags_are_counted_per_tenant_most_used_first(
    new_uow: NewUnitOfWork, tenant_a: SeededTenant, tenant_b: SeededTenant
) -> None:
    f = tenant_a.factory
    await store_committed(
        new_uow,
        f.contact(tags=["vip", "b"]),
        f.contact(tags=["b"]),
        f.contact(tags=["a", "vip"]),
        tenant_b.factory.contact(tags=["a", "zzz"]),
    )

    async with new_uow() as uow:
        counts = await uow.contacts.tag_counts(tenant_a.id)

    assert [(count.tag, count.count) for count in counts] == [("b", 2), ("vip", 2), ("a", 1)]


async def test_links_count_open_tickets_and_name_the_lead_within_the_tenant(
    new_uow: NewUnitOfWork, tenant_a: SeededTenant, tenant_b: SeededTenant
) -> None:
    idle, lonely = tenant_a.factory.contact(), tenant_a.factory.contact()
    lead = tenant_a.factory.lead(idle.id)
    await store_committed(
        new_uow,
        idle,
        lonely,
        lead,
        tenant_a.ticket(),
        tenant_a.ticket(instance_id=None),
        tenant_a.ticket(status=TicketStatus.CLOSED),
        tenant_b.ticket(),
        tenant_b.factory.lead(tenant_b.contact.id),
    )

    async with new_uow() as uow:
        links = await uow.contacts.links(
            tenant_a.id, [tenant_a.contact.id, idle.id, lonely.id, tenant_b.contact.id]
        )
        assert await uow.contacts.links(tenant_a.id, []) == {}

    assert links == {
        tenant_a.contact.id: ContactLinks(open_tickets=2),
        idle.id: ContactLinks(lead_id=lead.id),
    }


async def test_reassign_moves_tickets_notes_messages_and_lead_of_one_tenant(
    new_uow: NewUnitOfWork, tenant_a: SeededTenant, tenant_b: SeededTenant
) -> None:
    f = tenant_a.factory
    target = f.contact(name="Target")
    ticket = tenant_a.ticket()
    note, message = make_note(f, ticket), f.message(ticket)
    lead = f.lead(tenant_a.contact.id)
    theirs = tenant_b.ticket()
    await store_committed(new_uow, target, ticket, note, message, lead, theirs)

    async with new_uow() as uow:
        await uow.contacts.reassign_contact(tenant_a.id, tenant_a.contact.id, target.id)
        await uow.commit()

    async with new_uow() as uow:
        moved_ticket = await uow.tickets.get(tenant_a.id, ticket.id)
        moved_message = await uow.messages.get(tenant_a.id, message.id)
        moved_lead = await uow.leads.get(tenant_a.id, lead.id)
        notes = await uow.tickets.list_notes(tenant_a.id, ticket.id)
        untouched = await uow.tickets.get(tenant_b.id, theirs.id)
    assert moved_ticket is not None
    assert moved_ticket.contact_id == target.id
    assert moved_message is not None
    assert moved_message.contact_id == target.id
    assert moved_lead is not None
    assert moved_lead.contact_id == target.id
    assert list(notes.items) == [note]
    assert untouched == theirs


async def test_reassign_to_a_contact_of_another_tenant_is_not_found(
    new_uow: NewUnitOfWork, tenant_a: SeededTenant, tenant_b: SeededTenant
) -> None:
    ticket = tenant_a.ticket()
    await store_committed(new_uow, ticket)

    async with new_uow() as uow:
        with pytest.raises(NotFound):
            await uow.contacts.reassign_contact(
                tenant_a.id, tenant_a.contact.id, tenant_b.contact.id
            )
        stored = await uow.tickets.get(tenant_a.id, ticket.id)
    assert stored == ticket


async def test_a_clash_with_the_targets_open_ticket_or_lead_moves_nothing(
    new_uow: NewUnitOfWork, tenant_a: SeededTenant
) -> None:
    f = tenant_a.factory
    target = f.contact(name="Target")
    closed = tenant_a.ticket(status=TicketStatus.CLOSED)
    clash = tenant_a.ticket()
    held = f.ticket(target.id, tenant_a.queue.id, instance_id=tenant_a.instance.id)
    await store_committed(new_uow, target, closed, clash, held)

    async with new_uow() as uow:
        with pytest.raises(Conflict):
            await uow.contacts.reassign_contact(tenant_a.id, tenant_a.contact.id, target.id)
        assert await uow.tickets.get(tenant_a.id, closed.id) == closed
        clash.close(at=f.clock.now(), reason="merged")
        await uow.tickets.update(tenant_a.id, clash)
        await store(uow, f.lead(tenant_a.contact.id), f.lead(target.id))
        with pytest.raises(Conflict):
            await uow.contacts.reassign_contact(tenant_a.id, tenant_a.contact.id, target.id)
        assert await uow.tickets.get(tenant_a.id, closed.id) == closed


async def test_fold_into_moves_the_history_and_deletes_the_source_lead(
    new_uow: NewUnitOfWork, tenant_a: SeededTenant, tenant_b: SeededTenant
) -> None:
    f = tenant_a.factory
    other = f.contact()
    keeper, duplicate = f.lead(tenant_a.contact.id), f.lead(other.id)
    history = duplicate.created_activity(activity_id=f.ids.new_id())
    their_lead = tenant_b.factory.lead(tenant_b.contact.id)
    await store_committed(new_uow, other, keeper, duplicate, history, their_lead)

    async with new_uow() as uow:
        with pytest.raises(NotFound):
            await uow.leads.fold_into(tenant_a.id, their_lead.id, keeper.id)
        await uow.leads.fold_into(tenant_a.id, duplicate.id, keeper.id)
        await uow.commit()

    async with new_uow() as uow:
        assert await uow.leads.get(tenant_a.id, duplicate.id) is None
        moved = await uow.leads.list_activities(tenant_a.id, keeper.id)
        assert await uow.leads.get(tenant_b.id, their_lead.id) == their_lead
    assert moved.items == (replace(history, lead_id=keeper.id),)
