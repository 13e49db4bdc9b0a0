"""Wire shapes of the webhook answer and the inbox admin views."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from leadengine_contracts.base import WireModel
from sqlalchemy import Row


class WebhookAccepted(WireModel):
    """Events stored by this delivery, and events already stored by an earlier one."""

    accepted: int
    duplicates: int


class InboxRowOut(WireModel):
    id: UUID
    broker_id: str
    kind: str
    source: str
    status: str
    attempts: int
    last_error: str | None
    waiting_for: str | None
    received_at: datetime
    processed_at: datetime | None

    @classmethod
    def from_row(cls, row: Row[Any]) -> InboxRowOut:
        return cls(
            id=row.id,
            broker_id=row.broker_id,
            kind=row.kind,
            source=row.source,
            status=row.status,
            attempts=row.attempts,
            last_error=row.last_error,
            waiting_for=row.waiting_for,
            received_at=row.received_at,
            processed_at=row.processed_at,
        )


class InboxPage(WireModel):
    items: list[InboxRowOut]


class ReplayResponse(WireModel):
    id: UUID
    status: str
