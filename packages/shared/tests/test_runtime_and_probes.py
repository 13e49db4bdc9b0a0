from datetime import UTC

import pytest
from leadengine_shared.probes import ping_redis
from leadengine_shared.runtime import SystemClock, Uuid7Ids
from leadengine_shared.settings import load_settings
from leadengine_shared.tracing import configure_tracing


def test_ids_are_version_7_and_time_ordered() -> None:
    ids = Uuid7Ids()
    generated = [ids.new_id() for _ in range(1000)]
    assert all(value.version == 7 for value in generated)
    assert generated == sorted(generated)
    assert len(set(generated)) == 1000


def test_clock_is_timezone_aware_utc() -> None:
    assert SystemClock().now().tzinfo is UTC


def test_tracing_is_off_unless_configured() -> None:
    assert configure_tracing(load_settings()) is None
    provider = configure_tracing(load_settings(otel_traces_exporter="console"))
    assert provider is not None
    provider.shutdown()


@pytest.mark.redis
async def test_redis_probe_answers_against_real_redis(redis_url: str) -> None:
    await ping_redis(redis_url)


async def test_redis_probe_fails_for_a_closed_port() -> None:
    with pytest.raises(ConnectionError, match="unreachable"):
        await ping_redis("redis://127.0.0.1:1/0", socket_timeout=0.5)
