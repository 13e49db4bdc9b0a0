"""/api/leads: list, create, view and change leads, and read their history.

A lead's status is free within the enum (sales teams move leads both ways); every change is
recorded as an activity with who made it. Any role may read and write leads.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated
from uuid import UUID

from leadengine_contracts.leads import (
    CreateLeadRequest,
    LeadActivityOut,
    LeadInclude,
    LeadOut,
    UpdateLeadRequest,
)
from leadengine_contracts.pagination import Page
from leadengine_core.leads import Lead, LeadStatus
from leadengine_core.ports import DEFAULT_PAGE_SIZE, UnitOfWork
from leadengine_core.users import Permission
from litestar import Controller, get, patch, post
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_201_CREATED

from leadengine_api.api_docs import USER_ERRORS
from leadengine_api.features.contacts.query import listed, listed_members
from leadengine_api.features.contacts.views import contacts_out
from leadengine_api.features.leads import service
from leadengine_api.features.tickets.pages import Cursor, Limit, page_out
from leadengine_api.injected import Caller, Context, Uow

__all__ = ["LeadsController"]

StatusParam = Annotated[list[str] | None, listed("status", ", ".join(LeadStatus))]
IncludeParam = Annotated[list[str] | None, listed("include", "contact")]


class LeadsController(Controller):
    path = "/api/leads"
    tags = ["leads"]

    @get("/", operation_id="listLeads", responses=USER_ERRORS)
    async def list_leads(
        self,
        principal: Caller,
        uow: Uow,
        status: StatusParam = None,
        include: IncludeParam = None,
        cursor: Cursor = None,
        limit: Limit = DEFAULT_PAGE_SIZE,
    ) -> Page[LeadOut]:
        """Most recently updated first; `include=contact` embeds each lead's contact."""
        principal.require(Permission.LEADS_READ)
        statuses = listed_members(status, LeadStatus, "status")
        page = await uow.leads.list_page(
            principal.tenant_id, statuses=statuses, cursor=cursor, limit=limit
        )
        return Page[LeadOut](
            items=await _leads_out(uow, principal.tenant_id, page.items, include),
            next_cursor=page.next_cursor,
            prev_cursor=page.prev_cursor,
        )

    @post("/", operation_id="createLead", status_code=HTTP_201_CREATED, responses=USER_ERRORS)
    async def create_lead(
        self, principal: Caller, uow: Uow, context: Context, data: JSONBody[CreateLeadRequest]
    ) -> LeadOut:
        """404 unless `contactId` is a contact of the tenant; 409 `CONFLICT` with
        `details.existingLeadId` when the contact already has its lead."""
        principal.require(Permission.LEADS_WRITE)
        lead = await service.create_lead(
            uow, context.clock, context.ids, principal.tenant_id, data, actor_id=principal.user_id
        )
        return LeadOut.from_domain(lead)

    @get("/{lead_id:uuid}", operation_id="getLead", responses=USER_ERRORS)
    async def get_lead(
        self, principal: Caller, uow: Uow, lead_id: FromPath[UUID], include: IncludeParam = None
    ) -> LeadOut:
        """`include=contact` embeds the lead's contact."""
        principal.require(Permission.LEADS_READ)
        lead = await service.lead_of(uow, principal.tenant_id, lead_id)
        [out] = await _leads_out(uow, principal.tenant_id, [lead], include)
        return out

    @patch("/{lead_id:uuid}", operation_id="updateLead", responses=USER_ERRORS)
    async def update_lead(
        self,
        principal: Caller,
        uow: Uow,
        context: Context,
        lead_id: FromPath[UUID],
        data: JSONBody[UpdateLeadRequest],
    ) -> LeadOut:
        """A status change records STATUS_CHANGED (CONVERTED, LOST for those statuses) and an
        assignment ASSIGNED, each with the caller as actor. `assigneeId` must be an active user
        of the tenant."""
        principal.require(Permission.LEADS_WRITE)
        lead = await service.update_lead(
            uow,
            context.clock,
            context.ids,
            principal.tenant_id,
            lead_id,
            data,
            actor_id=principal.user_id,
        )
        return LeadOut.from_domain(lead)

    @get("/{lead_id:uuid}/activities", operation_id="listLeadActivities", responses=USER_ERRORS)
    async def list_activities(
        self,
        principal: Caller,
        uow: Uow,
        lead_id: FromPath[UUID],
        cursor: Cursor = None,
        limit: Limit = DEFAULT_PAGE_SIZE,
    ) -> Page[LeadActivityOut]:
        """The lead's history in the order it happened, oldest first."""
        principal.require(Permission.LEADS_READ)
        lead = await service.lead_of(uow, principal.tenant_id, lead_id)
        page = await uow.leads.list_activities(
            principal.tenant_id, lead.id, cursor=cursor, limit=limit
        )
        return page_out(page, LeadActivityOut.from_domain)


async def _leads_out(
    uow: UnitOfWork, tenant_id: UUID, leads: Sequence[Lead], include: list[str] | None
) -> list[LeadOut]:
    if LeadInclude.CONTACT not in listed_members(include, LeadInclude, "include"):
        return [LeadOut.from_domain(lead) for lead in leads]
    contacts = await uow.contacts.get_many(tenant_id, [lead.contact_id for lead in leads])
    by_id = {out.id: out for out in await contacts_out(uow, tenant_id, contacts)}
    return [LeadOut.from_domain(lead, contact=by_id.get(lead.contact_id)) for lead in leads]
