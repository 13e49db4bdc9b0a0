"""Reading and saving instances for one tenant, and reading what the broker reports."""

from __future__ import annotations

from typing import ClassVar
from uuid import UUID

from leadengine_contracts.instances import InstanceOut
from leadengine_core.errors import InvalidPhone, NotFound
from leadengine_core.events import InstanceUpdated
from leadengine_core.instances import InstanceStatus, WhatsAppInstance
from leadengine_core.phone import normalize_phone
from leadengine_core.ports import Clock, UnitOfWork

__all__ = [
    "PENDING_DISCONNECT",
    "InstanceNotFound",
    "find_instance",
    "out",
    "phone_from_broker",
    "save_changed",
    "status_from_broker",
]

PENDING_DISCONNECT = "pendingDisconnect"
"""Metadata key of a logout the broker failed (5xx); its presence schedules a retry."""

_BROKER_STATUSES: dict[str, InstanceStatus] = {
    "reconnecting": InstanceStatus.CONNECTING,
    "error": InstanceStatus.FAILED,
    **{status.value: status for status in InstanceStatus},
}


class InstanceNotFound(NotFound):
    code: ClassVar[str] = "INSTANCE_NOT_FOUND"


async def find_instance(uow: UnitOfWork, tenant_id: UUID, instance_id: UUID) -> WhatsAppInstance:
    """The tenant's live instance; another tenant's, a deleted one or none at all are all 404."""
    instance = await uow.instances.get(tenant_id, instance_id)
    if instance is None or instance.is_deleted:
        raise InstanceNotFound("instance not found", details={"instanceId": str(instance_id)})
    return instance


def status_from_broker(raw: str) -> InstanceStatus:
    """Unknown words from a drifting broker become `pending` rather than an error."""
    return _BROKER_STATUSES.get(raw.strip().lower(), InstanceStatus.PENDING)


def phone_from_broker(raw: str | None) -> str | None:
    """The account's E.164 number, or None when the broker sent nothing usable."""
    if not raw:
        return None
    try:
        return normalize_phone(raw.split("@")[0].split(":")[0])
    except InvalidPhone:
        return None


async def save_changed(
    uow: UnitOfWork, clock: Clock, instance: WhatsAppInstance, *, changed: bool = True
) -> None:
    """Persist a changed instance and record `InstanceUpdated` for realtime listeners."""
    if not changed:
        return
    await uow.instances.update(instance.tenant_id, instance)
    uow.record(InstanceUpdated(occurred_at=clock.now(), instance=instance))


def out(instance: WhatsAppInstance) -> InstanceOut:
    return InstanceOut.from_domain(
        instance, disconnect_pending=PENDING_DISCONNECT in instance.metadata
    )
