"""Webhook authentication and input validation over real HTTP: every refusal is a 4xx/503
problem, is counted, and stores nothing."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest
from leadengine_api.features.inbound.testing import (
    HMAC_SECRET,
    WEBHOOK_KEY,
    WEBHOOK_PATH,
    WebhookApi,
    serve_webhook_api,
    sign,
)
from leadengine_integrations.normalize import samples

BODY = json.dumps(samples.message_inbound(instance="unknown-instance")).encode()


@pytest.fixture
async def webhook(database_url: str) -> AsyncIterator[WebhookApi]:
    async with serve_webhook_api(database_url) as api:
        yield api


@pytest.fixture
async def webhook_without_hmac(database_url: str) -> AsyncIterator[WebhookApi]:
    async with serve_webhook_api(database_url, whatsapp_webhook_hmac_secret=None) as api:
        yield api


async def _refused(api: WebhookApi, headers: dict[str, str], status: int = 401) -> None:
    response = await api.http.post(WEBHOOK_PATH, content=BODY, headers=headers)
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert await api.inbox() == []


async def test_a_signed_delivery_with_the_key_is_accepted(webhook: WebhookApi) -> None:
    response = await webhook.http.post(
        WEBHOOK_PATH, content=BODY, headers={"X-API-Key": WEBHOOK_KEY, "X-Signature": sign(BODY)}
    )
    assert response.status_code == 202
    assert response.json() == {"accepted": 1, "duplicates": 0}


async def test_the_alias_path_and_the_sha256_prefix_are_accepted(webhook: WebhookApi) -> None:
    headers = {"Authorization": f"Bearer {WEBHOOK_KEY}", "X-Signature": f"sha256={sign(BODY)}"}
    response = await webhook.http.post("/api/webhooks/whatsapp", content=BODY, headers=headers)
    assert response.status_code == 202


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({"X-Signature": sign(BODY)}, id="missing-key"),
        pytest.param({"X-API-Key": "wrong", "X-Signature": sign(BODY)}, id="wrong-key"),
        pytest.param({"Authorization": "Bearer wrong", "X-Signature": sign(BODY)}, id="bearer"),
        pytest.param({"Authorization": f"Basic {WEBHOOK_KEY}"}, id="not-bearer"),
        pytest.param({"X-API-Key": WEBHOOK_KEY}, id="missing-signature"),
        pytest.param({"X-API-Key": WEBHOOK_KEY, "X-Signature": "00" * 32}, id="bad-signature"),
        pytest.param(
            {"X-API-Key": WEBHOOK_KEY, "X-Signature": sign(BODY, "other")}, id="other-secret"
        ),
        pytest.param({"X-API-Key": WEBHOOK_KEY, "X-Signature": "zz-not-hex"}, id="garbage-sig"),
    ],
)
async def test_bad_credentials_are_refused_and_counted(
    webhook: WebhookApi, headers: dict[str, str]
) -> None:
    await _refused(webhook, headers)
    metrics = (await webhook.http.get("/metrics")).text
    assert 'whatsapp_webhook_events_total{reason="' in metrics
    assert 'result="rejected"' in metrics


async def test_without_hmac_the_key_alone_is_enough(webhook_without_hmac: WebhookApi) -> None:
    response = await webhook_without_hmac.http.post(
        WEBHOOK_PATH, content=BODY, headers={"X-API-Key": WEBHOOK_KEY}
    )
    assert response.status_code == 202
    refused = await webhook_without_hmac.http.post(
        WEBHOOK_PATH, content=BODY, headers={"X-API-Key": "nope"}
    )
    assert refused.status_code == 401


async def test_no_configured_key_refuses_everything(database_url: str) -> None:
    async with serve_webhook_api(database_url, whatsapp_webhook_api_key=None) as api:
        response = await api.http.post(WEBHOOK_PATH, content=BODY, headers={"X-API-Key": ""})
        assert response.status_code == 503
        assert response.json()["code"] == "WEBHOOK_NOT_CONFIGURED"
        assert await api.inbox() == []


async def test_evolution_apikey_in_header_or_body(webhook: WebhookApi) -> None:
    upsert = samples.evolution(
        "messages.upsert", samples.wamessage(samples.TEXT), instance="evo-unknown"
    )
    in_header = await webhook.http.post(
        "/api/webhooks/evolution", json=upsert, headers={"apikey": WEBHOOK_KEY}
    )
    assert in_header.status_code == 202
    assert in_header.json() == {"accepted": 1, "duplicates": 0}
    in_body = await webhook.http.post(
        "/api/webhooks/evolution", json={**upsert, "apikey": WEBHOOK_KEY}
    )
    assert in_body.json() == {"accepted": 0, "duplicates": 1}
    [row] = await webhook.inbox()
    assert WEBHOOK_KEY not in row.payload
    wrong = await webhook.http.post("/api/webhooks/evolution", json={**upsert, "apikey": "x"})
    assert wrong.status_code == 401
    missing = await webhook.http.post("/api/webhooks/evolution", json=upsert)
    assert missing.status_code == 401


async def test_evolution_has_its_own_key_when_configured(database_url: str) -> None:
    async with serve_webhook_api(database_url, evolution_webhook_api_key="evo-key") as api:
        upsert = samples.evolution("messages.upsert", samples.wamessage(samples.TEXT))
        old = await api.http.post(
            "/api/webhooks/evolution", json=upsert, headers={"apikey": WEBHOOK_KEY}
        )
        assert old.status_code == 401
        new = await api.http.post(
            "/api/webhooks/evolution", json=upsert, headers={"apikey": "evo-key"}
        )
        assert new.status_code == 202


async def test_verification_handshake(database_url: str) -> None:
    async with serve_webhook_api(database_url, whatsapp_webhook_verify_token="verify-me") as api:
        ok = await api.http.get(
            "/api/webhooks/whatsapp",
            params={
                "hub.mode": "subscribe",
                "hub.verify_token": "verify-me",
                "hub.challenge": "42",
            },
        )
        assert ok.status_code == 200
        assert ok.text == "42"
        for params in (
            {"hub.mode": "subscribe", "hub.verify_token": "wrong", "hub.challenge": "42"},
            {"hub.mode": "subscribe", "hub.challenge": "42"},
            {"hub.mode": "unsubscribe", "hub.verify_token": "verify-me", "hub.challenge": "1"},
        ):
            refused = await api.http.get("/api/webhooks/whatsapp", params=params)
            assert refused.status_code == 403


async def test_oversized_body_is_413(webhook: WebhookApi) -> None:
    big = json.dumps({"event": "MESSAGE_INBOUND", "pad": "x" * 1_100_000}).encode()
    response = await webhook.http.post(
        WEBHOOK_PATH, content=big, headers={"X-API-Key": WEBHOOK_KEY, "X-Signature": sign(big)}
    )
    assert response.status_code == 413
    assert await webhook.inbox() == []


async def test_oversized_chunked_body_is_413(webhook: WebhookApi) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(20):
            yield b"x" * 100_000

    response = await webhook.http.post(
        WEBHOOK_PATH, content=chunks(), headers={"X-API-Key": WEBHOOK_KEY, "X-Signature": "00"}
    )
    assert response.status_code == 413


async def test_invalid_json_is_400(webhook: WebhookApi) -> None:
    response = await webhook.post(None, raw=b"{not json")
    assert response.status_code == 400
    assert await webhook.inbox() == []


async def test_an_event_without_instance_is_422_and_stores_nothing(webhook: WebhookApi) -> None:
    valid = samples.message_inbound(instance="sales-01")
    orphan = samples.message_inbound(message_id="OTHER")
    del orphan["instanceId"]
    del orphan["payload"]["instanceId"]
    response = await webhook.post([valid, orphan])
    assert response.status_code == 422
    assert response.json()["code"] == "INVALID_WEBHOOK_EVENT"
    assert await webhook.inbox() == []


async def test_an_empty_batch_is_accepted_with_nothing_stored(webhook: WebhookApi) -> None:
    bodies: list[object] = [[], {"events": []}]
    for body in bodies:
        response = await webhook.post(body)
        assert response.status_code == 202
        assert response.json() == {"accepted": 0, "duplicates": 0}
    assert await webhook.inbox() == []


def _deep(levels: int) -> bytes:
    return b"[" * levels + b"]" * levels


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param(b"42", id="number"),
        pytest.param(b'"text"', id="string"),
        pytest.param(b"null", id="null"),
        pytest.param(b"\xff\xfe", id="not-utf8"),
        pytest.param(_deep(100_000), id="deeply-nested"),
        pytest.param(json.dumps({"event": 5, "instanceId": []}).encode(), id="wrong-types"),
        pytest.param(json.dumps({"event": "MESSAGE_INBOUND"}).encode(), id="missing-fields"),
        pytest.param(
            json.dumps(samples.message_inbound(text="a\u0000b", message_id="N\u0000UL")).encode(),
            id="nul-bytes",
        ),
        pytest.param(
            b'{"event":"MESSAGE_INBOUND","instanceId":"s\\ud800","payload":{"message":'
            b'{"id":"\\udc00x","text":"\\ud83d"}}}',
            id="lone-surrogates",
        ),
        pytest.param(
            json.dumps(samples.message_inbound(text="y" * 1_000_000))[:1_048_000].encode(),
            id="truncated-1mb",
        ),
        pytest.param(
            json.dumps({**samples.message_inbound(), "pad": "z" * 1_000_000}).encode(),
            id="1mb-string",
        ),
    ],
)
async def test_malformed_input_never_yields_a_5xx(webhook: WebhookApi, raw: bytes) -> None:
    response = await webhook.post(None, raw=raw)
    assert response.status_code < 500, response.text
    for row in await webhook.inbox():
        assert json.loads(row.payload) is not None
        assert "\x00" not in row.dedupe_key


async def test_nothing_is_stored_with_a_bad_signature_even_for_valid_events(
    webhook: WebhookApi,
) -> None:
    body = json.dumps(samples.message_inbound()).encode()
    headers = {"X-API-Key": WEBHOOK_KEY, "X-Signature": sign(body, HMAC_SECRET + "x")}
    response = await webhook.http.post(WEBHOOK_PATH, content=body, headers=headers)
    assert response.status_code == 401
    assert await webhook.inbox() == []
