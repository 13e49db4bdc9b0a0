"""Exactly once under crashes and concurrency (PostgreSQL): a `leadengine worker` process
killed with SIGKILL mid-batch while webhooks keep arriving, and three worker loops sharing one
inbox of 5,000 events."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import AsyncIterator

import pytest
from leadengine_api.features.inbound.envelopes import Source, parse_body
from leadengine_api.features.inbound.testing import JWT_SECRET, WebhookApi, serve_webhook_api
from leadengine_api.worker.config import WorkerConfig
from leadengine_api.worker.runner import InboundWorker
from leadengine_core.events import MessageCreated
from leadengine_core.testing import RecordingPublisher
from leadengine_integrations.normalize import samples
from leadengine_shared.metrics import InboundMetrics, new_registry
from leadengine_shared.runtime import SystemClock, Uuid7Ids
from leadengine_storage import inbox
from leadengine_storage.unit_of_work import SqlUnitOfWork

pytestmark = [pytest.mark.postgres, pytest.mark.slow]
BROKER_ID = "sales-01"


def _message(number: int) -> dict[str, object]:
    phone = f"55319{number % 50:08d}"
    return samples.message_inbound(
        message_id=f"MSG-{number:06d}",
        chat_id=f"{phone}@s.whatsapp.net",
        phone=f"+{phone}",
        instance=BROKER_ID,
    )


@pytest.fixture
async def webhook(postgres_database: str) -> AsyncIterator[WebhookApi]:
    async with serve_webhook_api(postgres_database, run_worker_in_process=False) as api:
        account = await api.tenant("durable")
        await api.add_instance(account.tenant_id, BROKER_ID)
        yield api


def _start_worker(database_url: str) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "ENVIRONMENT": "test",
        "JWT_SECRET": JWT_SECRET,
        "INBOUND_WORKER_LEASE_SECONDS": "2",
        "INBOUND_WORKER_POLL_SECONDS": "0.2",
        "INBOUND_WORKER_BATCH_SIZE": "20",
        "LOG_LEVEL": "warning",
    }
    command = [sys.executable, "-m", "leadengine_api.cli", "worker", "--concurrency", "2"]
    return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)


async def test_a_killed_worker_loses_nothing_and_applies_nothing_twice(
    webhook: WebhookApi, postgres_database: str
) -> None:
    total = 400
    sent: list[int] = []

    async def keep_sending() -> None:
        for start in range(0, total, 10):
            body = [_message(n) for n in range(start, start + 10)]
            response = await webhook.post(body)
            assert response.status_code == 202
            sent.extend(range(start, start + 10))
            await asyncio.sleep(0.02)

    sender = asyncio.create_task(keep_sending())
    worker = _start_worker(postgres_database)
    try:
        await webhook.eventually(lambda: _some_in(webhook, "processing"))
        worker.send_signal(signal.SIGKILL)
        worker.wait()
        interrupted = {row.id for row in await webhook.inbox() if row.status == "processing"}
        assert interrupted, "the worker was killed mid-batch"
        await asyncio.sleep(0.5)
        worker = _start_worker(postgres_database)
        await sender
        await webhook.eventually(lambda: _all_done(webhook, total), within=120)
    finally:
        sender.cancel()
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=30)

    rows = await webhook.inbox()
    assert len(rows) == len(sent) == total
    assert {row.id for row in rows if row.attempts >= 2} >= interrupted
    assert all(row.last_error is None for row in rows), "every event applied, none a duplicate"
    assert await webhook.message_count() == total


@pytest.mark.timeout(600)
async def test_three_workers_share_5000_events_without_doubles(
    webhook: WebhookApi, postgres_database: str
) -> None:
    total = 5000
    async with SqlUnitOfWork(webhook.engine) as uow:
        instance = await uow.instances.route_by_broker_id(BROKER_ID)
    assert instance is not None
    entries = [
        inbox.InboxEntry(
            id=Uuid7Ids().new_id(),
            dedupe_key=parsed.item.dedupe_key or "",
            broker_id=BROKER_ID,
            tenant_id=instance.tenant_id,
            source=Source.BROKER.value,
            kind="message",
            payload=parsed.payload,
        )
        for number in range(total)
        for parsed in parse_body(Source.BROKER, _message(number))
    ]
    async with webhook.engine.begin() as connection:
        assert await inbox.append(connection, entries, now=SystemClock().now()) == total

    published = RecordingPublisher()
    config = WorkerConfig(database_url=postgres_database, batch_size=50, poll_seconds=0.2)
    worker = InboundWorker(
        webhook.engine,
        SystemClock(),
        Uuid7Ids(),
        InboundMetrics(new_registry()),
        config,
        concurrency=3,
        publisher=published,
    )
    worker.start()
    started = asyncio.get_running_loop().time()
    try:
        await webhook.eventually(lambda: _all_done(webhook, total), within=500)
    finally:
        await worker.stop()
        print(f"{total} events in {asyncio.get_running_loop().time() - started:.1f}s")

    applied = Counter(
        event.message.provider_message_id
        for event in published.published
        if isinstance(event, MessageCreated)
    )
    assert await webhook.message_count() == total
    assert len(applied) == total
    assert set(applied.values()) == {1}
    workers = {row.locked_by for row in await webhook.inbox()}
    assert workers == {None}


async def _some_in(api: WebhookApi, status: str) -> bool:
    return status in await api.statuses()


async def _all_done(api: WebhookApi, total: int) -> bool:
    await asyncio.sleep(0.2)
    return await api.count("done") == total == await api.count()
