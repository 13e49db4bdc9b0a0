"""A real simulator on loopback, a real webhook receiver, and a client wired to both."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
from leadengine_integrations.broker import BrokerClient
from leadengine_integrations.simulator import RunningSimulator, SimulatorConfig, run_simulator
from leadengine_integrations.simulator.testing import WebhookReceiver, webhook_receiver_thread
from leadengine_shared.metrics import BrokerMetrics, new_registry
from prometheus_client import CollectorRegistry

API_KEY = "sim-test-key"
WEBHOOK_API_KEY = "webhook-test-key"
HMAC_SECRET = "webhook-hmac-secret"
TENANT = "tenant-acme"


@pytest.fixture(scope="session")
def shared_receiver() -> Iterator[WebhookReceiver]:
    with webhook_receiver_thread() as running:
        yield running


@pytest.fixture
def receiver(shared_receiver: WebhookReceiver) -> WebhookReceiver:
    """The session's webhook endpoint, emptied for this test."""
    shared_receiver.clear()
    return shared_receiver


@pytest.fixture
def sim_config(receiver: WebhookReceiver) -> SimulatorConfig:
    return SimulatorConfig(
        api_key=API_KEY,
        webhook_api_key=WEBHOOK_API_KEY,
        webhook_hmac_secret=HMAC_SECRET,
        webhook_url=receiver.url,
        seed=7,
        ack_delay=0.01,
        webhook_retry_delays=(0.01, 0.02, 0.05),
    )


@pytest.fixture
async def sim(sim_config: SimulatorConfig) -> AsyncIterator[RunningSimulator]:
    async with run_simulator(sim_config) as running:
        yield running


@pytest.fixture
def registry() -> CollectorRegistry:
    return new_registry()


@pytest.fixture
async def broker(sim: RunningSimulator, registry: CollectorRegistry) -> AsyncIterator[BrokerClient]:
    client = sim.client(
        timeout=2.0, metrics=BrokerMetrics(registry), backoff=0.01, max_backoff=0.05
    )
    async with client:
        yield client


@pytest.fixture
def tenant_id() -> str:
    return TENANT


@pytest.fixture
async def instance_id(broker: BrokerClient, sim: RunningSimulator, tenant_id: str) -> str:
    """A connected instance of the tenant (created, then its QR scanned)."""
    await broker.create_instance(
        tenant_id, "sales-01", "Vendas", sim.config.webhook_url or "", "verify", "create-sales-01"
    )
    await sim.scan("sales-01")
    return "sales-01"
