"""Webhook ingest benchmark on PostgreSQL; prints figures, asserts nothing.

One `leadengine serve` process (worker off, bench endpoint on) on a fresh database, 64
concurrent senders with realistic signed 1-2 KB bodies:

- (h) requests/s of the bare endpoint of the same app (reads the body, answers 202);
- (b) webhook events/s accepted (authenticated, parsed, routed, committed to the inbox);
- (a) the raw DB ceiling: the same inbox rows inserted with plain psycopg, batched, same
      durability (each batch committed, synchronous_commit on);
- (c) events/s applied end to end into message rows by `leadengine worker` processes, offered
      at half of (b), and the p99 webhook-to-message latency.

Targets: (b)/(h) >= 0.5, (c) >= 1,000/s, p99 <= 250 ms.

    uv run python scripts/bench/ingest.py [--server-url postgresql://postgres@127.0.0.1:5432/postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import os
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import httpx
import psycopg
from leadengine_api.features.inbound.envelopes import Source, parse_body
from leadengine_api.testing import free_port, register_tenant
from leadengine_core.instances import WhatsAppInstance
from leadengine_integrations.normalize import samples
from leadengine_storage import migrate
from leadengine_storage.engine import create_engine
from leadengine_storage.unit_of_work import SqlUnitOfWork
from sqlalchemy.engine import make_url

KEY = "bench-webhook-key"
SECRET = "bench-webhook-secret"  # noqa: S105 (benchmark only)
BROKER_ID = "bench-01"
SENDERS = 64
WEBHOOK = "/api/integrations/whatsapp/webhook"
BASELINE = "/api/bench/webhook-baseline"
ONE_CONNECTION = httpx.Limits(max_connections=1, max_keepalive_connections=1)


def body(number: int, run: str) -> bytes:
    """A realistic contract event of about 1.5 KB with a unique message id."""
    event = samples.message_inbound(
        message_id=f"{run}-{number:08d}",
        chat_id=f"5531{number % 5000:09d}@s.whatsapp.net",
        phone=f"+5531{number % 5000:09d}",
        text="Olá! Gostaria de saber o status do meu pedido e do boleto. " * 12,
        instance=BROKER_ID,
    )
    return json.dumps(event).encode()


def signed(content: bytes) -> dict[str, str]:
    signature = hmac.new(SECRET.encode(), content, hashlib.sha256).hexdigest()
    return {"Content-Type": "application/json", "X-API-Key": KEY, "X-Signature": signature}


async def blast(
    base: str,
    path: str,
    seconds: float,
    run: str,
    rate: float | None = None,
    sent_at: dict[str, float] | None = None,
) -> tuple[int, float]:
    """64 senders for `seconds` (optionally paced to `rate` requests/s); returns (ok, rate).

    Each sender has its own client holding one keep-alive connection: one client shared by 64
    senders spends most of its CPU scanning its pool (httpcore checks every pooled connection
    on each request), CPU this machine's server and database then lack.
    """
    counter = iter(range(10**9))
    ok = 0
    clients = [
        httpx.AsyncClient(base_url=base, timeout=30, limits=ONE_CONNECTION) for _ in range(SENDERS)
    ]
    started = time.perf_counter()
    deadline = started + seconds
    interval = SENDERS / rate if rate else 0.0

    async def sender(http: httpx.AsyncClient) -> None:
        nonlocal ok
        next_at = time.perf_counter()
        while time.perf_counter() < deadline:
            number = next(counter)
            content = body(number, run)
            try:
                response = await http.post(path, content=content, headers=signed(content))
            except httpx.HTTPError as error:
                print(f"send failed: {type(error).__name__}", file=sys.stderr)
                continue
            if response.status_code == 202:
                ok += 1
                if sent_at is not None:
                    sent_at[f"{run}-{number:08d}"] = time.time()
            if interval:
                next_at += interval
                await asyncio.sleep(max(0.0, next_at - time.perf_counter()))

    await asyncio.gather(*(sender(http) for http in clients))
    elapsed = time.perf_counter() - started
    for http in clients:
        await http.aclose()
    return ok, ok / elapsed


def raw_ceiling(libpq: str, tenant_id: uuid.UUID, rows: int, batch: int = 64) -> float:
    """The inbox insert the webhook does, without the app: rows/s over 8 connections."""
    payloads = [
        (parsed.item.dedupe_key, parsed.payload)
        for number in range(rows)
        for parsed in parse_body(Source.BROKER, json.loads(body(number, "raw")))
    ]
    chunks = [payloads[i : i + batch] for i in range(0, len(payloads), batch)]

    def insert(part: list[list[tuple[str | None, str]]]) -> None:
        with psycopg.connect(libpq) as connection:
            for chunk in part:
                now = datetime.now(UTC)
                with connection.cursor() as cursor:
                    cursor.executemany(
                        "INSERT INTO inbound_inbox (id, tenant_id, broker_id, dedupe_key, source,"
                        " kind, payload, status, attempts, available_at, received_at)"
                        " VALUES (%s, %s, %s, %s, 'broker', 'message', %s, 'done', 0, %s, %s)"
                        " ON CONFLICT (dedupe_key) DO NOTHING",
                        [(uuid.uuid4(), tenant_id, BROKER_ID, k, p, now, now) for k, p in chunk],
                    )
                connection.commit()

    import concurrent.futures

    started = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        list(pool.map(insert, [chunks[i::8] for i in range(8)]))
    return len(payloads) / (time.perf_counter() - started)


def start(command: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)


async def wait_until(check: Callable[[], Awaitable[bool]], within: float) -> None:
    for _ in range(int(within / 0.25)):
        if await check():
            return
        await asyncio.sleep(0.25)


async def main(server_url: str, seconds: float, workers: int) -> None:
    name = f"leadengine_bench_ingest_{uuid.uuid4().hex[:8]}"
    admin = make_url(server_url).set(drivername="postgresql")
    admin_libpq = admin.render_as_string(hide_password=False)
    with psycopg.connect(admin_libpq, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    database = admin.set(database=name)
    url = database.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    libpq = database.render_as_string(hide_password=False)
    processes: list[subprocess.Popen[bytes]] = []
    try:
        await asyncio.to_thread(migrate.upgrade, url)
        port = free_port()
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "WHATSAPP_WEBHOOK_API_KEY": KEY,
            "WHATSAPP_WEBHOOK_HMAC_SECRET": SECRET,
            "WEBHOOK_BENCH_ENDPOINT": "true",
            "RUN_WORKER_IN_PROCESS": "false",
            "RATE_LIMIT_MAX_REQUESTS": "1000000",
            "DATABASE_CONNECTION_LIMIT": "32",
            "LOG_LEVEL": "warning",
        }
        processes.append(start(["leadengine", "serve", "--port", str(port)], env))
        base = f"http://127.0.0.1:{port}"
        async with httpx.AsyncClient(base_url=base, timeout=30) as http:
            await wait_until(lambda: _up(http), 60)
            account = await register_tenant(http, "bench")
            engine = create_engine(url)
            now = datetime.now(UTC)
            instance = WhatsAppInstance(
                tenant_id=uuid.UUID(account.tenant_id),
                id=uuid.uuid4(),
                broker_id=BROKER_ID,
                name=BROKER_ID,
                created_at=now,
                updated_at=now,
            )
            async with SqlUnitOfWork(engine) as uow:
                await uow.instances.add(instance.tenant_id, instance)
                await uow.commit()

            await blast(base, BASELINE, 2, "warm")
            _, h = await blast(base, BASELINE, seconds, "h")
            b_ok, b = await blast(base, WEBHOOK, seconds, "b")
            a = await asyncio.to_thread(raw_ceiling, libpq, instance.tenant_id, b_ok or 5000)

            sent_at: dict[str, float] = {}
            for _ in range(workers):
                processes.append(start(["leadengine", "worker", "--concurrency", "2"], env))
            _, offered = await blast(base, WEBHOOK, seconds, "c", rate=b / 2, sent_at=sent_at)
            c_started = time.perf_counter() - seconds
            await wait_until(lambda: _applied(libpq, len(sent_at)), 600)
            c_elapsed = time.perf_counter() - c_started
            latencies = _latencies(libpq, sent_at)
            await engine.dispose()

        applied = len(latencies)
        c = applied / c_elapsed
        p99 = statistics.quantiles(latencies, n=100)[98] if len(latencies) > 1 else float("nan")
        print(f"(h) bare endpoint           {h:10.0f} requests/s")
        print(f"(b) webhook accepted        {b:10.0f} events/s")
        print(f"(a) raw DB insert ceiling   {a:10.0f} rows/s")
        print(
            f"(c) applied end to end      {c:10.0f} events/s "
            f"(offered {offered:.0f}/s, {applied} events)"
        )
        print(f"    webhook->message p50    {statistics.median(latencies) * 1000:10.0f} ms")
        print(f"    webhook->message p99    {p99 * 1000:10.0f} ms")
        print(f"(b)/(h) = {b / h:.2f} (target >= 0.5)   (b)/(a) = {b / a:.2f}")
        print("(c) target >= 1000/s, p99 target <= 250 ms")
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=30)
        with psycopg.connect(admin_libpq, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def _up(http: httpx.AsyncClient) -> bool:
    try:
        return (await http.get("/healthz")).status_code < 500
    except httpx.HTTPError:
        return False


async def _applied(libpq: str, expected: int) -> bool:
    async with await psycopg.AsyncConnection.connect(libpq) as connection:
        cursor = await connection.execute(
            "SELECT count(*) FROM messages WHERE provider_message_id LIKE 'c-%'"
        )
        row = await cursor.fetchone()
    return row is not None and row[0] >= expected


def _latencies(libpq: str, sent_at: dict[str, float]) -> list[float]:
    with psycopg.connect(libpq) as connection:
        rows = connection.execute(
            "SELECT provider_message_id, created_at FROM messages"
            " WHERE provider_message_id LIKE 'c-%'"
        ).fetchall()
    return [
        max(0.0, created.timestamp() - sent_at[provider_id])
        for provider_id, created in rows
        if provider_id in sent_at
    ]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--workers", type=int, default=2, help="`leadengine worker` processes")
    arguments = parser.parse_args()
    asyncio.run(main(arguments.server_url, arguments.seconds, arguments.workers))
    sys.exit(0)
