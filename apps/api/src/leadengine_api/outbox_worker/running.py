"""Start and stop the outbound worker: inside `leadengine serve` (lifespan) and inside
`leadengine worker`. Circuit and rate-limit state go to Redis when `REDIS_URL` is set, so
every worker process shares one view of each instance."""

from __future__ import annotations

import asyncio
import os
import socket
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import timedelta

from leadengine_core.ports import Clock
from leadengine_integrations.broker import BrokerClient
from leadengine_shared.logging import get_logger
from leadengine_shared.metrics import OutboundMetrics
from leadengine_shared.runtime import SystemClock
from leadengine_shared.settings import Settings
from leadengine_shared.whatsapp import WhatsAppConfig
from leadengine_storage.engine import create_engine
from leadengine_storage.unit_of_work import unit_of_work_factory
from litestar import Litestar
from prometheus_client import CollectorRegistry
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine

from leadengine_api.context import AppContext
from leadengine_api.outbox_worker.breaker import (
    BreakerPolicy,
    CircuitBreaker,
    CircuitStore,
    MemoryCircuitStore,
    RedisCircuitStore,
)
from leadengine_api.outbox_worker.limiter import InstanceRateLimiter, limits_storage
from leadengine_api.outbox_worker.worker import OutboundWorker, WorkerPolicy
from leadengine_api.realtime.publisher import RealtimePublisher

__all__ = ["embedded_outbound_worker", "outbound_worker_running", "standalone_outbound_worker"]

_log = get_logger("leadengine.outbound")
MIN_LEASE_SECONDS = 60.0


def _policy(settings: Settings, whatsapp: WhatsAppConfig) -> WorkerPolicy:
    return WorkerPolicy(
        worker_id=f"outbound-{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}",
        batch_size=settings.outbound_worker_batch_size,
        poll_seconds=settings.outbound_worker_poll_seconds,
        # A lease outlives the slowest broker call, so a live worker never loses its row.
        lease=timedelta(seconds=max(MIN_LEASE_SECONDS, 4 * whatsapp.broker_timeout_seconds)),
        max_attempts=settings.outbound_max_attempts,
        retry_max_seconds=settings.outbound_retry_max_seconds,
    )


def _breaker_policy(whatsapp: WhatsAppConfig) -> BreakerPolicy:
    circuit = whatsapp.outbound_circuit
    return BreakerPolicy(
        max_failures=circuit.max_failures,
        window=circuit.window_ms / 1000,
        cooldown=circuit.cooldown_ms / 1000,
        probe_timeout=max(1.0, 2 * whatsapp.broker_timeout_seconds),
    )


@asynccontextmanager
async def outbound_worker_running(
    settings: Settings,
    whatsapp: WhatsAppConfig,
    engine: AsyncEngine,
    metrics: OutboundMetrics,
    clock: Clock,
    publisher: RealtimePublisher | None = None,
) -> AsyncIterator[OutboundWorker | None]:
    """Yields the running worker, or None (and sends wait) while the broker is not configured."""
    url, key = whatsapp.broker_url, whatsapp.broker_api_key
    if url is None or key is None:
        _log.warning("outbound.worker.disabled", missing=whatsapp.missing_broker_settings())
        yield None
        return
    redis = Redis.from_url(settings.redis_url) if settings.redis_url else None
    store: CircuitStore = RedisCircuitStore(redis) if redis else MemoryCircuitStore()
    limiter = InstanceRateLimiter(
        limits_storage(settings.redis_url),
        whatsapp.outbound_tps_default,
        whatsapp.outbound_tps_by_instance,
    )
    # One attempt per call: retrying is the outbox's job, with backoff and the circuit.
    broker = BrokerClient(
        url,
        key,
        timeout=whatsapp.broker_timeout_seconds,
        max_attempts=1,
        metrics=metrics.broker,
    )
    worker = OutboundWorker(
        new_unit_of_work=unit_of_work_factory(engine),
        broker=broker,
        breaker=CircuitBreaker(store, _breaker_policy(whatsapp)),
        limiter=limiter,
        metrics=metrics,
        clock=clock,
        policy=_policy(settings, whatsapp),
        publisher=publisher,
    )
    stop = asyncio.Event()
    task = asyncio.create_task(worker.run(stop))
    try:
        yield worker
    finally:
        stop.set()
        await task
        await broker.aclose()
        if redis is not None:
            await redis.aclose()


def embedded_outbound_worker(
    context: AppContext,
) -> Callable[[Litestar], AbstractAsyncContextManager[None]]:
    """The lifespan hook of `leadengine serve` (`RUN_WORKER_IN_PROCESS`, the default)."""

    @asynccontextmanager
    async def lifespan(_: Litestar) -> AsyncIterator[None]:
        if not context.settings.run_worker_in_process:
            yield
            return
        async with outbound_worker_running(
            context.settings,
            context.whatsapp,
            context.engine,
            context.outbound_metrics,
            context.clock,
            context.realtime.publisher,
        ):
            yield

    return lifespan


@asynccontextmanager
async def standalone_outbound_worker(
    settings: Settings, registry: CollectorRegistry, publisher: RealtimePublisher | None = None
) -> AsyncIterator[None]:
    """For `leadengine worker`: an engine of its own, sized for one batch of concurrent sends."""
    engine = create_engine(settings.database_url, pool_size=settings.outbound_worker_batch_size + 1)
    try:
        async with outbound_worker_running(
            settings,
            WhatsAppConfig(settings),
            engine,
            OutboundMetrics(registry),
            SystemClock(),
            publisher,
        ):
            yield
    finally:
        await engine.dispose()
