"""Per-credential (or per-IP) request limits on /api, shared across processes via Redis.

Uses the `limits` library's sliding-window counter, in process memory by default and in Redis
when `REDIS_URL` is set, so N API processes enforce one budget. Over the budget: 429
`RATE_LIMITED` with `Retry-After`.
"""

from __future__ import annotations

import hashlib
import math
import time

from leadengine_shared.settings import Settings
from limits import RateLimitItemPerSecond
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send

from leadengine_api.problems import ApiError

__all__ = ["RateLimitMiddleware", "RequestLimiter"]


class RequestLimiter:
    def __init__(self, settings: Settings) -> None:
        window_seconds = max(1, settings.rate_limit_window_ms // 1000)
        self.item = RateLimitItemPerSecond(settings.rate_limit_max_requests, window_seconds)
        self.storage: Storage = (
            RedisStorage(settings.redis_url.replace("redis://", "async+redis://", 1))
            if settings.redis_url
            else MemoryStorage()
        )
        self.limiter = SlidingWindowCounterRateLimiter(self.storage)

    def __deepcopy__(self, memo: dict[int, object]) -> RequestLimiter:
        """Litestar deep-copies middleware when it registers a router; the limiter is shared
        process state, and its Redis client cannot be copied."""
        return self

    async def check(self, identity: str) -> None:
        if await self.limiter.hit(self.item, "api", identity):
            return
        stats = await self.limiter.get_window_stats(self.item, "api", identity)
        retry_after = max(1, math.ceil(stats.reset_time - time.time()))
        raise ApiError(
            429,
            "RATE_LIMITED",
            "too many requests; retry later",
            headers={"Retry-After": str(retry_after)},
            extra={"retryAfterSeconds": retry_after},
        )


def _identity(scope: Scope) -> str:
    """The bearer credential when there is one (hashed), else the client address."""
    for name, value in scope.get("headers", []):
        if name == b"authorization":
            return "cred:" + hashlib.sha256(value).hexdigest()[:32]
    client = scope.get("client")
    return f"ip:{client[0]}" if client else "ip:unknown"


class RateLimitMiddleware(ASGIMiddleware):
    def __init__(self, limiter: RequestLimiter) -> None:
        self.limiter = limiter

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        if scope["type"] == ScopeType.HTTP:
            await self.limiter.check(_identity(scope))
        await next_app(scope, receive, send)
