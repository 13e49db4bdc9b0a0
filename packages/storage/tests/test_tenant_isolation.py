"""Tenant isolation: with the same keys in tenants A and B, nothing called for A returns or
changes a row of B. Tenant B deliberately reuses A's email, queue name, phone, LID, group JID,
provider message id and idempotency key, so a lookup that forgot the tenant would hit B."""

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any
from uuid import uuid4

import pytest
from leadengine_core.contacts import Contact, ContactFilter, ContactKind
from leadengine_core.errors import Forbidden, NotFound
from leadengine_core.leads import Lead, LeadActivity
from leadengine_core.messages import Direction, Message, MessageOrigin
from leadengine_core.queues import Queue
from leadengine_core.tickets import Ticket, TicketFilter, TicketNote
from leadengine_core.users import User
from leadengine_storage.tables import tickets, whatsapp_instances
from leadengine_storage.tenant_scope import UNSCOPED, unscoped_tables
from leadengine_storage.testing import NewUnitOfWork, SeededTenant, make_note, store_committed
from leadengine_storage.unit_of_work import SqlUnitOfWork
from sqlalchemy import insert, select, update


@dataclass(frozen=True)
class Rows:
    seeded: SeededTenant
    user: User
    queue: Queue
    group: Contact
    lead: Lead
    activity: LeadActivity
    ticket: Ticket
    note: TicketNote
    message: Message


async def _rows(new_uow: NewUnitOfWork, seeded: SeededTenant) -> Rows:
    f = seeded.factory
    lead = f.lead(seeded.contact.id)
    ticket = f.ticket(seeded.contact.id, seeded.queue.id, instance_id=seeded.instance.id)
    rows = Rows(
        seeded=seeded,
        user=f.user(email="same@example.com"),
        queue=f.queue(name="Same name"),
        group=f.contact(kind=ContactKind.GROUP, group_jid="1203@g.us", lid_aliases={"9@lid"}),
        lead=lead,
        activity=lead.created_activity(activity_id=f.ids.new_id()),
        ticket=ticket,
        note=make_note(f, ticket),
        message=f.message(
            ticket,
            direction=Direction.OUTBOUND,
            origin=MessageOrigin.AGENT,
            provider_message_id="SAME-WAMID",
            idempotency_key="same-key",
        ),
    )
    await store_committed(
        new_uow,
        rows.user,
        rows.queue,
        rows.group,
        rows.lead,
        rows.activity,
        rows.ticket,
        rows.note,
        rows.message,
    )
    return rows


@pytest.fixture
async def a(new_uow: NewUnitOfWork, tenant_a: SeededTenant) -> Rows:
    return await _rows(new_uow, tenant_a)


@pytest.fixture
async def b(new_uow: NewUnitOfWork, tenant_b: SeededTenant) -> Rows:
    return await _rows(new_uow, tenant_b)


async def test_reads_for_a_never_return_rows_of_b(new_uow: NewUnitOfWork, a: Rows, b: Rows) -> None:
    t = a.seeded.id
    async with new_uow() as uow:
        assert await uow.users.get(t, b.user.id) is None
        assert await uow.users.get_by_email(t, "same@example.com") == a.user
        assert {user.id for user in await uow.users.list_all(t)} == {a.user.id}

        assert await uow.queues.get(t, b.queue.id) is None
        assert await uow.queues.get_by_name(t, "Same name") == a.queue
        assert {q.id for q in await uow.queues.list_all(t)} == {a.seeded.queue.id, a.queue.id}

        assert await uow.contacts.get(t, b.seeded.contact.id) is None
        assert await uow.contacts.find_by_phone_identity(t, "+5531988887777") == a.seeded.contact
        assert await uow.contacts.find_by_lid(t, "9@lid") == a.group
        assert await uow.contacts.find_by_group_jid(t, "1203@g.us") == a.group
        contacts = await uow.contacts.list_page(t, ContactFilter())
        assert {c.id for c in contacts.items} == {a.seeded.contact.id, a.group.id}

        assert await uow.leads.get(t, b.lead.id) is None
        assert await uow.leads.get_by_contact(t, b.seeded.contact.id) is None
        assert (await uow.leads.list_page(t)).items == (a.lead,)
        assert (await uow.leads.list_activities(t, b.lead.id)).items == ()

        assert await uow.tickets.get(t, b.ticket.id) is None
        assert await uow.tickets.find_open(t, b.seeded.contact.id, b.seeded.instance.id) is None
        assert (await uow.tickets.list_page(t, TicketFilter())).items == (a.ticket,)
        assert (await uow.tickets.list_notes(t, b.ticket.id)).items == ()

        assert await uow.messages.get(t, b.message.id) is None
        assert await uow.messages.find_by_provider_id(t, b.seeded.instance.id, "SAME-WAMID") is None
        assert await uow.messages.find_by_idempotency_key(t, "same-key") == a.message
        assert (await uow.messages.list_page(t, b.ticket.id)).items == ()

        assert await uow.instances.get(t, b.seeded.instance.id) is None
        assert await uow.instances.list_all(t, include_deleted=True) == [a.seeded.instance]


async def test_writes_for_a_never_change_rows_of_b(
    new_uow: NewUnitOfWork, a: Rows, b: Rows
) -> None:
    t = a.seeded.id
    before = await _everything_of(new_uow, b)
    theirs: list[tuple[Callable[[SqlUnitOfWork], Any], Any]] = [
        (lambda uow: uow.users, b.user),
        (lambda uow: uow.queues, b.queue),
        (lambda uow: uow.contacts, b.group),
        (lambda uow: uow.leads, b.lead),
        (lambda uow: uow.tickets, b.ticket),
        (lambda uow: uow.messages, b.message),
        (lambda uow: uow.instances, b.seeded.instance),
    ]
    async with new_uow() as uow:
        for repository, row in theirs:
            with pytest.raises(Forbidden):
                await repository(uow).update(t, row)
            with pytest.raises(NotFound):
                await repository(uow).update(t, replace(row, tenant_id=t))
        with pytest.raises(NotFound):
            await uow.queues.remove(t, b.queue.id)
        with pytest.raises(NotFound):
            await uow.contacts.remove(t, b.seeded.contact.id)
        with pytest.raises(NotFound):
            await uow.tickets.add_note(t, replace(b.note, tenant_id=t))
        with pytest.raises(NotFound):
            await uow.leads.add_activity(t, replace(b.activity, tenant_id=t))
        await uow.commit()

    assert None not in before
    assert await _everything_of(new_uow, b) == before


async def _everything_of(new_uow: NewUnitOfWork, rows: Rows) -> list[object]:
    t = rows.seeded.id
    async with new_uow() as uow:
        return [
            await uow.tenants.get(t),
            await uow.users.get(t, rows.user.id),
            await uow.queues.list_all(t),
            await uow.contacts.get(t, rows.seeded.contact.id),
            await uow.contacts.get(t, rows.group.id),
            await uow.leads.get(t, rows.lead.id),
            await uow.leads.list_activities(t, rows.lead.id),
            await uow.tickets.get(t, rows.ticket.id),
            await uow.tickets.list_notes(t, rows.ticket.id),
            await uow.messages.get(t, rows.message.id),
            await uow.instances.list_all(t),
        ]


def test_the_scope_rule_flags_a_statement_that_forgets_the_tenant() -> None:
    some_id = uuid4()
    assert unscoped_tables(select(tickets).where(tickets.c.id == some_id)) == ["tickets"]
    assert unscoped_tables(update(tickets).values(subject="x")) == ["tickets"]
    joined = select(tickets).join(
        whatsapp_instances, tickets.c.instance_id == whatsapp_instances.c.id
    )
    assert unscoped_tables(joined.where(tickets.c.tenant_id == some_id)) == ["whatsapp_instances"]


def test_the_scope_rule_accepts_scoped_statements_inserts_and_marked_lookups() -> None:
    scoped = select(tickets).where(tickets.c.tenant_id == uuid4(), tickets.c.id == uuid4())
    assert unscoped_tables(scoped) == []
    assert unscoped_tables(insert(tickets)) == []
    assert unscoped_tables(select(whatsapp_instances).execution_options(**UNSCOPED)) == []
