"""The inbound processor: claim inbox rows and apply each event exactly once.

Each row is applied in its own unit of work, and the row is marked finished on that same
connection, so the domain effects and "this row is done" commit together or not at all. A row
whose lease was lost meanwhile (another worker took it over) is rolled back instead. A failing
row is retried with backoff and ends `failed`, replayable.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from leadengine_core.instances import WhatsAppInstance
from leadengine_core.ports import Clock, EventPublisher, IdGenerator, UnitOfWork
from leadengine_integrations.normalize import (
    IgnoredEvent,
    InboundMessage,
    RejectedEvent,
    WebhookEvent,
)
from leadengine_shared.logging import get_logger
from leadengine_shared.metrics import InboundMetrics
from leadengine_storage import inbox, work_queue
from leadengine_storage.tables import inbound_inbox
from leadengine_storage.unit_of_work import SqlUnitOfWork
from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncEngine

from leadengine_api.features.inbound.apply import ApplyResult, InboundEvent
from leadengine_api.features.inbound.envelopes import event_for
from leadengine_api.telemetry import inbox_row_span
from leadengine_api.worker.config import WorkerConfig

__all__ = ["ApplyEvent", "InboundProcessor"]

_log = get_logger("leadengine.worker.inbound")
DEFER_RECHECK_BASE_SECONDS = 5.0
DEFER_RECHECK_CAP_SECONDS = 600.0
PURGE_EVERY = timedelta(hours=1)


ApplyEvent = Callable[
    [UnitOfWork, Clock, IdGenerator, WhatsAppInstance, InboundEvent], Awaitable[ApplyResult]
]
"""`features.inbound.apply.apply_event`; tests pass a failing one to exercise retries."""


class InboundProcessor:
    def __init__(
        self,
        engine: AsyncEngine,
        clock: Clock,
        ids: IdGenerator,
        metrics: InboundMetrics,
        apply: ApplyEvent,
        config: WorkerConfig,
        worker_id: str,
        publisher: EventPublisher | None = None,
    ) -> None:
        self._engine = engine
        self._publisher = publisher
        self._clock = clock
        self._ids = ids
        self._metrics = metrics
        self._apply = apply
        self._config = config
        self.worker_id = worker_id
        self._purged_at: datetime | None = None

    async def housekeeping(self) -> None:
        """Cheap statements run every cycle: take back dead workers' rows, route parked rows
        whose instance now exists, re-check deferred rows; purge and refresh gauges too."""
        now = self._clock.now()
        async with self._engine.begin() as connection:
            await work_queue.release_expired_leases(connection, inbound_inbox, now=now)
            await inbox.route_unroutable(connection, now=now)
            await inbox.recheck_deferred(connection, now=now)
            if self._purged_at is None or now - self._purged_at >= PURGE_EVERY:
                await inbox.purge(connection, processed_before=now - self._config.retention)
                self._purged_at = now
            self._refresh_gauges(await inbox.depth(connection), now)

    async def drain_once(self) -> int:
        """Claim one batch and process it; returns how many rows were claimed."""
        async with self._engine.begin() as connection:
            rows = await work_queue.claim(
                connection,
                inbound_inbox,
                worker_id=self.worker_id,
                limit=self._config.batch_size,
                now=self._clock.now(),
                lease=self._config.lease,
            )
        for row in rows:
            await self.process(row)
        return len(rows)

    async def process(self, row: Row[Any]) -> None:
        with inbox_row_span(row):
            await self._process(row)

    async def _process(self, row: Row[Any]) -> None:
        try:
            async with SqlUnitOfWork(self._engine) as uow:
                if await self._apply_row(uow, row):
                    await uow.commit()
        except Exception as error:
            await self._retry(row, error)
            return
        if self._publisher is not None:
            await self._publisher.publish(uow.collect_events())

    async def _apply_row(self, uow: SqlUnitOfWork, row: Row[Any]) -> bool:
        event = event_for(row.source, row.payload, row.dedupe_key)
        if event is None or isinstance(event, (IgnoredEvent, RejectedEvent)):
            return await self._finish(uow, row, inbox.IGNORED, last_error="unparseable")
        instance = await uow.instances.route_by_broker_id(row.broker_id)
        if instance is None or instance.is_deleted or instance.tenant_id != row.tenant_id:
            return await self._finish(uow, row, inbox.IGNORED, last_error="instance_gone")
        result = await self._apply(uow, self._clock, self._ids, instance, event)
        if result.outcome == "deferred":
            return await self._defer(uow, row, result.waiting_for)
        applied = result.outcome == "applied"
        finished = await self._finish(
            uow, row, work_queue.DONE, last_error=None if applied else _reason(result)
        )
        if finished and applied:
            await self._rearm_waiting(uow, row, event)
        if finished:
            latency = (self._clock.now() - row.received_at).total_seconds() if applied else None
            self._metrics.applied(row.kind, result.outcome, latency)
        return finished

    async def _defer(self, uow: SqlUnitOfWork, row: Row[Any], waiting_for: str | None) -> bool:
        """Wait for the message an ack names; re-checked with backoff in case it was applied
        by another worker while this row was being deferred, and dropped once out of tries."""
        if row.attempts >= self._config.max_attempts:
            return await self._finish(uow, row, inbox.IGNORED, last_error="waiting_for_expired")
        recheck = work_queue.backoff_delay(
            row.attempts, base=DEFER_RECHECK_BASE_SECONDS, cap=DEFER_RECHECK_CAP_SECONDS
        )
        self._metrics.applied(row.kind, "deferred", None)
        return await work_queue.complete(
            uow.connection,
            inbound_inbox,
            row.id,
            worker_id=self.worker_id,
            status=inbox.DEFERRED,
            waiting_for=waiting_for,
            available_at=self._clock.now() + recheck,
        )

    async def _finish(
        self, uow: SqlUnitOfWork, row: Row[Any], status: str, *, last_error: str | None
    ) -> bool:
        return await work_queue.complete(
            uow.connection,
            inbound_inbox,
            row.id,
            worker_id=self.worker_id,
            status=status,
            last_error=last_error,
            processed_at=self._clock.now(),
        )

    async def _rearm_waiting(self, uow: SqlUnitOfWork, row: Row[Any], event: WebhookEvent) -> None:
        if isinstance(event, InboundMessage) and event.provider_message_id is not None:
            await inbox.rearm_waiting(
                uow.connection, row.broker_id, event.provider_message_id, now=self._clock.now()
            )

    async def _retry(self, row: Row[Any], error: Exception) -> None:
        message = f"{type(error).__name__}: {error}"
        async with self._engine.begin() as connection:
            status = await work_queue.retry(
                connection,
                inbound_inbox,
                row,
                worker_id=self.worker_id,
                error=message,
                now=self._clock.now(),
                max_attempts=self._config.max_attempts,
            )
        self._metrics.applied(row.kind, "error", None)
        _log.warning(
            "inbound.apply.failed",
            inbox_id=str(row.id),
            kind=row.kind,
            attempt=row.attempts,
            status=status,
            error=type(error).__name__,
        )

    def _refresh_gauges(
        self, depth: Mapping[str, tuple[int, datetime | None]], now: datetime
    ) -> None:
        for status in inbox.STATUSES:
            count, oldest = depth.get(status, (0, None))
            self._metrics.depth.labels(status=status).set(count)
            age = 0.0 if oldest is None else (now - oldest).total_seconds()
            self._metrics.oldest_age.labels(status=status).set(max(age, 0.0))


def _reason(result: ApplyResult) -> str:
    """Why a row finished without effect (`duplicate: message_exists`), kept on the row."""
    return f"{result.outcome}: {result.reason}" if result.reason else result.outcome
