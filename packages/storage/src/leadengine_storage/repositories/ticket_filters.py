"""`TicketFilter` as SQL, with the semantics of `TicketFilter.matches` (core's reference).

A search also finds tickets through their contact, with the contact list's own conditions in
a correlated EXISTS (tenant-scoped like every query), so the inbox still walks its index in
order and only checks each candidate's contact.

The open-status predicate is written exactly as the partial indexes' WHERE clause, with literal
values: PostgreSQL and SQLite only use a partial index when they can prove from the query text
that the query implies the index predicate, which bound parameters would hide.
"""

from __future__ import annotations

from collections.abc import Collection
from enum import StrEnum
from uuid import UUID

from leadengine_core.ticket_status import OPEN_STATUSES
from leadengine_core.tickets import TicketFilter
from sqlalchemy import BindParameter, ColumnElement, bindparam, exists, or_, select

from leadengine_storage.portable_sql import contains_folded, json_array_has_all
from leadengine_storage.repositories.contact_filters import contact_conditions
from leadengine_storage.tables import OPEN_TICKET_STATUSES, contacts, tickets

__all__ = ["is_open", "ticket_conditions"]


def is_open() -> ColumnElement[bool]:
    """`status IN ('OPEN', 'PENDING', 'ASSIGNED')`, the predicate of the open-ticket indexes."""
    statuses: BindParameter[list[str]] = bindparam(
        "open_statuses",
        list(OPEN_TICKET_STATUSES),
        expanding=True,
        literal_execute=True,
        unique=True,
    )
    return tickets.c.status.in_(statuses)


def ticket_conditions(
    dialect: str, tenant_id: UUID, filters: TicketFilter
) -> list[ColumnElement[bool]]:
    conditions = [tickets.c.tenant_id == tenant_id]
    if filters.statuses:
        if filters.statuses <= OPEN_STATUSES:
            conditions.append(is_open())
        if filters.statuses != OPEN_STATUSES:
            conditions.append(tickets.c.status.in_(_values(filters.statuses)))
    if filters.priorities:
        conditions.append(tickets.c.priority.in_(_values(filters.priorities)))
    if filters.channels:
        conditions.append(tickets.c.channel.in_(_values(filters.channels)))
    if filters.queue_ids:
        conditions.append(tickets.c.queue_id.in_(sorted(filters.queue_ids)))
    if filters.assignee_id is not None:
        conditions.append(tickets.c.assignee_id == filters.assignee_id)
    if filters.unassigned:
        conditions.append(tickets.c.assignee_id.is_(None))
    if filters.contact_id is not None:
        conditions.append(tickets.c.contact_id == filters.contact_id)
    if filters.instance_id is not None:
        conditions.append(tickets.c.instance_id == filters.instance_id)
    if filters.tags:
        conditions.append(_has_any_tag(dialect, filters.tags))
    if filters.active_from is not None:
        conditions.append(tickets.c.last_activity_at >= filters.active_from)
    if filters.active_until is not None:
        conditions.append(tickets.c.last_activity_at < filters.active_until)
    needle = filters.contact_search.needle
    if needle:
        conditions.append(
            or_(
                contains_folded(dialect, tickets.c.subject, needle),
                contains_folded(dialect, tickets.c.last_message_preview, needle),
                _contact_matches(dialect, tenant_id, filters),
            )
        )
    return conditions


def _has_any_tag(dialect: str, tags: Collection[str]) -> ColumnElement[bool]:
    """One of `tags` is on the ticket: a containment test per tag, OR-ed."""
    return or_(*(json_array_has_all(dialect, tickets.c.tags, [tag]) for tag in sorted(tags)))


def _contact_matches(dialect: str, tenant_id: UUID, filters: TicketFilter) -> ColumnElement[bool]:
    """The ticket's contact is one the contact search finds."""
    found = contact_conditions(dialect, tenant_id, filters.contact_search)
    return exists(select(contacts.c.id).where(contacts.c.id == tickets.c.contact_id, *found))


def _values(members: Collection[StrEnum]) -> list[str]:
    return sorted(str(member) for member in members)
