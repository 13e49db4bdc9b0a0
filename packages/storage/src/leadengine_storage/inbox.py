"""The durable inbox of webhook events: append a batch once, then drain it with `work_queue`.

Each row is one event, stored under the normaliser's dedupe key (UNIQUE), so a redelivery is
a no-op. The payload is the envelope item the event came from, as JSON text: the worker parses
it again (parsing is pure), and replaying a row means parsing the same bytes again. JSON text
rather than JSONB because `\\u0000` is valid JSON that PostgreSQL's JSONB refuses.

Routing, re-arming and draining work across tenants, so those statements are deliberately not
tenant-scoped; the admin views (`list_rows`, `replay` with a tenant) are.

`deliver` is the webhook's write: on PostgreSQL one statement routes and inserts, so on an
autocommit connection it is its own transaction and costs one round trip (ADR 0010). It does
not NOTIFY: that would serialise every delivery's commit (ADR 0013); the caller wakes workers.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Row, and_, bindparam, delete, exists, func, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from leadengine_storage.portable_sql import keys_in
from leadengine_storage.tables import UtcDateTime, inbound_inbox, whatsapp_instances
from leadengine_storage.tenant_scope import UNSCOPED
from leadengine_storage.work_queue import DONE, FAILED, PENDING

__all__ = [
    "DEFERRED",
    "IGNORED",
    "NOTIFY_CHANNEL",
    "STATUSES",
    "UNROUTABLE",
    "Delivered",
    "InboxEntry",
    "IncomingEvent",
    "append",
    "deliver",
    "depth",
    "list_rows",
    "notify",
    "purge",
    "rearm_waiting",
    "recheck_deferred",
    "replay",
    "replay_status",
    "route_unroutable",
    "storage_key",
]

DEFERRED = "deferred"
IGNORED = "ignored"
UNROUTABLE = "unroutable"
STATUSES = (PENDING, "processing", DONE, DEFERRED, FAILED, UNROUTABLE, IGNORED)
NOTIFY_CHANNEL = "leadengine_inbox"
_KEY_BYTES = 500
_ROWS_PER_INSERT = 500


def storage_key(dedupe_key: str) -> str:
    """The key as stored: a key too long for the unique index is replaced by its digest."""
    if len(dedupe_key.encode("utf-8")) <= _KEY_BYTES:
        return dedupe_key
    return "sha256:" + hashlib.sha256(dedupe_key.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class InboxEntry:
    id: UUID
    dedupe_key: str
    broker_id: str
    tenant_id: UUID | None
    source: str
    kind: str
    payload: str

    @property
    def status(self) -> str:
        return PENDING if self.tenant_id is not None else UNROUTABLE


async def append(
    connection: AsyncConnection,
    entries: Sequence[InboxEntry],
    *,
    now: datetime,
    trace_context: str | None = None,
) -> int:
    """Insert the entries whose key is new (INSERT … ON CONFLICT DO NOTHING); returns how many
    were inserted. The caller commits."""
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    inserted = 0
    for start in range(0, len(entries), _ROWS_PER_INSERT):
        rows = [
            _row(entry, now, trace_context) for entry in entries[start : start + _ROWS_PER_INSERT]
        ]
        statement = (
            dialect.insert(inbound_inbox)
            .values(rows)
            .on_conflict_do_nothing(index_elements=["dedupe_key"])
            .returning(inbound_inbox.c.id)
        )
        inserted += len((await connection.execute(statement)).all())
    return inserted


@dataclass(frozen=True, slots=True)
class IncomingEvent:
    """A webhook event before routing: its tenant is looked up from `broker_id`, never given."""

    id: UUID
    dedupe_key: str
    broker_id: str
    kind: str
    payload: str


@dataclass(frozen=True, slots=True)
class Delivered:
    inserted: int
    dropped: int
    """Events of deleted instances: not stored."""


async def deliver(
    connection: AsyncConnection,
    events: Sequence[IncomingEvent],
    *,
    source: str,
    now: datetime,
    trace_context: str | None = None,
) -> Delivered:
    """Route each event to the tenant of the instance with its broker id (none: unroutable; a
    deleted instance: dropped) and insert the new keys; waking the workers is the caller's.

    PostgreSQL: one statement, so on an autocommit connection it is its own transaction (the
    webhook's, ADR 0010). SQLite: a lookup then `append`, in the caller's transaction."""
    if connection.dialect.name != "postgresql":
        return await _deliver_in_steps(
            connection, events, source=source, now=now, trace=trace_context
        )
    incoming = [
        {
            "id": str(event.id),
            "dedupe_key": storage_key(event.dedupe_key),
            "broker_id": event.broker_id,
            "kind": event.kind,
            "payload": event.payload,
        }
        for event in events
    ]
    parameters = {
        "incoming": json.dumps(incoming, separators=(",", ":")),
        "source": source,
        "now": now,
        "trace_context": trace_context,
    }
    counts = (await connection.execute(_DELIVER, parameters)).one()
    return Delivered(inserted=counts.inserted, dropped=counts.dropped)


# The events travel as one JSON document rather than a VALUES row each: the text is the same for
# any batch size (the driver prepares it once per connection) and encoding is one C call. The
# instance lookup is unscoped by design: it is the routing.
_DELIVER = text(
    """
    WITH incoming AS (
        SELECT * FROM json_to_recordset(CAST(:incoming AS json))
            AS incoming (id uuid, dedupe_key text, broker_id text, kind text, payload text)
    ), routed AS (
        SELECT incoming.*, instance.tenant_id, instance.deleted_at IS NOT NULL AS deleted
        FROM incoming
        LEFT JOIN whatsapp_instances AS instance ON instance.broker_id = incoming.broker_id
    ), inserted AS (
        INSERT INTO inbound_inbox (id, tenant_id, broker_id, dedupe_key, source, kind, payload,
            status, attempts, available_at, trace_context, received_at)
        SELECT id, tenant_id, broker_id, dedupe_key, :source, kind, payload,
            CASE WHEN tenant_id IS NULL THEN :unroutable ELSE :pending END,
            0, :now, :trace_context, :now
        FROM routed WHERE NOT deleted
        ON CONFLICT (dedupe_key) DO NOTHING
        RETURNING 1
    )
    SELECT (SELECT count(*) FROM inserted) AS inserted,
        (SELECT count(*) FROM routed WHERE deleted) AS dropped
    """
).bindparams(
    bindparam("now", type_=UtcDateTime),
    unroutable=UNROUTABLE,
    pending=PENDING,
)


async def _deliver_in_steps(
    connection: AsyncConnection,
    events: Sequence[IncomingEvent],
    *,
    source: str,
    now: datetime,
    trace: str | None,
) -> Delivered:
    broker_ids = {event.broker_id for event in events}
    query = (
        select(
            whatsapp_instances.c.broker_id,
            whatsapp_instances.c.tenant_id,
            whatsapp_instances.c.deleted_at,
        )
        .where(whatsapp_instances.c.broker_id.in_(broker_ids))
        .execution_options(**UNSCOPED)
    )
    instances = {row.broker_id: row for row in await connection.execute(query)}
    entries = []
    for event in events:
        instance = instances.get(event.broker_id)
        if instance is not None and instance.deleted_at is not None:
            continue
        entries.append(
            InboxEntry(
                id=event.id,
                dedupe_key=event.dedupe_key,
                broker_id=event.broker_id,
                tenant_id=None if instance is None else instance.tenant_id,
                source=source,
                kind=event.kind,
                payload=event.payload,
            )
        )
    inserted = await append(connection, entries, now=now, trace_context=trace)
    return Delivered(inserted=inserted, dropped=len(events) - len(entries))


def _row(entry: InboxEntry, now: datetime, trace_context: str | None) -> dict[str, Any]:
    return {
        "id": entry.id,
        "tenant_id": entry.tenant_id,
        "broker_id": entry.broker_id,
        "dedupe_key": storage_key(entry.dedupe_key),
        "source": entry.source,
        "kind": entry.kind,
        "payload": entry.payload,
        "status": entry.status,
        "attempts": 0,
        "available_at": now,
        "locked_by": None,
        "locked_until": None,
        "last_error": None,
        "waiting_for": None,
        "trace_context": trace_context,
        "received_at": now,
        "processed_at": None,
    }


async def notify(connection: AsyncConnection) -> None:
    """Wake listening workers when the transaction commits (PostgreSQL only)."""
    if connection.dialect.name == "postgresql":
        await connection.execute(select(func.pg_notify(NOTIFY_CHANNEL, "")))


async def rearm_waiting(
    connection: AsyncConnection, waiting: Iterable[tuple[str, str]], *, now: datetime
) -> int:
    """Rows deferred until one of these (broker id, provider message id) messages existed
    become claimable again."""
    pairs = list(dict.fromkeys(waiting))
    if not pairs:
        return 0
    statement = (
        update(inbound_inbox)
        .where(
            keys_in([inbound_inbox.c.broker_id, inbound_inbox.c.waiting_for], pairs),
            inbound_inbox.c.status == DEFERRED,
        )
        .values(status=PENDING, available_at=now, waiting_for=None)
        .execution_options(**UNSCOPED)
    )
    return (await connection.execute(statement)).rowcount


async def recheck_deferred(connection: AsyncConnection, *, now: datetime) -> int:
    """Deferred rows whose re-check time has come are tried again: a safety net for a message
    applied by another worker while the row was being deferred."""
    statement = (
        update(inbound_inbox)
        .where(inbound_inbox.c.status == DEFERRED, inbound_inbox.c.available_at <= now)
        .values(status=PENDING)
        .execution_options(**UNSCOPED)
    )
    return (await connection.execute(statement)).rowcount


async def route_unroutable(connection: AsyncConnection, *, now: datetime) -> int:
    """Unroutable rows whose broker id now names an instance get its tenant and become pending;
    one statement, so it is cheap to run every cycle."""
    owner = (
        select(whatsapp_instances.c.tenant_id)
        .where(whatsapp_instances.c.broker_id == inbound_inbox.c.broker_id)
        .scalar_subquery()
    )
    known = exists().where(whatsapp_instances.c.broker_id == inbound_inbox.c.broker_id)
    statement = (
        update(inbound_inbox)
        .where(inbound_inbox.c.status == UNROUTABLE, known)
        .values(tenant_id=owner, status=PENDING, available_at=now)
        .execution_options(**UNSCOPED)
    )
    return (await connection.execute(statement)).rowcount


async def purge(connection: AsyncConnection, *, processed_before: datetime) -> int:
    """Retention: delete finished rows processed before the cut-off."""
    statement = (
        delete(inbound_inbox)
        .where(
            inbound_inbox.c.status.in_((DONE, IGNORED)),
            inbound_inbox.c.processed_at < processed_before,
        )
        .execution_options(**UNSCOPED)
    )
    return (await connection.execute(statement)).rowcount


async def depth(connection: AsyncConnection) -> dict[str, tuple[int, datetime | None]]:
    """Rows per status and the oldest `received_at` of each (for the gauges)."""
    query = (
        select(
            inbound_inbox.c.status,
            func.count(),
            func.min(inbound_inbox.c.received_at),
        )
        .group_by(inbound_inbox.c.status)
        .execution_options(**UNSCOPED)
    )
    rows = (await connection.execute(query)).all()
    return {row[0]: (int(row[1]), row[2]) for row in rows}


async def list_rows(
    connection: AsyncConnection,
    *,
    tenant_id: UUID | None,
    statuses: Iterable[str] = (),
    limit: int = 50,
) -> Sequence[Row[Any]]:
    """Newest first. `tenant_id` None lists every tenant's rows (operators' CLI only)."""
    query = select(inbound_inbox).order_by(
        inbound_inbox.c.received_at.desc(), inbound_inbox.c.id.desc()
    )
    chosen = tuple(statuses)
    if chosen:
        query = query.where(inbound_inbox.c.status.in_(chosen))
    if tenant_id is None:
        query = query.execution_options(**UNSCOPED)
    else:
        query = query.where(inbound_inbox.c.tenant_id == tenant_id)
    return (await connection.execute(query.limit(limit))).all()


async def replay(
    connection: AsyncConnection, row_id: UUID, *, tenant_id: UUID | None, now: datetime
) -> bool:
    """Make one finished or failed row pending again with fresh attempts; False when there is
    no such row (for that tenant) or it is still queued or being processed."""
    condition = and_(
        inbound_inbox.c.id == row_id,
        inbound_inbox.c.status.in_((DONE, FAILED, IGNORED, DEFERRED)),
    )
    statement = update(inbound_inbox).values(**_fresh(now))
    if tenant_id is None:
        statement = statement.where(condition).execution_options(**UNSCOPED)
    else:
        statement = statement.where(condition, inbound_inbox.c.tenant_id == tenant_id)
    return (await connection.execute(statement)).rowcount == 1


async def replay_status(connection: AsyncConnection, status: str, *, now: datetime) -> int:
    """Every row in `status` (usually `failed`) becomes pending again with fresh attempts."""
    statement = (
        update(inbound_inbox)
        .where(inbound_inbox.c.status == status)
        .values(**_fresh(now))
        .execution_options(**UNSCOPED)
    )
    return (await connection.execute(statement)).rowcount


def _fresh(now: datetime) -> dict[str, object]:
    return {
        "status": PENDING,
        "attempts": 0,
        "available_at": now,
        "last_error": None,
        "waiting_for": None,
        "processed_at": None,
    }
