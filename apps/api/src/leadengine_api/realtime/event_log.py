"""Per-tenant `seq` and the recent events kept for catch-up.

With Redis (`REDIS_URL`) the counter is an `INCR`, so it grows across every process that
publishes for the tenant, and the events sit in a sorted set scored by `seq`, trimmed to the
newest N: a reader gets them in `seq` order even when two processes stored them the other way
round. Without Redis both live in this process, which is right for one process only.
"""

from __future__ import annotations

import json
from collections import deque
from dataclasses import dataclass
from typing import Any, Protocol
from uuid import UUID

from leadengine_contracts.events import EventName
from redis.asyncio import Redis
from redis.exceptions import RedisError

__all__ = [
    "EventLog",
    "EventLogUnavailable",
    "KeptEvent",
    "MemoryEventLog",
    "RedisEventLog",
    "Replay",
]

KEY_PREFIX = "leadengine:realtime"


class EventLogUnavailable(Exception):
    """The shared log (Redis) could not be read."""


@dataclass(frozen=True, slots=True)
class KeptEvent:
    seq: int
    event: EventName
    data: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Replay:
    """Events after `since` (oldest first, at most `limit`), the newest seq of the tenant, and
    the oldest seq still kept (None when nothing is)."""

    events: list[KeptEvent]
    last_seq: int
    oldest_kept: int | None


class EventLog(Protocol):
    async def next_seq(self, tenant_id: UUID) -> int: ...

    async def keep(self, tenant_id: UUID, kept: KeptEvent) -> None: ...

    async def replay(self, tenant_id: UUID, since: int, limit: int) -> Replay: ...

    async def close(self) -> None: ...


class MemoryEventLog:
    def __init__(self, capacity: int) -> None:
        self._capacity = capacity
        self._seq: dict[UUID, int] = {}
        self._kept: dict[UUID, deque[KeptEvent]] = {}

    async def next_seq(self, tenant_id: UUID) -> int:
        self._seq[tenant_id] = self._seq.get(tenant_id, 0) + 1
        return self._seq[tenant_id]

    async def keep(self, tenant_id: UUID, kept: KeptEvent) -> None:
        self._kept.setdefault(tenant_id, deque(maxlen=self._capacity)).append(kept)

    async def replay(self, tenant_id: UUID, since: int, limit: int) -> Replay:
        kept = self._kept.get(tenant_id, deque())
        after = [event for event in kept if event.seq > since][:limit]
        oldest = kept[0].seq if kept else None
        return Replay(after, self._seq.get(tenant_id, 0), oldest)

    async def close(self) -> None:
        return None


class RedisEventLog:
    def __init__(self, redis: Redis, capacity: int) -> None:
        self._redis = redis
        self._capacity = capacity

    @staticmethod
    def _keys(tenant_id: UUID) -> tuple[str, str]:
        return f"{KEY_PREFIX}:{tenant_id}:seq", f"{KEY_PREFIX}:{tenant_id}:events"

    async def next_seq(self, tenant_id: UUID) -> int:
        seq_key, _ = self._keys(tenant_id)
        return int(await self._redis.incr(seq_key))

    async def keep(self, tenant_id: UUID, kept: KeptEvent) -> None:
        _, events_key = self._keys(tenant_id)
        member = json.dumps({"seq": kept.seq, "event": kept.event.value, "data": kept.data})
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.zadd(events_key, {member: kept.seq})
            pipe.zremrangebyrank(events_key, 0, -self._capacity - 1)
            await pipe.execute()

    async def replay(self, tenant_id: UUID, since: int, limit: int) -> Replay:
        seq_key, events_key = self._keys(tenant_id)
        try:
            async with self._redis.pipeline(transaction=False) as pipe:
                pipe.zrangebyscore(events_key, f"({since}", "+inf", start=0, num=limit)
                pipe.get(seq_key)
                pipe.zrange(events_key, 0, 0, withscores=True)
                members, last_seq, oldest = await pipe.execute()
        except RedisError as error:
            raise EventLogUnavailable(type(error).__name__) from error
        events = [_parse(member) for member in members]
        return Replay(events, int(last_seq or 0), int(oldest[0][1]) if oldest else None)

    async def close(self) -> None:
        await self._redis.aclose()


def _parse(member: bytes | str) -> KeptEvent:
    item = json.loads(member)
    return KeptEvent(seq=int(item["seq"]), event=EventName(item["event"]), data=item["data"])
