"""Merge two contacts that turned out to be one person (a LID contact and a phone contact).

Storage deletes a contact's tickets, messages and lead with it, so everything is re-pointed to
the survivor before the duplicate is removed. The survivor is the older contact: whichever
identity arrived first keeps the record agents have been working with.

When both contacts hold an open ticket on the same instance, only one may stay open: the
duplicate's messages (and unread count) move into the survivor's, and the emptied ticket is
closed with reason `merged`. Kept minimal on purpose: when both have a lead, the survivor's is
kept and the duplicate's lead is deleted with it, history included.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TypeVar
from uuid import UUID

from leadengine_core.contacts import Contact
from leadengine_core.events import TicketUpdated
from leadengine_core.pagination import Page
from leadengine_core.ports import UnitOfWork
from leadengine_core.tickets import Ticket, TicketFilter

T = TypeVar("T")

MERGED_CLOSE_REASON = "merged"


async def merge_contacts(
    uow: UnitOfWork, tenant_id: UUID, first: Contact, second: Contact, *, at: datetime
) -> Contact:
    """The surviving contact, stored with both contacts' identities; the other one is gone."""
    survivor, duplicate = sorted(
        (first, second), key=lambda contact: (contact.created_at, contact.id)
    )
    for ticket in await _all_pages(
        lambda cursor: uow.tickets.list_page(
            tenant_id, TicketFilter(contact_id=duplicate.id), cursor=cursor
        )
    ):
        await _move_ticket(uow, tenant_id, ticket, survivor.id, at)
    await _move_lead(uow, tenant_id, duplicate.id, survivor.id)
    survivor.merge_from(duplicate, at=at)
    await uow.contacts.remove(tenant_id, duplicate.id)
    await uow.contacts.update(tenant_id, survivor)
    return survivor


async def _move_ticket(
    uow: UnitOfWork, tenant_id: UUID, ticket: Ticket, survivor_id: UUID, at: datetime
) -> None:
    keeper = (
        await uow.tickets.find_open(tenant_id, survivor_id, ticket.instance_id)
        if ticket.is_open
        else None
    )
    for message in await _all_pages(
        lambda cursor: uow.messages.list_page(tenant_id, ticket.id, cursor=cursor)
    ):
        message.contact_id = survivor_id
        message.ticket_id = keeper.id if keeper is not None else message.ticket_id
        await uow.messages.update(tenant_id, message)
    if keeper is not None:
        _absorb(keeper, ticket, at)
        await uow.tickets.update(tenant_id, keeper)
        changes = frozenset({"last_message", "unread_count"})
        uow.record(TicketUpdated(occurred_at=at, ticket=keeper, changes=changes))
        ticket.close(at=at, reason=MERGED_CLOSE_REASON)
    ticket.contact_id = survivor_id
    ticket.updated_at = max(ticket.updated_at, at)
    await uow.tickets.update(tenant_id, ticket)
    uow.record(TicketUpdated(occurred_at=at, ticket=ticket, changes=frozenset({"contact_id"})))


def _absorb(keeper: Ticket, emptied: Ticket, at: datetime) -> None:
    """The keeper takes over the emptied ticket's unread messages and, if newer, its last one."""
    keeper.unread_count += emptied.unread_count
    emptied.unread_count = 0
    newer = emptied.last_message_at is not None and (
        keeper.last_message_at is None or emptied.last_message_at > keeper.last_message_at
    )
    if newer:
        keeper.last_message_at = emptied.last_message_at
        keeper.last_message_preview = emptied.last_message_preview
    keeper.updated_at = max(keeper.updated_at, at)


async def _move_lead(uow: UnitOfWork, tenant_id: UUID, from_id: UUID, to_id: UUID) -> None:
    lead = await uow.leads.get_by_contact(tenant_id, from_id)
    if lead is None or await uow.leads.get_by_contact(tenant_id, to_id) is not None:
        return
    lead.contact_id = to_id
    await uow.leads.update(tenant_id, lead)


async def _all_pages(fetch: Callable[[str | None], Awaitable[Page[T]]]) -> list[T]:
    """Every item of a keyset-paginated listing, read before anything is changed."""
    items: list[T] = []
    cursor: str | None = None
    while True:
        page = await fetch(cursor)
        items.extend(page.items)
        if page.next_cursor is None:
            return items
        cursor = page.next_cursor
