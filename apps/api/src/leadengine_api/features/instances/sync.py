"""Reconcile the tenant's rows with the broker's sessions (`GET …/instances?mode=sync`).

The broker client already drops sessions of other tenants (lesson 5). Here a session whose
broker id belongs to another tenant's row, or to a tombstone, is refused and counted: a sync
never moves an instance between tenants and never resurrects a deleted one (lesson 8).
"""

from __future__ import annotations

from uuid import UUID

from leadengine_contracts.instances import SyncSummary
from leadengine_core.events import InstanceUpdated
from leadengine_core.instances import WhatsAppInstance
from leadengine_core.ports import Clock, IdGenerator, UnitOfWork
from leadengine_integrations.broker import BrokerClient, BrokerInstance

from leadengine_api.features.instances.metrics import InstanceSyncMetrics
from leadengine_api.features.instances.records import (
    phone_from_broker,
    save_changed,
    status_from_broker,
)

__all__ = ["sync_with_broker"]

_MAX_BROKER_ID = 120
_MAX_NAME = 120


async def sync_with_broker(
    uow: UnitOfWork,
    broker: BrokerClient,
    clock: Clock,
    ids: IdGenerator,
    metrics: InstanceSyncMetrics,
    tenant_id: UUID,
) -> SyncSummary:
    created = updated = unchanged = skipped = 0
    for session in await broker.list_instances(str(tenant_id)):
        if len(session.instance_id) > _MAX_BROKER_ID:
            skipped += 1
            continue
        known = await uow.instances.route_by_broker_id(session.instance_id)
        if known is None:
            await _adopt(uow, clock, ids, tenant_id, session)
            created += 1
        elif known.tenant_id != tenant_id or known.is_deleted:
            metrics.discarded("other_tenant" if known.tenant_id != tenant_id else "tombstoned")
            skipped += 1
        elif known.apply_connection_update(
            status_from_broker(session.status),
            clock.now(),
            phone=phone_from_broker(session.phone_number),
        ):
            await save_changed(uow, clock, known)
            updated += 1
        else:
            unchanged += 1
    return SyncSummary(created=created, updated=updated, unchanged=unchanged, skipped=skipped)


async def _adopt(
    uow: UnitOfWork, clock: Clock, ids: IdGenerator, tenant_id: UUID, session: BrokerInstance
) -> None:
    """A session the broker holds for this tenant but we never recorded (made elsewhere)."""
    now = clock.now()
    instance = WhatsAppInstance(
        tenant_id=tenant_id,
        id=ids.new_id(),
        broker_id=session.instance_id,
        name=(session.name or session.instance_id)[:_MAX_NAME],
        created_at=now,
        updated_at=now,
        metadata={"adoptedBySync": True},
    )
    instance.apply_connection_update(
        status_from_broker(session.status), now, phone=phone_from_broker(session.phone_number)
    )
    await uow.instances.add(tenant_id, instance)
    uow.record(InstanceUpdated(occurred_at=now, instance=instance))
