"""Wake-ups across processes on the PostgreSQL inbox channel: NOTIFY after webhook commits,
LISTEN in the workers (psycopg async).

A webhook's rows are committed before its process sends a NOTIFY, so a worker in another
process that hears it finds them. A lost connection or a NOTIFY that could not be sent costs
at most the workers' poll interval: a missed notification only delays work, never loses it.
"""

from __future__ import annotations

import asyncio
from contextlib import suppress

import psycopg
from leadengine_shared.logging import get_logger
from leadengine_storage.inbox import NOTIFY_CHANNEL
from sqlalchemy.engine import make_url

__all__ = ["InboxNotifier", "listen_for_inbox"]

_log = get_logger("leadengine.worker.notifications")


def libpq_url(database_url: str) -> str:
    return make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)


class InboxNotifier:
    """One NOTIFY in flight per process; commits made meanwhile share the next one (ADR 0013).

    PostgreSQL serialises the commits of transactions that NOTIFY on a cluster-wide lock held
    through their WAL flush, so a NOTIFY inside every webhook's statement made deliveries commit
    one fsync at a time. Sent here, on a connection of its own, the rows commit together and
    the workers still hear of the last of them.
    """

    def __init__(self, database_url: str, retry_seconds: float) -> None:
        self._libpq = libpq_url(database_url)
        self._retry_seconds = retry_seconds
        self._due = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._connection: psycopg.AsyncConnection[object] | None = None

    def committed(self) -> None:
        """Rows were committed: make sure a NOTIFY is sent after this moment."""
        self._due.set()
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run())

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._connection is not None:
            await self._connection.close()
            self._connection = None

    async def _run(self) -> None:
        while True:
            await self._due.wait()
            self._due.clear()
            try:
                await self._notify()
            except (psycopg.Error, OSError) as error:
                _log.warning("inbound.notify.failed", error=type(error).__name__)
                if self._connection is not None:
                    await self._connection.close()
                    self._connection = None
                self._due.set()
                await asyncio.sleep(self._retry_seconds)

    async def _notify(self) -> None:
        if self._connection is None or self._connection.closed:
            self._connection = await psycopg.AsyncConnection.connect(self._libpq, autocommit=True)
        await self._connection.execute(f"NOTIFY {NOTIFY_CHANNEL}")


async def listen_for_inbox(database_url: str, wakeup: asyncio.Event, retry_seconds: float) -> None:
    """Set `wakeup` on every notification until cancelled."""
    while True:
        try:
            async with await psycopg.AsyncConnection.connect(
                libpq_url(database_url), autocommit=True
            ) as connection:
                await connection.execute(f"LISTEN {NOTIFY_CHANNEL}")
                wakeup.set()
                async for _ in connection.notifies():
                    wakeup.set()
        except (psycopg.Error, OSError) as error:
            _log.warning("inbound.listen.lost", error=type(error).__name__)
            await asyncio.sleep(retry_seconds)
