"""The circuit breaker's rules on both stores: process memory and a real Redis."""

import os
import uuid
from collections.abc import AsyncIterator

import pytest
from leadengine_api.outbox_worker.breaker import (
    BreakerPolicy,
    CircuitBreaker,
    CircuitState,
    CircuitStore,
    MemoryCircuitStore,
    RedisCircuitStore,
)
from redis.asyncio import Redis

POLICY = BreakerPolicy(max_failures=3, window=10.0, cooldown=30.0, probe_timeout=5.0)


class Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
async def breaker_and_clock(
    request: pytest.FixtureRequest,
) -> AsyncIterator[tuple[CircuitBreaker, Clock]]:
    clock = Clock()
    if request.param == "memory":
        yield CircuitBreaker(MemoryCircuitStore(clock), POLICY, clock), clock
        return
    url = os.environ.get("LEADENGINE_TEST_REDIS_URL")
    if not url:
        pytest.skip("LEADENGINE_TEST_REDIS_URL is not set")
    redis = Redis.from_url(url)
    store: CircuitStore = RedisCircuitStore(redis, prefix=f"test:{uuid.uuid4().hex}")
    yield CircuitBreaker(store, POLICY, clock), clock
    await redis.aclose()


async def test_failures_in_the_window_open_then_one_probe_closes(
    breaker_and_clock: tuple[CircuitBreaker, Clock],
) -> None:
    breaker, clock = breaker_and_clock
    key = "tenant:instance"
    assert not await breaker.record_failure(key)
    assert not await breaker.record_failure(key)
    assert (await breaker.admit(key)).allowed
    assert await breaker.record_failure(key)  # the third within the window opens it
    assert await breaker.state(key) is CircuitState.OPEN
    refused = await breaker.admit(key)
    assert not refused.allowed
    assert refused.retry_at == clock.now + POLICY.cooldown

    clock.now += POLICY.cooldown
    probe = await breaker.admit(key)
    assert probe.allowed
    assert probe.state is CircuitState.HALF_OPEN
    assert not (await breaker.admit(key)).allowed  # only one probe at a time
    assert await breaker.record_success(key)
    assert await breaker.state(key) is CircuitState.CLOSED
    assert (await breaker.admit(key)).allowed


async def test_a_failed_probe_reopens_and_old_failures_expire(
    breaker_and_clock: tuple[CircuitBreaker, Clock],
) -> None:
    breaker, clock = breaker_and_clock
    key = "tenant:other"
    for _ in range(3):
        await breaker.record_failure(key)
    clock.now += POLICY.cooldown
    assert (await breaker.admit(key)).allowed
    assert not await breaker.record_failure(key)  # the probe failed: open again, not "opened"
    assert await breaker.state(key) is CircuitState.OPEN
    clock.now += POLICY.cooldown
    assert (await breaker.admit(key)).allowed
    assert await breaker.record_success(key)

    await breaker.record_failure(key)
    await breaker.record_failure(key)
    clock.now += POLICY.window + 1  # those two fall out of the window
    assert not await breaker.record_failure(key)
    assert await breaker.state(key) is CircuitState.CLOSED
    assert not await breaker.record_success(key)  # closing a closed circuit is no transition
