"""The in-memory adapters behave like storage: tenant scoping, copies, unique rules, pages."""

from datetime import UTC, datetime, timedelta

import pytest
from leadengine_core.contacts import ContactFilter
from leadengine_core.errors import Conflict, Forbidden, NotFound, OpenTicketExists, ValidationFailed
from leadengine_core.events import TicketCreated
from leadengine_core.instances import InstanceStatus
from leadengine_core.leads import LeadStatus
from leadengine_core.messages import Direction
from leadengine_core.testing import (
    EntityFactory,
    FixedClock,
    InMemoryStore,
    InMemoryUnitOfWork,
    RecordingPublisher,
    SequentialIds,
)
from leadengine_core.tickets import NoteVisibility, TicketFilter, TicketNote, TicketStatus
from leadengine_core.users import Role


@pytest.fixture
def uow() -> InMemoryUnitOfWork:
    return InMemoryUnitOfWork()


@pytest.fixture
def make() -> EntityFactory:
    return EntityFactory()


@pytest.fixture
def other(make: EntityFactory) -> EntityFactory:
    return make.for_tenant(make.ids.new_id())


def test_fixed_clock_is_utc_and_moves_only_when_told() -> None:
    clock = FixedClock(datetime(2025, 6, 1, tzinfo=UTC))

    assert clock.now() == clock.now() == datetime(2025, 6, 1, tzinfo=UTC)
    assert clock.advance(timedelta(minutes=1)) == datetime(2025, 6, 1, 0, 1, tzinfo=UTC)
    with pytest.raises(ValueError, match="UTC"):
        FixedClock(datetime(2025, 6, 1))


def test_sequential_ids_are_ordered_uuid7() -> None:
    ids = SequentialIds()
    generated = [ids.new_id() for _ in range(300)]

    assert all(uuid.version == 7 for uuid in generated)
    assert generated == sorted(generated) == sorted(generated, key=str)
    assert len(set(generated)) == 300


async def test_recording_publisher_keeps_events_in_order(make: EntityFactory) -> None:
    publisher = RecordingPublisher()
    ticket = make.ticket(make.ids.new_id(), make.ids.new_id())
    events = [TicketCreated(ticket=ticket, occurred_at=make.clock.now())] * 2

    await publisher.publish(events)

    assert publisher.published == events


async def test_every_repository_hides_other_tenants_rows(
    uow: InMemoryUnitOfWork, make: EntityFactory, other: EntityFactory
) -> None:
    tenant_a, tenant_b = make.tenant_id, other.tenant_id
    await uow.tenants.add(make.tenant())
    await uow.tenants.add(other.tenant())
    user = other.user()
    queue = other.queue()
    contact = other.contact(primary_phone="+5531988887777", group_jid="1@g.us")
    contact.learn_phone("+5531988887777")
    contact.add_lid("9@lid")
    lead = other.lead(contact.id)
    instance = other.instance()
    ticket = other.ticket(contact.id, queue.id, instance_id=instance.id)
    message = other.message(ticket, provider_message_id="wamid.1", idempotency_key="k1")
    await uow.users.add(tenant_b, user)
    await uow.queues.add(tenant_b, queue)
    await uow.contacts.add(tenant_b, contact)
    await uow.leads.add(tenant_b, lead)
    await uow.instances.add(tenant_b, instance)
    await uow.tickets.add(tenant_b, ticket)
    await uow.messages.add(tenant_b, message)
    assert [
        await uow.users.get(tenant_a, user.id),
        await uow.queues.get(tenant_a, queue.id),
        await uow.contacts.get(tenant_a, contact.id),
        await uow.leads.get(tenant_a, lead.id),
        await uow.instances.get(tenant_a, instance.id),
        await uow.tickets.get(tenant_a, ticket.id),
        await uow.messages.get(tenant_a, message.id),
    ] == [None] * 7
    assert [
        await uow.users.get(tenant_b, user.id),
        await uow.queues.get(tenant_b, queue.id),
        await uow.contacts.get(tenant_b, contact.id),
        await uow.leads.get(tenant_b, lead.id),
        await uow.instances.get(tenant_b, instance.id),
        await uow.tickets.get(tenant_b, ticket.id),
        await uow.messages.get(tenant_b, message.id),
    ] == [user, queue, contact, lead, instance, ticket, message]
    await uow.leads.add_activity(tenant_b, lead.created_activity(activity_id=make.ids.new_id()))
    note = TicketNote(
        tenant_id=tenant_b,
        id=make.ids.new_id(),
        ticket_id=ticket.id,
        body="n",
        created_at=make.clock.now(),
    )
    await uow.tickets.add_note(tenant_b, note)

    assert await uow.tenants.get(tenant_a) is not None
    assert await uow.users.get_by_email(tenant_a, user.email) is None
    assert await uow.users.list_all(tenant_a) == []
    assert await uow.queues.get_by_name(tenant_a, queue.name) is None
    assert await uow.queues.list_all(tenant_a) == []
    assert await uow.contacts.find_by_phone_identity(tenant_a, "+5531988887777") is None
    assert await uow.contacts.find_by_lid(tenant_a, "9@lid") is None
    assert await uow.contacts.find_by_group_jid(tenant_a, "1@g.us") is None
    assert (await uow.contacts.list_page(tenant_a, ContactFilter())).items == ()
    assert await uow.leads.get_by_contact(tenant_a, contact.id) is None
    assert (await uow.leads.list_page(tenant_a)).items == ()
    assert (await uow.leads.list_activities(tenant_a, lead.id)).items == ()
    assert await uow.tickets.find_open(tenant_a, contact.id, instance.id) is None
    assert (await uow.tickets.list_page(tenant_a, TicketFilter())).items == ()
    assert (await uow.tickets.list_notes(tenant_a, ticket.id)).items == ()
    assert await uow.messages.find_by_provider_id(tenant_a, instance.id, "wamid.1") is None
    assert await uow.messages.find_by_idempotency_key(tenant_a, "k1") is None
    assert (await uow.messages.list_page(tenant_a, ticket.id)).items == ()
    assert await uow.instances.list_all(tenant_a) == []
    # …while tenant B sees all of it.
    assert await uow.users.get_by_email(tenant_b, user.email.upper()) == user
    assert await uow.contacts.find_by_phone_identity(tenant_b, "+5531988887777") == contact
    assert await uow.contacts.find_by_lid(tenant_b, "9@lid") == contact
    assert await uow.tickets.find_open(tenant_b, contact.id, instance.id) == ticket
    assert (await uow.tickets.list_notes(tenant_b, ticket.id)).items == (note,)
    assert await uow.messages.find_by_provider_id(tenant_b, instance.id, "wamid.1") == message
    history = await uow.leads.list_activities(tenant_b, lead.id)
    assert [a.lead_id for a in history.items] == [lead.id]


async def test_writes_for_the_wrong_tenant_are_refused(
    uow: InMemoryUnitOfWork, make: EntityFactory, other: EntityFactory
) -> None:
    contact = other.contact()

    with pytest.raises(Forbidden):
        await uow.contacts.add(make.tenant_id, contact)
    await uow.contacts.add(other.tenant_id, contact)
    with pytest.raises(Forbidden):
        await uow.contacts.update(make.tenant_id, contact)
    with pytest.raises(NotFound):
        await uow.contacts.remove(make.tenant_id, contact.id)
    assert await uow.contacts.get(other.tenant_id, contact.id) == contact


async def test_reads_are_copies(uow: InMemoryUnitOfWork, make: EntityFactory) -> None:
    contact = make.contact(name="Maria")
    await uow.contacts.add(make.tenant_id, contact)

    loaded = await uow.contacts.get(make.tenant_id, contact.id)
    assert loaded is not None
    loaded.name = "Changed"
    contact.name = "Changed too"

    stored = await uow.contacts.get(make.tenant_id, contact.id)
    assert stored is not None
    assert stored.name == "Maria"
    loaded.name = "Saved"
    await uow.contacts.update(make.tenant_id, loaded)
    stored = await uow.contacts.get(make.tenant_id, contact.id)
    assert stored is not None
    assert stored.name == "Saved"


async def test_update_and_remove_of_missing_rows_raise_not_found(
    uow: InMemoryUnitOfWork, make: EntityFactory
) -> None:
    with pytest.raises(NotFound):
        await uow.queues.update(make.tenant_id, make.queue())
    with pytest.raises(NotFound):
        await uow.queues.remove(make.tenant_id, make.ids.new_id())
    ticket = make.ticket(make.ids.new_id(), make.ids.new_id())
    with pytest.raises(NotFound):
        await uow.tickets.add_note(
            make.tenant_id,
            TicketNote(
                tenant_id=make.tenant_id,
                id=make.ids.new_id(),
                ticket_id=ticket.id,
                body="x",
                created_at=make.clock.now(),
                visibility=NoteVisibility.TEAM,
            ),
        )
    lead = make.lead(make.ids.new_id())
    with pytest.raises(NotFound):
        await uow.leads.add_activity(
            make.tenant_id, lead.created_activity(activity_id=make.ids.new_id())
        )


async def test_unique_rules(
    uow: InMemoryUnitOfWork, make: EntityFactory, other: EntityFactory
) -> None:
    tenant = make.tenant_id
    await uow.tenants.add(make.tenant(slug="acme"))
    with pytest.raises(Conflict):
        await uow.tenants.add(other.tenant(slug="acme"))

    queue = make.queue(name="Atendimento Geral")
    await uow.queues.add(tenant, queue)
    with pytest.raises(Conflict):
        await uow.queues.add(tenant, queue)
    with pytest.raises(Conflict):
        await uow.queues.add(tenant, make.queue(name="Atendimento Geral"))
    await uow.queues.add(other.tenant_id, other.queue(name="Atendimento Geral"))

    await uow.users.add(tenant, make.user(email="a@x.com"))
    with pytest.raises(Conflict):
        await uow.users.add(tenant, make.user(email="A@X.com"))

    first = make.contact()
    first.learn_phone("+553188887777")
    await uow.contacts.add(tenant, first)
    same_person = make.contact()
    same_person.learn_phone("+5531988887777")
    with pytest.raises(Conflict):
        await uow.contacts.add(tenant, same_person)

    await uow.leads.add(tenant, make.lead(first.id))
    with pytest.raises(Conflict):
        await uow.leads.add(tenant, make.lead(first.id))

    await uow.instances.add(tenant, make.instance(broker_id="session-1"))
    with pytest.raises(Conflict):
        await uow.instances.add(other.tenant_id, other.instance(broker_id="session-1"))

    ticket = make.ticket(first.id, queue.id)
    await uow.messages.add(tenant, make.message(ticket, provider_message_id="wamid.1"))
    with pytest.raises(Conflict):
        await uow.messages.add(tenant, make.message(ticket, provider_message_id="wamid.1"))
    await uow.messages.add(
        tenant, make.message(ticket, provider_message_id="wamid.1", instance_id=make.ids.new_id())
    )
    await uow.messages.add(tenant, make.message(ticket, idempotency_key="key"))
    with pytest.raises(Conflict):
        await uow.messages.add(tenant, make.message(ticket, idempotency_key="key"))


async def test_one_open_ticket_per_contact_and_instance(
    uow: InMemoryUnitOfWork, make: EntityFactory
) -> None:
    tenant, contact, queue, instance = (make.tenant_id, *(make.ids.new_id() for _ in range(3)))
    first = make.ticket(contact, queue, instance_id=instance)
    await uow.tickets.add(tenant, first)

    with pytest.raises(OpenTicketExists) as raised:
        await uow.tickets.add(tenant, make.ticket(contact, queue, instance_id=instance))
    assert raised.value.existing_ticket_id == first.id

    await uow.tickets.add(tenant, make.ticket(contact, queue, instance_id=make.ids.new_id()))
    first.close(at=make.clock.advance())
    await uow.tickets.update(tenant, first)
    second = make.ticket(contact, queue, instance_id=instance)
    await uow.tickets.add(tenant, second)
    assert await uow.tickets.find_open(tenant, contact, instance) == second

    first.reopen(make.clock.advance())
    with pytest.raises(OpenTicketExists):
        await uow.tickets.update(tenant, first)


async def test_route_by_broker_id_finds_the_instance_of_any_tenant(
    uow: InMemoryUnitOfWork, make: EntityFactory, other: EntityFactory
) -> None:
    instance = other.instance(broker_id="session-xyz")
    await uow.instances.add(other.tenant_id, instance)
    instance.tombstone(make.clock.advance())
    await uow.instances.update(other.tenant_id, instance)

    routed = await uow.instances.route_by_broker_id("session-xyz")

    assert routed is not None
    assert routed.tenant_id == other.tenant_id
    assert routed.is_deleted
    assert await uow.instances.route_by_broker_id("unknown") is None
    assert await uow.instances.list_all(other.tenant_id) == []
    assert await uow.instances.list_all(other.tenant_id, include_deleted=True) == [routed]


async def test_tenants_are_found_by_slug(uow: InMemoryUnitOfWork, make: EntityFactory) -> None:
    tenant = make.tenant(slug="acme")
    await uow.tenants.add(tenant)
    tenant.name = "ACME Ltda"
    await uow.tenants.update(tenant)

    assert await uow.tenants.get_by_slug("acme") == tenant
    assert await uow.tenants.get_by_slug("other") is None


async def test_queues_list_in_display_order(uow: InMemoryUnitOfWork, make: EntityFactory) -> None:
    for name, order in [("B", 1), ("C", 0), ("A", 1)]:
        await uow.queues.add(make.tenant_id, make.queue(name=name, order_index=order))

    assert [q.name for q in await uow.queues.list_all(make.tenant_id)] == ["C", "A", "B"]


async def test_ticket_pages_walk_newest_first_both_ways(
    uow: InMemoryUnitOfWork, make: EntityFactory
) -> None:
    tenant = make.tenant_id
    tickets = []
    for minute in range(7):
        ticket = make.ticket(make.ids.new_id(), make.ids.new_id())
        ticket.record_message(
            Direction.INBOUND, f"m{minute}", make.clock.now() + timedelta(minutes=minute)
        )
        await uow.tickets.add(tenant, ticket)
        tickets.append(ticket)
    newest_first = [t.id for t in reversed(tickets)]

    first = await uow.tickets.list_page(tenant, TicketFilter(), limit=3)
    second = await uow.tickets.list_page(tenant, TicketFilter(), cursor=first.next_cursor, limit=3)
    third = await uow.tickets.list_page(tenant, TicketFilter(), cursor=second.next_cursor, limit=3)
    back = await uow.tickets.list_page(tenant, TicketFilter(), cursor=second.prev_cursor, limit=3)

    assert [t.id for t in first.items] == newest_first[:3]
    assert first.prev_cursor is None
    assert [t.id for t in second.items] == newest_first[3:6]
    assert [t.id for t in third.items] == newest_first[6:]
    assert third.next_cursor is None
    assert third.prev_cursor is not None
    assert [t.id for t in back.items] == newest_first[:3]
    assert back.prev_cursor is None


async def test_ticket_pages_apply_the_filter(uow: InMemoryUnitOfWork, make: EntityFactory) -> None:
    pending = make.ticket(make.ids.new_id(), make.ids.new_id(), status=TicketStatus.PENDING)
    await uow.tickets.add(make.tenant_id, pending)
    await uow.tickets.add(make.tenant_id, make.ticket(make.ids.new_id(), make.ids.new_id()))

    page = await uow.tickets.list_page(
        make.tenant_id, TicketFilter(statuses=frozenset({TicketStatus.PENDING}))
    )

    assert page.items == (pending,)
    assert page.next_cursor is None


async def test_message_contact_and_lead_pages(uow: InMemoryUnitOfWork, make: EntityFactory) -> None:
    tenant = make.tenant_id
    ticket = make.ticket(make.ids.new_id(), make.ids.new_id())
    start = make.clock.now()
    late = make.message(ticket, occurred_at=start + timedelta(seconds=30))
    early = make.message(ticket, occurred_at=start)
    for message in (late, early):
        await uow.messages.add(tenant, message)
    maria = make.contact(name="Maria", emails=["maria@x.com"])
    joao = make.contact(
        name="João", primary_phone="+5531988887777", updated_at=start + timedelta(1)
    )
    for contact in (maria, joao):
        await uow.contacts.add(tenant, contact)
    lead_new, lead_won = make.lead(maria.id), make.lead(joao.id, status=LeadStatus.CONVERTED)
    for lead in (lead_new, lead_won):
        await uow.leads.add(tenant, lead)

    by_email, by_phone = ContactFilter(search="MARIA@"), ContactFilter(search="98888")
    converted = frozenset({LeadStatus.CONVERTED})
    page = await uow.messages.list_page(tenant, ticket.id, limit=1)
    older = await uow.messages.list_page(tenant, ticket.id, cursor=page.next_cursor, limit=1)

    assert (page.items, older.items) == ((late,), (early,))
    assert (await uow.contacts.list_page(tenant, ContactFilter())).items == (joao, maria)
    assert (await uow.contacts.list_page(tenant, by_email)).items == (maria,)
    assert (await uow.contacts.list_page(tenant, by_phone)).items == (joao,)
    assert (await uow.leads.list_page(tenant, statuses=converted)).items == (lead_won,)


@pytest.mark.parametrize("cursor", ["garbage!", "W10", "WyJzaWRld2F5cyJd", "WyJuZXh0IiwgdHJ1ZV0"])
async def test_bad_cursors_and_limits_are_validation_errors(
    uow: InMemoryUnitOfWork, make: EntityFactory, cursor: str
) -> None:
    ticket = make.ticket(make.ids.new_id(), make.ids.new_id())
    await uow.tickets.add(make.tenant_id, ticket)

    with pytest.raises(ValidationFailed):
        await uow.tickets.list_page(make.tenant_id, TicketFilter(), cursor=cursor)
    with pytest.raises(ValidationFailed):
        await uow.tickets.list_page(make.tenant_id, TicketFilter(), limit=0)


async def test_a_key_of_the_wrong_type_in_a_cursor_is_a_validation_error(
    uow: InMemoryUnitOfWork, make: EntityFactory
) -> None:
    from leadengine_core.pagination import encode_cursor

    await uow.tickets.add(make.tenant_id, make.ticket(make.ids.new_id(), make.ids.new_id()))

    with pytest.raises(ValidationFailed):
        await uow.tickets.list_page(
            make.tenant_id, TicketFilter(), cursor=encode_cursor(["next", "not-a-time", 1])
        )


async def test_commit_keeps_writes_and_hands_over_events(make: EntityFactory) -> None:
    store = InMemoryStore()
    ticket = make.ticket(make.ids.new_id(), make.ids.new_id())
    event = TicketCreated(ticket=ticket, occurred_at=make.clock.now())

    async with InMemoryUnitOfWork(store) as uow:
        await uow.tickets.add(make.tenant_id, ticket)
        uow.record(event)
        assert uow.collect_events() == []
        await uow.commit()

    assert uow.commits == 1
    assert uow.collect_events() == [event]
    assert uow.collect_events() == []
    async with InMemoryUnitOfWork(store) as fresh:
        assert await fresh.tickets.get(make.tenant_id, ticket.id) == ticket


async def test_leaving_without_commit_rolls_back_writes_and_events(make: EntityFactory) -> None:
    store = InMemoryStore()
    kept, dropped = make.queue(name="kept"), make.queue(name="dropped")
    async with InMemoryUnitOfWork(store) as uow:
        await uow.queues.add(make.tenant_id, kept)
        await uow.commit()

    failing = InMemoryUnitOfWork(store)

    async def write_then_fail() -> None:
        async with failing:
            await failing.queues.add(make.tenant_id, dropped)
            failing.record(
                TicketCreated(ticket=make.ticket(kept.id, kept.id), occurred_at=make.clock.now())
            )
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        await write_then_fail()

    assert failing.collect_events() == []
    async with InMemoryUnitOfWork(store) as uow:
        assert await uow.queues.list_all(make.tenant_id) == [kept]


async def test_explicit_rollback_undoes_only_uncommitted_work(make: EntityFactory) -> None:
    async with InMemoryUnitOfWork() as uow:
        instance = make.instance()
        await uow.instances.add(make.tenant_id, instance)
        await uow.commit()
        instance.apply_connection_update(InstanceStatus.CONNECTED, make.clock.advance())
        await uow.instances.update(make.tenant_id, instance)
        await uow.rollback()

        stored = await uow.instances.get(make.tenant_id, instance.id)
        assert stored is not None
        assert stored.status is InstanceStatus.PENDING


async def test_updates_and_removals_are_stored(
    uow: InMemoryUnitOfWork, make: EntityFactory
) -> None:
    tenant = make.tenant_id
    user, queue, contact = make.user(), make.queue(), make.contact()
    lead = make.lead(contact.id)
    message = make.message(make.ticket(contact.id, queue.id))
    await uow.users.add(tenant, user)
    await uow.queues.add(tenant, queue)
    await uow.contacts.add(tenant, contact)
    await uow.leads.add(tenant, lead)
    await uow.messages.add(tenant, message)

    user.name = "Renamed"
    await uow.users.update(tenant, user)
    lead.change_status(LeadStatus.ENGAGED, at=make.clock.advance(), activity_id=make.ids.new_id())
    await uow.leads.update(tenant, lead)
    message.revoke(make.clock.advance())
    await uow.messages.update(tenant, message)
    await uow.queues.remove(tenant, queue.id)
    await uow.contacts.remove(tenant, contact.id)

    assert await uow.users.get(tenant, user.id) == user
    assert await uow.leads.get_by_contact(tenant, contact.id) == lead
    assert await uow.messages.get(tenant, message.id) == message
    assert await uow.queues.get(tenant, queue.id) is None
    assert await uow.contacts.get(tenant, contact.id) is None


async def test_threads_and_notes_page_oldest_first_both_ways(
    uow: InMemoryUnitOfWork, make: EntityFactory
) -> None:
    tenant, ticket = make.tenant_id, make.ticket(make.ids.new_id(), make.ids.new_id())
    await uow.tickets.add(tenant, ticket)
    start = make.clock.now()
    thread = [make.message(ticket, occurred_at=start + timedelta(seconds=i // 2)) for i in range(5)]
    for message in reversed(thread):
        await uow.messages.add(tenant, message)
    notes = [
        TicketNote(
            tenant_id=tenant, id=make.ids.new_id(), ticket_id=ticket.id, body="n", created_at=start
        )
        for _ in range(3)
    ]
    for note in notes:
        await uow.tickets.add_note(tenant, note)

    first = await uow.messages.list_page(tenant, ticket.id, limit=2, oldest_first=True)
    second = await uow.messages.list_page(
        tenant, ticket.id, cursor=first.next_cursor, limit=2, oldest_first=True
    )
    back = await uow.messages.list_page(
        tenant, ticket.id, cursor=second.prev_cursor, limit=2, oldest_first=True
    )
    notes_page = await uow.tickets.list_notes(tenant, ticket.id, limit=2)
    more_notes = await uow.tickets.list_notes(
        tenant, ticket.id, cursor=notes_page.next_cursor, limit=2
    )

    assert [*first.items, *second.items] == thread[:4]
    assert (first.prev_cursor, back.items) == (None, first.items)
    assert [*notes_page.items, *more_notes.items] == notes
    assert more_notes.next_cursor is None
    with pytest.raises(ValidationFailed):
        await uow.messages.list_page(tenant, ticket.id, cursor=first.next_cursor)


async def test_a_ticket_search_also_reads_its_contact(
    uow: InMemoryUnitOfWork, make: EntityFactory
) -> None:
    tenant = make.tenant_id
    maria = make.contact(name="Maria Souza", primary_phone="+5531988887777")
    await uow.contacts.add(tenant, maria)
    hers = make.ticket(maria.id, make.ids.new_id())
    await uow.tickets.add(tenant, hers)
    await uow.tickets.add(tenant, make.ticket(make.ids.new_id(), make.ids.new_id()))

    for search in ("souza", "(31) 98888"):
        page = await uow.tickets.list_page(tenant, TicketFilter(search=search))
        assert page.items == (hers,)


async def test_the_fake_active_role_needs_an_active_user_of_an_active_tenant(
    uow: InMemoryUnitOfWork, make: EntityFactory, other: EntityFactory
) -> None:
    tenant = make.tenant()
    await uow.tenants.add(tenant)
    agent, gone = make.user(role=Role.AGENT), make.user(is_active=False)
    await uow.users.add(tenant.id, agent)
    await uow.users.add(tenant.id, gone)
    assert await uow.users.active_role(tenant.id, agent.id) is Role.AGENT
    assert await uow.users.active_role(tenant.id, gone.id) is None
    assert await uow.users.active_role(other.tenant_id, agent.id) is None
    tenant.is_active = False
    await uow.tenants.update(tenant)
    assert await uow.users.active_role(tenant.id, agent.id) is None
