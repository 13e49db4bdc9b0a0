"""Build the realtime side of a process from settings; connects to nothing until used.

In an API process the Socket.IO server wraps the HTTP app (Litestar keeps the lifespan). With
`REDIS_URL`, its Redis client manager relays every emit to the sockets of all API processes,
and `seq` and the catch-up log live in Redis too. A worker process has no sockets: it emits
through a write-only Redis manager, or not at all when there is no Redis to reach them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass

import socketio  # type: ignore[import-untyped]
from leadengine_core.ports import UnitOfWork
from leadengine_shared.logging import get_logger
from leadengine_shared.metrics import RealtimeMetrics
from leadengine_shared.settings import Settings
from litestar.types import ASGIApp
from prometheus_client import CollectorRegistry
from redis.asyncio import Redis

from leadengine_api.auth.tokens import TokenService
from leadengine_api.realtime.event_log import EventLog, MemoryEventLog, RedisEventLog
from leadengine_api.realtime.fanout import Fanout, LocalFanout, RedisFanout
from leadengine_api.realtime.publisher import RealtimePublisher
from leadengine_api.realtime.sockets import SocketHandlers

__all__ = ["Realtime", "worker_publisher"]

_log = get_logger("leadengine.realtime")
REDIS_CHANNEL = "leadengine-socketio"
PING_INTERVAL_SECONDS = 20
PING_TIMEOUT_SECONDS = 25


def _event_log(settings: Settings) -> EventLog:
    if settings.redis_url:
        return RedisEventLog(Redis.from_url(settings.redis_url), settings.realtime_catch_up_events)
    return MemoryEventLog(settings.realtime_catch_up_events)


class JsonPacket(socketio.packet.Packet):  # type: ignore[misc]
    """Socket.IO packets whose payloads are JSON, never bytes: every event is a contract
    dumped in JSON mode, and so is every ack. The default packet walks each payload looking
    for bytes (building a list at every level) before encoding it; for inbound-message
    envelopes that walk took about a tenth of an API process's CPU in the fan-out bench."""

    uses_binary_events = False


@dataclass(slots=True)
class Realtime:
    server: socketio.AsyncServer
    log: EventLog
    publisher: RealtimePublisher

    @classmethod
    def build(
        cls,
        settings: Settings,
        tokens: TokenService,
        new_unit_of_work: Callable[[], UnitOfWork],
        registry: CollectorRegistry,
    ) -> Realtime:
        origins = settings.cors_origins
        server = socketio.AsyncServer(
            async_mode="asgi",
            client_manager=RedisFanout(settings.redis_url, channel=REDIS_CHANNEL)
            if settings.redis_url
            else None,
            cors_allowed_origins="*" if "*" in origins else (origins or None),
            cors_credentials=True,
            ping_interval=PING_INTERVAL_SECONDS,
            ping_timeout=PING_TIMEOUT_SECONDS,
            logger=False,
            engineio_logger=False,
            serializer=JsonPacket,
        )
        metrics = RealtimeMetrics(registry)
        SocketHandlers(server, tokens, new_unit_of_work, metrics).register()
        log = _event_log(settings)
        fanout: Fanout = server.manager if settings.redis_url else LocalFanout(server)
        return cls(server, log, RealtimePublisher(fanout, log, metrics))

    def wrap(self, app: ASGIApp, path: str) -> ASGIApp:
        """One ASGI app: Socket.IO at `path`, everything else (and the lifespan) to `app`."""
        wrapped: ASGIApp = socketio.ASGIApp(self.server, other_asgi_app=app, socketio_path=path)
        return wrapped

    async def close(self) -> None:
        await self.log.close()


@asynccontextmanager
async def worker_publisher(
    settings: Settings, registry: CollectorRegistry
) -> AsyncIterator[RealtimePublisher | None]:
    """The publisher of a `leadengine worker` process; None without Redis (no socket of any
    API process can be reached from here, and a private `seq` would mislead clients)."""
    if not settings.redis_url:
        _log.warning("realtime.worker.disabled", reason="REDIS_URL is not set")
        yield None
        return
    manager = RedisFanout(settings.redis_url, channel=REDIS_CHANNEL, write_only=True)
    log = RedisEventLog(Redis.from_url(settings.redis_url), settings.realtime_catch_up_events)
    try:
        yield RealtimePublisher(manager, log, RealtimeMetrics(registry))
    finally:
        await log.close()
