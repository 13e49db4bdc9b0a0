import itertools

import pytest
from leadengine_core.errors import InvalidTransition
from leadengine_core.ticket_status import (
    OPEN_STATUSES,
    TicketStatus,
    can_transition,
    ensure_transition,
)

# Written out by hand from the product rules, not derived from the module's table.
ALLOWED = {
    ("OPEN", "OPEN"),
    ("OPEN", "PENDING"),
    ("OPEN", "ASSIGNED"),
    ("OPEN", "RESOLVED"),
    ("OPEN", "CLOSED"),
    ("PENDING", "OPEN"),
    ("PENDING", "PENDING"),
    ("PENDING", "ASSIGNED"),
    ("PENDING", "RESOLVED"),
    ("PENDING", "CLOSED"),
    ("ASSIGNED", "OPEN"),
    ("ASSIGNED", "PENDING"),
    ("ASSIGNED", "ASSIGNED"),
    ("ASSIGNED", "RESOLVED"),
    ("ASSIGNED", "CLOSED"),
    ("RESOLVED", "RESOLVED"),
    ("RESOLVED", "CLOSED"),
    ("CLOSED", "CLOSED"),
}
"""A finished ticket comes back to OPEN only by `reopen`, never by a status change."""
ALL_PAIRS = list(itertools.product(TicketStatus, repeat=2))


@pytest.mark.parametrize(("current", "target"), ALL_PAIRS, ids=lambda s: str(s))
def test_every_cell_of_the_transition_table(current: TicketStatus, target: TicketStatus) -> None:
    expected = (current.value, target.value) in ALLOWED

    assert can_transition(current, target) is expected
    if expected:
        ensure_transition(current, target)
    else:
        with pytest.raises(InvalidTransition) as raised:
            ensure_transition(current, target)
        assert raised.value.code == "INVALID_TRANSITION"
        assert raised.value.details == {"from": current.value, "to": target.value}


def test_open_statuses_are_the_unfinished_ones() -> None:
    assert {TicketStatus.OPEN, TicketStatus.PENDING, TicketStatus.ASSIGNED} == OPEN_STATUSES


def test_a_status_change_out_of_a_finished_ticket_points_at_reopen() -> None:
    with pytest.raises(InvalidTransition, match="reopen it first"):
        ensure_transition(TicketStatus.CLOSED, TicketStatus.OPEN)
