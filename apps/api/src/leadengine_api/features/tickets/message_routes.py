"""GET /api/tickets/{ticket_id}/messages: a ticket's thread. Sending (POST on the same path)
lives with the other sends in `features.outbound`."""

from __future__ import annotations

from enum import StrEnum
from uuid import UUID

from leadengine_contracts.messages import MessageOut
from leadengine_contracts.pagination import Page
from leadengine_core.ports import DEFAULT_PAGE_SIZE
from leadengine_core.users import Permission
from litestar import Controller, get
from litestar.params import FromPath, FromQuery

from leadengine_api.api_docs import USER_ERRORS
from leadengine_api.features.tickets import lookups
from leadengine_api.features.tickets.pages import Cursor, Limit, page_out
from leadengine_api.injected import Caller, Uow

__all__ = ["MessageOrder", "TicketMessagesController"]


class MessageOrder(StrEnum):
    ASC = "asc"
    DESC = "desc"


class TicketMessagesController(Controller):
    path = "/api/tickets/{ticket_id:uuid}/messages"
    tags = ["messages"]

    @get("/", operation_id="listTicketMessages", responses=USER_ERRORS)
    async def list_messages(
        self,
        principal: Caller,
        uow: Uow,
        ticket_id: FromPath[UUID],
        order: FromQuery[MessageOrder] = MessageOrder.DESC,
        cursor: Cursor = None,
        limit: Limit = DEFAULT_PAGE_SIZE,
    ) -> Page[MessageOut]:
        """By WhatsApp time (`occurredAt`), newest first unless `order=asc`. A cursor belongs
        to the order that issued it."""
        principal.require(Permission.TICKETS_READ)
        ticket = await lookups.ticket_of(uow, principal.tenant_id, ticket_id)
        page = await uow.messages.list_page(
            principal.tenant_id,
            ticket.id,
            cursor=cursor,
            limit=limit,
            oldest_first=order is MessageOrder.ASC,
        )
        return page_out(page, MessageOut.from_domain)
