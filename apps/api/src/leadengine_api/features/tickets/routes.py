"""/api/tickets: the inbox, one ticket, and what agents do to it.

Status moves follow core's table (`leadengine_core.ticket_status`): OPEN, PENDING and ASSIGNED
move freely among themselves and to RESOLVED or CLOSED; a finished ticket comes back only by
`reopen`. Any role may work tickets; assigning to someone else needs SUPERVISOR or ADMIN.
"""

from __future__ import annotations

from uuid import UUID

from leadengine_contracts.pagination import Page
from leadengine_contracts.tickets import (
    AssignTicketRequest,
    ChangeTicketStatusRequest,
    CloseTicketRequest,
    CreateTicketRequest,
    TicketOut,
    UpdateTicketRequest,
)
from leadengine_core.ports import DEFAULT_PAGE_SIZE
from leadengine_core.users import Permission
from litestar import Controller, get, patch, post
from litestar.di import Provide
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from leadengine_api.api_docs import USER_ERRORS, OptionalBodyOperation
from leadengine_api.features.tickets import lookups, query, service
from leadengine_api.features.tickets.pages import Cursor, Limit, page_out
from leadengine_api.features.tickets.views import ticket_out
from leadengine_api.injected import Caller, Context, Uow

__all__ = ["TicketsController"]


class TicketsController(Controller):
    path = "/api/tickets"
    tags = ["tickets"]

    @get(
        "/",
        operation_id="listTickets",
        responses=USER_ERRORS,
        dependencies={"inbox": Provide(query.inbox_query)},
    )
    async def list_tickets(
        self,
        principal: Caller,
        uow: Uow,
        inbox: query.InboxQuery,
        cursor: Cursor = None,
        limit: Limit = DEFAULT_PAGE_SIZE,
    ) -> Page[TicketOut]:
        """The inbox, most recent activity first; filters combine with AND."""
        principal.require(Permission.TICKETS_READ)
        filters = inbox.for_caller(principal)
        page = await service.list_tickets(uow, principal.tenant_id, filters, cursor, limit)
        return page_out(page, TicketOut.from_domain)

    @get("/{ticket_id:uuid}", operation_id="getTicket", responses=USER_ERRORS)
    async def get_ticket(
        self,
        principal: Caller,
        uow: Uow,
        ticket_id: FromPath[UUID],
        include: query.IncludeParam = None,
    ) -> TicketOut:
        """`include=contact,lead` embeds the ticket's contact and the contact's lead."""
        principal.require(Permission.TICKETS_READ)
        embedded = query.includes(include)
        ticket = await lookups.ticket_of(uow, principal.tenant_id, ticket_id)
        return await ticket_out(uow, principal.tenant_id, ticket, embedded)

    @post("/", operation_id="createTicket", status_code=HTTP_201_CREATED, responses=USER_ERRORS)
    async def create_ticket(
        self, principal: Caller, uow: Uow, context: Context, data: JSONBody[CreateTicketRequest]
    ) -> TicketOut:
        """409 `CONFLICT` with `details.existingTicketId` when the contact already has an open
        ticket on the instance."""
        principal.require(Permission.TICKETS_WRITE)
        ticket = await service.create_ticket(
            uow, context.clock, context.ids, principal.tenant_id, data
        )
        return TicketOut.from_domain(ticket)

    @patch("/{ticket_id:uuid}", operation_id="updateTicket", responses=USER_ERRORS)
    async def update_ticket(
        self,
        principal: Caller,
        uow: Uow,
        context: Context,
        ticket_id: FromPath[UUID],
        data: JSONBody[UpdateTicketRequest],
    ) -> TicketOut:
        principal.require(Permission.TICKETS_WRITE)
        ticket = await service.update_ticket(
            uow, context.clock, principal.tenant_id, ticket_id, data
        )
        return TicketOut.from_domain(ticket)

    @post(
        "/{ticket_id:uuid}/status",
        operation_id="changeTicketStatus",
        status_code=HTTP_200_OK,
        responses=USER_ERRORS,
    )
    async def change_status(
        self,
        principal: Caller,
        uow: Uow,
        context: Context,
        ticket_id: FromPath[UUID],
        data: JSONBody[ChangeTicketStatusRequest],
    ) -> TicketOut:
        """409 `INVALID_TRANSITION` for a move the table forbids."""
        principal.require(Permission.TICKETS_WRITE)
        ticket = await service.change_status(uow, context.clock, principal, ticket_id, data)
        return TicketOut.from_domain(ticket)

    @post(
        "/{ticket_id:uuid}/assign",
        operation_id="assignTicket",
        status_code=HTTP_200_OK,
        responses=USER_ERRORS,
    )
    async def assign_ticket(
        self,
        principal: Caller,
        uow: Uow,
        context: Context,
        ticket_id: FromPath[UUID],
        data: JSONBody[AssignTicketRequest],
    ) -> TicketOut:
        """Assign to an active user of the tenant. An AGENT may only assign to themselves
        (403 otherwise); a SUPERVISOR or ADMIN may assign to anyone."""
        principal.require(Permission.TICKETS_WRITE)
        ticket = await service.assign_ticket(uow, context.clock, principal, ticket_id, data.user_id)
        return TicketOut.from_domain(ticket)

    @post(
        "/{ticket_id:uuid}/close",
        operation_id="closeTicket",
        status_code=HTTP_200_OK,
        responses=USER_ERRORS,
        operation_class=OptionalBodyOperation,
    )
    async def close_ticket(
        self,
        principal: Caller,
        uow: Uow,
        context: Context,
        ticket_id: FromPath[UUID],
        data: CloseTicketRequest | None = None,
    ) -> TicketOut:
        """The body (with a `reason`) is optional; closing a closed ticket changes nothing."""
        principal.require(Permission.TICKETS_WRITE)
        reason = None if data is None else data.reason
        ticket = await service.close_ticket(uow, context.clock, principal, ticket_id, reason)
        return TicketOut.from_domain(ticket)

    @post(
        "/{ticket_id:uuid}/reopen",
        operation_id="reopenTicket",
        status_code=HTTP_200_OK,
        responses=USER_ERRORS,
    )
    async def reopen_ticket(
        self, principal: Caller, uow: Uow, context: Context, ticket_id: FromPath[UUID]
    ) -> TicketOut:
        """A RESOLVED or CLOSED ticket back to OPEN; 409 `CONFLICT` with
        `details.existingTicketId` when the contact has opened another ticket there since."""
        principal.require(Permission.TICKETS_WRITE)
        ticket = await service.reopen_ticket(uow, context.clock, principal.tenant_id, ticket_id)
        return TicketOut.from_domain(ticket)
