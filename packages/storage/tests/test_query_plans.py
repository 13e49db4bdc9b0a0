"""Lists read their index in order (no sort, no OFFSET), so a page costs the same at any depth.

Each case runs a repository call, captures the SQL it sent and asks the database for its plan.
"""

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import pytest
from leadengine_core.contacts import ContactFilter
from leadengine_core.pagination import Page
from leadengine_core.tickets import TicketFilter, TicketStatus
from leadengine_storage.testing import (
    NewUnitOfWork,
    SeededTenant,
    capture_queries,
    make_note,
    query_plan,
    store_committed,
)
from leadengine_storage.unit_of_work import SqlUnitOfWork
from sqlalchemy.ext.asyncio import AsyncEngine

OPEN_STATES = frozenset({TicketStatus.OPEN, TicketStatus.PENDING, TicketStatus.ASSIGNED})
ListCall = Callable[[SqlUnitOfWork, SeededTenant, str | None], Awaitable[Page[Any]]]

CASES: dict[str, tuple[ListCall, str]] = {
    "inbox-open": (
        lambda uow, t, cursor: uow.tickets.list_page(
            t.id, TicketFilter(statuses=OPEN_STATES), cursor=cursor, limit=2
        ),
        "ix_tickets_tenant_open_activity",
    ),
    "inbox-pending-only": (
        lambda uow, t, cursor: uow.tickets.list_page(
            t.id, TicketFilter(statuses=frozenset({TicketStatus.PENDING})), cursor=cursor, limit=2
        ),
        "ix_tickets_tenant_open_activity",
    ),
    "inbox-everything": (
        lambda uow, t, cursor: uow.tickets.list_page(t.id, TicketFilter(), cursor=cursor, limit=2),
        "ix_tickets_tenant_activity",
    ),
    "inbox-closed": (
        lambda uow, t, cursor: uow.tickets.list_page(
            t.id, TicketFilter(statuses=frozenset({TicketStatus.CLOSED})), cursor=cursor, limit=2
        ),
        "ix_tickets_tenant_activity",
    ),
    "inbox-open-searched-and-tagged": (
        lambda uow, t, cursor: uow.tickets.list_page(
            t.id,
            TicketFilter(statuses=OPEN_STATES, search="(31) 9", tags=frozenset({"a", "b"})),
            cursor=cursor,
            limit=2,
        ),
        "ix_tickets_tenant_open_activity",
    ),
    "inbox-searched": (
        lambda uow, t, cursor: uow.tickets.list_page(
            t.id, TicketFilter(search="maria"), cursor=cursor, limit=2
        ),
        "ix_tickets_tenant_activity",
    ),
    "thread": (
        lambda uow, t, cursor: uow.messages.list_page(t.id, t.contact.id, cursor=cursor, limit=2),
        "ix_messages_ticket_time",
    ),
    "thread-oldest-first": (
        lambda uow, t, cursor: uow.messages.list_page(
            t.id, t.contact.id, cursor=cursor, limit=2, oldest_first=True
        ),
        "ix_messages_ticket_time",
    ),
    "notes": (
        lambda uow, t, cursor: uow.tickets.list_notes(t.id, t.contact.id, cursor=cursor, limit=2),
        "ix_ticket_notes_ticket_time",
    ),
    "contacts": (
        lambda uow, t, cursor: uow.contacts.list_page(
            t.id, ContactFilter(), cursor=cursor, limit=2
        ),
        "ix_contacts_tenant_updated",
    ),
    "leads": (
        lambda uow, t, cursor: uow.leads.list_page(t.id, cursor=cursor, limit=2),
        "ix_leads_tenant_updated",
    ),
}


@pytest.fixture
async def busy_tenant(new_uow: NewUnitOfWork, tenant_a: SeededTenant) -> SeededTenant:
    """Five rows of every status, message, note and lead, so every list has three pages of two.

    Each contact's three open tickets sit in three instance slots (none, two instances); the
    contacts are all Marias with a (31) 9… number and the tickets all tagged, so searched and
    tagged inboxes page too. The thread's ticket reuses the seeded contact's id as its own id,
    which CASES relies on."""
    f = tenant_a.factory
    agent, second_instance = f.user(), f.instance()
    slots = {
        TicketStatus.OPEN: {},
        TicketStatus.PENDING: {"instance_id": tenant_a.instance.id},
        TicketStatus.ASSIGNED: {"instance_id": second_instance.id, "assignee_id": agent.id},
        TicketStatus.CLOSED: {},
        TicketStatus.RESOLVED: {},
    }
    contacts = [f.contact(name="Maria", primary_phone=f"+553190000000{i}") for i in range(5)]
    tickets = [
        f.ticket(contact.id, tenant_a.queue.id, status=status, tags=["b"], **slot)
        for contact in contacts
        for status, slot in slots.items()
    ]
    thread = f.ticket(
        tenant_a.contact.id, tenant_a.queue.id, id=tenant_a.contact.id, status=TicketStatus.CLOSED
    )
    messages = [
        f.message(thread, occurred_at=f.clock.now() + timedelta(seconds=i)) for i in range(5)
    ]
    notes = [make_note(f, thread, created_at=f.clock.now()) for _ in range(5)]
    leads = [f.lead(contact.id) for contact in contacts]
    await store_committed(
        new_uow, agent, second_instance, *contacts, *tickets, thread, *messages, *notes, *leads
    )
    return tenant_a


@pytest.mark.parametrize("case", CASES)
async def test_every_page_reads_its_index_in_order(
    engine: AsyncEngine, new_uow: NewUnitOfWork, busy_tenant: SeededTenant, case: str
) -> None:
    call, index = CASES[case]
    async with new_uow() as uow:
        with capture_queries(engine) as queries:
            first = await call(uow, busy_tenant, None)
            await call(uow, busy_tenant, first.next_cursor)
            assert first.next_cursor is not None
            second = await call(uow, busy_tenant, first.next_cursor)
            await call(uow, busy_tenant, second.prev_cursor)

    pages = [(sql, parameters) for sql, parameters in queries if "LIMIT" in sql]
    assert len(pages) == 7, "4 pages and 3 'is there a row beyond?' probes, all on the index"
    async with engine.connect() as connection:
        for sql, parameters in pages:
            plan = await query_plan(connection, sql, parameters)
            assert index in plan.indexes, (sql, plan)
            assert not plan.sorts, (sql, plan)


async def test_a_provider_id_lookup_reads_the_unique_index(
    engine: AsyncEngine, new_uow: NewUnitOfWork, busy_tenant: SeededTenant
) -> None:
    async with new_uow() as uow:
        with capture_queries(engine) as queries:
            await uow.messages.find_by_provider_id(busy_tenant.id, busy_tenant.instance.id, "X")
            await uow.messages.find_by_provider_id(busy_tenant.id, None, "X")

    async with engine.connect() as connection:
        for sql, parameters in queries:
            plan = await query_plan(connection, sql, parameters)
            assert plan.indexes == {"uq_messages_provider_message"}, (sql, plan)
