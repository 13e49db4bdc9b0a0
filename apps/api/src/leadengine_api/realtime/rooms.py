"""Room names. Every socket is in its tenant's and its user's room from the moment it
connects; a ticket room only after `join-ticket` checked the ticket's tenant."""

from __future__ import annotations

from uuid import UUID

__all__ = ["tenant_room", "ticket_room", "user_room"]


def tenant_room(tenant_id: UUID) -> str:
    return f"tenant:{tenant_id}"


def user_room(user_id: UUID) -> str:
    return f"user:{user_id}"


def ticket_room(ticket_id: UUID) -> str:
    return f"ticket:{ticket_id}"
