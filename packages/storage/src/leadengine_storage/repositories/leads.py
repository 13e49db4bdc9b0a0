"""Leads (one per contact, enforced by a unique key) and their activity history."""

from __future__ import annotations

from functools import partial
from typing import Any
from uuid import UUID

from leadengine_core.errors import Conflict, DomainError, NotFound, ValidationFailed
from leadengine_core.leads import Lead, LeadActivity, LeadActivityType, LeadSource, LeadStatus
from leadengine_core.pagination import Page
from leadengine_core.ports import DEFAULT_PAGE_SIZE, LeadRepository
from leadengine_core.tenants import ensure_same_tenant
from sqlalchemy import Row, delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from leadengine_storage.integrity import Violation
from leadengine_storage.pagination import Keyset, fetch_page, page_of
from leadengine_storage.repositories.guarded import ensure_changed, guarded, plain_error
from leadengine_storage.tables import lead_activities, leads

__all__ = ["SqlLeadRepository"]

_KEYSET = Keyset("leads", leads.c.updated_at, leads.c.id)
_ACTIVITY_KEYSET = Keyset(
    "lead_activities", lead_activities.c.occurred_at, lead_activities.c.id, oldest_first=True
)


class SqlLeadRepository(LeadRepository):
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def get(self, tenant_id: UUID, lead_id: UUID) -> Lead | None:
        query = select(leads).where(leads.c.tenant_id == tenant_id, leads.c.id == lead_id)
        row = (await self._connection.execute(query)).first()
        return None if row is None else _lead(row)

    async def get_by_contact(self, tenant_id: UUID, contact_id: UUID) -> Lead | None:
        query = select(leads).where(
            leads.c.tenant_id == tenant_id, leads.c.contact_id == contact_id
        )
        row = (await self._connection.execute(query)).first()
        return None if row is None else _lead(row)

    async def add(self, tenant_id: UUID, lead: Lead) -> None:
        ensure_same_tenant(tenant_id, lead.tenant_id)
        statement = insert(leads).values(id=lead.id, tenant_id=tenant_id, **_values(lead))
        await guarded(
            self._connection,
            lambda: self._connection.execute(statement),
            partial(self._explain, lead),
        )

    async def update(self, tenant_id: UUID, lead: Lead) -> None:
        ensure_same_tenant(tenant_id, lead.tenant_id)
        statement = (
            update(leads)
            .where(leads.c.tenant_id == tenant_id, leads.c.id == lead.id)
            .values(**_values(lead))
        )

        async def work() -> None:
            result = await self._connection.execute(statement)
            ensure_changed(result.rowcount, "lead", lead.id)

        await guarded(self._connection, work, partial(self._explain, lead))

    async def list_page(
        self,
        tenant_id: UUID,
        *,
        statuses: frozenset[LeadStatus] = frozenset(),
        cursor: str | None = None,
        limit: int = DEFAULT_PAGE_SIZE,
    ) -> Page[Lead]:
        query = select(leads).where(leads.c.tenant_id == tenant_id)
        if statuses:
            query = query.where(leads.c.status.in_(sorted(map(str, statuses))))
        page = await fetch_page(self._connection, query, _KEYSET, cursor=cursor, limit=limit)
        return page_of(page, [_lead(row) for row in page.items])

    async def fold_into(self, tenant_id: UUID, source_id: UUID, target_id: UUID) -> None:
        both = select(func.count()).where(
            leads.c.tenant_id == tenant_id, leads.c.id.in_({source_id, target_id})
        )
        if source_id == target_id:
            raise ValidationFailed("a lead cannot be folded into itself")
        if await self._connection.scalar(both) != 2:
            raise NotFound("both leads must exist", details={"id": str(source_id)})
        await self._connection.execute(
            update(lead_activities)
            .where(lead_activities.c.tenant_id == tenant_id, lead_activities.c.lead_id == source_id)
            .values(lead_id=target_id)
        )
        await self._connection.execute(
            delete(leads).where(leads.c.tenant_id == tenant_id, leads.c.id == source_id)
        )

    async def add_activity(self, tenant_id: UUID, activity: LeadActivity) -> None:
        ensure_same_tenant(tenant_id, activity.tenant_id)
        if await self.get(tenant_id, activity.lead_id) is None:
            raise NotFound(
                f"lead {activity.lead_id} does not exist", details={"id": str(activity.lead_id)}
            )
        statement = insert(lead_activities).values(**_activity_values(activity))
        await guarded(
            self._connection,
            lambda: self._connection.execute(statement),
            partial(_explain_activity, activity),
        )

    async def list_activities(
        self,
        tenant_id: UUID,
        lead_id: UUID,
        *,
        cursor: str | None = None,
        limit: int = DEFAULT_PAGE_SIZE,
    ) -> Page[LeadActivity]:
        query = select(lead_activities).where(
            lead_activities.c.tenant_id == tenant_id, lead_activities.c.lead_id == lead_id
        )
        page = await fetch_page(
            self._connection, query, _ACTIVITY_KEYSET, cursor=cursor, limit=limit
        )
        return page_of(page, [_activity(row) for row in page.items])

    async def _explain(self, lead: Lead, violation: Violation) -> DomainError:
        if violation.constraint != "uq_leads_tenant_id_contact_id":
            return plain_error(violation, "lead", lead.id)
        existing = await self.get_by_contact(lead.tenant_id, lead.contact_id)
        details = {"contactId": str(lead.contact_id)}
        if existing is not None:
            details["existingLeadId"] = str(existing.id)
        return Conflict("the contact already has a lead", details=details)


async def _explain_activity(activity: LeadActivity, violation: Violation) -> DomainError:
    return plain_error(violation, "lead activity", activity.id)


def _values(lead: Lead) -> dict[str, Any]:
    return {
        "contact_id": lead.contact_id,
        "assignee_id": lead.assignee_id,
        "status": lead.status.value,
        "source": lead.source.value,
        "value": lead.value,
        "probability": lead.probability,
        "tags": lead.tags,
        "notes": lead.notes,
        "custom_fields": lead.custom_fields,
        "last_contact_at": lead.last_contact_at,
        "created_at": lead.created_at,
        "updated_at": lead.updated_at,
    }


def _activity_values(activity: LeadActivity) -> dict[str, Any]:
    return {
        "id": activity.id,
        "tenant_id": activity.tenant_id,
        "lead_id": activity.lead_id,
        "actor_id": activity.actor_id,
        "type": activity.type.value,
        "title": activity.title,
        "description": activity.description,
        "metadata": activity.metadata,
        "occurred_at": activity.occurred_at,
    }


def _lead(row: Row[Any]) -> Lead:
    values = row._mapping
    return Lead(
        tenant_id=values["tenant_id"],
        id=values["id"],
        contact_id=values["contact_id"],
        source=LeadSource(values["source"]),
        status=LeadStatus(values["status"]),
        assignee_id=values["assignee_id"],
        value=values["value"],
        probability=values["probability"],
        tags=values["tags"],
        notes=values["notes"],
        custom_fields=values["custom_fields"],
        last_contact_at=values["last_contact_at"],
        created_at=values["created_at"],
        updated_at=values["updated_at"],
    )


def _activity(row: Row[Any]) -> LeadActivity:
    values = row._mapping
    return LeadActivity(
        tenant_id=values["tenant_id"],
        id=values["id"],
        lead_id=values["lead_id"],
        type=LeadActivityType(values["type"]),
        title=values["title"],
        description=values["description"],
        actor_id=values["actor_id"],
        metadata=values["metadata"],
        occurred_at=values["occurred_at"],
    )
