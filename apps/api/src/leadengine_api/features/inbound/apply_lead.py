"""The lead side of an inbound message: one WHATSAPP lead per person, and one activity per
message (recorded only when the message row is new, so a redelivery adds nothing)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from leadengine_core.errors import Conflict
from leadengine_core.events import LeadUpdated
from leadengine_core.leads import Lead, LeadSource
from leadengine_core.messages import Message
from leadengine_core.ports import IdGenerator, UnitOfWork


async def record_message_on_lead(
    uow: UnitOfWork, ids: IdGenerator, contact_id: UUID, message: Message, now: datetime
) -> None:
    tenant_id = message.tenant_id
    lead = await _find_or_add_lead(uow, ids, tenant_id, contact_id, now)
    activity = lead.record_whatsapp_message(
        message.direction, message_id=message.id, at=message.occurred_at, activity_id=ids.new_id()
    )
    activity.metadata["providerMessageId"] = message.provider_message_id
    await uow.leads.update(tenant_id, lead)
    await uow.leads.add_activity(tenant_id, activity)
    uow.record(LeadUpdated(occurred_at=now, lead=lead, activity=activity))


async def _find_or_add_lead(
    uow: UnitOfWork, ids: IdGenerator, tenant_id: UUID, contact_id: UUID, now: datetime
) -> Lead:
    found = await uow.leads.get_by_contact(tenant_id, contact_id)
    if found is not None:
        return found
    lead = Lead(
        tenant_id=tenant_id,
        id=ids.new_id(),
        contact_id=contact_id,
        source=LeadSource.WHATSAPP,
        created_at=now,
        updated_at=now,
    )
    try:
        await uow.leads.add(tenant_id, lead)
    except Conflict:
        winner = await uow.leads.get_by_contact(tenant_id, contact_id)
        if winner is None:
            raise
        return winner
    created = lead.created_activity(activity_id=ids.new_id())
    await uow.leads.add_activity(tenant_id, created)
    uow.record(LeadUpdated(occurred_at=now, lead=lead, activity=created))
    return lead
