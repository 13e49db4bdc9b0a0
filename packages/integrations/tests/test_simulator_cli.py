"""`leadengine-broker-sim scan|inbound` act on a running simulator over HTTP."""

from __future__ import annotations

import asyncio

import pytest
from leadengine_integrations.broker import BrokerClient
from leadengine_integrations.simulator import RunningSimulator
from leadengine_integrations.simulator.cli import main
from leadengine_integrations.simulator.testing import WebhookReceiver


@pytest.fixture(autouse=True)
def simulator_key(monkeypatch: pytest.MonkeyPatch, sim: RunningSimulator) -> None:
    monkeypatch.setenv("WHATSAPP_BROKER_API_KEY", sim.config.api_key)


async def test_scan_connects_an_instance(
    broker: BrokerClient, sim: RunningSimulator, tenant_id: str
) -> None:
    await broker.create_instance(tenant_id, "cli-1", "CLI", "", "verify", "k-cli")

    exit_code = await asyncio.to_thread(main, ["scan", "cli-1", "--url", sim.url])

    assert exit_code == 0
    assert (await broker.status("cli-1")).connected


async def test_inbound_sends_a_customer_message_from_a_group_lid(
    sim: RunningSimulator, receiver: WebhookReceiver, instance_id: str
) -> None:
    argv = [
        "inbound",
        instance_id,
        "--url",
        sim.url,
        "--text",
        "Oi do grupo",
        "--group",
        "120363400000000001@g.us",
        "--lid",
        "205040302010002",
        "--hide-phone",
    ]

    exit_code = await asyncio.to_thread(main, argv)

    assert exit_code == 0
    (upsert,) = await receiver.wait_for(1, event="WHATSAPP_MESSAGES_UPSERT")
    (raw,) = upsert.json["payload"]["raw"]["messages"]
    assert raw["key"]["participant"] == "205040302010002@lid"
    assert "participantAlt" not in raw["key"]
    assert raw["message"] == {"conversation": "Oi do grupo"}


async def test_unknown_instance_fails(sim: RunningSimulator) -> None:
    assert await asyncio.to_thread(main, ["scan", "nope", "--url", sim.url]) == 1
