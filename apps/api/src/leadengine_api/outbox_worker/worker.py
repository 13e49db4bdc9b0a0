"""The outbound worker: drains the outbox through the broker, one claimed batch at a time.

Per row: the instance's rate limit and circuit decide whether to try now (if not, the row goes
back untried, keeping its attempts); the broker call runs outside any transaction; then one
transaction records the outcome on both the message and the row. Retryable broker failures
back off with jitter and leave the message PENDING; permanent ones mark it FAILED.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any
from uuid import UUID

from leadengine_core.events import MessageUpdated
from leadengine_core.messages import MessageOrigin, MessageStatus
from leadengine_core.ports import Clock
from leadengine_integrations.broker import BrokerClient, BrokerError
from leadengine_shared.logging import get_logger
from leadengine_shared.metrics import OutboundMetrics
from leadengine_storage import outbox, work_queue
from leadengine_storage.unit_of_work import SqlUnitOfWork
from sqlalchemy import Row

from leadengine_api.outbox_worker.breaker import CircuitBreaker, CircuitState
from leadengine_api.outbox_worker.dispatch import parse_payload, send_payload
from leadengine_api.outbox_worker.limiter import InstanceRateLimiter
from leadengine_api.realtime.publisher import RealtimePublisher

__all__ = ["OutboundWorker", "WorkerPolicy"]

_log = get_logger("leadengine.outbound")
LEASE_CHECK = timedelta(seconds=10)
"""How often a worker takes back rows whose worker died (their lease ended)."""


@dataclass(frozen=True, slots=True)
class WorkerPolicy:
    worker_id: str
    batch_size: int = 10
    poll_seconds: float = 0.5
    lease: timedelta = timedelta(seconds=60)
    max_attempts: int = 30
    retry_max_seconds: float = 300.0


class OutboundWorker:
    def __init__(
        self,
        *,
        new_unit_of_work: Callable[[], SqlUnitOfWork],
        broker: BrokerClient,
        breaker: CircuitBreaker,
        limiter: InstanceRateLimiter,
        metrics: OutboundMetrics,
        clock: Clock,
        policy: WorkerPolicy,
        publisher: RealtimePublisher | None = None,
    ) -> None:
        """`publisher` announces status changes and circuit changes to realtime clients."""
        self._new_uow = new_unit_of_work
        self._publisher = publisher
        self._broker = broker
        self._breaker = breaker
        self._limiter = limiter
        self._metrics = metrics
        self._clock = clock
        self._policy = policy
        self._delay = partial(work_queue.backoff_delay, cap=policy.retry_max_seconds)
        self._leases_checked_at: datetime | None = None

    async def run(self, stop: asyncio.Event) -> None:
        """Drain until `stop` is set; an unexpected error is logged and the loop goes on."""
        _log.info("outbound.worker.started", worker_id=self._policy.worker_id)
        while not stop.is_set():
            try:
                handled = await self.run_once()
            except Exception as error:  # the loop must survive a database hiccup
                _log.error("outbound.worker.error", error=type(error).__name__, exc_info=error)
                handled = 0
            if handled == 0:
                with suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), self._policy.poll_seconds)
        _log.info("outbound.worker.stopped", worker_id=self._policy.worker_id)

    async def run_once(self) -> int:
        """Claim one batch and handle it; the number of rows claimed."""
        now = self._clock.now()
        async with self._new_uow() as uow:
            if self._leases_checked_at is None or now - self._leases_checked_at >= LEASE_CHECK:
                await outbox.release_expired_leases(uow.connection, now=now)
                self._leases_checked_at = now
            rows = await outbox.claim(
                uow.connection,
                worker_id=self._policy.worker_id,
                limit=self._policy.batch_size,
                now=now,
                lease=self._policy.lease,
            )
            sendable = [row for row in rows if await self._still_dispatchable(uow, row, now)]
            await uow.commit()
        await asyncio.gather(*(self._handle(row) for row in sendable))
        return len(rows)

    async def _still_dispatchable(self, uow: SqlUnitOfWork, row: Row[Any], now: datetime) -> bool:
        """Only an agent's PENDING message is sent. A row pointing at anything else (a broker
        message above all: it already exists on WhatsApp) is closed without a broker call."""
        message = await uow.messages.get(row.tenant_id, row.id)
        if message is not None and message.is_dispatchable:
            return True
        worker_id = self._policy.worker_id
        await outbox.complete(uow.connection, row.id, worker_id=worker_id, sent_at=now)
        if message is not None and message.origin is MessageOrigin.BROKER:
            _log.error("outbound.refused_broker_message", **self._where(row))
        else:
            _log.info("outbound.skipped", **self._where(row))
        self._metrics.outcome("skipped")
        return False

    async def _handle(self, row: Row[Any]) -> None:
        """One row; a bug or a database error puts it back with backoff instead of leaving it
        leased (and stuck) until the lease ends."""
        try:
            await self._send(row)
        except Exception as error:
            _log.error("outbound.row_error", error=type(error).__name__, exc_info=error)
            async with self._new_uow() as uow:
                await outbox.retry(
                    uow.connection,
                    row,
                    worker_id=self._policy.worker_id,
                    error=f"{type(error).__name__}: {error}",
                    now=self._clock.now(),
                    max_attempts=self._policy.max_attempts,
                    delay=self._delay,
                )
                await uow.commit()

    async def _send(self, row: Row[Any]) -> None:
        retry_at = await self._limiter.acquire(row.tenant_id, row.instance_id, row.broker_id)
        if retry_at is None:
            retry_at = await self._admit(row)
        if retry_at is not None:
            await self._defer(row, retry_at)
            return
        try:
            result = await send_payload(
                self._broker,
                row.broker_id,
                row.to,
                parse_payload(row.payload),
                key=str(row.id),
            )
        except BrokerError as error:
            await self._on_failure(row, error)
            return
        if await self._breaker.record_success(self._circuit(row)):
            await self._circuit_changed(row, CircuitState.CLOSED)
        await self._on_sent(row, result.provider_message_id)

    async def _admit(self, row: Row[Any]) -> float | None:
        admission = await self._breaker.admit(self._circuit(row))
        if admission.state is CircuitState.HALF_OPEN and admission.allowed:
            _log.info("outbound.circuit.probing", **self._where(row))
            self._metrics.circuit_state(row.tenant_id, row.instance_id, admission.state)
        return None if admission.allowed else admission.retry_at

    async def _defer(self, row: Row[Any], retry_at: float) -> None:
        async with self._new_uow() as uow:
            until = datetime.fromtimestamp(retry_at, UTC)
            await outbox.defer(
                uow.connection, row.id, worker_id=self._policy.worker_id, until=until
            )
            await uow.commit()
        self._metrics.outcome("deferred")

    async def _on_sent(self, row: Row[Any], provider_message_id: str) -> None:
        now = self._clock.now()
        async with self._new_uow() as uow:
            await self._record_sent(uow, row, provider_message_id, now)
            worker_id = self._policy.worker_id
            if not await outbox.complete(uow.connection, row.id, worker_id=worker_id, sent_at=now):
                return  # lease lost: another worker owns the row (and the same broker key)
            await uow.commit()
            await self._announce(uow)
        self._metrics.sent((now - row.accepted_at).total_seconds())
        _log.info("outbound.sent", provider_message_id=provider_message_id, **self._where(row))

    async def _record_sent(
        self, uow: SqlUnitOfWork, row: Row[Any], provider_message_id: str, now: datetime
    ) -> None:
        """`mark_sent`, absorbing the broker's echo of this send if the inbound worker stored
        it first (same provider id, origin BROKER): its acks carry over, the duplicate goes."""
        message = await uow.messages.get(row.tenant_id, row.id)
        if message is None:
            return
        echo = await uow.messages.find_by_provider_id(
            row.tenant_id, row.instance_id, provider_message_id
        )
        changed = message.mark_sent(provider_message_id, now)
        if echo is not None and echo.id != message.id:
            await outbox.drop_echo(uow.connection, row.tenant_id, echo.id)
            changed = message.apply_status(echo.status, now) or changed
            _log.info("outbound.echo_absorbed", echo_id=str(echo.id), **self._where(row))
        if changed:
            await uow.messages.update(row.tenant_id, message)
            uow.record(
                MessageUpdated(
                    occurred_at=now,
                    message=message,
                    changes=frozenset({"status", "provider_message_id"}),
                )
            )

    async def _on_failure(self, row: Row[Any], error: BrokerError) -> None:
        reason = f"{error.code}: {error.message}"
        now = self._clock.now()
        if error.retryable and await self._breaker.record_failure(self._circuit(row)):
            await self._circuit_changed(
                row, CircuitState.OPEN, failures=self._breaker.policy.max_failures
            )
        async with self._new_uow() as uow:
            if error.retryable:
                status = await outbox.retry(
                    uow.connection,
                    row,
                    worker_id=self._policy.worker_id,
                    error=reason,
                    now=now,
                    max_attempts=self._policy.max_attempts,
                    delay=self._delay,
                )
            else:
                failed = await outbox.fail(
                    uow.connection, row.id, worker_id=self._policy.worker_id, error=reason
                )
                status = work_queue.FAILED if failed else None
            if status == work_queue.FAILED:
                await self._fail_message(uow, row.tenant_id, row.id, str(error.code), now)
            await uow.commit()
            await self._announce(uow)
        outcome = "failed" if status == work_queue.FAILED else "retrying"
        self._metrics.outcome(outcome)
        _log.warning(
            f"outbound.{outcome}",
            code=str(error.code),
            attempts=row.attempts,
            **self._where(row),
        )

    async def _fail_message(
        self, uow: SqlUnitOfWork, tenant_id: UUID, message_id: UUID, code: str, now: datetime
    ) -> None:
        message = await uow.messages.get(tenant_id, message_id)
        if message is not None and message.apply_status(MessageStatus.FAILED, now, reason=code):
            await uow.messages.update(tenant_id, message)
            uow.record(
                MessageUpdated(occurred_at=now, message=message, changes=frozenset({"status"}))
            )

    def _circuit(self, row: Row[Any]) -> str:
        return CircuitBreaker.key(row.tenant_id, row.instance_id)

    async def _announce(self, uow: SqlUnitOfWork) -> None:
        """After a commit only: what it changed goes to realtime clients."""
        if self._publisher is not None:
            await self._publisher.publish(uow.collect_events())

    async def _circuit_changed(
        self, row: Row[Any], state: CircuitState, *, failures: int | None = None
    ) -> None:
        """Logged, counted, and pushed to the tenant's sockets."""
        self._metrics.circuit_changed(row.tenant_id, row.instance_id, state)
        is_open = state is CircuitState.OPEN
        event = "outbound.circuit.opened" if is_open else "outbound.circuit.closed"
        _log.warning(event, at=time.time(), failures=failures, **self._where(row))
        if self._publisher is not None:
            await self._publisher.circuit_changed(
                row.tenant_id, row.instance_id, is_open=is_open, failures=failures
            )

    @staticmethod
    def _where(row: Row[Any]) -> dict[str, str]:
        return {
            "tenant_id": str(row.tenant_id),
            "instance_id": str(row.instance_id),
            "message_id": str(row.id),
        }
