"""The outbound outbox: one row per accepted agent send, drained by the outbound worker.

The row is inserted in the same transaction as its PENDING message (the row id is the message
id), so a send is either accepted with both or not at all. Claiming, leases and backoff are
`work_queue`'s; this module adds what is specific to sends: the insert, and `defer`, which puts
a claimed row back without spending an attempt (its instance's circuit is open or over its rate
limit, so the send was never tried).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from leadengine_core.messages import MessageOrigin
from sqlalchemy import Row, delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from leadengine_storage import work_queue
from leadengine_storage.tables import messages, outbox
from leadengine_storage.tenant_scope import UNSCOPED

__all__ = [
    "OutboxEntry",
    "claim",
    "complete",
    "count_by_status",
    "defer",
    "drop_echo",
    "enqueue",
    "fail",
    "release_expired_leases",
    "retry",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class OutboxEntry:
    """What the worker needs to send without reading anything else: where, to whom, what."""

    tenant_id: UUID
    message_id: UUID
    instance_id: UUID
    broker_id: str
    to: str
    payload: Mapping[str, object]
    accepted_at: datetime


async def enqueue(connection: AsyncConnection, entry: OutboxEntry) -> None:
    await connection.execute(
        insert(outbox).values(
            id=entry.message_id,
            tenant_id=entry.tenant_id,
            instance_id=entry.instance_id,
            broker_id=entry.broker_id,
            to=entry.to,
            payload=dict(entry.payload),
            status=work_queue.PENDING,
            attempts=0,
            available_at=entry.accepted_at,
            accepted_at=entry.accepted_at,
        )
    )


async def claim(
    connection: AsyncConnection, *, worker_id: str, limit: int, now: datetime, lease: timedelta
) -> Sequence[Row[Any]]:
    return await work_queue.claim(
        connection, outbox, worker_id=worker_id, limit=limit, now=now, lease=lease
    )


async def complete(
    connection: AsyncConnection, row_id: UUID, *, worker_id: str, sent_at: datetime
) -> bool:
    """The broker accepted the send. False when the lease was lost: roll back."""
    return await work_queue.complete(
        connection, outbox, row_id, worker_id=worker_id, sent_at=sent_at, last_error=None
    )


async def fail(connection: AsyncConnection, row_id: UUID, *, worker_id: str, error: str) -> bool:
    """The broker refused the send for good (e.g. an invalid recipient)."""
    return await work_queue.complete(
        connection,
        outbox,
        row_id,
        worker_id=worker_id,
        status=work_queue.FAILED,
        last_error=error[: work_queue.ERROR_LIMIT],
    )


async def retry(
    connection: AsyncConnection,
    row: Row[Any],
    *,
    worker_id: str,
    error: str,
    now: datetime,
    max_attempts: int,
    delay: Callable[[int], timedelta] = work_queue.backoff_delay,
) -> str | None:
    """Back off and try again later, or `failed` once `max_attempts` are spent."""
    return await work_queue.retry(
        connection,
        outbox,
        row,
        worker_id=worker_id,
        error=error,
        now=now,
        max_attempts=max_attempts,
        delay=delay,
    )


async def defer(
    connection: AsyncConnection, row_id: UUID, *, worker_id: str, until: datetime
) -> bool:
    """Put a claimed row back untried: the attempt `claim` counted is given back."""
    statement = (
        update(outbox)
        .where(
            outbox.c.id == row_id,
            outbox.c.status == work_queue.PROCESSING,
            outbox.c.locked_by == worker_id,
        )
        .values(
            status=work_queue.PENDING,
            attempts=outbox.c.attempts - 1,
            available_at=until,
            locked_by=None,
            locked_until=None,
        )
        .execution_options(**UNSCOPED)
    )
    return (await connection.execute(statement)).rowcount == 1


async def release_expired_leases(connection: AsyncConnection, *, now: datetime) -> int:
    return await work_queue.release_expired_leases(connection, outbox, now=now)


async def count_by_status(connection: AsyncConnection, tenant_id: UUID) -> dict[str, int]:
    """A tenant's rows per status (operations views and tests)."""
    statement = (
        select(outbox.c.status, func.count())
        .where(outbox.c.tenant_id == tenant_id)
        .group_by(outbox.c.status)
    )
    return {status: count for status, count in (await connection.execute(statement)).all()}


async def drop_echo(connection: AsyncConnection, tenant_id: UUID, message_id: UUID) -> bool:
    """Delete a broker-originated row that turned out to be the echo of one of our sends.

    The broker echoes every send as a webhook, and the inbound worker can store that echo
    (origin BROKER) before the outbound worker has recorded the provider id on our own row.
    Our row is the message (author, idempotency key); the echo is its duplicate."""
    statement = delete(messages).where(
        messages.c.tenant_id == tenant_id,
        messages.c.id == message_id,
        messages.c.origin == MessageOrigin.BROKER.value,
    )
    return (await connection.execute(statement)).rowcount == 1
