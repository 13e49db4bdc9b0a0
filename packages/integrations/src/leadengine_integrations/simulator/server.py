"""The simulator on a free loopback port in a background thread, for tests and demos.

Helpers talk to it over HTTP like any client; `state` is read directly (it is lock-protected).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
from leadengine_shared.settings import load_settings

from leadengine_integrations.broker import BrokerClient
from leadengine_integrations.simulator.app import create_simulator_app, simulator_of
from leadengine_integrations.simulator.config import SimulatorConfig
from leadengine_integrations.simulator.customer import CustomerMessage
from leadengine_integrations.simulator.serving import ServedApp
from leadengine_integrations.simulator.state import SimulatorState

__all__ = ["RunningSimulator", "run_simulator", "simulator_thread"]


@dataclass(frozen=True, slots=True)
class RunningSimulator:
    url: str
    state: SimulatorState
    config: SimulatorConfig

    def client(self, **options: Any) -> BrokerClient:
        """A `BrokerClient` for this simulator (options go to `BrokerClient`)."""
        return BrokerClient(self.url, self.config.api_key, **options)

    async def customer_sends(
        self, instance_id: str, message: CustomerMessage | None = None, **fields: Any
    ) -> dict[str, Any]:
        """A customer sends `message` (or `CustomerMessage(**fields)`); returns the message id,
        chat JID, the names of the events posted and the raw `WAMessage`."""
        body = (message or CustomerMessage(**fields)).model_dump(by_alias=True, exclude_none=True)
        return await self._control("POST", f"/_sim/instances/{instance_id}/inbound", body)

    async def scan(self, instance_id: str) -> dict[str, Any]:
        return await self._control("POST", f"/_sim/instances/{instance_id}/scan")

    async def confirm_pairing(self, instance_id: str, code: str) -> dict[str, Any]:
        return await self._control(
            "POST", f"/_sim/instances/{instance_id}/confirm-pairing", {"code": code}
        )

    async def disconnect(self, instance_id: str, status_code: int = 428) -> dict[str, Any]:
        return await self._control(
            "POST", f"/_sim/instances/{instance_id}/disconnect", {"statusCode": status_code}
        )

    async def webhooks_settled(self, within: float = 10.0) -> None:
        """Wait until every scheduled ack and queued webhook was delivered or given up."""
        try:
            async with asyncio.timeout(within):
                # Polled: the counter moves on the simulator's own thread and event loop.
                while self.state.pending_webhooks:  # noqa: ASYNC110
                    await asyncio.sleep(0.01)
        except TimeoutError:
            raise TimeoutError(f"{self.state.pending_webhooks} webhook(s) still pending") from None

    async def _control(
        self, method: str, path: str, body: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        async with httpx.AsyncClient(base_url=self.url, timeout=10.0) as http:
            response = await http.request(
                method, path, json=body, headers={"X-API-Key": self.config.api_key}
            )
        response.raise_for_status()
        result: dict[str, Any] = response.json()
        return result


def _config_or_settings(config: SimulatorConfig | None) -> SimulatorConfig:
    return config if config is not None else SimulatorConfig.from_settings(load_settings())


@contextmanager
def simulator_thread(config: SimulatorConfig | None = None) -> Iterator[RunningSimulator]:
    """Serve the simulator on 127.0.0.1 with a free port until the block ends (sync form,
    for session-wide fixtures). Without a config, keys come from the environment's settings."""
    config = _config_or_settings(config)
    app = create_simulator_app(config)
    served = ServedApp(app)
    url = served.start()
    try:
        yield RunningSimulator(url, simulator_of(app).state, config)
    finally:
        served.stop()


@asynccontextmanager
async def run_simulator(config: SimulatorConfig | None = None) -> AsyncIterator[RunningSimulator]:
    """`async with run_simulator(config) as sim:` — the simulator at `sim.url`."""
    config = _config_or_settings(config)
    app = create_simulator_app(config)
    served = ServedApp(app)
    url = await asyncio.to_thread(served.start)
    try:
        yield RunningSimulator(url, simulator_of(app).state, config)
    finally:
        await asyncio.to_thread(served.stop)
