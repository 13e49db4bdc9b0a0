"""The in-memory contact and lead repositories: batches, tag counts and what a merge needs."""

import pytest
from leadengine_core.contacts import ContactLinks
from leadengine_core.errors import Conflict, NotFound, OpenTicketExists
from leadengine_core.testing import EntityFactory, InMemoryUnitOfWork
from leadengine_core.tickets import TicketStatus


@pytest.fixture
def uow() -> InMemoryUnitOfWork:
    return InMemoryUnitOfWork()


@pytest.fixture
def make() -> EntityFactory:
    return EntityFactory()


async def test_get_many_keeps_the_order_asked_and_skips_other_tenants(
    uow: InMemoryUnitOfWork, make: EntityFactory
) -> None:
    first, second = make.contact(), make.contact()
    theirs = make.for_tenant(make.ids.new_id()).contact()
    for contact in (first, second):
        await uow.contacts.add(make.tenant_id, contact)
    await uow.contacts.add(theirs.tenant_id, theirs)

    found = await uow.contacts.get_many(
        make.tenant_id, [second.id, theirs.id, first.id, second.id, make.ids.new_id()]
    )

    assert found == [second, first]


async def test_tag_counts_rank_by_use_then_name(
    uow: InMemoryUnitOfWork, make: EntityFactory
) -> None:
    for tags in (["vip", "b"], ["b"], ["a", "vip"]):
        await uow.contacts.add(make.tenant_id, make.contact(tags=tags))

    counts = await uow.contacts.tag_counts(make.tenant_id)

    assert [(count.tag, count.count) for count in counts] == [("b", 2), ("vip", 2), ("a", 1)]


async def test_links_count_open_tickets_and_name_the_lead(
    uow: InMemoryUnitOfWork, make: EntityFactory
) -> None:
    busy, idle, lonely, queue = make.contact(), make.contact(), make.contact(), make.ids.new_id()
    tickets = [
        make.ticket(busy.id, queue, instance_id=make.ids.new_id()),
        make.ticket(busy.id, queue, instance_id=make.ids.new_id()),
        make.ticket(busy.id, queue, status=TicketStatus.CLOSED),
        make.ticket(idle.id, queue, status=TicketStatus.RESOLVED),
    ]
    for ticket in tickets:
        await uow.tickets.add(make.tenant_id, ticket)
    lead = make.lead(idle.id)
    await uow.leads.add(make.tenant_id, lead)

    links = await uow.contacts.links(make.tenant_id, [busy.id, idle.id, lonely.id])

    assert links == {
        busy.id: ContactLinks(open_tickets=2),
        idle.id: ContactLinks(lead_id=lead.id),
    }


async def test_reassign_moves_tickets_messages_and_the_lead(
    uow: InMemoryUnitOfWork, make: EntityFactory
) -> None:
    source, target = make.contact(), make.contact()
    ticket = make.ticket(source.id, make.ids.new_id())
    message, lead = make.message(ticket), make.lead(source.id)
    for contact in (source, target):
        await uow.contacts.add(make.tenant_id, contact)
    await uow.tickets.add(make.tenant_id, ticket)
    await uow.messages.add(make.tenant_id, message)
    await uow.leads.add(make.tenant_id, lead)

    await uow.contacts.reassign_contact(make.tenant_id, source.id, target.id)

    moved_ticket = await uow.tickets.get(make.tenant_id, ticket.id)
    moved_message = await uow.messages.get(make.tenant_id, message.id)
    assert moved_ticket is not None
    assert moved_ticket.contact_id == target.id
    assert moved_message is not None
    assert moved_message.contact_id == target.id
    assert await uow.leads.get_by_contact(make.tenant_id, target.id) is not None


async def test_reassign_moves_nothing_when_a_slot_of_the_target_is_taken(
    uow: InMemoryUnitOfWork, make: EntityFactory
) -> None:
    source, target, queue = make.contact(), make.contact(), make.ids.new_id()
    free = make.ticket(source.id, queue, status=TicketStatus.CLOSED)
    clash, held = make.ticket(source.id, queue), make.ticket(target.id, queue)
    for contact in (source, target):
        await uow.contacts.add(make.tenant_id, contact)
    for ticket in (free, clash, held):
        await uow.tickets.add(make.tenant_id, ticket)

    with pytest.raises(OpenTicketExists):
        await uow.contacts.reassign_contact(make.tenant_id, source.id, target.id)

    kept = await uow.tickets.get(make.tenant_id, free.id)
    assert kept is not None
    assert kept.contact_id == source.id
    with pytest.raises(NotFound):
        await uow.contacts.reassign_contact(make.tenant_id, source.id, make.ids.new_id())


async def test_reassign_refuses_a_second_lead_for_the_target(
    uow: InMemoryUnitOfWork, make: EntityFactory
) -> None:
    source, target = make.contact(), make.contact()
    for contact in (source, target):
        await uow.contacts.add(make.tenant_id, contact)
    for lead in (make.lead(source.id), make.lead(target.id)):
        await uow.leads.add(make.tenant_id, lead)

    with pytest.raises(Conflict):
        await uow.contacts.reassign_contact(make.tenant_id, source.id, target.id)


async def test_fold_into_moves_the_history_and_drops_the_source(
    uow: InMemoryUnitOfWork, make: EntityFactory
) -> None:
    contact, other = make.contact(), make.contact()
    keeper, duplicate = make.lead(contact.id), make.lead(other.id)
    for contact_entity in (contact, other):
        await uow.contacts.add(make.tenant_id, contact_entity)
    for lead in (keeper, duplicate):
        await uow.leads.add(make.tenant_id, lead)
    history = duplicate.created_activity(activity_id=make.ids.new_id())
    await uow.leads.add_activity(make.tenant_id, history)

    await uow.leads.fold_into(make.tenant_id, duplicate.id, keeper.id)

    assert await uow.leads.get(make.tenant_id, duplicate.id) is None
    activities = await uow.leads.list_activities(make.tenant_id, keeper.id)
    assert [activity.id for activity in activities.items] == [history.id]
    with pytest.raises(NotFound):
        await uow.leads.fold_into(make.tenant_id, duplicate.id, keeper.id)
