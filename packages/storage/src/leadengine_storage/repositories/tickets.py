"""Tickets and their notes.

The one-open-ticket rule is the partial unique index `uq_tickets_one_open_per_contact_instance`;
a write that would break it rolls back to its SAVEPOINT and raises OpenTicketExists with the id
of the ticket that holds the slot, so the caller can reuse it (`find_or_add.find_or_open_ticket`).
"""

from __future__ import annotations

from functools import partial
from typing import Any
from uuid import UUID

from leadengine_core.errors import Conflict, DomainError, NotFound, OpenTicketExists
from leadengine_core.pagination import Page
from leadengine_core.ports import DEFAULT_PAGE_SIZE, TicketRepository
from leadengine_core.tenants import ensure_same_tenant
from leadengine_core.tickets import (
    Channel,
    NoteVisibility,
    Ticket,
    TicketFilter,
    TicketNote,
    TicketPriority,
    TicketStatus,
)
from sqlalchemy import Row, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from leadengine_storage.integrity import Violation
from leadengine_storage.pagination import Keyset, fetch_page, page_of
from leadengine_storage.repositories.guarded import ensure_changed, guarded, plain_error
from leadengine_storage.repositories.ticket_filters import is_open, ticket_conditions
from leadengine_storage.tables import ticket_notes, tickets

__all__ = ["SqlTicketRepository"]

_OPEN_TICKET_INDEX = "uq_tickets_one_open_per_contact_instance"
_KEYSET = Keyset("tickets", tickets.c.last_activity_at, tickets.c.id)
_NOTES_KEYSET = Keyset(
    "ticket_notes", ticket_notes.c.created_at, ticket_notes.c.id, oldest_first=True
)


class SqlTicketRepository(TicketRepository):
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def get(self, tenant_id: UUID, ticket_id: UUID) -> Ticket | None:
        query = select(tickets).where(tickets.c.tenant_id == tenant_id, tickets.c.id == ticket_id)
        row = (await self._connection.execute(query)).first()
        return None if row is None else _ticket(row)

    async def add(self, tenant_id: UUID, ticket: Ticket) -> None:
        ensure_same_tenant(tenant_id, ticket.tenant_id)
        statement = insert(tickets).values(id=ticket.id, tenant_id=tenant_id, **_values(ticket))
        await guarded(
            self._connection,
            lambda: self._connection.execute(statement),
            partial(self._explain, ticket),
        )

    async def update(self, tenant_id: UUID, ticket: Ticket) -> None:
        ensure_same_tenant(tenant_id, ticket.tenant_id)
        statement = (
            update(tickets)
            .where(tickets.c.tenant_id == tenant_id, tickets.c.id == ticket.id)
            .values(**_values(ticket))
        )

        async def work() -> None:
            result = await self._connection.execute(statement)
            ensure_changed(result.rowcount, "ticket", ticket.id)

        await guarded(self._connection, work, partial(self._explain, ticket))

    async def find_open(
        self, tenant_id: UUID, contact_id: UUID, instance_id: UUID | None
    ) -> Ticket | None:
        same_instance = (
            tickets.c.instance_id.is_(None)
            if instance_id is None
            else tickets.c.instance_id == instance_id
        )
        query = select(tickets).where(
            tickets.c.tenant_id == tenant_id,
            tickets.c.contact_id == contact_id,
            same_instance,
            is_open(),
        )
        row = (await self._connection.execute(query)).first()
        return None if row is None else _ticket(row)

    async def list_page(
        self,
        tenant_id: UUID,
        filters: TicketFilter,
        *,
        cursor: str | None = None,
        limit: int = DEFAULT_PAGE_SIZE,
    ) -> Page[Ticket]:
        conditions = ticket_conditions(self._connection.dialect.name, tenant_id, filters)
        query = select(tickets).where(*conditions)
        page = await fetch_page(self._connection, query, _KEYSET, cursor=cursor, limit=limit)
        return page_of(page, [_ticket(row) for row in page.items])

    async def add_note(self, tenant_id: UUID, note: TicketNote) -> None:
        ensure_same_tenant(tenant_id, note.tenant_id)
        if await self.get(tenant_id, note.ticket_id) is None:
            raise NotFound(
                f"ticket {note.ticket_id} does not exist", details={"id": str(note.ticket_id)}
            )
        statement = insert(ticket_notes).values(
            id=note.id,
            tenant_id=tenant_id,
            ticket_id=note.ticket_id,
            author_id=note.author_id,
            body=note.body,
            visibility=note.visibility.value,
            created_at=note.created_at,
        )
        await guarded(
            self._connection,
            lambda: self._connection.execute(statement),
            partial(_explain_note, note),
        )

    async def list_notes(
        self,
        tenant_id: UUID,
        ticket_id: UUID,
        *,
        cursor: str | None = None,
        limit: int = DEFAULT_PAGE_SIZE,
    ) -> Page[TicketNote]:
        query = select(ticket_notes).where(
            ticket_notes.c.tenant_id == tenant_id, ticket_notes.c.ticket_id == ticket_id
        )
        page = await fetch_page(self._connection, query, _NOTES_KEYSET, cursor=cursor, limit=limit)
        return page_of(page, [_note(row) for row in page.items])

    async def _explain(self, ticket: Ticket, violation: Violation) -> DomainError:
        if violation.constraint != _OPEN_TICKET_INDEX:
            return plain_error(violation, "ticket", ticket.id)
        holder = await self.find_open(ticket.tenant_id, ticket.contact_id, ticket.instance_id)
        if holder is None:
            return Conflict(
                "the open-ticket slot was taken and freed again meanwhile; retry",
                details={"contactId": str(ticket.contact_id)},
            )
        return OpenTicketExists(holder.id)


async def _explain_note(note: TicketNote, violation: Violation) -> DomainError:
    return plain_error(violation, "ticket note", note.id)


def _values(ticket: Ticket) -> dict[str, Any]:
    return {
        "contact_id": ticket.contact_id,
        "queue_id": ticket.queue_id,
        "instance_id": ticket.instance_id,
        "assignee_id": ticket.assignee_id,
        "status": ticket.status.value,
        "priority": ticket.priority.value,
        "channel": ticket.channel.value,
        "subject": ticket.subject,
        "tags": ticket.tags,
        "last_message_at": ticket.last_message_at,
        "last_message_preview": ticket.last_message_preview,
        "last_activity_at": ticket.last_activity_at,
        "unread_count": ticket.unread_count,
        "closed_at": ticket.closed_at,
        "closed_by": ticket.closed_by,
        "close_reason": ticket.close_reason,
        "metadata": ticket.metadata,
        "created_at": ticket.created_at,
        "updated_at": ticket.updated_at,
    }


def _ticket(row: Row[Any]) -> Ticket:
    values = row._mapping
    return Ticket(
        tenant_id=values["tenant_id"],
        id=values["id"],
        contact_id=values["contact_id"],
        queue_id=values["queue_id"],
        instance_id=values["instance_id"],
        assignee_id=values["assignee_id"],
        status=TicketStatus(values["status"]),
        priority=TicketPriority(values["priority"]),
        channel=Channel(values["channel"]),
        subject=values["subject"],
        tags=values["tags"],
        last_message_at=values["last_message_at"],
        last_message_preview=values["last_message_preview"],
        unread_count=values["unread_count"],
        closed_at=values["closed_at"],
        closed_by=values["closed_by"],
        close_reason=values["close_reason"],
        metadata=values["metadata"],
        created_at=values["created_at"],
        updated_at=values["updated_at"],
    )


def _note(row: Row[Any]) -> TicketNote:
    values = row._mapping
    return TicketNote(
        tenant_id=values["tenant_id"],
        id=values["id"],
        ticket_id=values["ticket_id"],
        author_id=values["author_id"],
        body=values["body"],
        visibility=NoteVisibility(values["visibility"]),
        created_at=values["created_at"],
    )
