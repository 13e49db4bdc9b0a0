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


def test_a_snapshot_copies_nested_containers_and_shares_nothing_mutable() -> None:
    ticket = make.ticket(make.ids.new_id(), make.ids.new_id())
    message = make.message(ticket, text="olá")
    message.metadata = {"poll": {"votes": ["a"]}}
    message.react("5531988887777@s.whatsapp.net", "👍", make.clock.now())

    event = MessageCreated(message=message, occurred_at=make.clock.now())
    message.metadata["poll"]["votes"].append("b")
    message.react("5531988887777@s.whatsapp.net", "❤️", make.clock.advance())
    ticket.tags = ["whatsapp"]
    updated = TicketUpdated(ticket=ticket, occurred_at=make.clock.now())
    ticket.tags.append("later")

    assert event.message.metadata == {"poll": {"votes": ["a"]}}
    assert [r.emoji for r in event.message.reactions.values()] == ["👍"]
    assert event.message is not message
    assert updated.ticket.tags == ["whatsapp"]
