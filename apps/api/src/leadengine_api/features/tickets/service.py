"""Ticket use cases over the unit of work: open, list, edit, move, assign, close, reopen, notes.

Every id a request names is loaded in the caller's tenant first (`lookups`). Status moves are
core's (`ticket_status`); a change records a `TicketUpdated` naming what moved, a no-op (the
same status, the same assignee) records nothing.
"""

from __future__ import annotations

from uuid import UUID

from leadengine_contracts.tickets import (
    ChangeTicketStatusRequest,
    CreateNoteRequest,
    CreateTicketRequest,
    UpdateTicketRequest,
)
from leadengine_core.errors import OpenTicketExists
from leadengine_core.events import TicketCreated, TicketUpdated
from leadengine_core.pagination import Page
from leadengine_core.ports import Clock, IdGenerator, UnitOfWork
from leadengine_core.tickets import Ticket, TicketFilter, TicketNote
from leadengine_core.users import Role

from leadengine_api.auth.principal import Principal
from leadengine_api.features.inbound.apply_ticket import default_queue
from leadengine_api.features.tickets import lookups
from leadengine_api.problems import ApiError

__all__ = [
    "add_note",
    "assign_ticket",
    "change_status",
    "close_ticket",
    "create_ticket",
    "list_tickets",
    "reopen_ticket",
    "update_ticket",
]


async def list_tickets(
    uow: UnitOfWork, tenant_id: UUID, filters: TicketFilter, cursor: str | None, limit: int
) -> Page[Ticket]:
    """The inbox; a queue, assignee or instance the filter names must be the tenant's, and a
    deleted instance still lists its old tickets."""
    for queue_id in sorted(filters.queue_ids):
        await lookups.queue_of(uow, tenant_id, queue_id)
    if filters.assignee_id is not None:
        await lookups.user_of(uow, tenant_id, filters.assignee_id, "assigneeId")
    if filters.instance_id is not None:
        await lookups.instance_of(uow, tenant_id, filters.instance_id, include_deleted=True)
    return await uow.tickets.list_page(tenant_id, filters, cursor=cursor, limit=limit)


async def create_ticket(
    uow: UnitOfWork,
    clock: Clock,
    ids: IdGenerator,
    tenant_id: UUID,
    data: CreateTicketRequest,
) -> Ticket:
    """Open a ticket; a contact's instance (or "no instance") slot holds one open ticket, so a
    second one is refused with the holder's id (409)."""
    now = clock.now()
    contact = await lookups.contact_of(uow, tenant_id, data.contact_id)
    if data.queue_id is None:
        queue = await default_queue(uow, ids, tenant_id, now)
    else:
        queue = await lookups.active_queue(uow, tenant_id, data.queue_id)
    if data.instance_id is not None:
        await lookups.instance_of(uow, tenant_id, data.instance_id)
    holder = await uow.tickets.find_open(tenant_id, contact.id, data.instance_id)
    if holder is not None:
        raise OpenTicketExists(holder.id)
    ticket = Ticket(
        tenant_id=tenant_id,
        id=ids.new_id(),
        contact_id=contact.id,
        queue_id=queue.id,
        instance_id=data.instance_id,
        channel=data.channel,
        subject=data.subject,
        priority=data.priority,
        tags=list(data.tags),
        created_at=now,
        updated_at=now,
    )
    await uow.tickets.add(tenant_id, ticket)
    uow.record(TicketCreated(occurred_at=now, ticket=ticket))
    return ticket


async def update_ticket(
    uow: UnitOfWork, clock: Clock, tenant_id: UUID, ticket_id: UUID, data: UpdateTicketRequest
) -> Ticket:
    ticket = await lookups.ticket_of(uow, tenant_id, ticket_id)
    changes: set[str] = set()
    if data.sent("subject") and data.subject != ticket.subject:
        ticket.subject = data.subject
        changes.add("subject")
    if data.priority is not None and data.priority != ticket.priority:
        ticket.priority = data.priority
        changes.add("priority")
    if data.tags is not None and data.tags != ticket.tags:
        ticket.tags = list(data.tags)
        changes.add("tags")
    if data.queue_id is not None and data.queue_id != ticket.queue_id:
        ticket.queue_id = (await lookups.active_queue(uow, tenant_id, data.queue_id)).id
        changes.add("queue_id")
    if changes:
        ticket.updated_at = clock.now()
        await _save(uow, ticket, changes)
    return ticket


async def change_status(
    uow: UnitOfWork,
    clock: Clock,
    principal: Principal,
    ticket_id: UUID,
    data: ChangeTicketStatusRequest,
) -> Ticket:
    """Move along core's table; finishing records who and why (the reason is kept only then)."""
    ticket = await lookups.ticket_of(uow, principal.tenant_id, ticket_id)
    at = clock.now()
    if ticket.transition(data.status, at=at, actor_id=principal.user_id, reason=data.reason):
        await _save(uow, ticket, {"status"})
    return ticket


async def assign_ticket(
    uow: UnitOfWork, clock: Clock, principal: Principal, ticket_id: UUID, user_id: UUID
) -> Ticket:
    """Give the ticket to an active user of the tenant; it becomes ASSIGNED.

    An AGENT may only take tickets (assign them to themselves); a SUPERVISOR or ADMIN assigns
    to anyone. Taking over a ticket another agent holds is allowed: queues are shared work.
    """
    if principal.role is Role.AGENT and user_id != principal.user_id:
        raise ApiError(403, "FORBIDDEN", "an AGENT may only assign tickets to themselves")
    ticket = await lookups.ticket_of(uow, principal.tenant_id, ticket_id)
    user = await lookups.active_user(uow, principal.tenant_id, user_id)
    if ticket.assign(user.id, clock.now()):
        await _save(uow, ticket, {"assignee_id", "status"})
    return ticket


async def close_ticket(
    uow: UnitOfWork, clock: Clock, principal: Principal, ticket_id: UUID, reason: str | None
) -> Ticket:
    ticket = await lookups.ticket_of(uow, principal.tenant_id, ticket_id)
    if ticket.close(at=clock.now(), actor_id=principal.user_id, reason=reason):
        await _save(uow, ticket, {"status"})
    return ticket


async def reopen_ticket(uow: UnitOfWork, clock: Clock, tenant_id: UUID, ticket_id: UUID) -> Ticket:
    """Back to OPEN, unless the contact opened another ticket on the same instance since
    (409 naming it: work continues there)."""
    ticket = await lookups.ticket_of(uow, tenant_id, ticket_id)
    ticket.reopen(clock.now())
    holder = await uow.tickets.find_open(tenant_id, ticket.contact_id, ticket.instance_id)
    if holder is not None:
        raise OpenTicketExists(holder.id, "the contact has another open ticket on this instance")
    await _save(uow, ticket, {"status"})
    return ticket


async def add_note(
    uow: UnitOfWork,
    clock: Clock,
    ids: IdGenerator,
    principal: Principal,
    ticket_id: UUID,
    data: CreateNoteRequest,
) -> TicketNote:
    """The author is the caller (none for an API key)."""
    ticket = await lookups.ticket_of(uow, principal.tenant_id, ticket_id)
    note = TicketNote(
        tenant_id=principal.tenant_id,
        id=ids.new_id(),
        ticket_id=ticket.id,
        author_id=principal.user_id,
        body=data.body,
        visibility=data.visibility,
        created_at=clock.now(),
    )
    await uow.tickets.add_note(principal.tenant_id, note)
    return note


async def _save(uow: UnitOfWork, ticket: Ticket, changes: set[str]) -> None:
    await uow.tickets.update(ticket.tenant_id, ticket)
    uow.record(
        TicketUpdated(occurred_at=ticket.updated_at, ticket=ticket, changes=frozenset(changes))
    )
