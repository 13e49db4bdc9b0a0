"""The broker HTTP contract (original system §4.2) as Litestar routes.

`broker_gate` runs before each of them: it records the call (so tests can count retries),
applies the latency and down faults, and demands `X-API-Key` (except on `/health`).
"""

from __future__ import annotations

import asyncio
import hmac
from collections.abc import Awaitable, Callable
from typing import Any

from litestar import Controller, Response, delete, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody

from leadengine_integrations.simulator.errors import AnyRequest, error_response
from leadengine_integrations.simulator.qr import png_of
from leadengine_integrations.simulator.schemas import (
    CreateInstanceBody,
    DownloadBody,
    ExistsBody,
    PairBody,
    SendBody,
)
from leadengine_integrations.simulator.service import BrokerSimulator
from leadengine_integrations.simulator.state import RecordedRequest

__all__ = ["InstancesController", "authorized", "broker_gate", "health"]

Gate = Callable[[AnyRequest], Awaitable[Response[object] | None]]


def authorized(request: AnyRequest, api_key: str) -> bool:
    presented = request.headers.get("x-api-key", "")
    return hmac.compare_digest(presented.encode(), api_key.encode())


def broker_gate(sim: BrokerSimulator) -> Gate:
    async def gate(request: AnyRequest) -> Response[object] | None:
        state = sim.state
        path = request.url.path
        state.record_request(
            RecordedRequest(request.method, path, request.headers.get("idempotency-key"))
        )
        faults = state.faults
        if faults.latency:
            await asyncio.sleep(faults.latency)
        if faults.down:
            return error_response(
                request, 503, "BROKER_UNAVAILABLE", "broker indisponível (simulado)"
            )
        if path != "/health" and not authorized(request, state.config.api_key):
            return error_response(request, 401, "UNAUTHORIZED", "unauthorized")
        return None

    return gate


def _ok(data: object) -> dict[str, object]:
    return {"success": True, "data": data}


def _tenant(request: AnyRequest) -> str | None:
    return request.query_params.get("tenantId") or request.headers.get("x-tenant-id")


def _idempotency_key(request: AnyRequest) -> str | None:
    return request.headers.get("idempotency-key")


@get("/health", operation_id="health")
async def health(sim: NamedDependency[BrokerSimulator]) -> dict[str, object]:
    return {"success": True, "status": "ok", "instances": len(sim.state.all_instances())}


class InstancesController(Controller):
    path = "/instances"

    @get("/", operation_id="listInstances")
    async def list_instances(
        self, sim: NamedDependency[BrokerSimulator], request: AnyRequest
    ) -> dict[str, object]:
        return _ok({"instances": sim.list_instances(_tenant(request))})

    @post("/", operation_id="createInstance", status_code=201)
    async def create_instance(
        self,
        sim: NamedDependency[BrokerSimulator],
        data: JSONBody[CreateInstanceBody],
        request: AnyRequest,
    ) -> Response[dict[str, object]]:
        status, session = sim.create_instance(_tenant(request), data, _idempotency_key(request))
        return Response(_ok(session), status_code=status)

    @get("/{instance_id:str}/status", operation_id="instanceStatus")
    async def status(
        self, sim: NamedDependency[BrokerSimulator], instance_id: FromPath[str]
    ) -> dict[str, object]:
        return _ok(sim.session(instance_id))

    @get("/{instance_id:str}/qr", operation_id="instanceQr")
    async def qr(
        self, sim: NamedDependency[BrokerSimulator], instance_id: FromPath[str]
    ) -> dict[str, object]:
        return _ok(sim.qr(instance_id))

    @get("/{instance_id:str}/qr.png", operation_id="instanceQrPng", media_type="image/png")
    async def qr_png(
        self, sim: NamedDependency[BrokerSimulator], instance_id: FromPath[str]
    ) -> Response[bytes]:
        text, expires_at = sim.qr_image_text(instance_id)
        headers = {"x-qr-expires-at": expires_at.isoformat()} if expires_at else None
        return Response(png_of(text), media_type="image/png", headers=headers)

    @post("/{instance_id:str}/pair", operation_id="pairInstance", status_code=200)
    async def pair(
        self,
        sim: NamedDependency[BrokerSimulator],
        instance_id: FromPath[str],
        data: JSONBody[PairBody | None] = None,
    ) -> dict[str, object]:
        return _ok(sim.pair(instance_id, data or PairBody()))

    @post("/{instance_id:str}/logout", operation_id="logoutInstance", status_code=200)
    async def logout(
        self, sim: NamedDependency[BrokerSimulator], instance_id: FromPath[str]
    ) -> dict[str, object]:
        return _ok(sim.logout(instance_id))

    @post("/{instance_id:str}/session/wipe", operation_id="wipeInstance", status_code=200)
    async def wipe(
        self, sim: NamedDependency[BrokerSimulator], instance_id: FromPath[str]
    ) -> dict[str, object]:
        return _ok(sim.wipe(instance_id))

    @delete("/{instance_id:str}", operation_id="deleteInstance", status_code=200)
    async def delete_instance(
        self, sim: NamedDependency[BrokerSimulator], instance_id: FromPath[str]
    ) -> dict[str, object]:
        return _ok(sim.delete(instance_id))

    @get("/{instance_id:str}/metrics", operation_id="instanceMetrics")
    async def metrics(
        self, sim: NamedDependency[BrokerSimulator], instance_id: FromPath[str]
    ) -> dict[str, object]:
        return _ok(sim.metrics(instance_id))

    @get("/{instance_id:str}/groups", operation_id="instanceGroups")
    async def groups(
        self, sim: NamedDependency[BrokerSimulator], instance_id: FromPath[str]
    ) -> dict[str, object]:
        return _ok({"groups": sim.groups(instance_id)})

    @post("/{instance_id:str}/exists", operation_id="recipientExists", status_code=200)
    async def exists(
        self,
        sim: NamedDependency[BrokerSimulator],
        instance_id: FromPath[str],
        data: JSONBody[ExistsBody],
    ) -> dict[str, object]:
        return _ok(sim.exists(instance_id, data.to))

    @post("/{instance_id:str}/send-text", operation_id="sendText")
    async def send_text(
        self,
        sim: NamedDependency[BrokerSimulator],
        instance_id: FromPath[str],
        data: JSONBody[SendBody],
        request: AnyRequest,
    ) -> Response[dict[str, Any]]:
        status, reply = sim.send(instance_id, "send-text", data, _idempotency_key(request))
        return Response(reply, status_code=status)

    @post("/{instance_id:str}/send-media", operation_id="sendMedia")
    async def send_media(
        self,
        sim: NamedDependency[BrokerSimulator],
        instance_id: FromPath[str],
        data: JSONBody[SendBody],
        request: AnyRequest,
    ) -> Response[dict[str, Any]]:
        status, reply = sim.send(instance_id, "send-media", data, _idempotency_key(request))
        return Response(reply, status_code=status)

    @post("/{instance_id:str}/send-poll", operation_id="sendPoll")
    async def send_poll(
        self,
        sim: NamedDependency[BrokerSimulator],
        instance_id: FromPath[str],
        data: JSONBody[SendBody],
        request: AnyRequest,
    ) -> Response[dict[str, Any]]:
        status, reply = sim.send(instance_id, "send-poll", data, _idempotency_key(request))
        return Response(reply, status_code=status)

    @post("/{instance_id:str}/media/download", operation_id="downloadMedia", status_code=200)
    async def download_media(
        self,
        sim: NamedDependency[BrokerSimulator],
        instance_id: FromPath[str],
        data: JSONBody[DownloadBody],
    ) -> Response[bytes]:
        media = sim.download(instance_id, data)
        headers = {}
        if media.file_name:
            headers["content-disposition"] = f'attachment; filename="{media.file_name}"'
        return Response(media.content, media_type=media.mime_type, headers=headers)
