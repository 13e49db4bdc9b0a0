"""Leads: one per contact, free status, and an append-only activity history."""

from datetime import UTC, datetime, timedelta

import pytest
from leadengine_core.errors import Conflict, NotFound
from leadengine_core.leads import LeadActivityType, LeadSource, LeadStatus
from leadengine_core.messages import Direction
from leadengine_storage.testing import NewUnitOfWork, SeededTenant, assert_utc, store_committed


async def test_a_lead_round_trips_every_field(
    new_uow: NewUnitOfWork, tenant_a: SeededTenant
) -> None:
    agent = tenant_a.factory.user()
    lead = tenant_a.factory.lead(
        tenant_a.contact.id,
        source=LeadSource.PAID_ADS,
        status=LeadStatus.NEGOTIATION,
        assignee_id=agent.id,
        value=1234.56,
        probability=70,
        tags=["consignado", "inss"],
        notes="Prefere contato à tarde",
        custom_fields={"campaign": {"id": "c-1", "name": "Black Friday"}},
        last_contact_at=datetime(2025, 4, 5, 6, 7, 8, 9, tzinfo=UTC),
    )
    await store_committed(new_uow, agent, lead)

    async with new_uow() as uow:
        stored = await uow.leads.get(tenant_a.id, lead.id)
        by_contact = await uow.leads.get_by_contact(tenant_a.id, tenant_a.contact.id)
        other_contact = await uow.leads.get_by_contact(tenant_a.id, tenant_a.factory.ids.new_id())

    assert stored == lead
    assert by_contact == lead
    assert other_contact is None
    assert stored is not None
    assert_utc(stored.last_contact_at, stored.created_at)


async def test_a_contact_has_one_lead_and_the_loser_learns_which(
    new_uow: NewUnitOfWork, tenant_a: SeededTenant
) -> None:
    first = tenant_a.factory.lead(tenant_a.contact.id)
    await store_committed(new_uow, first)

    async with new_uow() as uow:
        with pytest.raises(Conflict) as taken:
            await uow.leads.add(tenant_a.id, tenant_a.factory.lead(tenant_a.contact.id))
        assert await uow.leads.get_by_contact(tenant_a.id, tenant_a.contact.id) == first

    assert taken.value.details == {
        "contactId": str(tenant_a.contact.id),
        "existingLeadId": str(first.id),
    }


async def test_a_lead_for_a_missing_contact_is_not_found(
    new_uow: NewUnitOfWork, tenant_a: SeededTenant
) -> None:
    async with new_uow() as uow:
        with pytest.raises(NotFound):
            await uow.leads.add(tenant_a.id, tenant_a.factory.lead(tenant_a.factory.ids.new_id()))


async def test_a_lead_update_is_stored_and_a_missing_one_is_not_found(
    new_uow: NewUnitOfWork, tenant_a: SeededTenant
) -> None:
    lead = tenant_a.factory.lead(tenant_a.contact.id)
    await store_committed(new_uow, lead)
    later = lead.updated_at + timedelta(hours=1)
    lead.change_status(LeadStatus.QUALIFIED, at=later, activity_id=tenant_a.factory.ids.new_id())
    lead.value = 99.5
    async with new_uow() as uow:
        await uow.leads.update(tenant_a.id, lead)
        with pytest.raises(NotFound):
            await uow.leads.update(tenant_a.id, tenant_a.factory.lead(tenant_a.contact.id))
        await uow.commit()

    async with new_uow() as uow:
        assert await uow.leads.get(tenant_a.id, lead.id) == lead


async def test_leads_page_newest_first_across_ties_and_by_status(
    new_uow: NewUnitOfWork, tenant_a: SeededTenant
) -> None:
    base = datetime(2025, 6, 1, tzinfo=UTC)
    contacts = [tenant_a.factory.contact() for _ in range(5)]
    statuses = [LeadStatus.NEW, LeadStatus.LOST, LeadStatus.NEW, LeadStatus.NEW, LeadStatus.LOST]
    stamps = [base, base, base, base + timedelta(seconds=1), base]
    leads = [
        tenant_a.factory.lead(contact.id, status=status, updated_at=stamp)
        for contact, status, stamp in zip(contacts, statuses, stamps, strict=True)
    ]
    await store_committed(new_uow, *contacts, *leads)

    async def walk(*statuses: LeadStatus) -> list[object]:
        seen: list[object] = []
        async with new_uow() as uow:
            page = await uow.leads.list_page(tenant_a.id, statuses=frozenset(statuses), limit=2)
            seen += page.items
            while page.next_cursor:
                page = await uow.leads.list_page(
                    tenant_a.id, statuses=frozenset(statuses), cursor=page.next_cursor, limit=2
                )
                seen += page.items
        return seen

    newest_first = sorted(leads, key=lambda lead: (lead.updated_at, str(lead.id)), reverse=True)
    assert await walk() == newest_first
    assert await walk(LeadStatus.NEW) == [lead for lead in newest_first if lead.status == "NEW"]
    assert await walk(LeadStatus.NEW, LeadStatus.LOST) == newest_first
    assert await walk(LeadStatus.CONVERTED) == []


async def test_activities_are_listed_oldest_first(
    new_uow: NewUnitOfWork, tenant_a: SeededTenant
) -> None:
    ids = tenant_a.factory.ids
    agent = tenant_a.factory.user()
    lead = tenant_a.factory.lead(tenant_a.contact.id)
    created = lead.created_activity(activity_id=ids.new_id(), actor_id=agent.id)
    replied = lead.record_whatsapp_message(
        Direction.INBOUND,
        message_id=ids.new_id(),
        at=lead.created_at + timedelta(minutes=2),
        activity_id=ids.new_id(),
    )
    lost = lead.change_status(
        LeadStatus.LOST,
        at=lead.created_at + timedelta(minutes=1),
        activity_id=ids.new_id(),
        actor_id=agent.id,
        reason="Sem interesse",
    )
    assert lost is not None
    await store_committed(new_uow, agent, lead, replied, created, lost)

    async with new_uow() as uow:
        first = await uow.leads.list_activities(tenant_a.id, lead.id, limit=2)
        rest = await uow.leads.list_activities(tenant_a.id, lead.id, cursor=first.next_cursor)
        back = await uow.leads.list_activities(tenant_a.id, lead.id, cursor=rest.prev_cursor)
        unknown = await uow.leads.list_activities(tenant_a.id, ids.new_id())

    history = [*first.items, *rest.items]
    assert history == [created, lost, replied]
    assert [activity.type for activity in history] == [
        LeadActivityType.CREATED,
        LeadActivityType.LOST,
        LeadActivityType.WHATSAPP_REPLIED,
    ]
    assert rest.next_cursor is None
    assert back.items == first.items
    assert_utc(*(activity.occurred_at for activity in history))
    assert unknown.items == ()


async def test_an_activity_needs_a_lead_of_the_tenant(
    new_uow: NewUnitOfWork, tenant_a: SeededTenant, tenant_b: SeededTenant
) -> None:
    their_lead = tenant_b.factory.lead(tenant_b.contact.id)
    await store_committed(new_uow, their_lead)
    ids = tenant_a.factory.ids
    orphan = tenant_a.factory.lead(tenant_a.contact.id).created_activity(activity_id=ids.new_id())
    smuggled = tenant_a.factory.lead(tenant_a.contact.id, id=their_lead.id).created_activity(
        activity_id=ids.new_id()
    )

    async with new_uow() as uow:
        with pytest.raises(NotFound):
            await uow.leads.add_activity(tenant_a.id, orphan)
        with pytest.raises(NotFound):
            await uow.leads.add_activity(tenant_a.id, smuggled)
