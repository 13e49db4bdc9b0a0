"""Accept a send: the PENDING message and its outbox row in the request's one transaction.

Idempotency rides on the messages table's unique (tenant, idempotency key): the message keeps
a hash of the canonical request, so a replay with the same request gets the same message back
and a reused key with another request gets 409 `IDEMPOTENCY_KEY_REUSED`. Concurrent identical
requests race on that index; the losers read the winner, so there is one message, one outbox
row and one broker send.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable
from uuid import UUID

from leadengine_contracts.sends import OutboundPayload, SendAccepted
from leadengine_core.events import MessageCreated, TicketUpdated
from leadengine_core.messages import Direction, Message, MessageOrigin, MessageStatus
from leadengine_core.ports import Clock, IdGenerator, UnitOfWork
from leadengine_shared.metrics import OutboundMetrics
from leadengine_storage import outbox
from leadengine_storage.find_or_add import find_or_add_message
from leadengine_storage.unit_of_work import SqlUnitOfWork
from sqlalchemy.ext.asyncio import AsyncConnection

from leadengine_api.features.outbound.content import content_of
from leadengine_api.features.outbound.targets import SendTarget
from leadengine_api.problems import ApiError

__all__ = ["SendRequest", "accept_send", "check_idempotency_key"]

KEY_MAX_LENGTH = 200
HASH_FIELD = "requestHash"


class SendRequest:
    """One send as the caller asked for it: `route` and `route_key` name what the path and body
    pointed at, so the same payload sent to two tickets under one key is a reuse."""

    def __init__(
        self,
        *,
        tenant_id: UUID,
        author_id: UUID | None,
        idempotency_key: str,
        route: str,
        route_key: dict[str, object],
        payload: OutboundPayload,
    ) -> None:
        self.tenant_id = tenant_id
        self.author_id = author_id
        self.idempotency_key = idempotency_key
        self.payload = payload
        canonical = {
            "route": route,
            **route_key,
            "payload": payload.model_dump(mode="json", exclude_none=True),
        }
        text = json.dumps(canonical, sort_keys=True, separators=(",", ":"), default=str)
        self.request_hash = hashlib.sha256(text.encode()).hexdigest()


def check_idempotency_key(raw: str | None) -> str:
    if raw is None or not raw.strip():
        raise ApiError(400, "IDEMPOTENCY_KEY_REQUIRED", "the Idempotency-Key header is required")
    if len(raw) > KEY_MAX_LENGTH:
        raise ApiError(
            422,
            "IDEMPOTENCY_KEY_INVALID",
            f"Idempotency-Key is at most {KEY_MAX_LENGTH} characters",
        )
    return raw


async def accept_send(
    uow: UnitOfWork,
    clock: Clock,
    ids: IdGenerator,
    metrics: OutboundMetrics,
    request: SendRequest,
    resolve: Callable[[], Awaitable[SendTarget]],
) -> SendAccepted:
    """`resolve` finds (or opens) the target; it runs only when the key is new."""
    existing = await uow.messages.find_by_idempotency_key(
        request.tenant_id, request.idempotency_key
    )
    if existing is not None:
        return _replay(existing, request)
    target = await resolve()
    now = clock.now()
    content = content_of(request.payload)
    candidate = Message(
        tenant_id=request.tenant_id,
        id=ids.new_id(),
        ticket_id=target.ticket.id,
        contact_id=target.contact.id,
        direction=Direction.OUTBOUND,
        origin=MessageOrigin.AGENT,
        occurred_at=now,
        created_at=now,
        updated_at=now,
        instance_id=target.instance.id,
        author_id=request.author_id,
        type=content.type,
        status=MessageStatus.PENDING,
        text=content.text,
        caption=content.caption,
        media=content.media,
        location=content.location,
        contacts=content.contacts,
        idempotency_key=request.idempotency_key,
        metadata={**content.metadata, HASH_FIELD: request.request_hash},
    )
    message, added = await find_or_add_message(uow.messages, request.tenant_id, candidate)
    if not added:
        return _replay(message, request)
    target.ticket.record_message(Direction.OUTBOUND, content.preview, now)
    await uow.tickets.update(request.tenant_id, target.ticket)
    await outbox.enqueue(
        _connection(uow),
        outbox.OutboxEntry(
            tenant_id=request.tenant_id,
            message_id=message.id,
            instance_id=target.instance.id,
            broker_id=target.instance.broker_id,
            to=target.to,
            payload=request.payload.model_dump(mode="json", exclude_none=True),
            accepted_at=now,
        ),
    )
    uow.record(
        MessageCreated(occurred_at=now, message=message),
        TicketUpdated(occurred_at=now, ticket=target.ticket, changes=frozenset({"last_message"})),
    )
    metrics.outcome("accepted")
    return _accepted(message)


def _replay(message: Message, request: SendRequest) -> SendAccepted:
    if message.metadata.get(HASH_FIELD) != request.request_hash:
        raise ApiError(
            409,
            "IDEMPOTENCY_KEY_REUSED",
            "this Idempotency-Key was used for a different request",
            extra={"details": {"messageId": str(message.id)}},
        )
    return _accepted(message)


def _accepted(message: Message) -> SendAccepted:
    return SendAccepted(
        message_id=message.id, ticket_id=message.ticket_id, status=message.status.value
    )


def _connection(uow: UnitOfWork) -> AsyncConnection:
    """The outbox row must commit with the message, so it joins the same connection."""
    if not isinstance(uow, SqlUnitOfWork):
        raise TypeError("the outbox needs the SQL unit of work")
    return uow.connection
