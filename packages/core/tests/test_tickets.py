from datetime import timedelta
from uuid import UUID

import pytest
from leadengine_core.errors import InvalidTransition, ValidationFailed
from leadengine_core.messages import Direction
from leadengine_core.testing import EntityFactory
from leadengine_core.tickets import (
    PREVIEW_LENGTH,
    Channel,
    Ticket,
    TicketFilter,
    TicketPriority,
    TicketStatus,
)


@pytest.fixture
def make() -> EntityFactory:
    return EntityFactory()


def new_ticket(make: EntityFactory, **overrides: object) -> Ticket:
    return make.ticket(make.ids.new_id(), make.ids.new_id(), **overrides)


def test_a_new_ticket_is_open_with_creation_as_last_activity(make: EntityFactory) -> None:
    ticket = new_ticket(make)

    assert ticket.status is TicketStatus.OPEN
    assert ticket.is_open
    assert ticket.last_activity_at == ticket.created_at


def test_transition_to_the_same_status_changes_nothing(make: EntityFactory) -> None:
    ticket = new_ticket(make)
    before = ticket.updated_at

    assert ticket.transition(TicketStatus.OPEN, at=make.clock.advance()) is False
    assert ticket.updated_at == before


def test_transition_follows_the_table(make: EntityFactory) -> None:
    ticket = new_ticket(make)
    at = make.clock.advance()

    assert ticket.transition(TicketStatus.PENDING, at=at) is True
    assert ticket.status is TicketStatus.PENDING
    assert ticket.updated_at == at


def test_closing_records_who_when_and_why(make: EntityFactory) -> None:
    ticket = new_ticket(make)
    actor = make.ids.new_id()
    at = make.clock.advance()

    assert ticket.close(at=at, actor_id=actor, reason="solved") is True

    assert (ticket.status, ticket.closed_at, ticket.closed_by, ticket.close_reason) == (
        TicketStatus.CLOSED,
        at,
        actor,
        "solved",
    )
    assert not ticket.is_open


def test_resolved_then_closed_keeps_the_reason_when_none_is_given(make: EntityFactory) -> None:
    ticket = new_ticket(make)
    ticket.transition(TicketStatus.RESOLVED, at=make.clock.advance(), reason="answered")
    closed_at = make.clock.advance()

    ticket.close(at=closed_at)

    assert ticket.status is TicketStatus.CLOSED
    assert ticket.closed_at == closed_at
    assert ticket.close_reason == "answered"


def test_a_closed_ticket_cannot_go_straight_to_pending(make: EntityFactory) -> None:
    ticket = new_ticket(make)
    ticket.close(at=make.clock.advance())

    with pytest.raises(InvalidTransition):
        ticket.transition(TicketStatus.PENDING, at=make.clock.advance())
    assert ticket.status is TicketStatus.CLOSED


@pytest.mark.parametrize("finished", [TicketStatus.RESOLVED, TicketStatus.CLOSED])
def test_reopen_clears_the_close_fields(make: EntityFactory, finished: TicketStatus) -> None:
    ticket = new_ticket(make)
    ticket.transition(finished, at=make.clock.advance(), actor_id=make.ids.new_id(), reason="x")
    at = make.clock.advance()

    assert ticket.reopen(at) is True

    assert ticket.status is TicketStatus.OPEN
    assert (ticket.closed_at, ticket.closed_by, ticket.close_reason) == (None, None, None)
    assert ticket.updated_at == at


@pytest.mark.parametrize("finished", [TicketStatus.RESOLVED, TicketStatus.CLOSED])
def test_a_status_change_does_not_reopen(make: EntityFactory, finished: TicketStatus) -> None:
    ticket = new_ticket(make)
    ticket.transition(finished, at=make.clock.advance(), reason="x")

    with pytest.raises(InvalidTransition):
        ticket.transition(TicketStatus.OPEN, at=make.clock.advance())
    assert (ticket.status, ticket.close_reason) == (finished, "x")


@pytest.mark.parametrize("status", [TicketStatus.OPEN, TicketStatus.PENDING])
def test_only_a_finished_ticket_can_be_reopened(make: EntityFactory, status: TicketStatus) -> None:
    ticket = new_ticket(make, status=status)

    with pytest.raises(InvalidTransition) as raised:
        ticket.reopen(make.clock.advance())
    assert raised.value.details == {"from": status.value, "to": "OPEN"}


def test_assign_sets_the_assignee_and_the_status(make: EntityFactory) -> None:
    ticket = new_ticket(make)
    agent = make.ids.new_id()

    assert ticket.assign(agent, make.clock.advance()) is True
    assert (ticket.status, ticket.assignee_id) == (TicketStatus.ASSIGNED, agent)
    assert ticket.assign(agent, make.clock.advance()) is False


def test_reassigning_to_someone_else_changes_the_assignee(make: EntityFactory) -> None:
    ticket = new_ticket(make)
    ticket.assign(make.ids.new_id(), make.clock.advance())
    other = make.ids.new_id()

    assert ticket.assign(other, make.clock.advance()) is True
    assert ticket.assignee_id == other


def test_a_closed_ticket_cannot_be_assigned(make: EntityFactory) -> None:
    ticket = new_ticket(make)
    ticket.close(at=make.clock.advance())

    with pytest.raises(InvalidTransition):
        ticket.assign(make.ids.new_id(), make.clock.advance())
    assert ticket.assignee_id is None


def test_assigned_status_needs_an_assignee(make: EntityFactory) -> None:
    ticket = new_ticket(make)

    with pytest.raises(ValidationFailed):
        ticket.transition(TicketStatus.ASSIGNED, at=make.clock.advance())


def test_unassign_sends_an_assigned_ticket_back_to_open(make: EntityFactory) -> None:
    ticket = new_ticket(make)
    ticket.assign(make.ids.new_id(), make.clock.advance())

    assert ticket.unassign(make.clock.advance()) is True
    assert (ticket.status, ticket.assignee_id) == (TicketStatus.OPEN, None)
    assert ticket.unassign(make.clock.advance()) is False


def test_an_inbound_message_updates_activity_preview_and_unread(make: EntityFactory) -> None:
    ticket = new_ticket(make)
    at = make.clock.advance(timedelta(minutes=5))

    ticket.record_message(Direction.INBOUND, "x" * 500, at)

    assert ticket.last_message_at == at
    assert ticket.last_activity_at == at
    assert ticket.last_message_preview == "x" * PREVIEW_LENGTH
    assert ticket.unread_count == 1
    assert ticket.updated_at == at


def test_an_outbound_message_does_not_count_as_unread(make: EntityFactory) -> None:
    ticket = new_ticket(make)

    ticket.record_message(Direction.OUTBOUND, "hello", make.clock.advance())

    assert ticket.unread_count == 0
    assert ticket.last_message_preview == "hello"


def test_an_older_message_does_not_replace_the_preview(make: EntityFactory) -> None:
    ticket = new_ticket(make)
    newest = make.clock.advance(timedelta(hours=1))
    ticket.record_message(Direction.INBOUND, "newest", newest)

    ticket.record_message(Direction.INBOUND, "backfill", newest - timedelta(minutes=30))

    assert (ticket.last_message_at, ticket.last_message_preview) == (newest, "newest")
    assert ticket.unread_count == 2


def test_a_message_without_text_clears_the_preview(make: EntityFactory) -> None:
    ticket = new_ticket(make)
    ticket.record_message(Direction.INBOUND, "text", make.clock.advance())

    ticket.record_message(Direction.INBOUND, None, make.clock.advance())

    assert ticket.last_message_preview is None


def test_mark_read_resets_the_counter_once(make: EntityFactory) -> None:
    ticket = new_ticket(make, unread_count=3)

    assert ticket.mark_read() is True
    assert ticket.unread_count == 0
    assert ticket.mark_read() is False


def test_an_empty_filter_matches_everything(make: EntityFactory) -> None:
    assert TicketFilter().matches(new_ticket(make))


@pytest.mark.parametrize(
    ("field_filter", "matching", "other"),
    [
        (
            TicketFilter(statuses=frozenset({TicketStatus.PENDING})),
            {"status": TicketStatus.PENDING},
            {},
        ),
        (
            TicketFilter(priorities=frozenset({TicketPriority.URGENT})),
            {"priority": TicketPriority.URGENT},
            {},
        ),
        (TicketFilter(channels=frozenset({Channel.EMAIL})), {"channel": Channel.EMAIL}, {}),
        (
            TicketFilter(tags=frozenset({"vip", "hot"})),
            {"tags": ["x", "hot"]},
            {"tags": ["x"]},
        ),
        (TicketFilter(search="BOLETO"), {"subject": "2ª via do boleto"}, {"subject": "outro"}),
        (TicketFilter(search="pix"), {"last_message_preview": "mandei o PIX"}, {}),
        (
            TicketFilter(unassigned=True),
            {},
            {"assignee_id": UUID(int=1), "status": TicketStatus.ASSIGNED},
        ),
    ],
)
def test_filters_narrow_the_inbox(
    make: EntityFactory,
    field_filter: TicketFilter,
    matching: dict[str, object],
    other: dict[str, object],
) -> None:
    assert field_filter.matches(new_ticket(make, **matching))
    assert not field_filter.matches(new_ticket(make, **other))


def test_filters_by_ids_and_activity_window(make: EntityFactory) -> None:
    ticket = new_ticket(make, instance_id=make.ids.new_id(), assignee_id=make.ids.new_id())
    start = ticket.created_at

    assert TicketFilter(
        queue_ids=frozenset({ticket.queue_id}),
        contact_id=ticket.contact_id,
        instance_id=ticket.instance_id,
        assignee_id=ticket.assignee_id,
        active_from=start,
        active_until=start + timedelta(seconds=1),
    ).matches(ticket)
    assert not TicketFilter(queue_ids=frozenset({make.ids.new_id()})).matches(ticket)
    assert not TicketFilter(contact_id=make.ids.new_id()).matches(ticket)
    assert not TicketFilter(instance_id=make.ids.new_id()).matches(ticket)
    assert not TicketFilter(assignee_id=make.ids.new_id()).matches(ticket)
    assert not TicketFilter(active_from=start + timedelta(seconds=1)).matches(ticket)
    assert not TicketFilter(active_until=start).matches(ticket)


@pytest.mark.parametrize(
    "search",
    ["maria", "SOUZA", "maria@exemplo", "(31) 98888-7777", "988887777"],
)
def test_search_also_finds_the_ticket_through_its_contact(make: EntityFactory, search: str) -> None:
    contact = make.contact(
        name="Maria Souza", primary_phone="+5531988887777", emails=["maria@exemplo.com.br"]
    )
    ticket = make.ticket(contact.id, make.ids.new_id(), subject="Boleto")
    stranger = make.contact(name="João", primary_phone="+5511977776666")

    assert TicketFilter(search=search).matches(ticket, contact)
    assert not TicketFilter(search=search).matches(ticket, stranger)
    assert not TicketFilter(search=search).matches(ticket)
