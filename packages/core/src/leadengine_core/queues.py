"""Queues: where tickets wait for agents, shown in `order_index` order."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

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
