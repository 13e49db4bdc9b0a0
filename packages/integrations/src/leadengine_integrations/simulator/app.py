"""Builds the simulator's Litestar app from a config; building it opens no connections."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from litestar import Litestar, Router
from litestar.datastructures import State
from litestar.di import Provide
from litestar.exceptions import HTTPException

from leadengine_integrations.simulator.config import SimulatorConfig
from leadengine_integrations.simulator.control import ControlController, control_gate
from leadengine_integrations.simulator.errors import (
    SimError,
    http_exception_handler,
    sim_error_handler,
)
from leadengine_integrations.simulator.routes import InstancesController, broker_gate, health
from leadengine_integrations.simulator.service import BrokerSimulator
from leadengine_integrations.simulator.state import SimulatorState
from leadengine_integrations.simulator.webhooks import WebhookDispatcher

__all__ = ["create_simulator_app", "simulator_of"]


def create_simulator_app(config: SimulatorConfig) -> Litestar:
    state = SimulatorState(config)
    dispatcher = WebhookDispatcher(state)
    sim = BrokerSimulator(state, dispatcher)

    def provide_simulator() -> BrokerSimulator:
        return sim

    @asynccontextmanager
    async def webhooks_running(_: Litestar) -> AsyncIterator[None]:
        await dispatcher.start()
        try:
            yield
        finally:
            await sim.stop()
            await dispatcher.stop()

    return Litestar(
        route_handlers=[
            Router(
                "/", route_handlers=[health, InstancesController], before_request=broker_gate(sim)
            ),
            Router("/", route_handlers=[ControlController], before_request=control_gate(sim)),
        ],
        dependencies={"sim": Provide(provide_simulator, sync_to_thread=False)},
        exception_handlers={SimError: sim_error_handler, HTTPException: http_exception_handler},
        lifespan=[webhooks_running],
        state=State({"simulator": sim}),
        openapi_config=None,
        logging_config=None,
    )


def simulator_of(app: Litestar) -> BrokerSimulator:
    simulator: BrokerSimulator = app.state["simulator"]
    return simulator
