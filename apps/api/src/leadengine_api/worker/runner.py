"""The worker loop: housekeeping (at most once per poll interval), drain until nothing is due,
then sleep until woken.

Woken by an `asyncio.Event`: the webhook sets it after its commit when the worker runs in the
API process, and the LISTEN task sets it for commits in other processes. The poll interval
bounds the wait when neither fires (SQLite across processes, a lost notification, due retries).
"""

from __future__ import annotations

import asyncio
import os
import socket
import uuid
from contextlib import suppress

from leadengine_core.ports import Clock, EventPublisher, IdGenerator
from leadengine_shared.logging import get_logger
from leadengine_shared.metrics import InboundMetrics
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from leadengine_api.features.inbound.apply import apply_event
from leadengine_api.worker.config import WorkerConfig
from leadengine_api.worker.notifications import listen_for_inbox
from leadengine_api.worker.processor import ApplyEvent, InboundProcessor

__all__ = ["InboundWorker", "new_worker_id"]

_log = get_logger("leadengine.worker.inbound")


def new_worker_id(index: int = 0) -> str:
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{index}:{uuid.uuid4().hex[:8]}"


class InboundWorker:
    """`concurrency` loops over one inbox; more than one only on PostgreSQL (SKIP LOCKED)."""

    def __init__(
        self,
        engine: AsyncEngine,
        clock: Clock,
        ids: IdGenerator,
        metrics: InboundMetrics,
        config: WorkerConfig,
        *,
        wakeup: asyncio.Event | None = None,
        concurrency: int = 1,
        apply: ApplyEvent = apply_event,
        publisher: EventPublisher | None = None,
    ) -> None:
        """`publisher` announces what each row changed, after its commit (realtime)."""
        if engine.dialect.name == "sqlite":
            concurrency = 1
        self.wakeup = wakeup or asyncio.Event()
        self._config = config
        self._engine = engine
        self._processors = [
            InboundProcessor(
                engine, clock, ids, metrics, apply, config, new_worker_id(index), publisher
            )
            for index in range(concurrency)
        ]
        self._tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        self._tasks = [asyncio.create_task(self._loop(p)) for p in self._processors]
        if self._engine.dialect.name == "postgresql":
            listener = listen_for_inbox(
                self._config.database_url, self.wakeup, self._config.poll_seconds
            )
            self._tasks.append(asyncio.create_task(listener))

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with suppress(asyncio.CancelledError):
                await task
        self._tasks = []

    async def run_until_cancelled(self) -> None:
        self.start()
        try:
            await asyncio.gather(*self._tasks)
        finally:
            await self.stop()

    async def _loop(self, processor: InboundProcessor) -> None:
        """Housekeeping scans the inbox (its depth gauges): once per poll interval, not on
        every wake-up, which comes with every webhook commit under load."""
        loop = asyncio.get_running_loop()
        housekept_at = -self._config.poll_seconds
        while True:
            self.wakeup.clear()
            try:
                if loop.time() - housekept_at >= self._config.poll_seconds:
                    housekept_at = loop.time()
                    await processor.housekeeping()
                while await processor.drain_once():
                    pass
            except (SQLAlchemyError, OSError) as error:
                _log.warning(
                    "inbound.worker.cycle_failed",
                    worker_id=processor.worker_id,
                    error=type(error).__name__,
                )
            with suppress(TimeoutError):
                await asyncio.wait_for(self.wakeup.wait(), self._config.poll_seconds)
