"""Process-wide resources of one app instance, created by the factory and closed at shutdown."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from leadengine_core.ports import Clock, IdGenerator, UnitOfWork
from leadengine_shared.metrics import HttpMetrics, new_registry
from leadengine_shared.runtime import SystemClock, Uuid7Ids
from leadengine_shared.settings import Settings
from leadengine_storage.engine import create_engine
from leadengine_storage.migrate import head_revision
from leadengine_storage.unit_of_work import unit_of_work_factory
from prometheus_client import CollectorRegistry
from sqlalchemy.ext.asyncio import AsyncEngine

from leadengine_api.auth.tokens import TokenService

__all__ = ["AppContext"]


@dataclass(slots=True)
class AppContext:
    settings: Settings
    engine: AsyncEngine
    new_unit_of_work: Callable[[], UnitOfWork]
    tokens: TokenService
    clock: Clock
    ids: IdGenerator
    registry: CollectorRegistry
    http_metrics: HttpMetrics
    schema_head: str | None
    started_at: float = field(default_factory=time.monotonic)

    @classmethod
    def build(cls, settings: Settings) -> AppContext:
        """Create everything lazily: no connection is opened until the first request."""
        registry = new_registry()
        engine = create_engine(
            settings.database_url,
            pool_size=settings.database_connection_limit,
            pool_timeout=settings.database_pool_timeout,
        )
        return cls(
            settings=settings,
            engine=engine,
            new_unit_of_work=unit_of_work_factory(engine),
            tokens=TokenService(
                settings.signing_secret,
                access_ttl=settings.jwt_access_ttl_seconds,
                refresh_ttl=settings.jwt_refresh_ttl_seconds,
            ),
            clock=SystemClock(),
            ids=Uuid7Ids(),
            registry=registry,
            http_metrics=HttpMetrics(registry),
            schema_head=head_revision(),
        )

    async def close(self) -> None:
        await self.engine.dispose()
