from datetime import timedelta

import pytest
from leadengine_core.errors import Forbidden, ValidationFailed
from leadengine_core.leads import LeadActivityType, LeadStatus
from leadengine_core.messages import Direction
from leadengine_core.testing import EntityFactory

make = EntityFactory()


def test_a_status_change_returns_the_activity_to_record() -> None:
    lead = make.lead(make.ids.new_id())
    at, activity_id, actor = make.clock.advance(), make.ids.new_id(), make.ids.new_id()

    activity = lead.change_status(
        LeadStatus.QUALIFIED, at=at, activity_id=activity_id, actor_id=actor
    )

    assert lead.status is LeadStatus.QUALIFIED
    assert lead.updated_at == at
    assert activity is not None
    assert (activity.id, activity.lead_id, activity.tenant_id) == (
        activity_id,
        lead.id,
        lead.tenant_id,
    )
    assert (activity.type, activity.actor_id, activity.occurred_at) == (
        LeadActivityType.STATUS_CHANGED,
        actor,
        at,
    )
    assert activity.metadata == {"from": "NEW", "to": "QUALIFIED"}


def test_the_same_status_records_nothing() -> None:
    lead = make.lead(make.ids.new_id())

    assert (
        lead.change_status(LeadStatus.NEW, at=make.clock.now(), activity_id=make.ids.new_id())
        is None
    )


def test_converting_and_losing_have_their_own_activity_types() -> None:
    lead = make.lead(make.ids.new_id())

    won = lead.change_status(
        LeadStatus.CONVERTED, at=make.clock.advance(), activity_id=make.ids.new_id()
    )
    lost = lead.change_status(
        LeadStatus.LOST, at=make.clock.advance(), activity_id=make.ids.new_id(), reason="price"
    )

    assert won is not None
    assert lost is not None
    assert (won.type, lost.type) == (LeadActivityType.CONVERTED, LeadActivityType.LOST)
    assert lost.description == "price"


def test_assign_records_an_activity_only_on_change() -> None:
    lead = make.lead(make.ids.new_id())
    agent = make.ids.new_id()

    activity = lead.assign(agent, at=make.clock.advance(), activity_id=make.ids.new_id())

    assert lead.assignee_id == agent
    assert activity is not None
    assert activity.type is LeadActivityType.ASSIGNED
    assert lead.assign(agent, at=make.clock.advance(), activity_id=make.ids.new_id()) is None


def test_whatsapp_messages_refresh_last_contact_and_name_the_message() -> None:
    lead = make.lead(make.ids.new_id())
    message_id = make.ids.new_id()
    at = make.clock.now() + timedelta(minutes=10)

    replied = lead.record_whatsapp_message(
        Direction.INBOUND, message_id=message_id, at=at, activity_id=make.ids.new_id()
    )
    sent = lead.record_whatsapp_message(
        Direction.OUTBOUND,
        message_id=make.ids.new_id(),
        at=at - timedelta(minutes=5),
        activity_id=make.ids.new_id(),
    )

    assert replied.type is LeadActivityType.WHATSAPP_REPLIED
    assert replied.metadata == {"messageId": str(message_id)}
    assert sent.type is LeadActivityType.WHATSAPP_SENT
    assert lead.last_contact_at == at


def test_created_activity_is_dated_at_creation() -> None:
    lead = make.lead(make.ids.new_id())

    activity = lead.created_activity(activity_id=make.ids.new_id())

    assert (activity.type, activity.occurred_at) == (LeadActivityType.CREATED, lead.created_at)


def test_merge_keeps_this_leads_values_and_fills_the_gaps() -> None:
    keeper = make.lead(
        make.ids.new_id(), status=LeadStatus.QUALIFIED, value=100.0, tags=["a"], notes="first"
    )
    other_contact = make.ids.new_id()
    duplicate = make.lead(
        other_contact,
        status=LeadStatus.LOST,
        value=5.0,
        probability=40,
        assignee_id=make.ids.new_id(),
        tags=["b", "a"],
        notes="second",
        custom_fields={"k": 1},
        last_contact_at=make.clock.now() + timedelta(hours=1),
    )
    at = make.clock.advance()

    keeper.merge_from(duplicate, at=at)

    assert (keeper.status, keeper.value, keeper.probability) == (LeadStatus.QUALIFIED, 100.0, 40)
    assert keeper.assignee_id == duplicate.assignee_id
    assert keeper.tags == ["a", "b"]
    assert keeper.notes == "first\n\nsecond"
    assert keeper.custom_fields == {"k": 1}
    assert keeper.last_contact_at == duplicate.last_contact_at
    assert keeper.updated_at == at
    assert keeper.contact_id != other_contact


def test_merge_refuses_another_tenant_and_itself() -> None:
    lead = make.lead(make.ids.new_id())

    with pytest.raises(Forbidden):
        lead.merge_from(
            make.for_tenant(make.ids.new_id()).lead(lead.contact_id), at=lead.created_at
        )
    with pytest.raises(ValidationFailed):
        lead.merge_from(lead, at=lead.created_at)
