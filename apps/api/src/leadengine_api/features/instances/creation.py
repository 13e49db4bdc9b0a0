"""Creating an instance: our row and the broker session, idempotently.

The row is inserted first, so the unique broker id settles races atomically; the broker call
follows in the same transaction, and a broker failure rolls the row back.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from leadengine_contracts.instances import CreateInstanceRequest
from leadengine_core.errors import Conflict
from leadengine_core.events import InstanceUpdated
from leadengine_core.instances import WhatsAppInstance
from leadengine_core.ports import Clock, IdGenerator, UnitOfWork
from leadengine_core.tenants import slugify
from leadengine_integrations.broker import BrokerClient, BrokerError
from leadengine_shared.whatsapp import WEBHOOK_URL_ENV, WhatsAppConfig

from leadengine_api.features.instances.broker import not_configured
from leadengine_api.features.instances.records import phone_from_broker, status_from_broker
from leadengine_api.problems import ApiError

__all__ = ["Created", "create_instance"]

IDEMPOTENCY_KEY = "idempotencyKey"
_MAX_SUGGESTIONS = 50
_BROKER_ID_LENGTH = 64


@dataclass(frozen=True, slots=True)
class Created:
    instance: WhatsAppInstance
    replayed: bool


async def create_instance(
    uow: UnitOfWork,
    broker: BrokerClient,
    config: WhatsAppConfig,
    clock: Clock,
    ids: IdGenerator,
    tenant_id: UUID,
    data: CreateInstanceRequest,
    idempotency_key: str | None,
) -> Created:
    if idempotency_key and (earlier := await _created_with(uow, tenant_id, idempotency_key)):
        return Created(earlier, replayed=True)
    if config.webhook_url is None:
        raise not_configured([WEBHOOK_URL_ENV])
    broker_id = data.id or slugify(data.name)[:_BROKER_ID_LENGTH].strip("-")
    if not broker_id:
        raise ApiError(422, "VALIDATION_ERROR", "`name` has no letters or digits; pass an `id`")
    if await uow.instances.route_by_broker_id(broker_id) is not None:
        raise await _already_exists(uow, broker_id)
    now = clock.now()
    instance = WhatsAppInstance(
        tenant_id=tenant_id,
        id=ids.new_id(),
        broker_id=broker_id,
        name=data.name,
        created_at=now,
        updated_at=now,
        metadata={IDEMPOTENCY_KEY: idempotency_key} if idempotency_key else {},
    )
    try:
        await uow.instances.add(tenant_id, instance)
    except Conflict:
        raise await _already_exists(uow, broker_id) from None
    try:
        session = await broker.create_instance(
            str(tenant_id),
            broker_id,
            data.name,
            config.webhook_url,
            config.webhook_verify_token or "",
            idempotency_key or str(instance.id),
        )
    except BrokerError as error:
        if error.broker_code == "INSTANCE_ALREADY_EXISTS":
            raise await _already_exists(uow, broker_id) from error
        raise
    instance.apply_connection_update(
        status_from_broker(session.status), now, phone=phone_from_broker(session.phone_number)
    )
    await uow.instances.update(tenant_id, instance)
    uow.record(InstanceUpdated(occurred_at=now, instance=instance))
    return Created(instance, replayed=False)


async def _created_with(uow: UnitOfWork, tenant_id: UUID, key: str) -> WhatsAppInstance | None:
    """A tenant has a handful of instances, so a scan is cheaper than another index."""
    for instance in await uow.instances.list_all(tenant_id):
        if instance.metadata.get(IDEMPOTENCY_KEY) == key:
            return instance
    return None


async def _already_exists(uow: UnitOfWork, broker_id: str) -> ApiError:
    """409 with the first free `<id>-<n>`; whoever holds `broker_id` is never revealed."""
    stem = broker_id[: _BROKER_ID_LENGTH - 4].rstrip("-")
    suggestion = None
    for n in range(2, _MAX_SUGGESTIONS + 2):
        candidate = f"{stem}-{n}"
        if await uow.instances.route_by_broker_id(candidate) is None:
            suggestion = candidate
            break
    return ApiError(
        409,
        "INSTANCE_ALREADY_EXISTS",
        f"the broker session id {broker_id!r} is already in use",
        extra={"suggestedId": suggestion, "details": {"brokerId": broker_id}},
    )
