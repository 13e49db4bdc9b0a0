"""Per-tenant `seq` and the recent events kept for catch-up.

With Redis (`REDIS_URL`) the counter is an `INCR`, so it grows across every process that
publishes for the tenant, and the events sit in a sorted set scored by `seq`, trimmed to the
newest N: a reader gets them in `seq` order even when two processes stored them the other way
round. Without Redis both live in this process, which is right for one process only; there
each event is kept as its compact JSON, which takes a fraction of the memory of the nested
dicts (a tenant's 1,000 events would otherwise hold several megabytes).
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import islice
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
    async def reserve(self, counts: Mapping[UUID, int]) -> dict[UUID, int]:
        """Take the next `count` seqs of each tenant at once; returns each tenant's first."""
        ...

    async def keep(self, events: Sequence[tuple[UUID, KeptEvent]]) -> None: ...

    async def replay(self, tenant_id: UUID, since: int, limit: int) -> Replay: ...

    async def close(self) -> None: ...


class MemoryEventLog:
    def __init__(self, capacity: int) -> None:
        self._capacity = capacity
        self._seq: dict[UUID, int] = {}
        self._kept: dict[UUID, deque[tuple[int, bytes]]] = {}

    async def reserve(self, counts: Mapping[UUID, int]) -> dict[UUID, int]:
        firsts = {}
        for tenant_id, count in counts.items():
            firsts[tenant_id] = self._seq.get(tenant_id, 0) + 1
            self._seq[tenant_id] = firsts[tenant_id] + count - 1
        return firsts

    async def keep(self, events: Sequence[tuple[UUID, KeptEvent]]) -> None:
        for tenant_id, kept in events:
            kept_here = self._kept.setdefault(tenant_id, deque(maxlen=self._capacity))
            kept_here.append((kept.seq, _member(kept).encode()))

    async def replay(self, tenant_id: UUID, since: int, limit: int) -> Replay:
        kept = self._kept.get(tenant_id, deque())
        newer = (member for seq, member in kept if seq > since)
        after = [_parse(member) for member in islice(newer, limit)]
        oldest = kept[0][0] if kept else None
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

    async def reserve(self, counts: Mapping[UUID, int]) -> dict[UUID, int]:
        """One round trip: an INCRBY per tenant."""
        async with self._redis.pipeline(transaction=False) as pipe:
            for tenant_id, count in counts.items():
                pipe.incrby(self._keys(tenant_id)[0], count)
            lasts = await pipe.execute()
        return {
            tenant_id: int(last) - count + 1
            for (tenant_id, count), last in zip(counts.items(), lasts, strict=True)
        }

    async def keep(self, events: Sequence[tuple[UUID, KeptEvent]]) -> None:
        """One round trip: the new members, then each touched tenant trimmed to the newest."""
        touched: dict[str, None] = {}
        async with self._redis.pipeline(transaction=True) as pipe:
            for tenant_id, kept in events:
                events_key = self._keys(tenant_id)[1]
                pipe.zadd(events_key, {_member(kept): kept.seq})
                touched[events_key] = None
            for events_key in touched:
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


def _member(kept: KeptEvent) -> str:
    return json.dumps(
        {"seq": kept.seq, "event": kept.event.value, "data": kept.data}, separators=(",", ":")
    )


def _parse(member: bytes | str) -> KeptEvent:
    item = json.loads(member)
    return KeptEvent(seq=int(item["seq"]), event=EventName(item["event"]), data=item["data"])
