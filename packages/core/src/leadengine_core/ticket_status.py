"""Ticket statuses and the moves allowed between them.

"Open" means OPEN, PENDING or ASSIGNED: work still to do, and at most one such ticket per
contact and WhatsApp instance (see `open_ticket`). A finished ticket (RESOLVED, CLOSED) comes
back only through `Ticket.reopen`, never as a plain status change: reopening is the one move
that can collide with a newer open ticket of the same contact, so it has a name of its own,
and it clears the close fields. Moving to the current status is a no-op, not an error. Rows are
the current status, columns the target ("✓" allowed, "=" no-op, "reopen" only by reopening):

| from \\ to | OPEN   | PENDING | ASSIGNED | RESOLVED | CLOSED |
|-----------|--------|---------|----------|----------|--------|
| OPEN      | =      | ✓       | ✓        | ✓        | ✓      |
| PENDING   | ✓      | =       | ✓        | ✓        | ✓      |
| ASSIGNED  | ✓      | ✓       | =        | ✓        | ✓      |
| RESOLVED  | reopen |         |          | =        | ✓      |
| CLOSED    | reopen |         |          |          | =      |
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
        TicketStatus.RESOLVED: frozenset({TicketStatus.CLOSED}),
        TicketStatus.CLOSED: frozenset(),
    }
)
"""Allowed status changes to a different status; same-to-same is a no-op checked before the
lookup, and finished → OPEN is `Ticket.reopen`, not a status change."""


def can_transition(current: TicketStatus, target: TicketStatus) -> bool:
    """Whether `current` may become `target` (true for same-to-same, which changes nothing)."""
    return current == target or target in TRANSITIONS[current]


def ensure_transition(current: TicketStatus, target: TicketStatus) -> None:
    if can_transition(current, target):
        return
    hint = " (reopen it first)" if current in FINISHED_STATUSES else ""
    raise InvalidTransition(
        f"a {current} ticket cannot become {target}{hint}",
        details={"from": str(current), "to": str(target)},
    )


def ensure_reopenable(current: TicketStatus) -> None:
    if current not in FINISHED_STATUSES:
        raise InvalidTransition(
            f"only a finished ticket can be reopened, this one is {current}",
            details={"from": str(current), "to": str(TicketStatus.OPEN)},
        )
