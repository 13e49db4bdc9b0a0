"""The broker client against the real simulator over loopback HTTP."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import replace

import httpx
import pytest
from leadengine_integrations.broker import (
    BrokerAuthFailed,
    BrokerClient,
    BrokerError,
    BrokerErrorCode,
    BrokerNotFound,
    BrokerTimeout,
    BrokerUnavailable,
    InstanceNotConnected,
    InvalidRecipient,
    RateLimited,
    SendResult,
)
from leadengine_integrations.simulator import RunningSimulator, SimulatorConfig, run_simulator
from leadengine_shared.metrics import sample_value
from prometheus_client import CollectorRegistry

PROVIDER_ID = re.compile(r"3EB0[0-9A-F]{18}")
CUSTOMER = "+55 11 98888-7777"

Send = Callable[[BrokerClient, str, str], Awaitable[SendResult]]


class RecordingTransport(httpx.AsyncHTTPTransport):
    """The real transport, keeping each request it sent so headers can be checked."""

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[httpx.Request] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.sent.append(request)
        return await super().handle_async_request(request)


SENDS: dict[str, tuple[str, Send]] = {
    "text": ("text", lambda b, i, k: b.send_text(i, CUSTOMER, "Olá!", idempotency_key=k)),
    "image": (
        "image",
        lambda b, i, k: b.send_media(
            i,
            CUSTOMER,
            media_type="image",
            url="https://cdn.example/a.jpg",
            mime_type="image/jpeg",
            caption="boleto",
            idempotency_key=k,
        ),
    ),
    "video": (
        "video",
        lambda b, i, k: b.send_media(
            i, CUSTOMER, media_type="video", url="https://cdn.example/a.mp4", idempotency_key=k
        ),
    ),
    "voice note": (
        "audio",
        lambda b, i, k: b.send_media(
            i,
            CUSTOMER,
            media_type="audio",
            url="https://cdn.example/a.ogg",
            mime_type="audio/ogg; codecs=opus",
            voice_note=True,
            idempotency_key=k,
        ),
    ),
    "document": (
        "document",
        lambda b, i, k: b.send_media(
            i,
            CUSTOMER,
            media_type="document",
            url="https://cdn.example/contrato.pdf",
            file_name="contrato.pdf",
            mime_type="application/pdf",
            idempotency_key=k,
        ),
    ),
    "location": (
        "location",
        lambda b, i, k: b.send_location(
            i, CUSTOMER, latitude=-19.92, longitude=-43.94, name="Loja", idempotency_key=k
        ),
    ),
    "contact": (
        "contact",
        lambda b, i, k: b.send_contact(
            i, CUSTOMER, display_name="Suporte", phone_number="+5531999990000", idempotency_key=k
        ),
    ),
    "template": (
        "template",
        lambda b, i, k: b.send_template(
            i, CUSTOMER, name="boas_vindas", language="pt_BR", idempotency_key=k
        ),
    ),
    "poll": (
        "poll",
        lambda b, i, k: b.send_poll(
            i, CUSTOMER, question="Horário?", options=["Manhã", "Tarde"], idempotency_key=k
        ),
    ),
}


async def test_instance_starts_with_a_qr_and_connects_when_scanned(
    broker: BrokerClient, sim: RunningSimulator, tenant_id: str
) -> None:
    created = await broker.create_instance(
        tenant_id, "inst-qr", "Recepção", "http://hooks.invalid/w", "verify", "create-inst-qr"
    )
    assert (created.instance_id, created.tenant_id, created.status) == (
        "inst-qr",
        tenant_id,
        "qr_required",
    )

    status = await broker.status("inst-qr")
    qr = await broker.qr("inst-qr")
    png = await broker.qr_png("inst-qr")
    assert (status.status, status.connected) == ("qr_required", False)
    assert qr.qr is not None
    assert qr.qr.startswith("2@")
    assert qr.expires_at is not None
    assert png.startswith(b"\x89PNG\r\n\x1a\n")

    await sim.scan("inst-qr")

    connected = await broker.status("inst-qr")
    assert (connected.status, connected.connected) == ("connected", True)
    assert connected.phone_number is not None
    assert (await broker.qr("inst-qr")).qr is None
    with pytest.raises(BrokerNotFound):
        await broker.qr_png("inst-qr")


async def test_pairing_code_connects_the_paired_phone(
    broker: BrokerClient, sim: RunningSimulator, tenant_id: str
) -> None:
    await broker.create_instance(tenant_id, "inst-pair", "Loja", "", "verify", "create-pair")

    pairing = await broker.pair("inst-pair", "+55 31 99999-0000")
    assert pairing.pairing_code is not None
    assert len(pairing.pairing_code) == 8
    with pytest.raises(httpx.HTTPStatusError):
        await sim.confirm_pairing("inst-pair", "WRONG000")
    await sim.confirm_pairing("inst-pair", pairing.pairing_code)

    status = await broker.status("inst-pair")
    assert (status.connected, status.phone_number) == (True, "5531999990000")


async def test_creating_an_instance_is_idempotent(
    broker: BrokerClient, sim: RunningSimulator, tenant_id: str
) -> None:
    first = await broker.create_instance(tenant_id, "inst-1", "A", "", "verify", "key-1")
    again = await broker.create_instance(tenant_id, "inst-1", "A", "", "verify", "key-1")
    assert again.instance_id == first.instance_id
    assert len(sim.state.all_instances()) == 1

    with pytest.raises(BrokerError) as stolen:
        await broker.create_instance("tenant-other", "inst-1", "B", "", "verify", "key-2")
    assert stolen.value.code == BrokerErrorCode.BROKER_ERROR
    assert stolen.value.broker_code == "INSTANCE_ALREADY_EXISTS"


@pytest.mark.parametrize("kind", list(SENDS))
async def test_each_send_type_returns_a_provider_id(
    broker: BrokerClient, sim: RunningSimulator, instance_id: str, kind: str
) -> None:
    recorded_type, send = SENDS[kind]

    result = await send(broker, instance_id, f"msg-{kind}")

    assert PROVIDER_ID.fullmatch(result.provider_message_id)
    assert result.status == "sent"
    (recorded,) = sim.state.sends(instance_id)
    assert recorded.provider_id == result.provider_message_id
    assert recorded.type == recorded_type
    assert recorded.jid == "5511988887777@s.whatsapp.net"
    assert recorded.idempotency_key == f"msg-{kind}"


async def test_same_idempotency_key_returns_the_same_id_and_sends_once(
    broker: BrokerClient, sim: RunningSimulator, instance_id: str
) -> None:
    first = await broker.send_text(instance_id, CUSTOMER, "Oi", idempotency_key="msg-1")
    repeat = await broker.send_text(instance_id, CUSTOMER, "Oi", idempotency_key="msg-1")
    other = await broker.send_text(instance_id, CUSTOMER, "Oi", idempotency_key="msg-2")

    assert repeat.provider_message_id == first.provider_message_id
    assert other.provider_message_id != first.provider_message_id
    assert [s.idempotency_key for s in sim.state.sends()] == ["msg-1", "msg-2"]

    with pytest.raises(BrokerError) as reused:
        await broker.send_text(instance_id, CUSTOMER, "Outro texto", idempotency_key="msg-1")
    assert reused.value.broker_code == "IDEMPOTENCY_KEY_REUSED"
    assert not reused.value.retryable


async def test_send_to_a_disconnected_instance(
    broker: BrokerClient, sim: RunningSimulator, instance_id: str
) -> None:
    await sim.disconnect(instance_id)

    with pytest.raises(InstanceNotConnected) as failure:
        await broker.send_text(instance_id, CUSTOMER, "Oi", idempotency_key="msg-1")

    assert failure.value.code == "INSTANCE_NOT_CONNECTED"
    assert failure.value.status == 409
    assert failure.value.retryable
    assert sim.state.sends() == []
    assert len(sim.state.requests("POST", f"/instances/{instance_id}/send-text")) == 1


async def test_invalid_recipient(
    broker: BrokerClient, sim: RunningSimulator, instance_id: str
) -> None:
    with pytest.raises(InvalidRecipient) as failure:
        await broker.send_text(instance_id, "12-34", "Oi", idempotency_key="msg-1")
    assert (failure.value.code, failure.value.retryable) == ("INVALID_TO", False)
    with pytest.raises(InvalidRecipient):
        await broker.exists(instance_id, "not a phone")
    assert sim.state.sends() == []


async def test_wrong_api_key_is_an_auth_error_and_not_retried(sim: RunningSimulator) -> None:
    async with BrokerClient(sim.url, "wrong-key", backoff=0.01) as client:
        with pytest.raises(BrokerAuthFailed) as failure:
            await client.list_instances("tenant-acme")
    assert (failure.value.status, failure.value.retryable) == (401, False)
    assert len(sim.state.requests("GET", "/instances")) == 1


async def test_broker_down_is_unavailable_after_bounded_retries(
    broker: BrokerClient, sim: RunningSimulator, instance_id: str
) -> None:
    sim.state.set_faults(down=True)

    with pytest.raises(BrokerUnavailable) as failure:
        await broker.status(instance_id)

    assert (failure.value.status, failure.value.retryable) == (503, True)
    assert len(sim.state.requests("GET", f"/instances/{instance_id}/status")) == 3


async def test_unreachable_broker_is_unavailable() -> None:
    async with BrokerClient("http://127.0.0.1:9", "key", backoff=0.01, max_attempts=2) as client:
        with pytest.raises(BrokerUnavailable) as failure:
            await client.health()
    assert (failure.value.status, failure.value.retryable) == (None, True)


async def test_latency_above_the_timeout_is_a_broker_timeout(
    sim: RunningSimulator, instance_id: str
) -> None:
    sim.state.set_faults(latency=0.5)
    async with sim.client(timeout=0.1, max_attempts=2, backoff=0.01) as slow:
        with pytest.raises(BrokerTimeout) as failure:
            await slow.status(instance_id)
    assert (failure.value.code, failure.value.retryable) == ("BROKER_TIMEOUT", True)
    assert len(sim.state.requests("GET", f"/instances/{instance_id}/status")) == 2


@pytest.mark.parametrize(
    ("name", "call", "method", "path", "attempts"),
    [
        ("GET", lambda b, i: b.status(i), "GET", "/instances/{i}/status", 3),
        (
            "keyed POST",
            lambda b, i: b.send_text(i, CUSTOMER, "Oi", idempotency_key="k"),
            "POST",
            "/instances/{i}/send-text",
            3,
        ),
        ("unkeyed POST", lambda b, i: b.pair(i), "POST", "/instances/{i}/pair", 1),
        ("unkeyed POST", lambda b, i: b.exists(i, CUSTOMER), "POST", "/instances/{i}/exists", 1),
        ("unkeyed POST", lambda b, i: b.logout(i), "POST", "/instances/{i}/logout", 1),
    ],
)
async def test_only_calls_safe_to_repeat_are_retried(
    broker: BrokerClient,
    sim: RunningSimulator,
    instance_id: str,
    name: str,
    call: Callable[[BrokerClient, str], Awaitable[object]],
    method: str,
    path: str,
    attempts: int,
) -> None:
    sim.state.set_faults(down=True)

    with pytest.raises(BrokerUnavailable):
        await call(broker, instance_id)

    assert len(sim.state.requests(method, path.format(i=instance_id))) == attempts, name


async def test_retried_sends_are_delivered_exactly_once(
    sim: RunningSimulator, instance_id: str
) -> None:
    sim.state.set_faults(error_rate=0.5)
    async with sim.client(max_attempts=8, backoff=0.001, max_backoff=0.005) as client:
        results = [
            await client.send_text(instance_id, CUSTOMER, f"Oi {n}", idempotency_key=f"m-{n}")
            for n in range(6)
        ]

    sends = sim.state.sends(instance_id)
    assert [s.provider_id for s in sends] == [r.provider_message_id for r in results]
    assert len(sim.state.requests("POST", f"/instances/{instance_id}/send-text")) > len(sends)


async def test_every_call_carries_key_request_id_and_tenant(
    sim: RunningSimulator, tenant_id: str
) -> None:
    transport = RecordingTransport()
    async with sim.client(transport=transport) as client:
        await client.list_instances(tenant_id)
        await client.create_instance(tenant_id, "inst-h", "H", "", "verify", "create-h")
        await sim.scan("inst-h")
        await client.send_text("inst-h", CUSTOMER, "Oi", idempotency_key="msg-h")

    listing, creation, sending = transport.sent
    for request in transport.sent:
        assert request.headers["x-api-key"] == sim.config.api_key
        assert request.headers["accept"] == "application/json"
        assert len(request.headers["x-request-id"]) == 32
    assert listing.headers["x-tenant-id"] == tenant_id
    assert listing.url.params["tenantId"] == tenant_id
    assert creation.headers["idempotency-key"] == "create-h"
    assert sending.headers["idempotency-key"] == "msg-h"
    assert len({r.headers["x-request-id"] for r in transport.sent}) == 3


async def test_list_instances_keeps_only_the_tenants_sessions(
    broker: BrokerClient, sim: RunningSimulator, tenant_id: str
) -> None:
    await broker.create_instance(tenant_id, "mine", "Mine", "", "verify", "k-mine")
    await broker.create_instance("tenant-other", "theirs", "Theirs", "", "verify", "k-theirs")
    async with httpx.AsyncClient(base_url=sim.url) as raw:
        response = await raw.post(
            "/instances", json={"id": "orphan"}, headers={"X-API-Key": sim.config.api_key}
        )
        assert response.status_code == 201
        sim.state.set_faults(leak_tenants=True)
        leaked = await raw.get(
            "/instances", params={"tenantId": tenant_id}, headers={"X-API-Key": sim.config.api_key}
        )
    assert len(leaked.json()["data"]["instances"]) == 3

    listed = await broker.list_instances(tenant_id)

    assert [(i.instance_id, i.tenant_id) for i in listed] == [("mine", tenant_id)]


async def test_logout_wipe_and_delete(
    broker: BrokerClient, sim: RunningSimulator, instance_id: str
) -> None:
    await broker.logout(instance_id)
    assert (await broker.status(instance_id)).status == "disconnected"

    renewed = await broker.pair(instance_id)
    assert renewed.status == "qr_required"

    await broker.wipe(instance_id)
    await broker.delete(instance_id)
    with pytest.raises(BrokerNotFound):
        await broker.status(instance_id)
    await broker.wipe(instance_id)
    await broker.delete(instance_id)


async def test_rate_limit_is_reported_as_rate_limited(
    sim_config: SimulatorConfig, tenant_id: str
) -> None:
    config = replace(sim_config, rate_limit_per_minute=2, auto_connect=True)
    async with run_simulator(config) as limited, limited.client(backoff=0.01) as client:
        await client.create_instance(tenant_id, "busy", "Busy", "", "verify", "k")
        for n in range(2):
            await client.send_text("busy", CUSTOMER, "Oi", idempotency_key=f"m-{n}")
        with pytest.raises(RateLimited) as failure:
            await client.send_text("busy", CUSTOMER, "Oi", idempotency_key="m-3")
        status = await client.status("busy")
    assert (failure.value.status, failure.value.retryable) == (429, True)
    assert status.rate is not None
    assert status.rate.remaining == 0


async def test_inbound_media_can_be_downloaded(
    broker: BrokerClient, sim: RunningSimulator, instance_id: str, tenant_id: str
) -> None:
    image = await sim.customer_sends(instance_id, kind="image", text="comprovante")
    document = await sim.customer_sends(instance_id, kind="document", file_name="nota.pdf")

    picture = await broker.download_media(
        instance_id, tenant_id=tenant_id, message_id=image["messageId"], media_type="image"
    )
    pdf = await broker.download_media(
        instance_id, tenant_id=tenant_id, message_id=document["messageId"], media_type="document"
    )

    assert picture.content.startswith(b"\x89PNG")
    assert picture.mime_type == "image/png"
    assert (pdf.mime_type, pdf.file_name) == ("application/pdf", "nota.pdf")
    with pytest.raises(BrokerNotFound):
        await broker.download_media(
            instance_id, tenant_id=tenant_id, message_id="nope", media_type="image"
        )


async def test_exists_groups_and_metrics(
    broker: BrokerClient, sim: RunningSimulator, instance_id: str
) -> None:
    await sim.customer_sends(instance_id, text="Oi grupo", group_jid="120363400000000001@g.us")
    await broker.send_text(instance_id, CUSTOMER, "Oi", idempotency_key="m-1")

    check = await broker.exists(instance_id, CUSTOMER)
    groups = await broker.groups(instance_id)
    counters = await broker.metrics(instance_id)

    assert (check.exists, check.jid) == (True, "5511988887777@s.whatsapp.net")
    assert [g.jid for g in groups] == ["120363400000000001@g.us"]
    assert (counters["sent"], counters["received"]) == (1, 1)


async def test_every_attempt_is_counted_in_metrics(
    broker: BrokerClient, sim: RunningSimulator, instance_id: str, registry: CollectorRegistry
) -> None:
    await broker.send_text(instance_id, CUSTOMER, "Oi", idempotency_key="m-1")
    sim.state.set_faults(down=True)
    with pytest.raises(BrokerUnavailable):
        await broker.status(instance_id)

    def requests(**labels: str) -> float:
        return sample_value(registry, "whatsapp_http_requests_total", labels)

    assert (
        requests(operation="send_text", method="POST", status="201", code="OK", result="success")
        == 1
    )
    assert (
        requests(
            operation="status",
            method="GET",
            status="503",
            code="BROKER_UNAVAILABLE",
            result="error",
        )
        == 3
    )
    durations = sample_value(
        registry,
        "whatsapp_http_request_duration_seconds_count",
        {"operation": "status", "result": "error"},
    )
    assert durations == 3


async def test_metrics_are_optional(sim: RunningSimulator) -> None:
    async with BrokerClient(sim.url, sim.config.api_key, metrics=None) as client:
        assert (await client.health()).ok
