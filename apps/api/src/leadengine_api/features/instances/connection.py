"""Reading an instance's live state from the broker: status, QR (JSON and PNG), pairing code.

What the broker reports is written back to the row, so the database status stays a recent
snapshot for lists and for answers given while the broker is unreachable.
"""

from __future__ import annotations

from leadengine_contracts.instances import InstanceDetail, InstanceOut, PairingOut, QrOut
from leadengine_core.instances import InstanceStatus, WhatsAppInstance
from leadengine_core.phone import normalize_phone
from leadengine_core.ports import Clock, UnitOfWork
from leadengine_integrations.broker import BrokerClient, BrokerError

from leadengine_api.features.instances.records import (
    PENDING_DISCONNECT,
    phone_from_broker,
    save_changed,
    status_from_broker,
)
from leadengine_api.problems import ApiError

__all__ = ["live_detail", "qr_code", "qr_image", "request_pairing_code"]

GONE_STATUSES = frozenset({404, 410})
"""Broker answers meaning "this session has no QR (any more)"."""


async def live_detail(
    uow: UnitOfWork, broker: BrokerClient, clock: Clock, instance: WhatsAppInstance
) -> InstanceDetail:
    """The broker's status when it answers; otherwise the stored one, flagged `live: false`."""
    try:
        status = await broker.status(instance.broker_id)
    except BrokerError as error:
        return _detail(instance, live=False, broker_error=error.code)
    changed = instance.apply_connection_update(
        status_from_broker(status.status),
        clock.now(),
        status.qr,
        phone_from_broker(status.phone_number),
        qr_expires_at=status.qr_expires_at,
    )
    await save_changed(uow, clock, instance, changed=changed)
    return _detail(instance, live=True, broker_error=None)


async def qr_code(
    uow: UnitOfWork, broker: BrokerClient, clock: Clock, instance: WhatsAppInstance
) -> QrOut:
    try:
        qr = await broker.qr(instance.broker_id)
    except BrokerError as error:
        if error.status not in GONE_STATUSES:
            raise
        return QrOut(qr=None, expires_at=None, available=False, reason="UNAVAILABLE")
    now = clock.now()
    changed = instance.apply_connection_update(
        status_from_broker(qr.status), now, qr.qr, qr_expires_at=qr.expires_at
    )
    await save_changed(uow, clock, instance, changed=changed)
    if qr.qr is None:
        return QrOut(qr=None, expires_at=None, available=False, reason="UNAVAILABLE")
    if qr.expires_at is not None and qr.expires_at <= now:
        return QrOut(qr=qr.qr, expires_at=qr.expires_at, available=False, reason="EXPIRED")
    return QrOut(qr=qr.qr, expires_at=qr.expires_at, available=True, reason=None)


async def qr_image(broker: BrokerClient, instance: WhatsAppInstance) -> bytes:
    try:
        return await broker.qr_png(instance.broker_id)
    except BrokerError as error:
        if error.status not in GONE_STATUSES and error.code != "NOT_FOUND":
            raise
        raise ApiError(404, "QR_NOT_AVAILABLE", "the instance has no QR code now") from error


async def request_pairing_code(
    uow: UnitOfWork,
    broker: BrokerClient,
    clock: Clock,
    instance: WhatsAppInstance,
    phone_number: str,
) -> PairingOut:
    """Ask for an 8-character code to type on the phone `phone_number` (InvalidPhone → 422)."""
    phone = normalize_phone(phone_number)
    pairing = await broker.pair(instance.broker_id, phone)
    changed = instance.apply_connection_update(status_from_broker(pairing.status), clock.now())
    await save_changed(uow, clock, instance, changed=changed)
    return PairingOut(
        instance_id=instance.id,
        pairing_code=pairing.pairing_code,
        status=instance.status,
        connected=instance.status is InstanceStatus.CONNECTED,
    )


def _detail(instance: WhatsAppInstance, *, live: bool, broker_error: str | None) -> InstanceDetail:
    fields = InstanceOut.fields_of(
        instance, disconnect_pending=PENDING_DISCONNECT in instance.metadata
    )
    return InstanceDetail(**fields, live=live, broker_error=broker_error)
