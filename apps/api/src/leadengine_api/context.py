"""Process-wide resources of one app instance, created by the factory and closed at shutdown."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from leadengine_core.ports import Clock, IdGenerator, UnitOfWork
from leadengine_shared.metrics import (
    HttpMetrics,
    InboundMetrics,
    OutboundMetrics,
    new_registry,
)
from leadengine_shared.runtime import SystemClock, Uuid7Ids
from leadengine_shared.settings import Environment, Settings
from leadengine_shared.whatsapp import WhatsAppConfig
from leadengine_storage.engine import create_engine
from leadengine_storage.migrate import head_revision
from leadengine_storage.unit_of_work import unit_of_work_factory
from prometheus_client import CollectorRegistry
from sqlalchemy.ext.asyncio import AsyncEngine

from leadengine_api.auth import passwords
from leadengine_api.auth.tokens import TokenService
from leadengine_api.features.inbound.service import InboxIntake
from leadengine_api.features.instances.broker import BrokerHandle
from leadengine_api.features.instances.metrics import InstanceSyncMetrics
from leadengine_api.realtime.server import Realtime
from leadengine_api.worker.notifications import InboxNotifier

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
    inbound_metrics: InboundMetrics
    outbound_metrics: OutboundMetrics
    schema_head: str | None
    whatsapp: WhatsAppConfig
    """The only reader of WhatsApp settings; built eagerly so a bad value stops start-up."""
    broker: BrokerHandle
    """The shared broker client, created on first use (`broker.client()`)."""
    instance_sync_metrics: InstanceSyncMetrics
    realtime: Realtime
    """Socket.IO server, `seq`/catch-up log and the publisher of committed domain events."""
    inbox_intake: InboxIntake
    """The webhooks' connections to the inbox: autocommit, at most the pool's size at once."""
    started_at: float = field(default_factory=time.monotonic)
    inbox_signal: asyncio.Event = field(default_factory=asyncio.Event)
    """Set after a webhook commits inbox rows: wakes the in-process inbound worker."""

    @classmethod
    def build(cls, settings: Settings) -> AppContext:
        """Create everything lazily: no connection is opened until the first request."""
        passwords.use_test_profile(settings.environment is Environment.TEST)
        registry = new_registry()
        whatsapp = WhatsAppConfig(settings)
        engine = create_engine(
            settings.database_url,
            pool_size=settings.database_connection_limit,
            pool_timeout=settings.database_pool_timeout,
        )
        new_unit_of_work = unit_of_work_factory(engine)
        tokens = TokenService(
            settings.signing_secret,
            access_ttl=settings.jwt_access_ttl_seconds,
            refresh_ttl=settings.jwt_refresh_ttl_seconds,
        )
        return cls(
            settings=settings,
            engine=engine,
            new_unit_of_work=new_unit_of_work,
            tokens=tokens,
            clock=SystemClock(),
            ids=Uuid7Ids(),
            registry=registry,
            http_metrics=HttpMetrics(registry),
            inbound_metrics=InboundMetrics(registry),
            outbound_metrics=OutboundMetrics(registry),
            schema_head=head_revision(),
            whatsapp=whatsapp,
            broker=BrokerHandle(whatsapp, registry),
            instance_sync_metrics=InstanceSyncMetrics(registry),
            realtime=Realtime.build(settings, tokens, new_unit_of_work, registry),
            inbox_intake=InboxIntake(
                engine, settings.database_connection_limit, _notifier(settings, engine)
            ),
        )

    async def close(self) -> None:
        await self.inbox_intake.close()
        await self.broker.close()
        await self.realtime.close()
        await self.engine.dispose()


def _notifier(settings: Settings, engine: AsyncEngine) -> InboxNotifier | None:
    """Only PostgreSQL has workers in other processes to wake."""
    if engine.dialect.name != "postgresql":
        return None
    return InboxNotifier(settings.database_url, settings.inbound_worker_poll_seconds)
