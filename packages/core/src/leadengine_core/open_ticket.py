"""One open ticket per contact per WhatsApp instance.

Every inbound message for a contact on an instance lands in the same open ticket, so agents
never see the same conversation twice. Storage enforces the rule under races with a partial
unique index over (tenant, contact, instance) where the status is open; this module states the
same rule in memory so services can pick the ticket to reuse or refuse a duplicate up front.
A ticket without an instance (another channel) counts as its own "no instance" slot.
"""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from leadengine_core.errors import OpenTicketExists
from leadengine_core.tickets import Ticket


def choose_open_ticket(
    existing_open: Sequence[Ticket], contact_id: UUID, instance_id: UUID | None
) -> Ticket | None:
    """The open ticket to reuse; if legacy data holds several, the most recently active one."""
    candidates = [
        ticket
        for ticket in existing_open
        if ticket.is_open and ticket.contact_id == contact_id and ticket.instance_id == instance_id
    ]
    if not candidates:
        return None
    return max(candidates, key=lambda ticket: (ticket.last_activity_at, ticket.id))


def ensure_no_open_ticket(
    existing_open: Sequence[Ticket], contact_id: UUID, instance_id: UUID | None
) -> None:
    existing = choose_open_ticket(existing_open, contact_id, instance_id)
    if existing is not None:
        raise OpenTicketExists(existing.id)
