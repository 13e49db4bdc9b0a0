"""/api/queues: every role reads them; QUEUES_WRITE (SUPERVISOR, ADMIN) changes them."""

from __future__ import annotations

from uuid import UUID

from leadengine_contracts.queues import (
    CreateQueueRequest,
    QueueList,
    QueueOut,
    ReorderQueuesRequest,
    UpdateQueueRequest,
)
from leadengine_core.users import Permission
from litestar import Controller, delete, get, patch, post
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_201_CREATED, HTTP_204_NO_CONTENT

from leadengine_api.api_docs import USER_ERRORS
from leadengine_api.features.queues import service
from leadengine_api.injected import Caller, Context, Uow


class QueuesController(Controller):
    path = "/api/queues"
    tags = ["queues"]

    @get("/", operation_id="listQueues", responses=USER_ERRORS)
    async def list_queues(self, principal: Caller, uow: Uow) -> QueueList:
        """All queues by `orderIndex`, then name: the first is where new conversations land."""
        principal.require(Permission.QUEUES_READ)
        return QueueList.from_domain(await uow.queues.list_all(principal.tenant_id))

    @post("/", operation_id="createQueue", status_code=HTTP_201_CREATED, responses=USER_ERRORS)
    async def create_queue(
        self, principal: Caller, uow: Uow, context: Context, data: JSONBody[CreateQueueRequest]
    ) -> QueueOut:
        principal.require(Permission.QUEUES_WRITE)
        queue = await service.create_queue(
            uow, context.clock, context.ids, principal.tenant_id, data
        )
        return QueueOut.from_domain(queue)

    # Static paths before `/{queue_id}`, which would otherwise shadow them.
    @patch("/reorder", operation_id="reorderQueues", responses=USER_ERRORS)
    async def reorder_queues(
        self, principal: Caller, uow: Uow, context: Context, data: JSONBody[ReorderQueuesRequest]
    ) -> QueueList:
        """Set several positions at once, all or nothing; answers with every queue in order."""
        principal.require(Permission.QUEUES_WRITE)
        queues = await service.reorder_queues(uow, context.clock, principal.tenant_id, data.items)
        return QueueList.from_domain(queues)

    @patch("/{queue_id:uuid}", operation_id="updateQueue", responses=USER_ERRORS)
    async def update_queue(
        self,
        principal: Caller,
        uow: Uow,
        context: Context,
        queue_id: FromPath[UUID],
        data: JSONBody[UpdateQueueRequest],
    ) -> QueueOut:
        principal.require(Permission.QUEUES_WRITE)
        queue = await service.update_queue(uow, context.clock, principal.tenant_id, queue_id, data)
        return QueueOut.from_domain(queue)

    @delete(
        "/{queue_id:uuid}",
        operation_id="deleteQueue",
        status_code=HTTP_204_NO_CONTENT,
        responses=USER_ERRORS,
    )
    async def delete_queue(self, principal: Caller, uow: Uow, queue_id: FromPath[UUID]) -> None:
        """409 `QUEUE_IN_USE` while tickets are in it; 409 `LAST_QUEUE` for the only one."""
        principal.require(Permission.QUEUES_WRITE)
        await service.delete_queue(uow, principal.tenant_id, queue_id)
