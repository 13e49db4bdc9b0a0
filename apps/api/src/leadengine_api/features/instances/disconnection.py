"""Disconnect and delete: "already gone" is success, a broker outage is retried later.

A logout the broker fails with a 5xx (or never answers) leaves a `pendingDisconnect` mark on
the row: `{requestedAt, wipe, attempts, lastError}`. The mark lives in the database, so it
survives restarts and is seen by every process; the next list of the tenant's instances retries
it (the operator's screen polls that list). See ADR 0005.
"""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import datetime
from typing import Any
from uuid import UUID

from leadengine_contracts.instances import DeletedInstance, DisconnectResult
from leadengine_core.instances import InstanceStatus, WhatsAppInstance
from leadengine_core.ports import Clock, UnitOfWork
from leadengine_integrations.broker import BrokerClient, BrokerError

from leadengine_api.features.instances.records import PENDING_DISCONNECT, save_changed

__all__ = ["delete_instance", "disconnect_instance", "retry_pending_disconnects"]

ALREADY_GONE = frozenset({404, 409, 410})
"""Broker answers to logout/wipe/delete that mean the session is already closed or gone."""
RETRIES_PER_LIST = 5
"""Bounds the broker calls one list request may spend on retries while the broker is down."""


def _broker_is_down(error: BrokerError) -> bool:
    return error.status is None or error.status >= 500


async def _unless_gone(call: Awaitable[None]) -> bool:
    """True when the call worked; False when the broker says the session is already gone."""
    try:
        await call
    except BrokerError as error:
        if error.status in ALREADY_GONE:
            return False
        raise
    return True


async def _close_session(broker: BrokerClient, broker_id: str, *, wipe: bool) -> bool:
    """Logout, then the optional wipe; True when the broker still knew the session."""
    existed = await _unless_gone(broker.logout(broker_id))
    if wipe:
        await _unless_gone(broker.wipe(broker_id))
    return existed


def _mark_disconnected(instance: WhatsAppInstance, at: datetime) -> bool:
    had_mark = instance.metadata.pop(PENDING_DISCONNECT, None) is not None
    return instance.apply_connection_update(InstanceStatus.DISCONNECTED, at) or had_mark


async def disconnect_instance(
    uow: UnitOfWork, broker: BrokerClient, clock: Clock, instance: WhatsAppInstance, *, wipe: bool
) -> DisconnectResult:
    try:
        existed = await _close_session(broker, instance.broker_id, wipe=wipe)
    except BrokerError as error:
        if not _broker_is_down(error):
            raise
        now = clock.now()
        instance.metadata[PENDING_DISCONNECT] = {
            "requestedAt": now.isoformat(),
            "wipe": wipe,
            "attempts": 1,
            "lastError": error.code,
        }
        instance.updated_at = now
        await save_changed(uow, clock, instance)
        return DisconnectResult(
            instance_id=instance.id, pending=True, existed=None, wiped=False, status=instance.status
        )
    await save_changed(uow, clock, instance, changed=_mark_disconnected(instance, clock.now()))
    return DisconnectResult(
        instance_id=instance.id,
        pending=False,
        existed=existed,
        wiped=wipe,
        status=instance.status,
    )


def _pending_mark(instance: WhatsAppInstance) -> dict[str, Any] | None:
    mark = instance.metadata.get(PENDING_DISCONNECT)
    return mark if isinstance(mark, dict) else None


async def retry_pending_disconnects(
    uow: UnitOfWork, broker: BrokerClient, clock: Clock, tenant_id: UUID
) -> int:
    """Retry the tenant's marked logouts; returns how many went through this time."""
    pending = [
        (instance, mark)
        for instance in await uow.instances.list_all(tenant_id)
        if (mark := _pending_mark(instance)) is not None
    ][:RETRIES_PER_LIST]
    done = 0
    for instance, mark in pending:
        try:
            await _close_session(broker, instance.broker_id, wipe=bool(mark.get("wipe")))
        except BrokerError as error:
            mark["attempts"] = int(mark.get("attempts", 0)) + 1
            mark["lastError"] = error.code
            await uow.instances.update(tenant_id, instance)
            continue
        await save_changed(uow, clock, instance, changed=_mark_disconnected(instance, clock.now()))
        done += 1
    return done


async def delete_instance(
    uow: UnitOfWork, broker: BrokerClient, clock: Clock, instance: WhatsAppInstance, *, wipe: bool
) -> DeletedInstance:
    """Remove the broker session, then tombstone the row so no sync or webhook revives it.

    A broker failure other than "already gone" fails the request and keeps the instance, so
    the operator can retry; a tombstoned row with a live broker session would leak it.
    """
    if wipe:
        await _unless_gone(broker.wipe(instance.broker_id))
    await _unless_gone(broker.delete(instance.broker_id))
    now = clock.now()
    instance.metadata.pop(PENDING_DISCONNECT, None)
    instance.tombstone(now)
    await save_changed(uow, clock, instance)
    return DeletedInstance(id=instance.id, broker_status="deleted", deleted_at=now)
