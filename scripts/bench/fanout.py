"""Realtime fan-out benchmark on PostgreSQL; prints figures, asserts nothing.

500 Socket.IO clients (10 per tenant, 50 tenants, driven from a few client processes) listen
while signed inbound webhooks arrive at a fixed 200 events/s for 30 s, spread round-robin over
the tenants' instances. Each `messages.new` a socket receives is timed against the moment its
webhook was posted (same machine, same wall clock):

- (1) one `leadengine serve` (PostgreSQL, in-process worker, in-memory Socket.IO);
- (2) two `leadengine serve` processes (sockets and webhooks split between them) plus one
      `leadengine worker`, fanned out through Redis;
- (3) the RSS of one API process with 1,000 sockets connected.

Before the first phase each tenant's 20 customers write once (their contacts, tickets and
leads exist, as in a live inbox) and the database's statistics are refreshed, as autovacuum
keeps them on a live database.

The load generators run on uvloop and post with aiohttp, so that they take as little as they
can of the two cores the server shares with them. Latency counts from the moment a webhook was
due (open loop), including any wait for a free connection.

Targets: p99 <= 100 ms single process, two-process p99 <= 1.5x single, RSS <= 250 MB.

    uv run python scripts/bench/fanout.py [--server-url postgresql://postgres@127.0.0.1:5432/postgres]
        [--redis-url redis://127.0.0.1:6379/0] [--seconds 30] [--rate 200]
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
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import httpx
import psycopg
import uvloop
from leadengine_api.testing import free_port, register_tenant
from leadengine_core.instances import WhatsAppInstance
from leadengine_integrations.normalize import samples
from leadengine_storage import migrate
from leadengine_storage.engine import create_engine
from leadengine_storage.unit_of_work import SqlUnitOfWork
from sqlalchemy.engine import make_url

KEY = "bench-webhook-key"
SECRET = "bench-webhook-secret"  # noqa: S105 (benchmark only)
JWT_SECRET = "bench-jwt-secret-" + "x" * 32
WEBHOOK = "/api/integrations/whatsapp/webhook"
TENANTS = 50
SOCKETS_PER_TENANT = 10
CUSTOMERS_PER_TENANT = 20
CLIENT_PROCESSES = 4
CONNECTS_AT_ONCE = 20
MAX_IN_FLIGHT = 128


# --- client processes: `fanout.py --client` reads its sockets on stdin -----------------------


async def _client_main() -> None:
    """Connect the sockets given on stdin, say READY, record every `messages.new` arrival until
    STOP, then print {providerMessageId: [arrival, …]} as one JSON line."""
    import socketio  # type: ignore[import-untyped]

    spec = json.loads(sys.stdin.readline())
    arrivals: dict[str, list[float]] = {}
    clients: list[Any] = []

    async def on_new(data: dict[str, Any]) -> None:
        arrivals.setdefault(str(data.get("providerMessageId")), []).append(time.time())

    async def connect(url: str, token: str) -> None:
        client = socketio.AsyncClient(reconnection=False)
        client.on("messages.new", on_new)
        try:
            await client.connect(url, auth={"token": token}, transports=["websocket"])
        except Exception as error:
            print(f"connect failed: {type(error).__name__}", file=sys.stderr)
            return
        clients.append(client)

    sockets: list[list[str]] = spec["sockets"]
    for start in range(0, len(sockets), CONNECTS_AT_ONCE):
        await asyncio.gather(*(connect(u, t) for u, t in sockets[start : start + CONNECTS_AT_ONCE]))
    print(f"READY {len(clients)}", flush=True)
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, sys.stdin.readline)  # STOP
    print(json.dumps(arrivals), flush=True)
    await asyncio.gather(*(client.disconnect() for client in clients), return_exceptions=True)


@dataclass
class ClientGroup:
    """The client processes holding one set of sockets."""

    processes: list[subprocess.Popen[str]] = field(default_factory=list)
    connected: int = 0

    @classmethod
    async def start(cls, sockets: Sequence[tuple[str, str]], processes: int) -> ClientGroup:
        group = cls()
        for index in range(processes):
            part = sockets[index::processes]
            process = subprocess.Popen(  # noqa: ASYNC220 (started once, before timing)
                [sys.executable, __file__, "--client"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
            )
            assert process.stdin is not None
            process.stdin.write(json.dumps({"sockets": [list(s) for s in part]}) + "\n")
            process.stdin.flush()
            group.processes.append(process)
        for process in group.processes:
            assert process.stdout is not None
            line = await asyncio.to_thread(process.stdout.readline)
            group.connected += int(line.split()[1]) if line.startswith("READY") else 0
        return group

    async def stop(self) -> dict[str, list[float]]:
        arrivals: dict[str, list[float]] = {}
        for process in self.processes:
            assert process.stdin is not None
            process.stdin.write("STOP\n")
            process.stdin.flush()
        for process in self.processes:
            assert process.stdout is not None
            line = await asyncio.to_thread(process.stdout.readline)
            for key, times in json.loads(line or "{}").items():
                arrivals.setdefault(key, []).extend(times)
        for process in self.processes:
            await asyncio.to_thread(process.wait, 30)
        return arrivals


# --- the driver ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Tenant:
    broker_id: str
    token: str


def body(number: int, run: str, tenant: Tenant) -> bytes:
    """A text from one of the tenant's 20 customers: conversations go on, some start."""
    customer = (number // TENANTS) % CUSTOMERS_PER_TENANT
    event = samples.message_inbound(
        message_id=f"{run}-{number:07d}",
        chat_id=f"5531{customer:09d}@s.whatsapp.net",
        phone=f"+5531{customer:09d}",
        text="Olá! Qual o status do meu pedido?",
        instance=tenant.broker_id,
    )
    return json.dumps(event).encode()


def signed(content: bytes) -> dict[str, str]:
    signature = hmac.new(SECRET.encode(), content, hashlib.sha256).hexdigest()
    return {"Content-Type": "application/json", "X-API-Key": KEY, "X-Signature": signature}


async def offer(
    bases: Sequence[str], tenants: Sequence[Tenant], run: str, rate: float, seconds: float
) -> tuple[dict[str, float], list[float]]:
    """Post webhooks at a fixed rate (open loop), round-robin over tenants and API processes;
    returns when each was posted and how long each answer took.

    aiohttp rather than httpx: at 200 requests/s httpx's pool spent most of a core here, on the
    same two cores as the server being measured. Idle connections are dropped before uvicorn's
    5 s keep-alive ends, so a post never races the server closing its connection."""
    connector = aiohttp.TCPConnector(limit=MAX_IN_FLIGHT, keepalive_timeout=4)
    timeout = aiohttp.ClientTimeout(total=30)
    sent_at: dict[str, float] = {}
    answered: list[float] = []
    tasks: list[asyncio.Task[None]] = []

    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as http:

        async def post(number: int) -> None:
            content = body(number, run, tenants[number % len(tenants)])
            url = bases[number % len(bases)] + WEBHOOK
            posted = time.time()
            try:
                async with http.post(url, data=content, headers=signed(content)) as response:
                    await response.read()
            except (aiohttp.ClientError, TimeoutError) as error:
                print(f"webhook failed: {type(error).__name__}", file=sys.stderr)
                return
            if response.status == 202:
                sent_at[f"{run}-{number:07d}"] = posted
                answered.append(time.time() - posted)

        started = time.perf_counter()
        for number in range(int(rate * seconds)):
            await asyncio.sleep(max(0.0, started + number / rate - time.perf_counter()))
            tasks.append(asyncio.create_task(post(number)))
        await asyncio.gather(*tasks)
    return sent_at, answered


def start(command: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)


async def wait_until(check: Callable[[], Awaitable[bool]], within: float) -> bool:
    for _ in range(int(within / 0.25)):
        if await check():
            return True
        await asyncio.sleep(0.25)
    return False


async def _up(base: str) -> bool:
    try:
        async with httpx.AsyncClient(base_url=base, timeout=5) as http:
            return (await http.get("/healthz")).status_code < 500
    except httpx.HTTPError:
        return False


async def _inbox_drained(libpq: str) -> bool:
    async with await psycopg.AsyncConnection.connect(libpq) as connection:
        cursor = await connection.execute(
            "SELECT count(*) FROM inbound_inbox WHERE status IN ('pending', 'processing')"
        )
        row = await cursor.fetchone()
    return row is not None and row[0] == 0


def _stored_latencies(libpq: str, run: str, sent_at: dict[str, float]) -> list[float]:
    """Webhook posted -> message row created (the worker's part, before any emit)."""
    with psycopg.connect(libpq) as connection:
        rows = connection.execute(
            "SELECT provider_message_id, created_at FROM messages"
            " WHERE provider_message_id LIKE %s",
            (f"{run}-%",),
        ).fetchall()
    return [
        max(0.0, created.timestamp() - sent_at[provider_id])
        for provider_id, created in rows
        if provider_id in sent_at
    ]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(values: Sequence[float], q: int) -> float:
    if len(values) < 2:
        return float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


@dataclass
class Figures:
    name: str
    offered: int = 0
    accepted: int = 0
    deliveries: int = 0
    expected: int = 0
    p50: float = float("nan")
    p99: float = float("nan")
    webhook_p99: float = float("nan")
    stored_p50: float = float("nan")
    stored_p99: float = float("nan")
    cpu: dict[str, float] = field(default_factory=dict)

    def show(self) -> None:
        print(
            f"{self.name}: {self.accepted}/{self.offered} webhooks accepted, "
            f"{self.deliveries}/{self.expected} socket deliveries"
        )
        print(
            f"    webhook->client p50 {self.p50 * 1000:7.1f} ms   p99 {self.p99 * 1000:7.1f} ms"
            f"   (webhook answer p99 {self.webhook_p99 * 1000:.1f} ms)"
        )
        print(
            f"    webhook->message row committed p50 {self.stored_p50 * 1000:7.1f} ms"
            f"   p99 {self.stored_p99 * 1000:7.1f} ms"
        )
        usage = ", ".join(f"{name} {share:.0f}%" for name, share in self.cpu.items())
        print(f"    CPU during the run (100% = one core): {usage}")


async def run_phase(
    name: str,
    bases: Sequence[str],
    pids: dict[str, int],
    tenants: Sequence[Tenant],
    libpq: str,
    rate: float,
    seconds: float,
) -> Figures:
    sockets = [
        (bases[index % len(bases)], tenant.token)
        for tenant in tenants
        for index in range(SOCKETS_PER_TENANT)
    ]
    group = await ClientGroup.start(sockets, CLIENT_PROCESSES)
    run = f"{name[:1]}{uuid.uuid4().hex[:6]}"
    figures = Figures(name)
    cpu_before = {label: cpu_seconds(pid) for label, pid in pids.items()}
    started = time.perf_counter()
    sent_at, answered = await offer(bases, tenants, run, rate, seconds)
    await wait_until(lambda: _inbox_drained(libpq), 600)
    await asyncio.sleep(2)  # the last emits travel
    elapsed = time.perf_counter() - started
    figures.cpu = {
        label: 100 * (cpu_seconds(pid) - cpu_before[label]) / elapsed for label, pid in pids.items()
    }
    arrivals = await group.stop()
    latencies = [
        max(0.0, arrived - sent_at[key])
        for key, times in arrivals.items()
        if key in sent_at
        for arrived in times
    ]
    figures.offered = int(rate * seconds)
    figures.accepted = len(sent_at)
    figures.expected = len(sent_at) * SOCKETS_PER_TENANT
    figures.deliveries = len(latencies)
    figures.p50 = statistics.median(latencies) if latencies else float("nan")
    figures.p99 = percentile(latencies, 99)
    figures.webhook_p99 = percentile(answered, 99)
    stored = _stored_latencies(libpq, run, sent_at)
    figures.stored_p50 = statistics.median(stored) if stored else float("nan")
    figures.stored_p99 = percentile(stored, 99)
    print(f"    ({group.connected} sockets connected)")
    return figures


async def seed_tenants(base: str, url: str) -> list[Tenant]:
    engine = create_engine(url)
    tenants: list[Tenant] = []
    async with httpx.AsyncClient(base_url=base, timeout=60) as http:
        for index in range(TENANTS):
            account = await register_tenant(http, f"fan{index:02d}")
            now = datetime.now(UTC)
            instance = WhatsAppInstance(
                tenant_id=uuid.UUID(account.tenant_id),
                id=uuid.uuid4(),
                broker_id=f"fan-{index:02d}",
                name=f"fan-{index:02d}",
                created_at=now,
                updated_at=now,
            )
            async with SqlUnitOfWork(engine) as uow:
                await uow.instances.add(instance.tenant_id, instance)
                await uow.commit()
            tenants.append(Tenant(instance.broker_id, account.access_token))
    await engine.dispose()
    return tenants


async def seed_customers(bases: Sequence[str], tenants: Sequence[Tenant], libpq: str) -> None:
    """One message from each customer of each tenant, applied, then ANALYZE."""
    customers = TENANTS * CUSTOMERS_PER_TENANT
    await offer(bases, tenants, "seed", rate=100, seconds=customers / 100)
    await wait_until(lambda: _inbox_drained(libpq), 600)
    with psycopg.connect(libpq, autocommit=True) as connection:
        connection.execute("ANALYZE")


async def main(server_url: str, redis_url: str, seconds: float, rate: float) -> None:
    name = f"leadengine_bench_fanout_{uuid.uuid4().hex[:8]}"
    admin = make_url(server_url).set(drivername="postgresql")
    admin_libpq = admin.render_as_string(hide_password=False)
    with psycopg.connect(admin_libpq, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    database = admin.set(database=name)
    url = database.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    libpq = database.render_as_string(hide_password=False)
    processes: list[subprocess.Popen[bytes]] = []
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "JWT_SECRET": JWT_SECRET,
        "WHATSAPP_WEBHOOK_API_KEY": KEY,
        "WHATSAPP_WEBHOOK_HMAC_SECRET": SECRET,
        "RATE_LIMIT_MAX_REQUESTS": "1000000",
        "DATABASE_CONNECTION_LIMIT": "20",
        "LOG_LEVEL": "warning",
        "OTEL_TRACES_EXPORTER": "none",
    }
    env.pop("REDIS_URL", None)

    def stop_all() -> None:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=30)
        processes.clear()

    try:
        await asyncio.to_thread(migrate.upgrade, url)

        # (1) one process, in-process worker, no Redis
        port = free_port()
        single = start(["leadengine", "serve", "--port", str(port)], env)
        processes.append(single)
        base = f"http://127.0.0.1:{port}"
        await wait_until(lambda: _up(base), 60)
        tenants = await seed_tenants(base, url)
        await seed_customers([base], tenants, libpq)
        print(f"{len(tenants)} tenants, {len(tenants) * SOCKETS_PER_TENANT} sockets, ", end="")
        print(f"{rate:.0f} webhooks/s for {seconds:.0f} s")
        one = await run_phase(
            "one process", [base], {"api": single.pid}, tenants, libpq, rate, seconds
        )
        one.show()

        # (3) RSS of that process with 1,000 sockets
        idle = rss_mb(single.pid)
        thousand = [(base, tenant.token) for tenant in tenants for _ in range(20)]
        group = await ClientGroup.start(thousand, CLIENT_PROCESSES)
        await asyncio.sleep(3)
        loaded = rss_mb(single.pid)
        await group.stop()
        print(
            f"RSS of one API process: {idle:.0f} MB after the run, {loaded:.0f} MB with "
            f"{group.connected} sockets connected (target <= 250 MB)"
        )
        stop_all()

        # (2) two API processes + one worker, Redis fan-out
        scaled = {**env, "REDIS_URL": redis_url, "RUN_WORKER_IN_PROCESS": "false"}
        ports = [free_port(), free_port()]
        apis = [start(["leadengine", "serve", "--port", str(p)], scaled) for p in ports]
        worker = start(["leadengine", "worker", "--concurrency", "2"], scaled)
        processes.extend([*apis, worker])
        bases = [f"http://127.0.0.1:{p}" for p in ports]
        for each in bases:
            await wait_until(lambda each=each: _up(each), 60)
        pids = {"api-1": apis[0].pid, "api-2": apis[1].pid, "worker": worker.pid}
        two = await run_phase(
            "two processes + worker + Redis", bases, pids, tenants, libpq, rate, seconds
        )
        two.show()
        ratio = two.p99 / one.p99 if one.p99 else float("nan")
        print(
            f"targets: single p99 <= 100 ms ({one.p99 * 1000:.1f}), "
            f"two-process p99 <= 1.5x single ({ratio:.2f}x)"
        )
    finally:
        stop_all()
        with psycopg.connect(admin_libpq, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    if sys.argv[1:] == ["--client"]:
        uvloop.run(_client_main())
        sys.exit(0)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--rate", type=float, default=200.0, help="webhook events per second")
    arguments = parser.parse_args()
    uvloop.run(main(arguments.server_url, arguments.redis_url, arguments.seconds, arguments.rate))
    sys.exit(0)
