"""Committed domain events → `seq` → catch-up log → one emit to the tenant's room.

Entry points call `publish` right after their commit, never before, so a rolled-back change is
never announced. Every socket of a tenant is in its tenant room (ticket and user rooms are
subsets of it), so one emit reaches each socket exactly once. Within this process events go
out in `seq` order: numbering, keeping and emitting happen under one lock. A failure here is
logged and swallowed: the change is committed, and clients recover through catch-up or REST.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any, Protocol
from uuid import UUID

from leadengine_contracts.events import CircuitBreakerEvent, EventName
from leadengine_core.events import DomainEvent
from leadengine_shared.logging import get_logger
from leadengine_shared.metrics import RealtimeMetrics

from leadengine_api.realtime.envelopes import Draft, drafts_for
from leadengine_api.realtime.event_log import EventLog, KeptEvent
from leadengine_api.realtime.rooms import tenant_room
from leadengine_api.telemetry import emit_span

__all__ = ["Emitter", "RealtimePublisher"]

_log = get_logger("leadengine.realtime")


class Emitter(Protocol):
    """`socketio.AsyncServer` in an API process, a write-only `AsyncRedisManager` in a worker."""

    async def emit(self, event: str, data: Any = None, *, room: str | None = None) -> Any: ...


class RealtimePublisher:
    """core's `EventPublisher` for Socket.IO clients."""

    def __init__(self, emitter: Emitter, log: EventLog, metrics: RealtimeMetrics) -> None:
        self._emitter = emitter
        self._log = log
        self._metrics = metrics
        self._lock = asyncio.Lock()

    async def publish(self, events: Sequence[DomainEvent]) -> None:
        for draft in drafts_for(events):
            await self._send(draft)

    async def circuit_changed(
        self, tenant_id: UUID, instance_id: UUID, *, is_open: bool, failures: int | None = None
    ) -> None:
        """The outbound circuit of an instance opened or closed (not a database change)."""
        name = EventName.CIRCUIT_OPEN if is_open else EventName.CIRCUIT_CLOSED

        def build(seq: int) -> CircuitBreakerEvent:
            return CircuitBreakerEvent(
                tenant_id=tenant_id,
                seq=seq,
                instance_id=instance_id,
                state="open" if is_open else "closed",
                failures=failures,
            )

        await self._send(Draft(name, tenant_id, build))

    async def _send(self, draft: Draft) -> None:
        try:
            async with self._lock:
                seq = await self._log.next_seq(draft.tenant_id)
                data = draft.build(seq).model_dump(mode="json")
                await self._log.keep(draft.tenant_id, KeptEvent(seq, draft.name, data))
                with emit_span(draft.name.value, draft.tenant_id, seq):
                    await self._emitter.emit(
                        draft.name.value, data, room=tenant_room(draft.tenant_id)
                    )
        except Exception as error:  # the change is committed; clients catch up or reload
            _log.error(
                "realtime.publish.failed",
                name=draft.name.value,
                tenant_id=str(draft.tenant_id),
                error=type(error).__name__,
            )
            return
        self._metrics.emitted(draft.name.value)
