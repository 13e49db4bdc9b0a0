"""/api/tickets/{ticket_id}/notes: internal notes, in the order they were written."""

from __future__ import annotations

from uuid import UUID

from leadengine_contracts.pagination import Page
from leadengine_contracts.tickets import CreateNoteRequest, NoteOut
from leadengine_core.ports import DEFAULT_PAGE_SIZE
from leadengine_core.users import Permission
from litestar import Controller, get, post
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_201_CREATED

from leadengine_api.api_docs import USER_ERRORS
from leadengine_api.features.tickets import lookups, service
from leadengine_api.features.tickets.pages import Cursor, Limit, page_out
from leadengine_api.injected import Caller, Context, Uow

__all__ = ["TicketNotesController"]


class TicketNotesController(Controller):
    path = "/api/tickets/{ticket_id:uuid}/notes"
    tags = ["tickets"]

    @get("/", operation_id="listTicketNotes", responses=USER_ERRORS)
    async def list_notes(
        self,
        principal: Caller,
        uow: Uow,
        ticket_id: FromPath[UUID],
        cursor: Cursor = None,
        limit: Limit = DEFAULT_PAGE_SIZE,
    ) -> Page[NoteOut]:
        """Oldest first."""
        principal.require(Permission.TICKETS_READ)
        ticket = await lookups.ticket_of(uow, principal.tenant_id, ticket_id)
        page = await uow.tickets.list_notes(
            principal.tenant_id, ticket.id, cursor=cursor, limit=limit
        )
        return page_out(page, NoteOut.from_domain)

    @post("/", operation_id="addTicketNote", status_code=HTTP_201_CREATED, responses=USER_ERRORS)
    async def add_note(
        self,
        principal: Caller,
        uow: Uow,
        context: Context,
        ticket_id: FromPath[UUID],
        data: JSONBody[CreateNoteRequest],
    ) -> NoteOut:
        """Written by the caller; never sent to the customer."""
        principal.require(Permission.TICKETS_WRITE)
        note = await service.add_note(uow, context.clock, context.ids, principal, ticket_id, data)
        return NoteOut.from_domain(note)
