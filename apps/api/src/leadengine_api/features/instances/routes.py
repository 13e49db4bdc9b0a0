"""/api/integrations/whatsapp/instances: any role reads, INSTANCES_WRITE (ADMIN) changes.

`{instanceId}` is our instance UUID; the broker session id is the `brokerId` field. While a
broker setting is missing every route answers the same 503 `WHATSAPP_NOT_CONFIGURED`, from a
guard that runs before authentication and before any database access.
"""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from leadengine_contracts.instances import (
    CreateInstanceRequest,
    DeletedInstance,
    DisconnectRequest,
    DisconnectResult,
    GroupOut,
    GroupsOut,
    InstanceDetail,
    InstanceList,
    InstanceListMeta,
    InstanceMetricsOut,
    InstanceOut,
    PairingOut,
    PairRequest,
    QrOut,
    RecipientCheckOut,
    RecipientCheckRequest,
)
from leadengine_core.users import Permission
from litestar import Controller, Response, delete, get, post
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import HeaderParameter, JSONBody, PathParameter, QueryParameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED, HTTP_202_ACCEPTED

from leadengine_api.api_docs import USER_ERRORS, OptionalBodyOperation, problems
from leadengine_api.features.instances import connection, creation, disconnection, sync
from leadengine_api.features.instances.broker import require_whatsapp_configured
from leadengine_api.features.instances.records import find_instance, out
from leadengine_api.injected import Caller, Context, Uow

__all__ = ["InstancesController"]

ERRORS = {**USER_ERRORS, **problems(502, 503, 504)}
REPLAYED = ResponseSpec(
    data_container=InstanceOut,
    description="A repeated `Idempotency-Key`: the instance the first request created.",
)
PENDING = ResponseSpec(
    data_container=DisconnectResult,
    description="The broker is down: the logout is recorded and retried (`pending: true`).",
)
InstanceId = Annotated[
    UUID,
    PathParameter(description="Our instance id (UUID); the broker session id is `brokerId`."),
]
IdempotencyKey = Annotated[
    str | None,
    HeaderParameter(
        name="Idempotency-Key",
        min_length=1,
        max_length=200,
        description="Repeating a create with the same key returns the instance created first.",
    ),
]
ListMode = Annotated[
    Literal["db", "sync"],
    QueryParameter(description="`db`: stored rows; `sync`: reconcile with the broker first."),
]
Wipe = Annotated[
    bool, QueryParameter(description="Also forget the session's credentials on the broker.")
]


class InstancesController(Controller):
    path = "/api/integrations/whatsapp/instances"
    tags = ["whatsapp-instances"]
    guards = [require_whatsapp_configured]

    @get("/", operation_id="listInstances", responses=ERRORS)
    async def list_instances(
        self, principal: Caller, uow: Uow, context: Context, mode: ListMode = "db"
    ) -> InstanceList:
        """The tenant's instances; pending disconnects are retried first (ADR 0005)."""
        principal.require(Permission.INSTANCES_READ)
        broker = context.broker.client()
        tenant_id = principal.tenant_id
        retried = await disconnection.retry_pending_disconnects(
            uow, broker, context.clock, tenant_id
        )
        summary = None
        if mode == "sync":
            summary = await sync.sync_with_broker(
                uow, broker, context.clock, context.ids, context.instance_sync_metrics, tenant_id
            )
        instances = await uow.instances.list_all(tenant_id)
        return InstanceList(
            instances=[out(instance) for instance in instances],
            meta=InstanceListMeta(mode=mode, sync=summary, disconnects_retried=retried),
        )

    @post(
        "/",
        operation_id="createInstance",
        status_code=HTTP_201_CREATED,
        responses={**ERRORS, HTTP_200_OK: REPLAYED},
    )
    async def create_instance(
        self,
        principal: Caller,
        uow: Uow,
        context: Context,
        data: JSONBody[CreateInstanceRequest],
        idempotency_key: IdempotencyKey = None,
    ) -> Response[InstanceOut]:
        """Create the broker session (with our webhook URL and verify token) and its row.
        A broker id already used by any tenant is 409 `INSTANCE_ALREADY_EXISTS` with a
        `suggestedId`; a repeated `Idempotency-Key` answers 200 with the first instance."""
        principal.require(Permission.INSTANCES_WRITE)
        created = await creation.create_instance(
            uow,
            context.broker.client(),
            context.whatsapp,
            context.clock,
            context.ids,
            principal.tenant_id,
            data,
            idempotency_key,
        )
        status = HTTP_200_OK if created.replayed else HTTP_201_CREATED
        return Response(out(created.instance), status_code=status)

    @get("/{instance_id:uuid}", operation_id="getInstance", responses=ERRORS)
    async def get_instance(
        self, principal: Caller, uow: Uow, context: Context, instance_id: InstanceId
    ) -> InstanceDetail:
        """Live status from the broker; the stored one (`live: false`) when it cannot answer."""
        principal.require(Permission.INSTANCES_READ)
        instance = await find_instance(uow, principal.tenant_id, instance_id)
        return await connection.live_detail(uow, context.broker.client(), context.clock, instance)

    @get("/{instance_id:uuid}/qr", operation_id="getInstanceQr", responses=ERRORS)
    async def get_qr(
        self, principal: Caller, uow: Uow, context: Context, instance_id: InstanceId
    ) -> QrOut:
        principal.require(Permission.INSTANCES_READ)
        instance = await find_instance(uow, principal.tenant_id, instance_id)
        return await connection.qr_code(uow, context.broker.client(), context.clock, instance)

    @get(
        "/{instance_id:uuid}/qr.png",
        operation_id="getInstanceQrImage",
        media_type="image/png",
        responses=ERRORS,
    )
    async def get_qr_image(
        self, principal: Caller, uow: Uow, context: Context, instance_id: InstanceId
    ) -> Response[bytes]:
        """The QR as a PNG; 404 `QR_NOT_AVAILABLE` when there is none (e.g. connected)."""
        principal.require(Permission.INSTANCES_READ)
        instance = await find_instance(uow, principal.tenant_id, instance_id)
        png = await connection.qr_image(context.broker.client(), instance)
        return Response(png, media_type="image/png")

    @post(
        "/{instance_id:uuid}/pair",
        operation_id="pairInstance",
        status_code=HTTP_200_OK,
        responses=ERRORS,
    )
    async def pair(
        self,
        principal: Caller,
        uow: Uow,
        context: Context,
        instance_id: InstanceId,
        data: JSONBody[PairRequest],
    ) -> PairingOut:
        """A pairing code for linking by phone number instead of scanning the QR."""
        principal.require(Permission.INSTANCES_WRITE)
        instance = await find_instance(uow, principal.tenant_id, instance_id)
        return await connection.request_pairing_code(
            uow, context.broker.client(), context.clock, instance, data.phone_number
        )

    @post(
        "/{instance_id:uuid}/disconnect",
        operation_id="disconnectInstance",
        status_code=HTTP_200_OK,
        responses={**ERRORS, HTTP_202_ACCEPTED: PENDING},
        operation_class=OptionalBodyOperation,
    )
    async def disconnect(
        self,
        principal: Caller,
        uow: Uow,
        context: Context,
        instance_id: InstanceId,
        data: JSONBody[DisconnectRequest | None] = None,
    ) -> Response[DisconnectResult]:
        """Logout (then wipe when asked). A session already gone is success; a broker outage
        answers 202 `pending: true` and the logout is retried (ADR 0005)."""
        principal.require(Permission.INSTANCES_WRITE)
        instance = await find_instance(uow, principal.tenant_id, instance_id)
        result = await disconnection.disconnect_instance(
            uow,
            context.broker.client(),
            context.clock,
            instance,
            wipe=data.wipe if data else False,
        )
        return Response(result, status_code=HTTP_202_ACCEPTED if result.pending else HTTP_200_OK)

    @delete(
        "/{instance_id:uuid}",
        operation_id="deleteInstance",
        status_code=HTTP_200_OK,
        responses=ERRORS,
    )
    async def delete_instance(
        self,
        principal: Caller,
        uow: Uow,
        context: Context,
        instance_id: InstanceId,
        wipe: Wipe = False,
    ) -> DeletedInstance:
        """Delete the broker session (wipe first with `?wipe=true`) and tombstone the row."""
        principal.require(Permission.INSTANCES_WRITE)
        instance = await find_instance(uow, principal.tenant_id, instance_id)
        return await disconnection.delete_instance(
            uow, context.broker.client(), context.clock, instance, wipe=wipe
        )

    @post(
        "/{instance_id:uuid}/exists",
        operation_id="checkInstanceRecipient",
        status_code=HTTP_200_OK,
        responses=ERRORS,
    )
    async def exists(
        self,
        principal: Caller,
        uow: Uow,
        context: Context,
        instance_id: InstanceId,
        data: JSONBody[RecipientCheckRequest],
    ) -> RecipientCheckOut:
        """Whether `to` is on WhatsApp; a read (nothing changes), so any role may ask."""
        principal.require(Permission.INSTANCES_READ)
        instance = await find_instance(uow, principal.tenant_id, instance_id)
        check = await context.broker.client().exists(instance.broker_id, data.to)
        return RecipientCheckOut(
            exists=check.exists, can_receive=check.can_receive, jid=check.jid, reason=check.reason
        )

    @get("/{instance_id:uuid}/groups", operation_id="listInstanceGroups", responses=ERRORS)
    async def groups(
        self, principal: Caller, uow: Uow, context: Context, instance_id: InstanceId
    ) -> GroupsOut:
        principal.require(Permission.INSTANCES_READ)
        instance = await find_instance(uow, principal.tenant_id, instance_id)
        groups = await context.broker.client().groups(instance.broker_id)
        return GroupsOut(
            groups=[GroupOut(jid=g.jid, subject=g.subject, size=g.size) for g in groups]
        )

    @get("/{instance_id:uuid}/metrics", operation_id="getInstanceMetrics", responses=ERRORS)
    async def metrics(
        self, principal: Caller, uow: Uow, context: Context, instance_id: InstanceId
    ) -> InstanceMetricsOut:
        principal.require(Permission.INSTANCES_READ)
        instance = await find_instance(uow, principal.tenant_id, instance_id)
        return InstanceMetricsOut(metrics=await context.broker.client().metrics(instance.broker_id))
