"""Queues of a tenant, listed in display order; a queue still holding tickets cannot go."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import Any
from uuid import UUID

from leadengine_core.errors import Conflict, DomainError
from leadengine_core.ports import QueueRepository
from leadengine_core.queues import Queue, QueueInUse
from leadengine_core.tenants import ensure_same_tenant
from sqlalchemy import Row, Select, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from leadengine_storage.integrity import Violation, ViolationKind
from leadengine_storage.repositories.guarded import ensure_changed, guarded, plain_error
from leadengine_storage.tables import queues

__all__ = ["SqlQueueRepository"]


class SqlQueueRepository(QueueRepository):
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def get(self, tenant_id: UUID, queue_id: UUID) -> Queue | None:
        query = select(queues).where(queues.c.tenant_id == tenant_id, queues.c.id == queue_id)
        row = (await self._connection.execute(query)).first()
        return None if row is None else _queue(row)

    async def get_by_name(self, tenant_id: UUID, name: str) -> Queue | None:
        query = select(queues).where(queues.c.tenant_id == tenant_id, queues.c.name == name)
        row = (await self._connection.execute(query)).first()
        return None if row is None else _queue(row)

    async def add(self, tenant_id: UUID, queue: Queue) -> None:
        ensure_same_tenant(tenant_id, queue.tenant_id)
        statement = insert(queues).values(id=queue.id, tenant_id=tenant_id, **_values(queue))
        await guarded(
            self._connection, lambda: self._connection.execute(statement), partial(_explain, queue)
        )

    async def update(self, tenant_id: UUID, queue: Queue) -> None:
        ensure_same_tenant(tenant_id, queue.tenant_id)
        statement = (
            update(queues)
            .where(queues.c.tenant_id == tenant_id, queues.c.id == queue.id)
            .values(**_values(queue))
        )

        async def work() -> None:
            result = await self._connection.execute(statement)
            ensure_changed(result.rowcount, "queue", queue.id)

        await guarded(self._connection, work, partial(_explain, queue))

    async def remove(self, tenant_id: UUID, queue_id: UUID) -> None:
        statement = delete(queues).where(queues.c.tenant_id == tenant_id, queues.c.id == queue_id)

        async def work() -> None:
            result = await self._connection.execute(statement)
            ensure_changed(result.rowcount, "queue", queue_id)

        await guarded(self._connection, work, partial(_explain_removal, queue_id))

    async def list_all(self, tenant_id: UUID) -> Sequence[Queue]:
        return await self._list(_in_display_order(tenant_id))

    async def lock_all(self, tenant_id: UUID) -> Sequence[Queue]:
        return await self._list(_in_display_order(tenant_id).with_for_update())

    async def _list(self, query: Select[Any]) -> Sequence[Queue]:
        return [_queue(row) for row in await self._connection.execute(query)]


def _in_display_order(tenant_id: UUID) -> Select[Any]:
    return (
        select(queues)
        .where(queues.c.tenant_id == tenant_id)
        .order_by(queues.c.order_index, queues.c.name)
    )


async def _explain(queue: Queue, violation: Violation) -> DomainError:
    if violation.constraint == "uq_queues_tenant_id_name":
        return Conflict("a queue with this name already exists", details={"name": queue.name})
    return plain_error(violation, "queue", queue.id)


async def _explain_removal(queue_id: UUID, violation: Violation) -> DomainError:
    if violation.kind is ViolationKind.FOREIGN_KEY:
        return QueueInUse(
            "the queue still has tickets; move them first", details={"queueId": str(queue_id)}
        )
    return plain_error(violation, "queue", queue_id)


def _values(queue: Queue) -> dict[str, Any]:
    return {
        "name": queue.name,
        "description": queue.description,
        "color": queue.color,
        "is_active": queue.is_active,
        "order_index": queue.order_index,
        "created_at": queue.created_at,
        "updated_at": queue.updated_at,
    }


def _queue(row: Row[Any]) -> Queue:
    values = row._mapping
    return Queue(
        tenant_id=values["tenant_id"],
        id=values["id"],
        name=values["name"],
        description=values["description"],
        color=values["color"],
        is_active=values["is_active"],
        order_index=values["order_index"],
        created_at=values["created_at"],
        updated_at=values["updated_at"],
    )
