"""Ticket statuses and the moves allowed between them.

"Open" means OPEN, PENDING or ASSIGNED: work still to do, and at most one such ticket per
contact and WhatsApp instance (see `open_ticket`). A finished ticket comes back only as OPEN,
through `Ticket.reopen`, which also clears the close fields. Moving to the current status is a
no-op, not an error. Rows are the current status, columns the target ("✓" allowed, "=" no-op):

| from \\ to | OPEN       | PENDING | ASSIGNED | RESOLVED | CLOSED |
|-----------|------------|---------|----------|----------|--------|
| OPEN      | =          | ✓       | ✓        | ✓        | ✓      |
| PENDING   | ✓          | =       | ✓        | ✓        | ✓      |
| ASSIGNED  | ✓          | ✓       | =        | ✓        | ✓      |
| RESOLVED  | ✓ (reopen) |         |          | =        | ✓      |
| CLOSED    | ✓ (reopen) |         |          |          | =      |
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType

from leadengine_core.errors import InvalidTransition


class TicketStatus(StrEnum):
    OPEN = "OPEN"
    PENDING = "PENDING"
    ASSIGNED = "ASSIGNED"
    RESOLVED = "RESOLVED"
    CLOSED = "CLOSED"


OPEN_STATUSES = frozenset({TicketStatus.OPEN, TicketStatus.PENDING, TicketStatus.ASSIGNED})
FINISHED_STATUSES = frozenset({TicketStatus.RESOLVED, TicketStatus.CLOSED})

TRANSITIONS: Mapping[TicketStatus, frozenset[TicketStatus]] = MappingProxyType(
    {
        TicketStatus.OPEN: frozenset(
            {
                TicketStatus.PENDING,
                TicketStatus.ASSIGNED,
                TicketStatus.RESOLVED,
                TicketStatus.CLOSED,
            }
        ),
        TicketStatus.PENDING: frozenset(
            {TicketStatus.OPEN, TicketStatus.ASSIGNED, TicketStatus.RESOLVED, TicketStatus.CLOSED}
        ),
        TicketStatus.ASSIGNED: frozenset(
            {TicketStatus.OPEN, TicketStatus.PENDING, TicketStatus.RESOLVED, TicketStatus.CLOSED}
        ),
        TicketStatus.RESOLVED: frozenset({TicketStatus.OPEN, TicketStatus.CLOSED}),
        TicketStatus.CLOSED: frozenset({TicketStatus.OPEN}),
    }
)
"""Allowed moves to a different status; same-to-same is handled as a no-op before the lookup."""


def can_transition(current: TicketStatus, target: TicketStatus) -> bool:
    """Whether `current` may become `target` (true for same-to-same, which changes nothing)."""
    return current == target or target in TRANSITIONS[current]


def ensure_transition(current: TicketStatus, target: TicketStatus) -> None:
    if not can_transition(current, target):
        raise InvalidTransition(
            f"a {current} ticket cannot become {target}",
            details={"from": str(current), "to": str(target)},
        )
