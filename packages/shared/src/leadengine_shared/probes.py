"""Reachability checks shared by `leadengine doctor` and the readiness probe."""

from __future__ import annotations

from redis.asyncio import Redis
from redis.exceptions import RedisError

__all__ = ["ping_redis"]


async def ping_redis(url: str, *, socket_timeout: float = 2.0) -> None:
    """Raise `ConnectionError` when Redis at `url` does not answer PING in time."""
    client = Redis.from_url(
        url, socket_connect_timeout=socket_timeout, socket_timeout=socket_timeout
    )
    try:
        answered = await client.ping()
    except (RedisError, OSError) as exc:
        raise ConnectionError(f"Redis at {url} is unreachable: {exc}") from exc
    finally:
        await client.aclose()
    if not answered:
        raise ConnectionError(f"Redis at {url} did not answer PING")
