"""Two API processes and one worker process on PostgreSQL + Redis: a socket connected to
process A hears, exactly once, the message whose webhook reached process B and which the
separate worker process applied."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
import pytest
import socketio
from leadengine_api.features.inbound.testing import (
    HMAC_SECRET,
    WEBHOOK_KEY,
    WEBHOOK_PATH,
    broker_headers,
)
from leadengine_api.testing import free_port, register_tenant
from leadengine_core.testing import EntityFactory
from leadengine_integrations.normalize import samples
from leadengine_shared.testing import redis_url as redis_url
from leadengine_storage.engine import create_engine
from leadengine_storage.testing import store_committed, truncate_all
from leadengine_storage.unit_of_work import unit_of_work_factory

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]

BROKER_ID = "sales-01"
JWT_SECRET = "scale-out-secret-" + "x" * 32
STARTUP_SECONDS = 60


def _environment(database_url: str, redis: str) -> dict[str, str]:
    return {
        **os.environ,
        "ENVIRONMENT": "test",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis,
        "JWT_SECRET": JWT_SECRET,
        "WHATSAPP_WEBHOOK_API_KEY": WEBHOOK_KEY,
        "WHATSAPP_WEBHOOK_HMAC_SECRET": HMAC_SECRET,
        "RUN_WORKER_IN_PROCESS": "false",
        "INBOUND_WORKER_POLL_SECONDS": "0.2",
        "LOG_LEVEL": "warning",
    }


def _start(args: list[str], env: dict[str, str], log: Path, stack: ExitStack) -> None:
    output = stack.enter_context(log.open("w"))
    process = subprocess.Popen(
        [sys.executable, "-m", "leadengine_api.cli", *args],
        env=env,
        stdout=output,
        stderr=subprocess.STDOUT,
    )

    def stop() -> None:
        process.terminate()
        process.wait(timeout=30)

    stack.callback(stop)


async def _ready(url: str) -> None:
    async with httpx.AsyncClient(base_url=url) as http, asyncio.timeout(STARTUP_SECONDS):
        while True:
            try:
                if (await http.get("/healthz")).status_code < 500:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)


@pytest.fixture
def cluster(postgres_database: str, redis_url: str, tmp_path: Path) -> Iterator[list[str]]:
    """Base URLs of API processes A and B; a `leadengine worker` runs beside them."""
    env = _environment(postgres_database, redis_url)
    ports = [free_port(), free_port()]
    with ExitStack() as stack:
        for name, port in zip("ab", ports, strict=True):
            _start(["serve", "--port", str(port)], env, tmp_path / f"api-{name}.log", stack)
        _start(["worker"], env, tmp_path / "worker.log", stack)
        yield [f"http://127.0.0.1:{port}" for port in ports]


@pytest.fixture
async def empty_database(postgres_database: str) -> str:
    engine = create_engine(postgres_database)
    await truncate_all(engine)
    await engine.dispose()
    return postgres_database


async def test_an_inbound_message_reaches_a_socket_on_another_process_exactly_once(
    empty_database: str, cluster: list[str]
) -> None:
    process_a, process_b = cluster
    await asyncio.gather(_ready(process_a), _ready(process_b))
    async with (
        httpx.AsyncClient(base_url=process_a, timeout=30) as api_a,
        httpx.AsyncClient(base_url=process_b, timeout=30) as api_b,
    ):
        account = await register_tenant(api_a, "acme")
        factory = EntityFactory().for_tenant(UUID(account.tenant_id))
        engine = create_engine(empty_database)
        try:
            await store_committed(
                unit_of_work_factory(engine), factory.instance(broker_id=BROKER_ID)
            )
        finally:
            await engine.dispose()

        heard: list[tuple[str, dict[str, Any]]] = []
        arrived = asyncio.Event()
        client = socketio.AsyncClient(reconnection=False)

        async def record(event: str, data: dict[str, Any]) -> None:
            heard.append((event, data))
            arrived.set()

        client.on("*", record)
        await client.connect(
            process_a, auth={"token": account.access_token}, transports=["websocket"]
        )
        try:
            body = json.dumps(samples.message_inbound(instance=BROKER_ID)).encode()
            accepted = await api_b.post(WEBHOOK_PATH, content=body, headers=broker_headers(body))
            assert accepted.status_code == 202, accepted.text

            async with asyncio.timeout(STARTUP_SECONDS):
                while not any(event == "messages.new" for event, _ in heard):
                    arrived.clear()
                    await arrived.wait()
                published = await api_b.get("/api/realtime/events", headers=account.headers)
                last_seq = published.json()["lastSeq"]
                # Everything the log holds has reached the socket: no duplicate is in flight.
                while max(data["seq"] for _, data in heard) < last_seq:
                    arrived.clear()
                    await arrived.wait()
        finally:
            await client.disconnect()

    news = [data for event, data in heard if event == "messages.new"]
    logged = [item["event"] for item in published.json()["items"]]
    assert len(news) == 1
    assert news[0]["tenantId"] == account.tenant_id
    assert news[0]["providerMessageId"] == samples.MESSAGE_ID
    assert logged.count("messages.new") == 1
    delivered = sorted(data["seq"] for _, data in heard if data["seq"] <= last_seq)
    assert delivered == list(range(1, last_seq + 1))
