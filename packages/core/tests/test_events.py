from leadengine_core.events import LeadUpdated, MessageCreated, TicketUpdated
from leadengine_core.testing import EntityFactory

make = EntityFactory()


def test_an_event_carries_the_tenant_of_its_entity() -> None:
    other = make.for_tenant(make.ids.new_id())
    ticket = other.ticket(make.ids.new_id(), make.ids.new_id())

    event = TicketUpdated(
        ticket=ticket, occurred_at=make.clock.now(), changes=frozenset({"status"})
    )

    assert event.tenant_id == other.tenant_id != make.tenant_id
    assert event.name == "ticket.updated"


def test_an_event_is_a_snapshot_not_a_live_view() -> None:
    ticket = make.ticket(make.ids.new_id(), make.ids.new_id())
    message = make.message(ticket, text="before")

    event = MessageCreated(message=message, occurred_at=make.clock.now())
    message.edit("after", make.clock.advance())

    assert event.message.text == "before"
    assert event.message.edit_history == []


def test_lead_updated_snapshots_its_activity_too() -> None:
    lead = make.lead(make.ids.new_id())
    activity = lead.created_activity(activity_id=make.ids.new_id())

    event = LeadUpdated(lead=lead, activity=activity, occurred_at=make.clock.now())
    activity.metadata["late"] = True

    assert event.activity is not None
    assert event.activity.metadata == {}
    assert event.tenant_id == lead.tenant_id
