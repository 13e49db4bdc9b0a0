"""Lead use cases. Every change a person makes to a lead leaves a line in its history, with
the actor: creation, status changes (CONVERTED and LOST have their own types) and assignment.
"""

from __future__ import annotations

from uuid import UUID

from leadengine_contracts.leads import CreateLeadRequest, UpdateLeadRequest
from leadengine_core.errors import Conflict, NotFound
from leadengine_core.events import LeadUpdated
from leadengine_core.leads import Lead, LeadActivity
from leadengine_core.ports import Clock, IdGenerator, UnitOfWork

from leadengine_api.features.tickets.errors import invalid_field
from leadengine_api.features.tickets.lookups import contact_of, user_of

__all__ = ["create_lead", "lead_of", "update_lead"]


async def lead_of(uow: UnitOfWork, tenant_id: UUID, lead_id: UUID) -> Lead:
    lead = await uow.leads.get(tenant_id, lead_id)
    if lead is None:
        raise NotFound(f"lead {lead_id} does not exist", details={"leadId": str(lead_id)})
    return lead


async def create_lead(
    uow: UnitOfWork,
    clock: Clock,
    ids: IdGenerator,
    tenant_id: UUID,
    data: CreateLeadRequest,
    *,
    actor_id: UUID | None,
) -> Lead:
    """404 unless the contact is the tenant's; 409 naming `existingLeadId` if it has a lead."""
    contact = await contact_of(uow, tenant_id, data.contact_id)
    existing = await uow.leads.get_by_contact(tenant_id, contact.id)
    if existing is not None:
        raise Conflict(
            "the contact already has a lead",
            details={"contactId": str(contact.id), "existingLeadId": str(existing.id)},
        )
    now = clock.now()
    lead = Lead(
        tenant_id=tenant_id,
        id=ids.new_id(),
        contact_id=contact.id,
        source=data.source,
        status=data.status,
        value=data.value,
        probability=data.probability,
        tags=list(dict.fromkeys(data.tags)),
        notes=data.notes,
        created_at=now,
        updated_at=now,
    )
    created = lead.created_activity(activity_id=ids.new_id(), actor_id=actor_id)
    await uow.leads.add(tenant_id, lead)
    await uow.leads.add_activity(tenant_id, created)
    uow.record(LeadUpdated(occurred_at=now, lead=lead, activity=created))
    return lead


async def update_lead(
    uow: UnitOfWork,
    clock: Clock,
    ids: IdGenerator,
    tenant_id: UUID,
    lead_id: UUID,
    data: UpdateLeadRequest,
    *,
    actor_id: UUID | None,
) -> Lead:
    """Only the fields sent change; `updatedAt` moves only if something did."""
    lead = await lead_of(uow, tenant_id, lead_id)
    before, now = _fields(lead), clock.now()
    activities: list[LeadActivity | None] = []
    if data.sent("assignee_id"):
        assignee = await _assignee(uow, tenant_id, data.assignee_id)
        activities.append(
            lead.assign(assignee, at=now, activity_id=ids.new_id(), actor_id=actor_id)
        )
    if data.status is not None:
        activities.append(
            lead.change_status(
                data.status,
                at=now,
                activity_id=ids.new_id(),
                actor_id=actor_id,
                reason=data.reason,
            )
        )
    lead.source = data.source or lead.source
    lead.tags = lead.tags if data.tags is None else list(dict.fromkeys(data.tags))
    for clearable in ("value", "probability", "notes"):
        if data.sent(clearable):
            setattr(lead, clearable, getattr(data, clearable))
    recorded = [activity for activity in activities if activity is not None]
    if _fields(lead) == before:
        return lead
    lead.updated_at = now
    await uow.leads.update(tenant_id, lead)
    for activity in recorded:
        await uow.leads.add_activity(tenant_id, activity)
    uow.record(*(LeadUpdated(occurred_at=now, lead=lead, activity=a) for a in recorded))
    if not recorded:
        uow.record(LeadUpdated(occurred_at=now, lead=lead))
    return lead


async def _assignee(uow: UnitOfWork, tenant_id: UUID, user_id: UUID | None) -> UUID | None:
    """A user of the tenant who can work (404 for another tenant's, 422 if deactivated)."""
    if user_id is None:
        return None
    user = await user_of(uow, tenant_id, user_id, "assigneeId")
    if not user.is_active:
        raise invalid_field("assigneeId", "the user is not active", source="body")
    return user.id


def _fields(lead: Lead) -> tuple[object, ...]:
    """What a PATCH can change, to tell a real change from a repeat."""
    return (
        lead.status,
        lead.source,
        lead.assignee_id,
        lead.value,
        lead.probability,
        tuple(lead.tags),
        lead.notes,
    )
