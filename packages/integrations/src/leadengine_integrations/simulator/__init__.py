"""A faithful Baileys broker simulator: the broker HTTP contract served from memory.

Needs the `simulator` extra (Litestar, uvicorn, segno). Start it with `run_simulator(config)`
in tests or `leadengine-broker-sim` from a shell; see the package README.
"""

from leadengine_integrations.simulator.app import create_simulator_app
from leadengine_integrations.simulator.config import Faults, SimulatorConfig
from leadengine_integrations.simulator.customer import CustomerMessage, InboundKind
from leadengine_integrations.simulator.server import (
    RunningSimulator,
    run_simulator,
    simulator_thread,
)
from leadengine_integrations.simulator.state import (
    RecordedRequest,
    RecordedSend,
    SimInstance,
    SimulatorState,
    WebhookDelivery,
)

__all__ = [
    "CustomerMessage",
    "Faults",
    "InboundKind",
    "RecordedRequest",
    "RecordedSend",
    "RunningSimulator",
    "SimInstance",
    "SimulatorConfig",
    "SimulatorState",
    "WebhookDelivery",
    "create_simulator_app",
    "run_simulator",
    "simulator_thread",
]
