"""A WhatsApp instance: one WhatsApp account of a tenant, driven by a broker session.

`broker_id` is the broker's session id. Broker webhooks name only that, so it is unique across
all tenants and is how an event finds its tenant. A deleted instance keeps its row as a
tombstone (`deleted_at`) so a later broker sync or a late webhook cannot bring it back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from uuid import UUID


class InstanceStatus(StrEnum):
    CONNECTED = "connected"
    CONNECTING = "connecting"
    QR_REQUIRED = "qr_required"
    DISCONNECTED = "disconnected"
    FAILED = "failed"
    PENDING = "pending"


_KEEPS_QR = frozenset({InstanceStatus.QR_REQUIRED, InstanceStatus.CONNECTING})


@dataclass(slots=True, kw_only=True)
class WhatsAppInstance:
    """`qr` is a live credential: it never appears in repr, and therefore never in logs."""

    tenant_id: UUID
    id: UUID
    broker_id: str
    name: str
    created_at: datetime
    updated_at: datetime
    status: InstanceStatus = InstanceStatus.PENDING
    phone_number: str | None = None
    qr: str | None = field(default=None, repr=False)
    qr_expires_at: datetime | None = None
    last_seen_at: datetime | None = None
    deleted_at: datetime | None = None
    metadata: dict[str, object] = field(default_factory=dict)

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    def apply_connection_update(
        self,
        status: InstanceStatus,
        at: datetime,
        qr: str | None = None,
        phone: str | None = None,
        *,
        qr_expires_at: datetime | None = None,
    ) -> bool:
        """Apply what the broker reported; a tombstoned instance ignores it.

        A new QR replaces the old one; the QR is dropped once the session connects or ends.
        `phone` is the account's E.164 number, known once connected.
        """
        if self.is_deleted:
            return False
        before = (self.status, self.qr, self.qr_expires_at, self.phone_number, self.last_seen_at)
        self.status = status
        if qr is not None:
            self.qr, self.qr_expires_at = qr, qr_expires_at
        elif status not in _KEEPS_QR:
            self.qr, self.qr_expires_at = None, None
        if phone is not None:
            self.phone_number = phone
        if status is InstanceStatus.CONNECTED:
            self.last_seen_at = at
        changed = before != (
            self.status,
            self.qr,
            self.qr_expires_at,
            self.phone_number,
            self.last_seen_at,
        )
        if changed:
            self.updated_at = at
        return changed

    def tombstone(self, at: datetime) -> bool:
        """Mark deleted; the row stays so the broker id cannot be resurrected by a sync."""
        if self.is_deleted:
            return False
        self.deleted_at = at
        self.status = InstanceStatus.DISCONNECTED
        self.qr, self.qr_expires_at = None, None
        self.updated_at = at
        return True
