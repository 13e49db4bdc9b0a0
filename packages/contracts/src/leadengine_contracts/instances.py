"""WhatsApp instances: requests and answers of `/api/integrations/whatsapp/instances`.

`id` is our instance UUID (what every route takes in its path); `brokerId` is the broker's
session id, unique across all tenants because broker webhooks name only that.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from leadengine_core.instances import InstanceStatus, WhatsAppInstance
from pydantic import StringConstraints

from leadengine_contracts.base import WireModel
from leadengine_contracts.types import Flag

__all__ = [
    "BROKER_ID_PATTERN",
    "CreateInstanceRequest",
    "DeletedInstance",
    "DisconnectRequest",
    "DisconnectResult",
    "GroupOut",
    "GroupsOut",
    "InstanceDetail",
    "InstanceList",
    "InstanceListMeta",
    "InstanceMetricsOut",
    "InstanceOut",
    "PairRequest",
    "PairingOut",
    "QrOut",
    "RecipientCheckOut",
    "RecipientCheckRequest",
    "SyncSummary",
]

BROKER_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"

BrokerId = Annotated[str, StringConstraints(strip_whitespace=True, pattern=BROKER_ID_PATTERN)]
InstanceName = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)
]
PhoneInput = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]


class CreateInstanceRequest(WireModel):
    """`id` is the broker session id; it defaults to a slug of `name`."""

    name: InstanceName
    id: BrokerId | None = None


class PairRequest(WireModel):
    """Any common spelling of the phone that will be linked; it is normalised to E.164."""

    phone_number: PhoneInput


class DisconnectRequest(WireModel):
    """`wipe` also forgets the session's credentials, so the next connect needs a new QR."""

    wipe: Annotated[bool, Flag] = False


class RecipientCheckRequest(WireModel):
    to: PhoneInput


class InstanceOut(WireModel):
    id: UUID
    broker_id: str
    name: str
    status: InstanceStatus
    connected: bool
    phone_number: str | None
    last_seen_at: datetime | None
    disconnect_pending: bool
    created_at: datetime
    updated_at: datetime

    @classmethod
    def fields_of(cls, instance: WhatsAppInstance, *, disconnect_pending: bool) -> dict[str, Any]:
        return {
            "id": instance.id,
            "broker_id": instance.broker_id,
            "name": instance.name,
            "status": instance.status,
            "connected": instance.status is InstanceStatus.CONNECTED,
            "phone_number": instance.phone_number,
            "last_seen_at": instance.last_seen_at,
            "disconnect_pending": disconnect_pending,
            "created_at": instance.created_at,
            "updated_at": instance.updated_at,
        }

    @classmethod
    def from_domain(cls, instance: WhatsAppInstance, *, disconnect_pending: bool) -> InstanceOut:
        return cls(**cls.fields_of(instance, disconnect_pending=disconnect_pending))


class InstanceDetail(InstanceOut):
    """`live` is false when the broker could not be asked: `status` is then the last one stored
    and `brokerError` says why."""

    live: bool
    broker_error: str | None = None


class SyncSummary(WireModel):
    """`skipped` counts broker sessions we refused: tombstoned here or owned by another tenant."""

    created: int
    updated: int
    unchanged: int
    skipped: int


class InstanceListMeta(WireModel):
    mode: Literal["db", "sync"]
    sync: SyncSummary | None = None
    disconnects_retried: int


class InstanceList(WireModel):
    instances: list[InstanceOut]
    meta: InstanceListMeta


class QrOut(WireModel):
    """`reason` is null when a QR is available, `EXPIRED` when only a stale one is known."""

    qr: str | None
    expires_at: datetime | None
    available: bool
    reason: Literal["EXPIRED", "UNAVAILABLE"] | None


class PairingOut(WireModel):
    instance_id: UUID
    pairing_code: str | None
    status: InstanceStatus
    connected: bool


class DisconnectResult(WireModel):
    """`pending`: the broker failed and the logout will be retried (see ADR 0005);
    `existed`: false when the broker no longer knew the session."""

    instance_id: UUID
    pending: bool
    existed: bool | None
    wiped: bool
    status: InstanceStatus


class DeletedInstance(WireModel):
    id: UUID
    broker_status: Literal["deleted"]
    deleted_at: datetime


class RecipientCheckOut(WireModel):
    exists: bool
    can_receive: bool
    jid: str | None
    reason: str | None


class GroupOut(WireModel):
    jid: str
    subject: str | None
    size: int | None


class GroupsOut(WireModel):
    groups: list[GroupOut]


class InstanceMetricsOut(WireModel):
    """Counters as the broker reports them (free-form)."""

    metrics: dict[str, Any]
