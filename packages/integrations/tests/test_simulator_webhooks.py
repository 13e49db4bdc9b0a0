"""Simulator → webhook: acks, connection updates, signatures, faults and retries."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import replace

from leadengine_integrations.broker import BrokerClient
from leadengine_integrations.simulator import RunningSimulator, SimulatorConfig, run_simulator
from leadengine_integrations.simulator.testing import ReceivedWebhook, WebhookReceiver

ACKS = "WHATSAPP_MESSAGES_UPDATE"
CONNECTION = "WHATSAPP_CONNECTION_UPDATE"
CUSTOMER = "+5511988887777"


def expected_signature(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def ack_status(webhook: ReceivedWebhook) -> int:
    (update,) = webhook.json["payload"]["raw"]["updates"]
    return int(update["update"]["status"])


async def test_acks_arrive_in_order_and_signed_over_the_exact_bytes(
    broker: BrokerClient, sim: RunningSimulator, receiver: WebhookReceiver, instance_id: str
) -> None:
    sent = await broker.send_text(instance_id, CUSTOMER, "Olá", idempotency_key="m-1")

    acks = await receiver.wait_for(3, event=ACKS)

    assert [ack_status(ack) for ack in acks] == [2, 3, 4]
    for ack in acks:
        body = ack.json
        assert set(body) == {"event", "instanceId", "timestamp", "payload"}
        assert (body["event"], body["instanceId"]) == (ACKS, instance_id)
        assert isinstance(body["timestamp"], int)
        assert body["payload"]["iid"] == instance_id
        (update,) = body["payload"]["raw"]["updates"]
        assert update["key"] == {
            "id": sent.provider_message_id,
            "remoteJid": "5511988887777@s.whatsapp.net",
            "fromMe": True,
        }
        assert ack.headers["x-signature"] == expected_signature(
            sim.config.webhook_hmac_secret or "", ack.body
        )
        assert ack.headers["x-api-key"] == sim.config.webhook_api_key
        assert ack.headers["content-type"] == "application/json"


async def test_each_send_is_echoed_as_message_outbound_before_its_acks(
    broker: BrokerClient, receiver: WebhookReceiver, instance_id: str
) -> None:
    sent = await broker.send_media(
        instance_id,
        CUSTOMER,
        media_type="image",
        url="https://cdn.example/a.jpg",
        caption="boleto",
        mime_type="image/jpeg",
        idempotency_key="m-1",
    )

    await receiver.wait_for(3, event=ACKS)
    events = [w.json for w in receiver.accepted() if w.event != CONNECTION]

    assert [e["event"] for e in events] == ["MESSAGE_OUTBOUND", ACKS, ACKS, ACKS]
    echo = events[0]["payload"]
    assert echo["contact"]["owner"] == "device"
    assert echo["contact"]["displayName"] == "+5511988887777"
    assert (echo["message"]["id"], echo["message"]["type"], echo["message"]["text"]) == (
        sent.provider_message_id,
        "media",
        "boleto",
    )
    assert echo["message"]["media"]["mimetype"] == "image/jpeg"
    assert echo["metadata"]["broker"]["direction"] == "outbound"


async def test_connection_lifecycle_is_posted(
    broker: BrokerClient, sim: RunningSimulator, receiver: WebhookReceiver, tenant_id: str
) -> None:
    await broker.create_instance(tenant_id, "inst-c", "C", receiver.url, "verify", "k-c")
    await sim.scan("inst-c")
    await sim.disconnect("inst-c", status_code=401)

    created, opened, closed = await receiver.wait_for(3, event=CONNECTION)

    assert created.json["payload"]["iid"] == "inst-c"
    assert created.json["payload"]["raw"]["connection"] == "connecting"
    assert created.json["payload"]["raw"]["qr"].startswith("2@")
    assert opened.json["payload"]["raw"] == {"connection": "open"}
    closing = closed.json["payload"]["raw"]
    assert closing["connection"] == "close"
    assert closing["lastDisconnect"]["error"]["output"]["statusCode"] == 401
    assert "date" in closing["lastDisconnect"]


async def test_duplicate_fault_delivers_each_event_twice_byte_identical(
    broker: BrokerClient, sim: RunningSimulator, receiver: WebhookReceiver, instance_id: str
) -> None:
    sim.state.set_faults(duplicate_webhooks=True)

    await broker.send_text(instance_id, CUSTOMER, "Olá", idempotency_key="m-1")
    acks = await receiver.wait_for(6, event=ACKS)

    assert [ack_status(ack) for ack in acks] == [2, 2, 3, 3, 4, 4]
    assert all(first.body == again.body for first, again in zip(acks[::2], acks[1::2], strict=True))


async def test_out_of_order_fault_delivers_read_before_server_ack(
    broker: BrokerClient, sim: RunningSimulator, receiver: WebhookReceiver, instance_id: str
) -> None:
    sim.state.set_faults(out_of_order=True)

    await broker.send_text(instance_id, CUSTOMER, "Olá", idempotency_key="m-1")
    acks = await receiver.wait_for(3, event=ACKS)

    assert [ack_status(ack) for ack in acks] == [4, 3, 2]


async def test_failed_deliveries_are_retried_byte_identically_and_in_order(
    sim: RunningSimulator, receiver: WebhookReceiver, instance_id: str
) -> None:
    await sim.webhooks_settled()
    receiver.fail_next(2, status=500)

    await sim.customer_sends(instance_id, text="Oi, tudo bem?")
    await sim.webhooks_settled()

    inbound = receiver.received("MESSAGE_INBOUND")
    assert [attempt.answered for attempt in inbound] == [500, 500, 202]
    assert len({attempt.body for attempt in inbound}) == 1
    assert len({attempt.headers["x-signature"] for attempt in inbound}) == 1
    tail = [w.event for w in receiver.accepted()][-2:]
    assert tail == ["MESSAGE_INBOUND", "WHATSAPP_MESSAGES_UPSERT"]


async def test_delivery_gives_up_after_bounded_retries(
    sim: RunningSimulator, receiver: WebhookReceiver, instance_id: str
) -> None:
    await sim.webhooks_settled()
    attempts = 1 + len(sim.config.webhook_retry_delays)
    receiver.fail_next(attempts, status=503)

    await sim.customer_sends(instance_id, text="Oi")
    await sim.webhooks_settled()

    inbound = sim.state.deliveries("MESSAGE_INBOUND")
    upsert = sim.state.deliveries("WHATSAPP_MESSAGES_UPSERT")
    assert [(d.status, d.attempts, d.last_error) for d in inbound] == [
        ("failed", attempts, "HTTP 503")
    ]
    assert [(d.status, d.attempts) for d in upsert] == [("delivered", 1)]
    assert len(receiver.received("MESSAGE_INBOUND")) == attempts


async def test_without_an_hmac_secret_webhooks_are_signed_with_the_api_key(
    sim_config: SimulatorConfig, receiver: WebhookReceiver
) -> None:
    config = replace(sim_config, webhook_hmac_secret=None, webhook_api_key=None, auto_connect=True)
    async with run_simulator(config) as unsigned, unsigned.client() as client:
        await client.create_instance("t", "inst-k", "K", receiver.url, "verify", "k")
        (opened,) = await receiver.wait_for(1, event=CONNECTION)

    assert opened.headers["x-signature"] == expected_signature(config.api_key, opened.body)
    assert "x-api-key" not in opened.headers
