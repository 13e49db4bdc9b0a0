"""Wake-ups from other processes: PostgreSQL LISTEN on the inbox channel (psycopg async).

Webhooks `NOTIFY` in the transaction that appends rows, so a worker in another process hears
of them when they commit. A lost connection is re-opened after a pause; the poll interval
covers the gap, so a missed notification only delays work, never loses it.
"""

from __future__ import annotations

import asyncio

import psycopg
from leadengine_shared.logging import get_logger
from leadengine_storage.inbox import NOTIFY_CHANNEL
from sqlalchemy.engine import make_url

__all__ = ["listen_for_inbox"]

_log = get_logger("leadengine.worker.notifications")


def libpq_url(database_url: str) -> str:
    return make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)


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
