"""Claim and acknowledge rows of any durable queue table.

A queue table has `id`, `status`, `attempts`, `available_at`, `locked_by`, `locked_until` and
`last_error`. A row is claimable when it is `pending` and due. Claiming marks it `processing`
under a lease and counts the attempt up front, so a row that crashes every worker still runs
out of attempts. PostgreSQL claims with `FOR UPDATE SKIP LOCKED`, so several workers never
take the same row; SQLite ignores the clause and is meant for a single worker.

Queues are drained across tenants, so these statements are deliberately not tenant-scoped.
The caller owns the transaction: `claim` in a short one of its own, `complete`/`retry` in the
transaction that holds the job's effects, so both commit together or not at all.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Row, Table, bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from leadengine_storage.tenant_scope import UNSCOPED

__all__ = [
    "DONE",
    "ERROR_LIMIT",
    "FAILED",
    "PENDING",
    "PROCESSING",
    "backoff_delay",
    "claim",
    "complete",
    "complete_many",
    "release_expired_leases",
    "retry",
]

PENDING = "pending"
PROCESSING = "processing"
DONE = "done"
FAILED = "failed"
ERROR_LIMIT = 2000


def backoff_delay(
    attempts: int,
    *,
    base: float = 1.0,
    cap: float = 300.0,
    jitter: Callable[[], float] = random.random,
) -> timedelta:
    """Exponential backoff with equal jitter: half the step is fixed, half random, so retries
    of a burst of failures spread out instead of hitting the broken dependency together."""
    step = min(cap, base * 2 ** max(attempts - 1, 0))
    return timedelta(seconds=step / 2 + jitter() * step / 2)


async def claim(
    connection: AsyncConnection,
    table: Table,
    *,
    worker_id: str,
    limit: int,
    now: datetime,
    lease: timedelta,
) -> Sequence[Row[Any]]:
    """Take up to `limit` due `pending` rows, oldest first, and lease them to `worker_id`."""
    due = (
        select(table.c.id)
        .where(table.c.status == PENDING, table.c.available_at <= now)
        .order_by(table.c.available_at, table.c.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    statement = (
        update(table)
        .where(table.c.id.in_(due.scalar_subquery()))
        .values(
            status=PROCESSING,
            attempts=table.c.attempts + 1,
            locked_by=worker_id,
            locked_until=now + lease,
        )
        .returning(*table.c)
        .execution_options(**UNSCOPED)
    )
    rows = (await connection.execute(statement)).all()
    return sorted(rows, key=lambda row: (row.available_at, row.id))


async def complete(
    connection: AsyncConnection,
    table: Table,
    row_id: object,
    *,
    worker_id: str,
    status: str = DONE,
    **values: object,
) -> bool:
    """Finish a leased row with `status` (and any extra column values). False when the lease
    was lost (it expired and another worker took the row): roll the job's effects back."""
    statement = (
        update(table)
        .where(table.c.id == row_id, table.c.status == PROCESSING, table.c.locked_by == worker_id)
        .values(status=status, locked_by=None, locked_until=None, **values)
        .execution_options(**UNSCOPED)
    )
    return (await connection.execute(statement)).rowcount == 1


async def complete_many(
    connection: AsyncConnection,
    table: Table,
    finishes: Sequence[tuple[object, Mapping[str, object]]],
    *,
    worker_id: str,
) -> int:
    """`complete` for many rows, each (id, {"status": …, other columns}), as one executemany per
    set of columns; returns how many rows were still leased to `worker_id` (and so finished)."""
    groups: dict[tuple[str, ...], list[dict[str, object]]] = {}
    for row_id, values in finishes:
        groups.setdefault(tuple(sorted(values)), []).append({"row_id": row_id, **values})
    finished = 0
    for columns, params in groups.items():
        statement = (
            update(table)
            .where(
                table.c.id == bindparam("row_id"),
                table.c.status == PROCESSING,
                table.c.locked_by == worker_id,
            )
            .values(locked_by=None, locked_until=None, **{c: bindparam(c) for c in columns})
            .execution_options(**UNSCOPED)
        )
        finished += (await connection.execute(statement, params)).rowcount
    return finished


async def retry(
    connection: AsyncConnection,
    table: Table,
    row: Row[Any],
    *,
    worker_id: str,
    error: str,
    now: datetime,
    max_attempts: int,
    delay: Callable[[int], timedelta] = backoff_delay,
) -> str | None:
    """Put a failed row back after a backoff, or mark it `failed` once it used its attempts.
    Returns the new status, or None when the lease was lost."""
    exhausted = row.attempts >= max_attempts
    values: dict[str, object] = {"last_error": error[:ERROR_LIMIT]}
    if not exhausted:
        values["available_at"] = now + delay(row.attempts)
    status = FAILED if exhausted else PENDING
    changed = await complete(
        connection, table, row.id, worker_id=worker_id, status=status, **values
    )
    return status if changed else None


async def release_expired_leases(
    connection: AsyncConnection, table: Table, *, now: datetime
) -> int:
    """Make rows whose worker died (lease past) claimable again; returns how many."""
    statement = (
        update(table)
        .where(table.c.status == PROCESSING, table.c.locked_until < now)
        .values(status=PENDING, locked_by=None, locked_until=None, available_at=now)
        .execution_options(**UNSCOPED)
    )
    return (await connection.execute(statement)).rowcount
