"""The inbox table and the generic work queue on SQLite and PostgreSQL (every statement is
checked by the `engine` fixture's tenant-scope probe: the unscoped ones say so)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

from leadengine_storage import inbox, work_queue
from leadengine_storage.tables import inbound_inbox, whatsapp_instances
from leadengine_storage.tenant_scope import UNSCOPED
from leadengine_storage.testing import SeededTenant
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
LEASE = timedelta(seconds=30)


def _entry(key: str, tenant_id: UUID | None, broker_id: str = "b-1") -> inbox.InboxEntry:
    return inbox.InboxEntry(
        id=uuid4(),
        dedupe_key=key,
        broker_id=broker_id,
        tenant_id=tenant_id,
        source="broker",
        kind="message",
        payload="{}",
    )


def _incoming(key: str, broker_id: str) -> inbox.IncomingEvent:
    return inbox.IncomingEvent(
        id=uuid4(), dedupe_key=key, broker_id=broker_id, kind="message", payload="{}"
    )


async def _statuses(engine: AsyncEngine) -> dict[str, str]:
    query = select(inbound_inbox.c.dedupe_key, inbound_inbox.c.status)
    async with engine.connect() as connection:
        rows = await connection.execute(query.execution_options(**UNSCOPED))
    return {row.dedupe_key: row.status for row in rows}


async def test_append_stores_each_key_once(engine: AsyncEngine, tenant_a: SeededTenant) -> None:
    async with engine.begin() as connection:
        first = await inbox.append(
            connection, [_entry("k1", tenant_a.id), _entry("k2", None)], now=NOW
        )
    async with engine.begin() as connection:
        again = await inbox.append(
            connection, [_entry("k1", tenant_a.id), _entry("k3", tenant_a.id)], now=NOW
        )
    assert (first, again) == (2, 1)
    assert await _statuses(engine) == {"k1": "pending", "k2": "unroutable", "k3": "pending"}


async def test_deliver_takes_the_tenant_from_the_instance_of_each_broker_id(
    engine: AsyncEngine, tenant_a: SeededTenant, tenant_b: SeededTenant
) -> None:
    async with engine.begin() as connection:
        await connection.execute(
            update(whatsapp_instances)
            .where(whatsapp_instances.c.tenant_id == tenant_b.id)
            .values(deleted_at=NOW)
        )
    events = [
        _incoming("known", tenant_a.instance.broker_id),
        _incoming("unknown", "nobody"),
        _incoming("deleted", tenant_b.instance.broker_id),
    ]
    delivered = []
    for _ in range(2):
        async with engine.begin() as connection:
            delivered.append(await inbox.deliver(connection, events, source="broker", now=NOW))
    assert delivered == [inbox.Delivered(2, 1), inbox.Delivered(0, 1)]
    assert await _statuses(engine) == {"known": "pending", "unknown": "unroutable"}
    async with engine.connect() as connection:
        [row] = await inbox.list_rows(connection, tenant_id=tenant_a.id)
    assert (row.dedupe_key, row.received_at) == ("known", NOW)


async def test_an_overlong_key_is_stored_as_its_digest(
    engine: AsyncEngine, tenant_a: SeededTenant
) -> None:
    key = "msg:" + "x" * 2000
    async with engine.begin() as connection:
        assert await inbox.append(connection, [_entry(key, tenant_a.id)], now=NOW) == 1
        assert await inbox.append(connection, [_entry(key, tenant_a.id)], now=NOW) == 0
    assert list(await _statuses(engine)) == [inbox.storage_key(key)]


async def test_claim_leases_due_rows_oldest_first(
    engine: AsyncEngine, tenant_a: SeededTenant
) -> None:
    async with engine.begin() as connection:
        await inbox.append(connection, [_entry("old", tenant_a.id)], now=NOW)
        await inbox.append(connection, [_entry("new", tenant_a.id)], now=NOW + timedelta(1))
        await inbox.append(connection, [_entry("future", tenant_a.id)], now=NOW + timedelta(9))
    async with engine.begin() as connection:
        rows = await work_queue.claim(
            connection, inbound_inbox, worker_id="w1", limit=5, now=NOW + timedelta(2), lease=LEASE
        )
        again = await work_queue.claim(
            connection, inbound_inbox, worker_id="w2", limit=5, now=NOW + timedelta(2), lease=LEASE
        )
    assert [row.dedupe_key for row in rows] == ["old", "new"]
    assert all(row.status == "processing" and row.attempts == 1 for row in rows)
    assert all(row.locked_by == "w1" for row in rows)
    assert again == []


async def test_complete_needs_the_lease(engine: AsyncEngine, tenant_a: SeededTenant) -> None:
    async with engine.begin() as connection:
        await inbox.append(connection, [_entry("k", tenant_a.id)], now=NOW)
        [row] = await work_queue.claim(
            connection, inbound_inbox, worker_id="w1", limit=1, now=NOW, lease=LEASE
        )
        assert not await work_queue.complete(connection, inbound_inbox, row.id, worker_id="w2")
        assert await work_queue.complete(connection, inbound_inbox, row.id, worker_id="w1")
        assert not await work_queue.complete(connection, inbound_inbox, row.id, worker_id="w1")
    assert await _statuses(engine) == {"k": "done"}


async def test_retry_backs_off_then_fails_after_max_attempts(
    engine: AsyncEngine, tenant_a: SeededTenant
) -> None:
    async with engine.begin() as connection:
        await inbox.append(connection, [_entry("k", tenant_a.id)], now=NOW)
    now, outcomes = NOW, []
    for _ in range(3):
        async with engine.begin() as connection:
            [row] = await work_queue.claim(
                connection, inbound_inbox, worker_id="w", limit=1, now=now, lease=LEASE
            )
            outcomes.append(
                await work_queue.retry(
                    connection,
                    inbound_inbox,
                    row,
                    worker_id="w",
                    error="boom",
                    now=now,
                    max_attempts=3,
                    delay=lambda attempts: timedelta(seconds=10 * attempts),
                )
            )
            early = await work_queue.claim(
                connection, inbound_inbox, worker_id="w", limit=1, now=now, lease=LEASE
            )
            assert early == []
        now += timedelta(minutes=1)
    assert outcomes == ["pending", "pending", "failed"]
    async with engine.connect() as connection:
        row = (await connection.execute(select(inbound_inbox).execution_options(**UNSCOPED))).one()
    assert (row.status, row.attempts, row.last_error) == ("failed", 3, "boom")


def test_backoff_grows_exponentially_with_jitter_and_a_cap() -> None:
    def low() -> float:
        return 0.0

    def high() -> float:
        return 1.0

    assert work_queue.backoff_delay(1, base=2, jitter=low) == timedelta(seconds=1)
    assert work_queue.backoff_delay(1, base=2, jitter=high) == timedelta(seconds=2)
    assert work_queue.backoff_delay(4, base=2, jitter=high) == timedelta(seconds=16)
    assert work_queue.backoff_delay(40, base=2, cap=60, jitter=high) == timedelta(seconds=60)


async def test_expired_leases_come_back(engine: AsyncEngine, tenant_a: SeededTenant) -> None:
    async with engine.begin() as connection:
        await inbox.append(connection, [_entry("k", tenant_a.id)], now=NOW)
        await work_queue.claim(
            connection, inbound_inbox, worker_id="dead", limit=1, now=NOW, lease=LEASE
        )
        assert await work_queue.release_expired_leases(connection, inbound_inbox, now=NOW) == 0
        later = NOW + LEASE + timedelta(seconds=1)
        assert await work_queue.release_expired_leases(connection, inbound_inbox, now=later) == 1
        [row] = await work_queue.claim(
            connection, inbound_inbox, worker_id="alive", limit=1, now=later, lease=LEASE
        )
    assert (row.locked_by, row.attempts) == ("alive", 2)


async def test_unroutable_rows_are_routed_once_the_instance_exists(
    engine: AsyncEngine, tenant_a: SeededTenant
) -> None:
    broker_id = tenant_a.instance.broker_id
    async with engine.begin() as connection:
        await inbox.append(connection, [_entry("k", None, broker_id)], now=NOW)
        await inbox.append(connection, [_entry("other", None, "nobody")], now=NOW)
        assert await inbox.route_unroutable(connection, now=NOW) == 1
    assert await _statuses(engine) == {"k": "pending", "other": "unroutable"}
    async with engine.connect() as connection:
        [row] = await inbox.list_rows(connection, tenant_id=tenant_a.id)
    assert row.tenant_id == tenant_a.id


async def test_deferred_rows_are_re_armed_by_their_message(
    engine: AsyncEngine, tenant_a: SeededTenant
) -> None:
    async with engine.begin() as connection:
        await inbox.append(connection, [_entry("ack", tenant_a.id)], now=NOW)
        [row] = await work_queue.claim(
            connection, inbound_inbox, worker_id="w", limit=1, now=NOW, lease=LEASE
        )
        await work_queue.complete(
            connection,
            inbound_inbox,
            row.id,
            worker_id="w",
            status=inbox.DEFERRED,
            waiting_for="MSG-1",
            available_at=NOW + timedelta(hours=1),
        )
        assert await inbox.rearm_waiting(connection, [("b-1", "MSG-2")], now=NOW) == 0
        assert await inbox.rearm_waiting(connection, [("other", "MSG-1")], now=NOW) == 0
        assert await inbox.rearm_waiting(connection, [("b-1", "MSG-1")], now=NOW) == 1
    assert await _statuses(engine) == {"ack": "pending"}


async def test_list_replay_and_purge(
    engine: AsyncEngine, tenant_a: SeededTenant, tenant_b: SeededTenant
) -> None:
    async with engine.begin() as connection:
        await inbox.append(
            connection, [_entry("a", tenant_a.id), _entry("b", tenant_b.id)], now=NOW
        )
        rows = await work_queue.claim(
            connection, inbound_inbox, worker_id="w", limit=5, now=NOW, lease=LEASE
        )
        for row in rows:
            await work_queue.complete(
                connection,
                inbound_inbox,
                row.id,
                worker_id="w",
                status="failed",
                processed_at=NOW,
            )
    async with engine.begin() as connection:
        [own] = await inbox.list_rows(connection, tenant_id=tenant_a.id, statuses=["failed"])
        assert not await inbox.replay(connection, own.id, tenant_id=tenant_b.id, now=NOW)
        assert await inbox.replay(connection, own.id, tenant_id=tenant_a.id, now=NOW)
        assert await inbox.replay_status(connection, "failed", now=NOW) == 1
        depth = await inbox.depth(connection)
    assert depth["pending"][0] == 2
    assert depth["pending"][1] == NOW
    async with engine.begin() as connection:
        rows = await work_queue.claim(
            connection, inbound_inbox, worker_id="w", limit=5, now=NOW, lease=LEASE
        )
        for row in rows:
            await work_queue.complete(
                connection, inbound_inbox, row.id, worker_id="w", processed_at=NOW
            )
        assert await inbox.purge(connection, processed_before=NOW) == 0
        assert await inbox.purge(connection, processed_before=NOW + timedelta(days=8)) == 2
