"""The inbox: `list_page` agrees with `TicketFilter.matches` (core's reference semantics) for
every filter, and keyset pages walk both ways across ties on `last_activity_at`."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
from leadengine_core.contacts import Contact
from leadengine_core.errors import ValidationFailed
from leadengine_core.pagination import encode_cursor
from leadengine_core.queues import Queue
from leadengine_core.tickets import Channel, Ticket, TicketFilter, TicketPriority, TicketStatus
from leadengine_core.users import User
from leadengine_storage.testing import NewUnitOfWork, SeededTenant, store_committed

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
OPEN = TicketStatus.OPEN


@dataclass(frozen=True)
class Inbox:
    tenant: SeededTenant
    other_queue: Queue
    agent: User
    contacts: dict[UUID, Contact]
    tickets: list[Ticket]

    def newest_first(self, filters: TicketFilter) -> list[Ticket]:
        ordered = sorted(self.tickets, key=lambda t: (t.last_activity_at, str(t.id)), reverse=True)
        return [t for t in ordered if filters.matches(t, self.contacts[t.contact_id])]


@pytest.fixture
async def inbox(new_uow: NewUnitOfWork, tenant_a: SeededTenant) -> Inbox:
    f, contact = tenant_a.factory, tenant_a.contact
    other_queue, agent = f.queue(), f.user()
    second_contact = f.contact(
        name="João Pereira", primary_phone="+5511977776666", phone_identities={"+5511977776666"}
    )
    other_instance = f.instance()
    queue_id = tenant_a.queue.id

    def ticket(minutes: int | None, **overrides: Any) -> Ticket:
        at = None if minutes is None else T0 + timedelta(minutes=minutes)
        return f.ticket(
            overrides.pop("contact_id", contact.id),
            overrides.pop("queue_id", queue_id),
            status=overrides.pop("status", TicketStatus.CLOSED),
            created_at=T0 - timedelta(days=1),
            last_message_at=at,
            **overrides,
        )

    tickets = [
        ticket(5, status=OPEN, instance_id=tenant_a.instance.id, subject="Segunda via do BOLETO"),
        ticket(5, status=TicketStatus.PENDING, contact_id=second_contact.id, tags=["vip"]),
        ticket(5, priority=TicketPriority.HIGH, tags=["vip", "boleto"]),
        ticket(
            3,
            status=TicketStatus.ASSIGNED,
            assignee_id=agent.id,
            instance_id=other_instance.id,
            last_message_preview="Muito obrigado!",
            tags=["boleto"],
        ),
        ticket(3, queue_id=other_queue.id, channel=Channel.SMS, subject="Desconto de 100%"),
        ticket(
            1,
            status=TicketStatus.RESOLVED,
            priority=TicketPriority.URGENT,
            assignee_id=agent.id,
            last_message_preview="Oi",
        ),
        ticket(None, subject="Sem mensagens"),
        ticket(7, assignee_id=agent.id, channel=Channel.EMAIL, subject="1000 reais"),
    ]
    await store_committed(new_uow, other_queue, agent, second_contact, other_instance, *tickets)
    contacts = {contact.id: contact, second_contact.id: second_contact}
    return Inbox(tenant_a, other_queue, agent, contacts, tickets)


FILTERS: dict[str, Callable[[Inbox], TicketFilter]] = {
    "everything": lambda _: TicketFilter(),
    "open": lambda _: TicketFilter(statuses=frozenset({OPEN})),
    "all-open-states": lambda _: TicketFilter(
        statuses=frozenset({OPEN, TicketStatus.PENDING, TicketStatus.ASSIGNED})
    ),
    "finished": lambda _: TicketFilter(
        statuses=frozenset({TicketStatus.RESOLVED, TicketStatus.CLOSED})
    ),
    "open-or-closed": lambda _: TicketFilter(statuses=frozenset({OPEN, TicketStatus.CLOSED})),
    "priority": lambda _: TicketFilter(
        priorities=frozenset({TicketPriority.HIGH, TicketPriority.URGENT})
    ),
    "queue": lambda inbox: TicketFilter(queue_ids=frozenset({inbox.other_queue.id})),
    "channel": lambda _: TicketFilter(channels=frozenset({Channel.SMS, Channel.EMAIL})),
    "assignee": lambda inbox: TicketFilter(assignee_id=inbox.agent.id),
    "unassigned": lambda _: TicketFilter(unassigned=True),
    "contact": lambda inbox: TicketFilter(contact_id=inbox.tickets[1].contact_id),
    "instance": lambda inbox: TicketFilter(instance_id=inbox.tenant.instance.id),
    "one-tag": lambda _: TicketFilter(tags=frozenset({"vip"})),
    "any-of-tags": lambda _: TicketFilter(tags=frozenset({"vip", "boleto"})),
    "search-subject": lambda _: TicketFilter(search="  boleto "),
    "search-preview": lambda _: TicketFilter(search="OBRIGAD"),
    "search-contact-name": lambda _: TicketFilter(search="pereira"),
    "search-contact-phone": lambda _: TicketFilter(search="(11) 97777-6666"),
    "search-contact-or-subject": lambda _: TicketFilter(search="re"),
    "search-literal-percent": lambda _: TicketFilter(search="100%"),
    "active-window": lambda _: TicketFilter(
        active_from=T0 + timedelta(minutes=3), active_until=T0 + timedelta(minutes=7)
    ),
    "open-mine-tagged": lambda inbox: TicketFilter(
        statuses=frozenset({OPEN, TicketStatus.PENDING, TicketStatus.ASSIGNED}),
        assignee_id=inbox.agent.id,
        tags=frozenset({"boleto"}),
    ),
    "nothing": lambda _: TicketFilter(search="no such words"),
}


@pytest.mark.parametrize("name", FILTERS)
async def test_each_filter_matches_the_reference_semantics(
    new_uow: NewUnitOfWork, inbox: Inbox, name: str
) -> None:
    filters = FILTERS[name](inbox)
    async with new_uow() as uow:
        page = await uow.tickets.list_page(inbox.tenant.id, filters)

    assert list(page.items) == inbox.newest_first(filters)
    assert (page.next_cursor, page.prev_cursor) == (None, None)


async def test_pages_walk_forward_and_back_across_ties(
    new_uow: NewUnitOfWork, inbox: Inbox
) -> None:
    everything = TicketFilter()
    pages = []
    async with new_uow() as uow:
        page = await uow.tickets.list_page(inbox.tenant.id, everything, limit=3)
        pages.append(page)
        while page.next_cursor:
            page = await uow.tickets.list_page(
                inbox.tenant.id, everything, cursor=page.next_cursor, limit=3
            )
            pages.append(page)
        back = [page]
        while page.prev_cursor:
            page = await uow.tickets.list_page(
                inbox.tenant.id, everything, cursor=page.prev_cursor, limit=3
            )
            back.append(page)

    assert [ticket for page in pages for ticket in page.items] == inbox.newest_first(everything)
    assert [len(page.items) for page in pages] == [3, 3, 2]
    assert pages[0].prev_cursor is None
    assert [page.items for page in back] == [page.items for page in reversed(pages)]


async def test_a_filtered_walk_stays_within_the_filter(
    new_uow: NewUnitOfWork, inbox: Inbox
) -> None:
    finished = FILTERS["finished"](inbox)
    seen: list[Ticket] = []
    async with new_uow() as uow:
        page = await uow.tickets.list_page(inbox.tenant.id, finished, limit=1)
        seen += page.items
        while page.next_cursor:
            page = await uow.tickets.list_page(
                inbox.tenant.id, finished, cursor=page.next_cursor, limit=1
            )
            seen += page.items

    assert seen == inbox.newest_first(finished)


async def test_a_ticket_without_messages_sorts_by_creation(
    new_uow: NewUnitOfWork, inbox: Inbox
) -> None:
    async with new_uow() as uow:
        page = await uow.tickets.list_page(inbox.tenant.id, TicketFilter(search="sem mensagens"))

    [ticket] = page.items
    assert ticket.last_message_at is None
    assert ticket.last_activity_at == ticket.created_at


@pytest.mark.parametrize(
    "cursor",
    [
        "",
        "garbage!",
        "bm90IGpzb24",
        encode_cursor(["tickets", "next", 1]),
        encode_cursor(["tickets", "sideways", 1, "00000000-0000-7000-8000-000000000000"]),
        encode_cursor(["tickets", "next", 10**20, "00000000-0000-7000-8000-000000000000"]),
        encode_cursor(["tickets", "next", 0, "not-a-uuid"]),
        encode_cursor(["contacts", "next", 0, "00000000-0000-7000-8000-000000000000"]),
    ],
    ids=[
        "empty",
        "not-base64",
        "not-json",
        "short",
        "direction",
        "time-overflow",
        "id",
        "another-list",
    ],
)
async def test_a_cursor_the_list_did_not_issue_is_a_validation_error(
    new_uow: NewUnitOfWork, tenant_a: SeededTenant, cursor: str
) -> None:
    async with new_uow() as uow:
        with pytest.raises(ValidationFailed) as refused:
            await uow.tickets.list_page(tenant_a.id, TicketFilter(), cursor=cursor)
    assert refused.value.code == "VALIDATION_ERROR"


async def test_a_page_needs_room_for_one_row(
    new_uow: NewUnitOfWork, tenant_a: SeededTenant
) -> None:
    async with new_uow() as uow:
        with pytest.raises(ValidationFailed):
            await uow.tickets.list_page(tenant_a.id, TicketFilter(), limit=0)
