"""Connection updates: the instance's status, QR and phone, as the broker reports them."""

from __future__ import annotations

from leadengine_core.events import InstanceUpdated
from leadengine_core.instances import WhatsAppInstance
from leadengine_core.ports import Clock, UnitOfWork
from leadengine_integrations.normalize import ConnectionUpdate

from leadengine_api.features.inbound.apply_result import APPLIED, ApplyResult, Reason, duplicate


async def apply_connection(
    uow: UnitOfWork, clock: Clock, instance: WhatsAppInstance, event: ConnectionUpdate
) -> ApplyResult:
    now = clock.now()
    if not instance.apply_connection_update(event.status, event.at or now, event.qr, event.phone):
        return duplicate(Reason.CONNECTION_UNCHANGED)
    await uow.instances.update(instance.tenant_id, instance)
    uow.record(InstanceUpdated(occurred_at=now, instance=instance))
    return APPLIED
