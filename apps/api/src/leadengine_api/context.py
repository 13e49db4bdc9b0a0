"""Process-wide resources of one app instance, created by the factory and closed at shutdown."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from leadengine_shared.metrics import HttpMetrics, new_registry
from leadengine_shared.settings import Settings
from leadengine_storage.engine import create_engine
from leadengine_storage.migrate import head_revision
from litestar.di import Provide
from prometheus_client import CollectorRegistry
from sqlalchemy.ext.asyncio import AsyncEngine

__all__ = ["AppContext"]


@dataclass(slots=True)
class AppContext:
    settings: Settings
    engine: AsyncEngine
    registry: CollectorRegistry
    http_metrics: HttpMetrics
    schema_head: str | None
    started_at: float = field(default_factory=time.monotonic)

    @classmethod
    def build(cls, settings: Settings) -> AppContext:
        registry = new_registry()
        return cls(
            settings=settings,
            engine=create_engine(
                settings.database_url,
                pool_size=settings.database_connection_limit,
                pool_timeout=settings.database_pool_timeout,
            ),
            registry=registry,
            http_metrics=HttpMetrics(registry),
            schema_head=head_revision(),
        )

    def dependencies(self) -> dict[str, Provide]:
        return {"context": Provide(lambda: self, use_cache=True, sync_to_thread=False)}

    async def close(self) -> None:
        await self.engine.dispose()
