"""Webhook → inbox → worker → message rows, end to end over real HTTP with the worker running
inside the API process."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from leadengine_api.features.inbound.testing import (
    WEBHOOK_PATH,
    WebhookApi,
    broker_headers,
    serve_webhook_api,
)
from leadengine_integrations.normalize import samples
from leadengine_storage.tables import messages
from leadengine_storage.tenant_scope import UNSCOPED
from leadengine_storage.unit_of_work import SqlUnitOfWork
from sqlalchemy import select

BROKER_ID = "sales-01"


@pytest.fixture
async def webhook(database_url: str) -> AsyncIterator[WebhookApi]:
    async with serve_webhook_api(database_url) as api:
        yield api


async def _settled(api: WebhookApi, status: str = "done") -> None:
    """Every inbox row reached `status`."""

    async def all_in_status() -> bool:
        statuses = await api.statuses()
        return bool(statuses) and all(s == status for s in statuses)

    await api.eventually(all_in_status)


async def test_a_message_delivered_five_times_and_as_contract_and_raw_is_stored_once(
    webhook: WebhookApi,
) -> None:
    """Redeliveries collapse in the inbox; the contract and raw views keep a row each (the raw
    one enriches the message) and still make one message row."""
    account = await webhook.tenant("acme")
    await webhook.add_instance(account.tenant_id, BROKER_ID)
    contract = samples.message_inbound(instance=BROKER_ID)
    raw = samples.upsert(samples.wamessage(samples.TEXT), instance=BROKER_ID)

    answers = [await webhook.post(contract) for _ in range(5)]
    answers.append(await webhook.post(raw))
    answers.append(await webhook.post([contract, raw, raw]))

    assert [a.status_code for a in answers] == [202] * 7
    assert [a.json()["accepted"] for a in answers] == [1, 0, 0, 0, 0, 1, 0]
    assert answers[-1].json() == {"accepted": 0, "duplicates": 3}
    assert len(await webhook.inbox()) == 2
    await _settled(webhook)
    assert await webhook.message_count(samples.MESSAGE_ID) == 1
    metrics = (await webhook.http.get("/metrics")).text
    assert 'whatsapp_webhook_events_total{reason="dedupe_key",result="duplicate"} 7.0' in metrics
    assert "whatsapp_inbound_latency_seconds_count" in metrics
    assert "inbound_messages_processed_total" in metrics


async def test_the_tenant_is_the_instance_owner_never_a_header(webhook: WebhookApi) -> None:
    owner = await webhook.tenant("owner")
    other = await webhook.tenant("other")
    await webhook.add_instance(owner.tenant_id, BROKER_ID)
    content = json.dumps(samples.message_inbound(instance=BROKER_ID)).encode()
    headers = {**broker_headers(content), "X-Tenant-Id": other.tenant_id}
    response = await webhook.http.post(WEBHOOK_PATH, content=content, headers=headers)
    assert response.status_code == 202
    await _settled(webhook)
    async with webhook.engine.connect() as connection:
        tenants = (
            (await connection.execute(select(messages.c.tenant_id).execution_options(**UNSCOPED)))
            .scalars()
            .all()
        )
    assert [str(t) for t in tenants] == [owner.tenant_id]


async def test_unroutable_events_are_parked_then_processed_once_the_instance_exists(
    webhook: WebhookApi,
) -> None:
    response = await webhook.post(samples.message_inbound(instance="later-01"))
    assert response.json() == {"accepted": 1, "duplicates": 0}
    [row] = await webhook.inbox()
    assert row.status == "unroutable"
    assert row.tenant_id is None
    metrics = (await webhook.http.get("/metrics")).text
    assert 'inbound_inbox_depth{status="unroutable"}' in metrics

    account = await webhook.tenant("late")
    await webhook.add_instance(account.tenant_id, "later-01")
    await _settled(webhook)
    [row] = await webhook.inbox()
    assert str(row.tenant_id) == account.tenant_id
    assert await webhook.message_count(samples.MESSAGE_ID) == 1


async def test_an_ack_before_its_message_is_deferred_then_re_armed(webhook: WebhookApi) -> None:
    account = await webhook.tenant("acks")
    await webhook.add_instance(account.tenant_id, BROKER_ID)
    ack = samples.messages_update(
        samples.ack(samples.MESSAGE_ID, "DELIVERY_ACK", from_me=True), instance=BROKER_ID
    )
    assert (await webhook.post(ack)).json()["accepted"] == 1
    await _settled(webhook, "deferred")
    [deferred] = await webhook.inbox()
    assert deferred.waiting_for == samples.MESSAGE_ID

    echo = samples.upsert(
        samples.wamessage(samples.TEXT, from_me=True), instance=BROKER_ID, upsert_type="append"
    )
    assert (await webhook.post(echo)).json()["accepted"] == 1
    await _settled(webhook)
    rows = {row.kind: row for row in await webhook.inbox()}
    assert rows["ack"].last_error is None
    assert rows["ack"].waiting_for is None
    async with webhook.engine.connect() as connection:
        status = await connection.scalar(select(messages.c.status).execution_options(**UNSCOPED))
    assert status == "DELIVERED"


async def test_a_deleted_instance_drops_its_events_as_ignored(webhook: WebhookApi) -> None:
    account = await webhook.tenant("gone")
    instance = await webhook.add_instance(account.tenant_id, BROKER_ID)
    instance.deleted_at = datetime.now(UTC)
    async with SqlUnitOfWork(webhook.engine) as uow:
        await uow.instances.update(instance.tenant_id, instance)
        await uow.commit()
    response = await webhook.post(samples.message_inbound(instance=BROKER_ID))
    assert response.json() == {"accepted": 0, "duplicates": 0}
    assert await webhook.inbox() == []
    metrics = (await webhook.http.get("/metrics")).text
    assert (
        'whatsapp_webhook_events_total{reason="instance_deleted",result="ignored"} 1.0' in metrics
    )


async def test_admins_list_and_replay_only_their_own_rows(webhook: WebhookApi) -> None:
    acme = await webhook.tenant("acme")
    rival = await webhook.tenant("rival")
    await webhook.add_instance(acme.tenant_id, BROKER_ID)
    await webhook.post(samples.message_inbound(instance=BROKER_ID))
    await webhook.post(samples.message_inbound(instance="nobody"))
    await webhook.eventually(lambda: _has_done(webhook))

    own = await webhook.http.get("/api/admin/inbox", headers=acme.headers)
    assert own.status_code == 200
    [item] = own.json()["items"]
    assert item["status"] == "done"
    assert item["brokerId"] == BROKER_ID
    done = await webhook.http.get("/api/admin/inbox?status=done", headers=rival.headers)
    assert done.json()["items"] == []
    failed = await webhook.http.get("/api/admin/inbox?status=failed", headers=acme.headers)
    assert failed.json()["items"] == []

    stolen = await webhook.http.post(f"/api/admin/inbox/{item['id']}/replay", headers=rival.headers)
    assert stolen.status_code == 404
    replayed = await webhook.http.post(
        f"/api/admin/inbox/{item['id']}/replay", headers=acme.headers
    )
    assert replayed.status_code == 200
    await webhook.eventually(lambda: _has_done(webhook))
    assert await webhook.message_count(samples.MESSAGE_ID) == 1
    anonymous = await webhook.http.get("/api/admin/inbox")
    assert anonymous.status_code == 401


async def _has_done(api: WebhookApi) -> bool:
    return "done" in await api.statuses()
