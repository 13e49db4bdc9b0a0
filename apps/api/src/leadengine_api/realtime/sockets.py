"""The Socket.IO handlers: authenticate on connect, then ticket rooms and typing.

Socket traffic skips the HTTP middleware, so `connect` checks the same access JWT as REST
(`auth.token`, `Authorization: Bearer`, or `?token=`) and that the user and tenant are active;
anything else refuses the connection. The tenant and user come from the token only: a client
cannot name the rooms it is put in, and a ticket room is joined only after a tenant-scoped
lookup of the ticket.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs
from uuid import UUID

import socketio  # type: ignore[import-untyped]
from leadengine_contracts.events import (
    AckError,
    SocketAck,
    TicketRoomRequest,
    TicketTypingEvent,
    TicketTypingRequest,
)
from leadengine_core.ports import UnitOfWork
from leadengine_shared.logging import get_logger
from leadengine_shared.metrics import RealtimeMetrics
from pydantic import ValidationError
from sqlalchemy.exc import SQLAlchemyError

from leadengine_api.auth.tokens import TokenService
from leadengine_api.problems import ApiError
from leadengine_api.realtime.rooms import tenant_room, ticket_room, user_room
from leadengine_api.telemetry import emit_span

__all__ = ["SocketHandlers", "SocketUser", "bearer_token"]

_log = get_logger("leadengine.realtime")
TYPING_EVENT = "ticket:typing"


@dataclass(frozen=True, slots=True)
class SocketUser:
    tenant_id: UUID
    user_id: UUID


def bearer_token(environ: Mapping[str, Any], auth: object) -> str | None:
    """The token from the handshake `auth` payload, the header, or the query, in that order."""
    candidates = [
        auth.get("token") if isinstance(auth, dict) else None,
        environ.get("HTTP_AUTHORIZATION"),
        *parse_qs(environ.get("QUERY_STRING", "")).get("token", []),
    ]
    for candidate in candidates:
        if isinstance(candidate, str):
            scheme, _, rest = candidate.strip().partition(" ")
            token = rest.strip() if scheme.lower() == "bearer" else candidate.strip()
            if token:
                return token
    return None


def _ack(error: AckError | None = None) -> dict[str, Any]:
    return SocketAck(ok=error is None, error=error).model_dump(mode="json", exclude_none=True)


def _ticket_id(data: object) -> UUID | None:
    try:
        if isinstance(data, str):
            return UUID(data)
        return TicketRoomRequest.model_validate(data).ticket_id
    except (ValueError, ValidationError):
        return None


class SocketHandlers:
    def __init__(
        self,
        sio: socketio.AsyncServer,
        tokens: TokenService,
        new_unit_of_work: Callable[[], UnitOfWork],
        metrics: RealtimeMetrics,
    ) -> None:
        self._sio = sio
        self._tokens = tokens
        self._new_uow = new_unit_of_work
        self._metrics = metrics

    def register(self) -> None:
        self._sio.on("connect", self.connect)
        self._sio.on("disconnect", self.disconnect)
        self._sio.on("join-ticket", self.join_ticket)
        self._sio.on("leave-ticket", self.leave_ticket)
        self._sio.on(TYPING_EVENT, self.typing)

    async def connect(self, sid: str, environ: Mapping[str, Any], auth: object = None) -> None:
        token = bearer_token(environ, auth)
        if token is None:
            raise socketio.exceptions.ConnectionRefusedError("UNAUTHORIZED")
        user = await self._authenticate(token)
        await self._sio.save_session(sid, user)
        await self._sio.enter_room(sid, tenant_room(user.tenant_id))
        await self._sio.enter_room(sid, user_room(user.user_id))
        self._metrics.connected.inc()

    async def disconnect(self, sid: str, *_: object) -> None:
        self._metrics.connected.dec()

    async def _authenticate(self, token: str) -> SocketUser:
        try:
            claims = self._tokens.decode(token, "access")
            async with self._new_uow() as uow:
                user = await uow.users.get(claims.tenant_id, claims.user_id)
                tenant = await uow.tenants.get(claims.tenant_id)
        except ApiError as error:
            raise socketio.exceptions.ConnectionRefusedError(error.code) from error
        except SQLAlchemyError as error:
            _log.warning("realtime.connect.unavailable", error=type(error).__name__)
            raise socketio.exceptions.ConnectionRefusedError("UNAVAILABLE") from error
        if user is None or not user.is_active or tenant is None or not tenant.is_active:
            raise socketio.exceptions.ConnectionRefusedError("UNAUTHORIZED")
        return SocketUser(tenant_id=user.tenant_id, user_id=user.id)

    async def join_ticket(self, sid: str, data: object = None) -> dict[str, Any]:
        return await self._ticket_room(sid, data, join=True)

    async def leave_ticket(self, sid: str, data: object = None) -> dict[str, Any]:
        return await self._ticket_room(sid, data, join=False)

    async def _ticket_room(self, sid: str, data: object, *, join: bool) -> dict[str, Any]:
        ticket_id = _ticket_id(data)
        if ticket_id is None:
            return _ack(AckError.INVALID)
        user: SocketUser = await self._sio.get_session(sid)
        try:
            async with self._new_uow() as uow:
                ticket = await uow.tickets.get(user.tenant_id, ticket_id)
        except SQLAlchemyError as error:
            _log.warning("realtime.join.unavailable", error=type(error).__name__)
            return _ack(AckError.UNAVAILABLE)
        if ticket is None:
            return _ack(AckError.NOT_FOUND)
        if join:
            await self._sio.enter_room(sid, ticket_room(ticket.id))
        else:
            await self._sio.leave_room(sid, ticket_room(ticket.id))
        return _ack()

    async def typing(self, sid: str, data: object = None) -> dict[str, Any]:
        """Relayed only into a ticket room this socket joined (so, its own tenant's ticket),
        with the sender's ids taken from the session, never from the payload."""
        try:
            request = TicketTypingRequest.model_validate(data)
        except ValidationError:
            return _ack(AckError.INVALID)
        room = ticket_room(request.ticket_id)
        if room not in self._sio.rooms(sid):
            return _ack(AckError.NOT_FOUND)
        user: SocketUser = await self._sio.get_session(sid)
        event = TicketTypingEvent(
            tenant_id=user.tenant_id,
            ticket_id=request.ticket_id,
            user_id=user.user_id,
            typing=request.typing,
        )
        with emit_span(TYPING_EVENT, user.tenant_id):
            await self._sio.emit(
                TYPING_EVENT, event.model_dump(mode="json"), room=room, skip_sid=sid
            )
        self._metrics.emitted(TYPING_EVENT)
        return _ack()
