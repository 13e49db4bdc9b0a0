"""`/_sim/*`: what the real world would do to a broker — scan a QR, send as a customer, break.

Not part of the broker contract; guarded by the same API key, untouched by the faults.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from litestar import Controller, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody

from leadengine_integrations.simulator.customer import CustomerMessage
from leadengine_integrations.simulator.errors import AnyRequest, error_response
from leadengine_integrations.simulator.routes import Gate, authorized
from leadengine_integrations.simulator.schemas import (
    ConfirmPairingBody,
    DisconnectBody,
    FaultsBody,
)
from leadengine_integrations.simulator.service import BrokerSimulator
from leadengine_integrations.simulator.state import SimulatorState

__all__ = ["ControlController", "control_gate"]


def control_gate(sim: BrokerSimulator) -> Gate:
    async def gate(request: AnyRequest) -> Response[object] | None:
        if authorized(request, sim.state.config.api_key):
            return None
        return error_response(request, 401, "UNAUTHORIZED", "unauthorized")

    return gate


def _sends(state: SimulatorState) -> list[dict[str, Any]]:
    return [
        {
            "providerId": send.provider_id,
            "instanceId": send.instance_id,
            "tenantId": send.tenant_id,
            "idempotencyKey": send.idempotency_key,
            "type": send.type,
            "to": send.to,
            "jid": send.jid,
            "body": send.body,
            "acceptedAt": send.accepted_at.isoformat(),
        }
        for send in state.sends()
    ]


class ControlController(Controller):
    path = "/_sim"

    @get("/state", operation_id="simState")
    async def snapshot(self, sim: NamedDependency[BrokerSimulator]) -> dict[str, object]:
        state = sim.state
        return {
            "instances": [sim.session(instance.id) for instance in state.all_instances()],
            "sends": _sends(state),
            "faults": asdict(state.faults),
            "pendingWebhooks": state.pending_webhooks,
        }

    @get("/sends", operation_id="simSends")
    async def sends(self, sim: NamedDependency[BrokerSimulator]) -> list[dict[str, Any]]:
        return _sends(sim.state)

    @get("/webhooks", operation_id="simWebhooks")
    async def webhooks(self, sim: NamedDependency[BrokerSimulator]) -> dict[str, object]:
        return {
            "pending": sim.state.pending_webhooks,
            "deliveries": [
                {
                    "event": d.event,
                    "instanceId": d.instance_id,
                    "url": d.url,
                    "attempts": d.attempts,
                    "status": d.status,
                    "lastError": d.last_error,
                    "body": d.body.decode(),
                }
                for d in sim.state.deliveries()
            ],
        }

    @post("/faults", operation_id="simFaults", status_code=200)
    async def faults(
        self, sim: NamedDependency[BrokerSimulator], data: JSONBody[FaultsBody]
    ) -> dict[str, object]:
        if data.reset:
            sim.state.clear_faults()
        knobs = data.model_dump(exclude_none=True, exclude={"disconnect", "reset"})
        faults = sim.state.set_faults(**knobs)
        for instance_id in data.disconnect:
            sim.disconnect(instance_id, 428)
        return asdict(faults)

    @post("/reset", operation_id="simReset", status_code=200)
    async def reset(self, sim: NamedDependency[BrokerSimulator]) -> dict[str, object]:
        sim.state.reset()
        return {"success": True}

    @post("/instances/{instance_id:str}/scan", operation_id="simScan", status_code=200)
    async def scan(
        self, sim: NamedDependency[BrokerSimulator], instance_id: FromPath[str]
    ) -> dict[str, object]:
        return sim.scan(instance_id)

    @post(
        "/instances/{instance_id:str}/confirm-pairing",
        operation_id="simConfirmPairing",
        status_code=200,
    )
    async def confirm_pairing(
        self,
        sim: NamedDependency[BrokerSimulator],
        instance_id: FromPath[str],
        data: JSONBody[ConfirmPairingBody],
    ) -> dict[str, object]:
        return sim.confirm_pairing(instance_id, data.code)

    @post("/instances/{instance_id:str}/disconnect", operation_id="simDisconnect", status_code=200)
    async def disconnect(
        self,
        sim: NamedDependency[BrokerSimulator],
        instance_id: FromPath[str],
        data: JSONBody[DisconnectBody | None] = None,
    ) -> dict[str, object]:
        return sim.disconnect(instance_id, (data or DisconnectBody()).status_code)

    @post("/instances/{instance_id:str}/inbound", operation_id="simInbound", status_code=202)
    async def inbound(
        self,
        sim: NamedDependency[BrokerSimulator],
        instance_id: FromPath[str],
        data: JSONBody[CustomerMessage],
    ) -> dict[str, object]:
        return sim.customer_sends(instance_id, data)
