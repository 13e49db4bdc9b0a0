"""The three send routes. Each answers 202 once the message and its outbox row are committed;
the outbound worker does the sending. `Idempotency-Key` is required on all three."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from leadengine_contracts.sends import SendAccepted, SendMessageRequest, SendToPhoneRequest
from leadengine_core.phone import normalize_phone
from leadengine_core.users import Permission
from litestar import Controller, post
from litestar.params import HeaderParameter, JSONBody, PathParameter
from litestar.status_codes import HTTP_202_ACCEPTED

from leadengine_api.api_docs import problems
from leadengine_api.features.instances.broker import require_whatsapp_configured
from leadengine_api.features.outbound import targets
from leadengine_api.features.outbound.service import (
    SendRequest,
    accept_send,
    check_idempotency_key,
)
from leadengine_api.injected import Caller, Context, Uow

__all__ = ["OutboundController"]

IdempotencyKey = Annotated[
    str | None,
    HeaderParameter(
        name="Idempotency-Key",
        description="Required, 1 to 200 characters; a replay returns the first answer.",
    ),
]
TicketId = Annotated[UUID, PathParameter(description="A ticket of the caller's tenant.")]
ContactId = Annotated[UUID, PathParameter(description="A contact of the caller's tenant.")]
InstanceId = Annotated[UUID, PathParameter(description="Our instance id (not the broker's).")]
SEND_ERRORS = problems(400, 401, 403, 404, 409, 413, 422, 429, 503)


class OutboundController(Controller):
    tags = ["messages"]
    guards = [require_whatsapp_configured]

    @post(
        "/api/tickets/{ticket_id:uuid}/messages",
        operation_id="sendTicketMessage",
        status_code=HTTP_202_ACCEPTED,
        responses=SEND_ERRORS,
    )
    async def send_to_ticket(
        self,
        ticket_id: TicketId,
        data: JSONBody[SendMessageRequest],
        idempotency_key: IdempotencyKey,
        principal: Caller,
        uow: Uow,
        context: Context,
    ) -> SendAccepted:
        """Queue a message on a ticket, through its instance or `instanceId`."""
        principal.require(Permission.TICKETS_WRITE)
        request = SendRequest(
            tenant_id=principal.tenant_id,
            author_id=principal.user_id,
            idempotency_key=check_idempotency_key(idempotency_key),
            route="ticket",
            route_key={"ticketId": ticket_id, "instanceId": data.instance_id},
            payload=data.payload,
        )
        return await accept_send(
            uow,
            context.clock,
            context.ids,
            context.outbound_metrics,
            request,
            lambda: targets.ticket_target(uow, principal.tenant_id, ticket_id, data.instance_id),
        )

    @post(
        "/api/contacts/{contact_id:uuid}/messages",
        operation_id="sendContactMessage",
        status_code=HTTP_202_ACCEPTED,
        responses=SEND_ERRORS,
    )
    async def send_to_contact(
        self,
        contact_id: ContactId,
        data: JSONBody[SendMessageRequest],
        idempotency_key: IdempotencyKey,
        principal: Caller,
        uow: Uow,
        context: Context,
    ) -> SendAccepted:
        """Queue a message to a contact, on its open ticket for the instance (opened if none)."""
        principal.require(Permission.TICKETS_WRITE)
        request = SendRequest(
            tenant_id=principal.tenant_id,
            author_id=principal.user_id,
            idempotency_key=check_idempotency_key(idempotency_key),
            route="contact",
            route_key={"contactId": contact_id, "instanceId": data.instance_id},
            payload=data.payload,
        )
        return await accept_send(
            uow,
            context.clock,
            context.ids,
            context.outbound_metrics,
            request,
            lambda: targets.contact_target(
                uow,
                context.ids,
                principal.tenant_id,
                contact_id,
                data.instance_id,
                context.clock.now(),
            ),
        )

    @post(
        "/api/integrations/whatsapp/instances/{instance_id:uuid}/messages",
        operation_id="sendInstanceMessage",
        status_code=HTTP_202_ACCEPTED,
        responses=SEND_ERRORS,
    )
    async def send_to_phone(
        self,
        instance_id: InstanceId,
        data: JSONBody[SendToPhoneRequest],
        idempotency_key: IdempotencyKey,
        principal: Caller,
        uow: Uow,
        context: Context,
    ) -> SendAccepted:
        """Queue a message to any phone: the contact is found or added by phone."""
        principal.require(Permission.TICKETS_WRITE)
        request = SendRequest(
            tenant_id=principal.tenant_id,
            author_id=principal.user_id,
            idempotency_key=check_idempotency_key(idempotency_key),
            route="instance",
            route_key={"instanceId": instance_id, "to": normalize_phone(data.to)},
            payload=data.payload,
        )
        return await accept_send(
            uow,
            context.clock,
            context.ids,
            context.outbound_metrics,
            request,
            lambda: targets.phone_target(
                uow, context.ids, principal.tenant_id, instance_id, data.to, context.clock.now()
            ),
        )
