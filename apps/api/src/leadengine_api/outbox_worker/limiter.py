"""Sends per second per instance (`OUTBOUND_TPS_DEFAULT`, `OUTBOUND_TPS_BY_INSTANCE`), counted
by the `limits` library in Redis when configured (one budget for every worker process) and in
process memory otherwise. WhatsApp bans accounts that burst, so the budget is the instance's."""

from __future__ import annotations

import time
from collections.abc import Mapping
from uuid import UUID

from limits import RateLimitItem, RateLimitItemPerSecond
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter

__all__ = ["InstanceRateLimiter", "limits_storage"]


def limits_storage(redis_url: str | None) -> Storage:
    if redis_url:
        return RedisStorage(redis_url.replace("redis://", "async+redis://", 1))
    return MemoryStorage()


class InstanceRateLimiter:
    def __init__(
        self,
        storage: Storage,
        default_tps: int,
        tps_by_instance: Mapping[str, int] | None = None,
    ) -> None:
        """`tps_by_instance` is keyed by instance id or broker id, as operators name them."""
        self._limiter = MovingWindowRateLimiter(storage)
        self._default = RateLimitItemPerSecond(max(1, default_tps))
        self._overrides = {
            name: RateLimitItemPerSecond(max(1, tps))
            for name, tps in (tps_by_instance or {}).items()
        }

    def _item(self, instance_id: UUID, broker_id: str) -> RateLimitItem:
        return self._overrides.get(str(instance_id)) or self._overrides.get(
            broker_id, self._default
        )

    async def acquire(self, tenant_id: UUID, instance_id: UUID, broker_id: str) -> float | None:
        """Take one send from the budget: None when taken, else when to try again (epoch s)."""
        item = self._item(instance_id, broker_id)
        identity = (str(tenant_id), str(instance_id))
        if await self._limiter.hit(item, "outbound", *identity):
            return None
        stats = await self._limiter.get_window_stats(item, "outbound", *identity)
        return max(stats.reset_time, time.time() + 0.05)
