"""Queues as use cases: create, change, reorder and delete, always within the caller's tenant."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from leadengine_contracts.queues import CreateQueueRequest, QueuePosition, UpdateQueueRequest
from leadengine_core.errors import NotFound
from leadengine_core.ports import Clock, IdGenerator, UnitOfWork
from leadengine_core.queues import Queue, ensure_removable, next_order_index

__all__ = ["create_queue", "delete_queue", "reorder_queues", "update_queue"]


async def _queue(uow: UnitOfWork, tenant_id: UUID, queue_id: UUID) -> Queue:
    queue = await uow.queues.get(tenant_id, queue_id)
    if queue is None:
        raise NotFound("queue not found", details={"id": str(queue_id)})
    return queue


async def create_queue(
    uow: UnitOfWork, clock: Clock, ids: IdGenerator, tenant_id: UUID, data: CreateQueueRequest
) -> Queue:
    """A taken name is the repository's Conflict."""
    order_index = data.order_index
    if order_index is None:
        order_index = next_order_index(await uow.queues.lock_all(tenant_id))
    now = clock.now()
    queue = Queue(
        tenant_id=tenant_id,
        id=ids.new_id(),
        name=data.name,
        description=data.description,
        color=data.color,
        is_active=data.is_active,
        order_index=order_index,
        created_at=now,
        updated_at=now,
    )
    await uow.queues.add(tenant_id, queue)
    return queue


async def update_queue(
    uow: UnitOfWork, clock: Clock, tenant_id: UUID, queue_id: UUID, data: UpdateQueueRequest
) -> Queue:
    queue = await _queue(uow, tenant_id, queue_id)
    queue.name = data.name or queue.name
    queue.description = data.description if data.sent("description") else queue.description
    queue.color = data.color if data.sent("color") else queue.color
    queue.is_active = queue.is_active if data.is_active is None else data.is_active
    queue.order_index = queue.order_index if data.order_index is None else data.order_index
    queue.updated_at = clock.now()
    await uow.queues.update(tenant_id, queue)
    return queue


async def reorder_queues(
    uow: UnitOfWork, clock: Clock, tenant_id: UUID, positions: Sequence[QueuePosition]
) -> Sequence[Queue]:
    """Every queue named is loaded before any changes, so an unknown id (or another tenant's)
    is a 404 that changes nothing. Returns all the tenant's queues in their new order."""
    queues = [await _queue(uow, tenant_id, position.id) for position in positions]
    now = clock.now()
    for queue, position in zip(queues, positions, strict=True):
        queue.order_index, queue.updated_at = position.order_index, now
        await uow.queues.update(tenant_id, queue)
    return await uow.queues.list_all(tenant_id)


async def delete_queue(uow: UnitOfWork, tenant_id: UUID, queue_id: UUID) -> None:
    """Refused for the tenant's last queue (inbound needs one) and, by the repository, for a
    queue tickets still reference (QUEUE_IN_USE)."""
    queue = await _queue(uow, tenant_id, queue_id)
    ensure_removable(queue, await uow.queues.lock_all(tenant_id))
    await uow.queues.remove(tenant_id, queue.id)
