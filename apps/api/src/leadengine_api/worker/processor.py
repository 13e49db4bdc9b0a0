"""The inbound processor: claim inbox rows and apply each event exactly once.

A claimed batch is applied in one transaction through `BatchUnitOfWork` (a dozen statements
instead of dozens per event), and its rows are marked finished in that same transaction, so
the domain effects and "these rows are done" commit together or not at all. A batch that
needs something the batch path does not do (a merge, a connection update, a lost race or
lease) is rolled back whole and its rows are applied one by one, each in its own unit of work
with its own finish; a failing row is retried with backoff and ends `failed`, replayable.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from leadengine_core.events import DomainEvent
from leadengine_core.instances import WhatsAppInstance
from leadengine_core.ports import Clock, EventPublisher, IdGenerator, UnitOfWork
from leadengine_integrations.normalize import (
    ConnectionUpdate,
    IgnoredEvent,
    InboundMessage,
    RejectedEvent,
    WebhookEvent,
)
from leadengine_shared.logging import get_logger
from leadengine_shared.metrics import InboundMetrics
from leadengine_storage import inbox, work_queue
from leadengine_storage.batch_unit_of_work import BatchUnitOfWork, Unbatchable
from leadengine_storage.repositories import SqlInstanceRepository
from leadengine_storage.tables import inbound_inbox
from leadengine_storage.unit_of_work import SqlUnitOfWork
from opentelemetry.trace import Span
from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncEngine

from leadengine_api.features.inbound.apply import ApplyResult, InboundEvent
from leadengine_api.features.inbound.envelopes import event_for
from leadengine_api.telemetry import inbox_row_span, resumed
from leadengine_api.worker.config import WorkerConfig
from leadengine_api.worker.prefetch import prefetch_keys

__all__ = ["ApplyEvent", "InboundProcessor"]

_log = get_logger("leadengine.worker.inbound")
YIELD_AFTER_SECONDS = 0.005
"""Cached reads never suspend, so a batch yields to the event loop (webhooks, sockets sharing
it) after this much work; yielding after every row made a batch wait a loop turn per row."""
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
        if len(rows) > 1 and await self._process_batch(rows):
            return len(rows)
        for row in rows:
            await self.process(row)
        return len(rows)

    async def process(self, row: Row[Any]) -> None:
        """One row in its own unit of work (the way back for a batch that cannot be)."""
        with inbox_row_span(row):
            try:
                async with SqlUnitOfWork(self._engine) as uow:
                    finish = await self._apply_row(uow, row)
                    if finish is not None:
                        await uow.commit()
            except Exception as error:
                await self._retry(row, error)
                return
            if finish is not None:
                self._count(row, finish)
            await self._announce(uow.collect_events())

    async def _process_batch(self, rows: Sequence[Row[Any]]) -> bool:
        """All rows in one transaction through `BatchUnitOfWork`. False, with nothing written,
        when the batch needs what the batch path does not do or lost a race: the caller then
        processes the rows one by one, which decides every outcome exactly as before."""
        try:
            async with self._engine.begin() as connection:
                applied = await self._apply_batch(BatchUnitOfWork(connection), rows)
        except Exception as error:
            self._metrics.batch_fallback(type(error).__name__)
            _log.info("inbound.batch.fallback", rows=len(rows), error=type(error).__name__)
            return False
        for row, finish, _, _ in applied:
            self._count(row, finish)
        await asyncio.gather(*(self._announce(events, span) for _, _, span, events in applied))
        return True

    async def _apply_batch(self, uow: BatchUnitOfWork, rows: Sequence[Row[Any]]) -> list[_Applied]:
        """Each row's finish, its span and the events it recorded, once all are written."""
        routes = await SqlInstanceRepository(uow.connection).route_by_broker_ids(
            {row.broker_id for row in rows}
        )
        applied: list[_Applied] = []
        work: list[tuple[Row[Any], WhatsAppInstance, InboundEvent]] = []
        for row in rows:
            event = event_for(row.source, row.payload, row.dedupe_key)
            target = _target(row, event, routes.get(row.broker_id), self._clock.now())
            if isinstance(target, Finish):
                applied.append(_Applied(row, target, None, []))
            elif isinstance(target[1], ConnectionUpdate):
                raise Unbatchable("connection updates change the instance")
            else:
                work.append((row, *target))
        await uow.prefetch(*prefetch_keys((instance, event) for _, instance, event in work))
        loop = asyncio.get_running_loop()
        yielded_at = loop.time()
        for row, instance, event in work:
            with inbox_row_span(row) as span:
                result = await self._apply(uow, self._clock, self._ids, instance, event)
            finish = self._finish_for(row, event, result)
            applied.append(_Applied(row, finish, span, uow.collect_events()))
            if loop.time() - yielded_at >= YIELD_AFTER_SECONDS:
                await asyncio.sleep(0)
                yielded_at = loop.time()
        await uow.flush()
        leased = await work_queue.complete_many(
            uow.connection,
            inbound_inbox,
            [(a.row.id, {"status": a.finish.status, **a.finish.values}) for a in applied],
            worker_id=self.worker_id,
        )
        if leased != len(applied):
            raise Unbatchable("a row's lease was lost")
        arrived = [a.finish.arrived for a in applied if a.finish.arrived is not None]
        await inbox.rearm_waiting(uow.connection, arrived, now=self._clock.now())
        return applied

    async def _announce(self, events: list[DomainEvent], row_span: Span | None = None) -> None:
        """Under the row's span, so that the emits it causes are its children. A batch's rows
        announce at once (gathered, in order), so the publisher can send them together."""
        if self._publisher is not None and events:
            with resumed(row_span):
                await self._publisher.publish(events)

    async def _apply_row(self, uow: SqlUnitOfWork, row: Row[Any]) -> Finish | None:
        """The row's effects and its finish in `uow`; None when its lease was lost."""
        event = event_for(row.source, row.payload, row.dedupe_key)
        instance = await uow.instances.route_by_broker_id(row.broker_id)
        target = _target(row, event, instance, self._clock.now())
        if isinstance(target, Finish):
            finish = target
        else:
            result = await self._apply(uow, self._clock, self._ids, *target)
            finish = self._finish_for(row, target[1], result)
        finished = await work_queue.complete(
            uow.connection,
            inbound_inbox,
            row.id,
            worker_id=self.worker_id,
            status=finish.status,
            **finish.values,
        )
        if not finished:
            return None
        if finish.arrived is not None:
            await inbox.rearm_waiting(uow.connection, [finish.arrived], now=self._clock.now())
        return finish

    def _finish_for(self, row: Row[Any], event: InboundEvent, result: ApplyResult) -> Finish:
        """How a row ends after its event was applied: done (with the reason when it changed
        nothing), or deferred until the message it names arrives, re-checked with backoff in
        case that message was applied by another worker meanwhile, and dropped once out of
        tries."""
        now = self._clock.now()
        if result.outcome == "deferred":
            if row.attempts >= self._config.max_attempts:
                return _ignored("waiting_for_expired", now)
            recheck = work_queue.backoff_delay(
                row.attempts, base=DEFER_RECHECK_BASE_SECONDS, cap=DEFER_RECHECK_CAP_SECONDS
            )
            values = {"waiting_for": result.waiting_for, "available_at": now + recheck}
            return Finish(inbox.DEFERRED, values, outcome="deferred")
        applied = result.outcome == "applied"
        values = {"last_error": None if applied else _reason(result), "processed_at": now}
        arrived = (
            (row.broker_id, event.provider_message_id)
            if applied
            and isinstance(event, InboundMessage)
            and event.provider_message_id is not None
            else None
        )
        return Finish(work_queue.DONE, values, result.outcome, arrived, applied)

    def _count(self, row: Row[Any], finish: Finish) -> None:
        if finish.outcome is None:
            return
        latency = (self._clock.now() - row.received_at).total_seconds() if finish.applied else None
        self._metrics.applied(row.kind, finish.outcome, latency)

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


@dataclass(frozen=True, slots=True)
class Finish:
    """The status and columns that end a row's lease, the outcome to count (None: not applied
    at all), and the (broker id, provider id) of a message that just arrived, whose deferred
    acks and edits can run now."""

    status: str
    values: Mapping[str, object]
    outcome: str | None = None
    arrived: tuple[str, str] | None = None
    applied: bool = False


def _target(
    row: Row[Any], event: WebhookEvent | None, instance: WhatsAppInstance | None, now: datetime
) -> tuple[WhatsAppInstance, InboundEvent] | Finish:
    """What the row's event applies to, or how the row ends when it cannot be applied at all
    (it does not parse, or its instance is gone)."""
    if event is None or isinstance(event, (IgnoredEvent, RejectedEvent)):
        return _ignored("unparseable", now)
    if instance is None or instance.is_deleted or instance.tenant_id != row.tenant_id:
        return _ignored("instance_gone", now)
    return instance, event


def _ignored(reason: str, now: datetime) -> Finish:
    return Finish(inbox.IGNORED, {"last_error": reason, "processed_at": now})


class _Applied(NamedTuple):
    row: Row[Any]
    finish: Finish
    span: Span | None
    events: list[DomainEvent]
