from datetime import timedelta

import pytest
from leadengine_core.errors import Conflict, OpenTicketExists
from leadengine_core.messages import Direction
from leadengine_core.open_ticket import choose_open_ticket, ensure_no_open_ticket
from leadengine_core.testing import EntityFactory
from leadengine_core.tickets import TicketStatus

make = EntityFactory()
CONTACT, QUEUE, INSTANCE = make.ids.new_id(), make.ids.new_id(), make.ids.new_id()


def test_nothing_to_reuse_when_there_are_no_tickets() -> None:
    assert choose_open_ticket([], CONTACT, INSTANCE) is None
    ensure_no_open_ticket([], CONTACT, INSTANCE)


def test_the_open_ticket_of_the_same_contact_and_instance_is_reused() -> None:
    mine = make.ticket(CONTACT, QUEUE, instance_id=INSTANCE, status=TicketStatus.PENDING)
    others = [
        make.ticket(make.ids.new_id(), QUEUE, instance_id=INSTANCE),
        make.ticket(CONTACT, QUEUE, instance_id=make.ids.new_id()),
        make.ticket(CONTACT, QUEUE, instance_id=None),
        make.ticket(CONTACT, QUEUE, instance_id=INSTANCE, status=TicketStatus.CLOSED),
    ]

    assert choose_open_ticket([*others, mine], CONTACT, INSTANCE) is mine


def test_finished_tickets_do_not_count() -> None:
    finished = [
        make.ticket(CONTACT, QUEUE, instance_id=INSTANCE, status=status)
        for status in (TicketStatus.RESOLVED, TicketStatus.CLOSED)
    ]

    assert choose_open_ticket(finished, CONTACT, INSTANCE) is None


def test_no_instance_is_a_slot_of_its_own() -> None:
    email_ticket = make.ticket(CONTACT, QUEUE, instance_id=None)

    assert choose_open_ticket([email_ticket], CONTACT, None) is email_ticket
    assert choose_open_ticket([email_ticket], CONTACT, INSTANCE) is None


def test_with_legacy_duplicates_the_most_recently_active_wins() -> None:
    older = make.ticket(CONTACT, QUEUE, instance_id=INSTANCE)
    newer = make.ticket(CONTACT, QUEUE, instance_id=INSTANCE)
    older.record_message(Direction.INBOUND, "hi", make.clock.now() + timedelta(hours=1))

    assert choose_open_ticket([newer, older], CONTACT, INSTANCE) is older


def test_a_second_open_ticket_is_refused_with_the_existing_id() -> None:
    existing = make.ticket(CONTACT, QUEUE, instance_id=INSTANCE)

    with pytest.raises(OpenTicketExists) as raised:
        ensure_no_open_ticket([existing], CONTACT, INSTANCE)

    assert isinstance(raised.value, Conflict)
    assert raised.value.code == "CONFLICT"
    assert raised.value.existing_ticket_id == existing.id
    assert raised.value.details == {"existingTicketId": str(existing.id)}
