"""The inbound worker inside the API process (`RUN_WORKER_IN_PROCESS`, the default): started
and stopped with the app, woken directly by the webhook after each commit."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from litestar import Litestar

from leadengine_api.context import AppContext
from leadengine_api.worker.config import WorkerConfig
from leadengine_api.worker.runner import InboundWorker

__all__ = ["embedded_inbound_worker"]


def embedded_inbound_worker(
    context: AppContext,
) -> Callable[[Litestar], AbstractAsyncContextManager[None]]:
    @asynccontextmanager
    async def lifespan(_: Litestar) -> AsyncIterator[None]:
        if not context.settings.run_worker_in_process:
            yield
            return
        worker = InboundWorker(
            context.engine,
            context.clock,
            context.ids,
            context.inbound_metrics,
            WorkerConfig.from_settings(context.settings),
            wakeup=context.inbox_signal,
            publisher=context.realtime.publisher,
        )
        worker.start()
        try:
            yield
        finally:
            await worker.stop()

    return lifespan
