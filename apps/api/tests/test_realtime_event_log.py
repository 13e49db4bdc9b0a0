"""The `seq` counter and catch-up log, in memory and on a real Redis: numbering per tenant,
replay after a `seq`, and trimming to the newest events."""

from __future__ import annotations

from collections.abc import AsyncIterator
from uuid import UUID, uuid4

import pytest
from leadengine_api.realtime.event_log import (
    EventLog,
    KeptEvent,
    MemoryEventLog,
    RedisEventLog,
)
from leadengine_contracts.events import EventName
from leadengine_shared.testing import require_service_url
from redis.asyncio import Redis

CAPACITY = 10


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
async def log(request: pytest.FixtureRequest) -> AsyncIterator[EventLog]:
    if request.param == "memory":
        yield MemoryEventLog(CAPACITY)
        return
    redis_log = RedisEventLog(
        Redis.from_url(require_service_url("LEADENGINE_TEST_REDIS_URL")), CAPACITY
    )
    yield redis_log
    await redis_log.close()


async def publish(log: EventLog, tenant_id: UUID, count: int) -> list[int]:
    """One event at a time, as a lone REST change publishes."""
    seqs = []
    for _ in range(count):
        seq = (await log.reserve({tenant_id: 1}))[tenant_id]
        await log.keep([(tenant_id, KeptEvent(seq, EventName.TICKETS_UPDATED, {"seq": seq}))])
        seqs.append(seq)
    return seqs


async def test_each_tenant_counts_from_one_and_replays_only_its_own(log: EventLog) -> None:
    acme, globex = uuid4(), uuid4()

    assert await publish(log, acme, 3) == [1, 2, 3]
    assert await publish(log, globex, 2) == [1, 2]
    replay = await log.replay(acme, since=1, limit=100)

    assert [event.seq for event in replay.events] == [2, 3]
    assert [event.data for event in replay.events] == [{"seq": 2}, {"seq": 3}]
    assert (replay.last_seq, replay.oldest_kept) == (3, 1)


async def test_only_the_newest_events_are_kept_and_a_limit_pages(log: EventLog) -> None:
    tenant = uuid4()
    await publish(log, tenant, CAPACITY + 5)

    everything = await log.replay(tenant, since=0, limit=100)
    page = await log.replay(tenant, since=7, limit=3)
    empty = await log.replay(uuid4(), since=0, limit=100)

    assert [event.seq for event in everything.events] == list(range(6, CAPACITY + 6))
    assert (everything.last_seq, everything.oldest_kept) == (CAPACITY + 5, 6)
    assert [event.seq for event in page.events] == [8, 9, 10]
    assert (empty.events, empty.last_seq, empty.oldest_kept) == ([], 0, None)


async def test_a_reservation_numbers_each_tenant_on_from_its_last_seq(log: EventLog) -> None:
    acme, globex = uuid4(), uuid4()
    await publish(log, acme, 2)

    firsts = await log.reserve({acme: 3, globex: 2})
    await log.keep(
        [
            (tenant, KeptEvent(seq, EventName.MESSAGES_NEW, {"seq": seq}))
            for tenant, count in ((acme, 3), (globex, 2))
            for seq in range(firsts[tenant], firsts[tenant] + count)
        ]
    )
    after = await publish(log, acme, 1)

    assert firsts == {acme: 3, globex: 1}
    assert after == [6]
    acme_events = (await log.replay(acme, since=0, limit=100)).events
    globex_events = (await log.replay(globex, since=0, limit=100)).events
    assert [event.seq for event in acme_events] == [1, 2, 3, 4, 5, 6]
    assert [event.data for event in globex_events] == [{"seq": 1}, {"seq": 2}]


async def test_a_batch_larger_than_the_capacity_keeps_only_the_newest(log: EventLog) -> None:
    tenant = uuid4()
    first = (await log.reserve({tenant: CAPACITY + 3}))[tenant]
    seqs = range(first, first + CAPACITY + 3)
    await log.keep([(tenant, KeptEvent(seq, EventName.MESSAGES_NEW, {})) for seq in seqs])

    replay = await log.replay(tenant, since=0, limit=100)

    assert [event.seq for event in replay.events] == list(seqs)[3:]
    assert (replay.last_seq, replay.oldest_kept) == (CAPACITY + 3, 4)
