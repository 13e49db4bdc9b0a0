"""Webhook commits wake the workers of other processes with NOTIFYs sent after the commit,
one in flight per process, so concurrent deliveries commit together (ADR 0013)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress

import psycopg
import pytest
from leadengine_api.features.inbound.testing import serve_webhook_api
from leadengine_api.worker.notifications import InboxNotifier, libpq_url
from leadengine_integrations.normalize import samples
from leadengine_storage.inbox import NOTIFY_CHANNEL

pytestmark = pytest.mark.postgres

BROKER_ID = "sales-01"
QUIET_SECONDS = 0.5


@asynccontextmanager
async def listening(database_url: str) -> AsyncIterator[asyncio.Queue[str]]:
    """A queue that receives every notification on the inbox channel."""
    heard: asyncio.Queue[str] = asyncio.Queue()
    async with await psycopg.AsyncConnection.connect(
        libpq_url(database_url), autocommit=True
    ) as connection:
        await connection.execute(f"LISTEN {NOTIFY_CHANNEL}")

        async def collect() -> None:
            async for notification in connection.notifies():
                heard.put_nowait(notification.channel)

        task = asyncio.create_task(collect())
        try:
            yield heard
        finally:
            task.cancel()
            with suppress(asyncio.CancelledError):
                await task


async def _count_until_quiet(heard: asyncio.Queue[str]) -> int:
    count = 0
    with suppress(TimeoutError):
        while True:
            await asyncio.wait_for(heard.get(), QUIET_SECONDS)
            count += 1
    return count


async def test_a_webhook_that_stores_rows_notifies_and_a_redelivery_does_not(
    postgres_database: str,
) -> None:
    async with (
        serve_webhook_api(postgres_database, run_worker_in_process=False) as api,
        listening(postgres_database) as heard,
    ):
        account = await api.tenant("acme")
        await api.add_instance(account.tenant_id, BROKER_ID)
        event = samples.message_inbound(instance=BROKER_ID)

        assert (await api.post(event)).json()["accepted"] == 1
        assert await _count_until_quiet(heard) == 1
        assert (await api.post(event)).json() == {"accepted": 0, "duplicates": 1}
        assert await _count_until_quiet(heard) == 0


async def test_commits_made_while_a_notify_is_in_flight_share_the_next_one(
    postgres_database: str,
) -> None:
    notifier = InboxNotifier(postgres_database, retry_seconds=0.05)
    try:
        async with listening(postgres_database) as heard:
            for _ in range(50):
                notifier.committed()
                await asyncio.sleep(0)
            assert 1 <= await _count_until_quiet(heard) <= 3

            notifier.committed()
            assert await _count_until_quiet(heard) == 1
    finally:
        await notifier.close()


async def test_a_notify_lost_with_its_connection_is_sent_again_on_a_new_one(
    postgres_database: str,
) -> None:
    notifier = InboxNotifier(postgres_database, retry_seconds=0.05)
    try:
        async with listening(postgres_database) as heard:
            notifier.committed()
            assert await _count_until_quiet(heard) == 1
            async with await psycopg.AsyncConnection.connect(
                libpq_url(postgres_database), autocommit=True
            ) as admin:
                await admin.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE query = %s AND pid <> pg_backend_pid()",
                    (f"NOTIFY {NOTIFY_CHANNEL}",),
                )

            notifier.committed()
            assert await _count_until_quiet(heard) == 1
    finally:
        await notifier.close()
