"""Queues: where tickets wait for agents, shown in `order_index` order."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar
from uuid import UUID

from leadengine_core.errors import Conflict

DEFAULT_QUEUE_NAME = "Atendimento Geral"
"""The queue inbound conversations fall into when a tenant has none; created on demand."""


@dataclass(slots=True, kw_only=True)
class Queue:
    tenant_id: UUID
    id: UUID
    name: str
    created_at: datetime
    updated_at: datetime
    description: str | None = None
    color: str | None = None
    is_active: bool = True
    order_index: int = 0


class QueueInUse(Conflict):
    """Tickets still reference the queue; they must move elsewhere before it can go."""

    code: ClassVar[str] = "QUEUE_IN_USE"


class LastQueue(Conflict):
    """Inbound conversations need somewhere to land, so a tenant keeps at least one queue."""

    code: ClassVar[str] = "LAST_QUEUE"


def next_order_index(queues: Iterable[Queue]) -> int:
    """Where a queue created without a position goes: after the last one."""
    return max((queue.order_index for queue in queues), default=-1) + 1


def ensure_removable(queue: Queue, tenant_queues: Iterable[Queue]) -> None:
    if all(other.id == queue.id for other in tenant_queues):
        raise LastQueue("a tenant keeps at least one queue", details={"queueId": str(queue.id)})
