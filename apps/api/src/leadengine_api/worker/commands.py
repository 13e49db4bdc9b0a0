"""What `leadengine worker` and `leadengine inbox …` run (argument parsing stays in `cli`)."""

from __future__ import annotations

import asyncio
import signal
from contextlib import suppress
from uuid import UUID

from leadengine_shared.metrics import InboundMetrics, new_registry
from leadengine_shared.runtime import SystemClock, Uuid7Ids
from leadengine_shared.settings import Settings
from leadengine_storage import inbox
from leadengine_storage.engine import create_engine

from leadengine_api.outbox_worker.running import standalone_outbound_worker
from leadengine_api.realtime.server import worker_publisher
from leadengine_api.worker.config import WorkerConfig
from leadengine_api.worker.runner import InboundWorker

__all__ = ["list_inbox", "replay_inbox", "run_worker"]


async def run_worker(settings: Settings, concurrency: int) -> int:
    """Process the inbox until SIGINT/SIGTERM; a claimed row left behind by a kill comes back
    to some worker when its lease ends."""
    engine = create_engine(settings.database_url, pool_size=max(concurrency + 1, 2))
    registry = new_registry()
    async with (
        worker_publisher(settings, registry) as publisher,
        standalone_outbound_worker(settings, registry, publisher),
    ):
        worker = InboundWorker(
            engine,
            SystemClock(),
            Uuid7Ids(),
            InboundMetrics(registry),
            WorkerConfig.from_settings(settings),
            concurrency=concurrency,
            publisher=publisher,
        )
        task = asyncio.create_task(worker.run_until_cancelled())
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, task.cancel)
        try:
            with suppress(asyncio.CancelledError):
                await task
        finally:
            await engine.dispose()
    return 0


async def list_inbox(settings: Settings, status: str | None, limit: int) -> int:
    engine = create_engine(settings.database_url)
    try:
        async with engine.connect() as connection:
            rows = await inbox.list_rows(
                connection, tenant_id=None, statuses=[status] if status else [], limit=limit
            )
    finally:
        await engine.dispose()
    for row in rows:
        print(
            f"{row.id}  {row.status:<10} {row.kind:<10} attempts={row.attempts} "
            f"broker={row.broker_id} received={row.received_at.isoformat()} "
            f"error={row.last_error or '-'}"
        )
    print(f"{len(rows)} row(s)")
    return 0


async def replay_inbox(settings: Settings, row_id: UUID | None, status: str | None) -> int:
    engine = create_engine(settings.database_url)
    now = SystemClock().now()
    try:
        async with engine.begin() as connection:
            if row_id is not None:
                count = int(await inbox.replay(connection, row_id, tenant_id=None, now=now))
            else:
                count = await inbox.replay_status(connection, status or "failed", now=now)
            if count:
                await inbox.notify(connection)
    finally:
        await engine.dispose()
    print(f"{count} row(s) queued again")
    return 0 if count or row_id is None else 1
