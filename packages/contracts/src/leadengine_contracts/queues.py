"""Queues: where tickets wait for agents, listed by `orderIndex` then name."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Annotated
from uuid import UUID

from leadengine_core.queues import Queue
from pydantic import Field, StringConstraints, field_validator

from leadengine_contracts.base import WireModel
from leadengine_contracts.partial_update import PartialUpdate
from leadengine_contracts.types import Flag, WholeNumber

__all__ = [
    "CreateQueueRequest",
    "QueueList",
    "QueueOut",
    "QueuePosition",
    "ReorderQueuesRequest",
    "UpdateQueueRequest",
]

_NO_NUL = r"^[^\x00]*$"  # PostgreSQL text cannot hold a NUL character


def _text(max_length: int, *, min_length: int = 1) -> StringConstraints:
    return StringConstraints(
        strip_whitespace=True, min_length=min_length, max_length=max_length, pattern=_NO_NUL
    )


QueueName = Annotated[str, _text(120)]
Description = Annotated[str, _text(300, min_length=0)]
Color = Annotated[str, _text(32)]
OrderIndex = Annotated[int, WholeNumber, Field(ge=0, le=1_000_000)]
MAX_QUEUES_PER_REORDER = 1_000


class QueueOut(WireModel):
    id: UUID
    name: str
    description: str | None
    color: str | None
    is_active: bool
    order_index: int
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_domain(cls, queue: Queue) -> QueueOut:
        return cls(
            id=queue.id,
            name=queue.name,
            description=queue.description,
            color=queue.color,
            is_active=queue.is_active,
            order_index=queue.order_index,
            created_at=queue.created_at,
            updated_at=queue.updated_at,
        )


class QueueList(WireModel):
    items: list[QueueOut]

    @classmethod
    def from_domain(cls, queues: Sequence[Queue]) -> QueueList:
        return cls(items=[QueueOut.from_domain(queue) for queue in queues])


class CreateQueueRequest(WireModel):
    """Without `orderIndex` the queue goes after the last one."""

    name: QueueName
    description: Description | None = None
    color: Color | None = None
    is_active: Annotated[bool, Flag] = True
    order_index: OrderIndex | None = None


class UpdateQueueRequest(PartialUpdate):
    """`description` and `color` may be null to clear them."""

    clearable = frozenset({"description", "color"})

    name: QueueName | None = None
    description: Description | None = None
    color: Color | None = None
    is_active: Annotated[bool, Flag] | None = None
    order_index: OrderIndex | None = None


class QueuePosition(WireModel):
    id: UUID
    order_index: OrderIndex


class ReorderQueuesRequest(WireModel):
    """New positions for some or all queues, applied together or not at all."""

    items: Annotated[list[QueuePosition], Field(min_length=1, max_length=MAX_QUEUES_PER_REORDER)]

    @field_validator("items")
    @classmethod
    def _each_queue_once(cls, items: list[QueuePosition]) -> list[QueuePosition]:
        if len({item.id for item in items}) != len(items):
            raise ValueError("each queue may appear only once")
        return items
