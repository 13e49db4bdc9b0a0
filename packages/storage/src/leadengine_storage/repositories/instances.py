"""WhatsApp instances. The broker session id is unique across tenants, because a broker webhook
names only the session and the instance found by it decides the tenant."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from functools import partial
from typing import Any
from uuid import UUID

from leadengine_core.errors import Conflict, DomainError
from leadengine_core.instances import InstanceStatus, WhatsAppInstance
from leadengine_core.ports import InstanceRepository
from leadengine_core.tenants import ensure_same_tenant
from sqlalchemy import Row, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from leadengine_storage.integrity import Violation
from leadengine_storage.repositories.guarded import ensure_changed, guarded, plain_error
from leadengine_storage.tables import whatsapp_instances
from leadengine_storage.tenant_scope import UNSCOPED

__all__ = ["SqlInstanceRepository"]


class SqlInstanceRepository(InstanceRepository):
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def get(self, tenant_id: UUID, instance_id: UUID) -> WhatsAppInstance | None:
        query = select(whatsapp_instances).where(
            whatsapp_instances.c.tenant_id == tenant_id, whatsapp_instances.c.id == instance_id
        )
        row = (await self._connection.execute(query)).first()
        return None if row is None else _instance(row)

    async def route_by_broker_id(self, broker_id: str) -> WhatsAppInstance | None:
        query = (
            select(whatsapp_instances)
            .where(whatsapp_instances.c.broker_id == broker_id)
            .execution_options(**UNSCOPED)
        )
        row = (await self._connection.execute(query)).first()
        return None if row is None else _instance(row)

    async def route_by_broker_ids(self, broker_ids: Collection[str]) -> dict[str, WhatsAppInstance]:
        """`route_by_broker_id` for a worker batch's instances at once (unknown ids absent)."""
        if not broker_ids:
            return {}
        query = (
            select(whatsapp_instances)
            .where(whatsapp_instances.c.broker_id.in_(broker_ids))
            .execution_options(**UNSCOPED)
        )
        rows = (await self._connection.execute(query)).all()
        return {row.broker_id: _instance(row) for row in rows}

    async def add(self, tenant_id: UUID, instance: WhatsAppInstance) -> None:
        ensure_same_tenant(tenant_id, instance.tenant_id)
        statement = insert(whatsapp_instances).values(
            id=instance.id, tenant_id=tenant_id, **_values(instance)
        )
        await guarded(
            self._connection,
            lambda: self._connection.execute(statement),
            partial(_explain, instance),
        )

    async def update(self, tenant_id: UUID, instance: WhatsAppInstance) -> None:
        ensure_same_tenant(tenant_id, instance.tenant_id)
        statement = (
            update(whatsapp_instances)
            .where(
                whatsapp_instances.c.tenant_id == tenant_id,
                whatsapp_instances.c.id == instance.id,
            )
            .values(**_values(instance))
        )

        async def work() -> None:
            result = await self._connection.execute(statement)
            ensure_changed(result.rowcount, "instance", instance.id)

        await guarded(self._connection, work, partial(_explain, instance))

    async def list_all(
        self, tenant_id: UUID, *, include_deleted: bool = False
    ) -> Sequence[WhatsAppInstance]:
        query = (
            select(whatsapp_instances)
            .where(whatsapp_instances.c.tenant_id == tenant_id)
            .order_by(whatsapp_instances.c.created_at, whatsapp_instances.c.id)
        )
        if not include_deleted:
            query = query.where(whatsapp_instances.c.deleted_at.is_(None))
        return [_instance(row) for row in await self._connection.execute(query)]


async def _explain(instance: WhatsAppInstance, violation: Violation) -> DomainError:
    if violation.constraint == "uq_whatsapp_instances_broker_id":
        # Another tenant may hold it: say that it is taken, never by whom.
        return Conflict(
            "the broker session id is already in use", details={"brokerId": instance.broker_id}
        )
    return plain_error(violation, "instance", instance.id)


def _values(instance: WhatsAppInstance) -> dict[str, Any]:
    return {
        "broker_id": instance.broker_id,
        "name": instance.name,
        "status": instance.status.value,
        "phone_number": instance.phone_number,
        "qr": instance.qr,
        "qr_expires_at": instance.qr_expires_at,
        "last_seen_at": instance.last_seen_at,
        "deleted_at": instance.deleted_at,
        "metadata": instance.metadata,
        "created_at": instance.created_at,
        "updated_at": instance.updated_at,
    }


def _instance(row: Row[Any]) -> WhatsAppInstance:
    values = row._mapping
    return WhatsAppInstance(
        tenant_id=values["tenant_id"],
        id=values["id"],
        broker_id=values["broker_id"],
        name=values["name"],
        status=InstanceStatus(values["status"]),
        phone_number=values["phone_number"],
        qr=values["qr"],
        qr_expires_at=values["qr_expires_at"],
        last_seen_at=values["last_seen_at"],
        deleted_at=values["deleted_at"],
        metadata=values["metadata"],
        created_at=values["created_at"],
        updated_at=values["updated_at"],
    )
