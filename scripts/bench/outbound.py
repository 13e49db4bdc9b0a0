"""Outbound benchmark against the broker simulator; prints figures, asserts nothing.

The API (with its in-process outbound and inbound workers) and the simulator run on loopback
in this process, on a fresh database (a temporary SQLite file unless `--database-url`):

- accepted/s: `POST /api/tickets/{id}/messages` answered 202 by the API (`--clients` at once);
- delivered/s: the same sends confirmed SENT by the worker (first request to last SENT);
- outage: the simulator answers 503 to every call for `--outage-seconds` while sends keep
  arriving at `--rate`/s; then it recovers. Printed: broker send calls per logical send over
  the whole episode (target <= 1.5), and whether every send reached the broker exactly once.

The per-instance rate limit is raised (`--tps`) so the worker, not the limit, is measured;
the circuit cooldown is shortened (`--cooldown-ms`) so recovery fits in a short run.

    uv run python scripts/bench/outbound.py [--database-url URL] [--sends 500] [--outage-seconds 30]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import httpx
from leadengine_api.app import create_app
from leadengine_api.features.inbound.apply_ticket import default_queue
from leadengine_api.testing import register_tenant, serve
from leadengine_core.contacts import Contact
from leadengine_core.instances import InstanceStatus, WhatsAppInstance
from leadengine_core.phone import phone_identity
from leadengine_core.tickets import Ticket
from leadengine_integrations.simulator import SimulatorConfig, run_simulator
from leadengine_integrations.simulator.server import RunningSimulator
from leadengine_shared.runtime import Uuid7Ids
from leadengine_shared.settings import load_settings
from leadengine_storage import migrate, outbox
from leadengine_storage.engine import create_engine
from leadengine_storage.testing import truncate_all
from leadengine_storage.unit_of_work import SqlUnitOfWork
from sqlalchemy.ext.asyncio import AsyncEngine

BROKER_KEY = "bench-broker-key"
WEBHOOK_KEY = "bench-webhook-key"
CUSTOMER = "+5511988887777"
SEND_PATHS = {"send-text", "send-media", "send-poll"}


async def seed(engine: AsyncEngine, tenant: str, broker_id: str) -> str:
    """An instance (connected), a contact and its open ticket; returns the ticket id."""
    ids, now, tenant_id = Uuid7Ids(), datetime.now(UTC), uuid.UUID(tenant)
    async with SqlUnitOfWork(engine) as uow:
        instance = WhatsAppInstance(
            tenant_id=tenant_id,
            id=ids.new_id(),
            broker_id=broker_id,
            name=broker_id,
            created_at=now,
            updated_at=now,
            status=InstanceStatus.CONNECTED,
        )
        await uow.instances.add(tenant_id, instance)
        contact = Contact(
            tenant_id=tenant_id,
            id=ids.new_id(),
            created_at=now,
            updated_at=now,
            primary_phone=CUSTOMER,
            phone_identities={phone_identity(CUSTOMER)},
        )
        await uow.contacts.add(tenant_id, contact)
        queue = await default_queue(uow, ids, tenant_id, now)
        ticket = Ticket(
            tenant_id=tenant_id,
            id=ids.new_id(),
            contact_id=contact.id,
            queue_id=queue.id,
            created_at=now,
            updated_at=now,
            instance_id=instance.id,
        )
        await uow.tickets.add(tenant_id, ticket)
        await uow.commit()
    return str(ticket.id)


async def sent_count(engine: AsyncEngine, tenant: str) -> int:
    async with engine.connect() as connection:
        counts = await outbox.count_by_status(connection, uuid.UUID(tenant))
    return counts.get("done", 0)


async def wait_for_sent(engine: AsyncEngine, tenant: str, target: int, limit: float) -> float:
    """Seconds until `target` sends are done (or `limit`)."""
    started = time.perf_counter()
    while await sent_count(engine, tenant) < target:
        if time.perf_counter() - started > limit:
            break
        await asyncio.sleep(0.05)
    return time.perf_counter()


def send_calls(sim: RunningSimulator) -> int:
    return sum(
        1 for request in sim.state.requests("POST") if request.path.rsplit("/", 1)[-1] in SEND_PATHS
    )


async def throughput(
    http: httpx.AsyncClient,
    engine: AsyncEngine,
    tenant: str,
    ticket: str,
    headers: dict[str, str],
    sends: int,
    clients: int,
) -> None:
    gate = asyncio.Semaphore(clients)

    async def one(n: int) -> int:
        async with gate:
            response = await http.post(
                f"/api/tickets/{ticket}/messages",
                json={"payload": {"type": "text", "text": f"bench #{n}"}},
                headers={**headers, "Idempotency-Key": f"tp-{n}"},
            )
            return response.status_code

    started = time.perf_counter()
    statuses = await asyncio.gather(*(one(n) for n in range(sends)))
    accepted_at = time.perf_counter()
    done_at = await wait_for_sent(engine, tenant, sends, limit=600)
    accepted = statuses.count(202)
    print(f"accepted: {accepted}/{sends} in {accepted_at - started:.2f}s", end=" ")
    print(f"= {accepted / (accepted_at - started):.0f} sends/s")
    delivered = await sent_count(engine, tenant)
    print(f"delivered (SENT): {delivered} in {done_at - started:.2f}s", end=" ")
    print(f"= {delivered / (done_at - started):.0f} sends/s")


async def outage(
    http: httpx.AsyncClient,
    sim: RunningSimulator,
    engine: AsyncEngine,
    tenant: str,
    ticket: str,
    headers: dict[str, str],
    seconds: float,
    rate: float,
) -> None:
    before_done, before_calls = await sent_count(engine, tenant), send_calls(sim)
    before_sends = len(sim.state.sends())
    sim.state.set_faults(down=True)
    started, issued = time.perf_counter(), 0
    while time.perf_counter() - started < seconds:
        response = await http.post(
            f"/api/tickets/{ticket}/messages",
            json={"payload": {"type": "text", "text": f"outage #{issued}"}},
            headers={**headers, "Idempotency-Key": f"out-{issued}"},
        )
        issued += response.status_code == 202
        await asyncio.sleep(max(0.0, started + issued / rate - time.perf_counter()))
    calls_during = send_calls(sim) - before_calls
    sim.state.clear_faults()
    recovered = time.perf_counter()
    done_at = await wait_for_sent(engine, tenant, before_done + issued, limit=600)
    calls = send_calls(sim) - before_calls
    delivered = len(sim.state.sends()) - before_sends
    ids = [send.provider_id for send in sim.state.sends()[before_sends:]]
    print(f"outage: {issued} sends accepted during {seconds:.0f}s of broker 503s")
    print(f"  broker send calls during the outage: {calls_during}")
    print(f"  delivered after recovery: {delivered} in {done_at - recovered:.2f}s", end=" ")
    print(f"(each exactly once: {len(set(ids)) == delivered == issued})")
    print(f"  broker calls per logical send: {calls / max(issued, 1):.3f} (target <= 1.5)")


async def main(args: argparse.Namespace) -> None:
    database_url = args.database_url
    if database_url is None:
        folder = Path(tempfile.mkdtemp(prefix="outbound-bench-"))
        database_url = f"sqlite+aiosqlite:///{folder / 'bench.db'}"
    await asyncio.to_thread(migrate.upgrade, database_url)
    engine = create_engine(database_url)
    await truncate_all(engine)
    async with run_simulator(
        SimulatorConfig(api_key=BROKER_KEY, webhook_api_key=WEBHOOK_KEY, seed=1)
    ) as sim:
        settings = load_settings(
            database_url=database_url,
            environment="test",
            jwt_secret="bench-" + "x" * 40,
            whatsapp_broker_url=sim.url,
            whatsapp_broker_api_key=BROKER_KEY,
            whatsapp_webhook_api_key=WEBHOOK_KEY,
            whatsapp_outbound_circuit_cooldown_ms=args.cooldown_ms,
            outbound_tps_default=args.tps,
            outbound_worker_poll_seconds=0.05,
            outbound_retry_max_seconds=5.0,
            rate_limit_max_requests=1_000_000,
        )
        async with (
            serve(create_app(settings)) as base_url,
            httpx.AsyncClient(base_url=base_url, timeout=60) as http,
        ):
            account = await register_tenant(http, "bench")
            broker_id = "bench-sales"
            ticket = await seed(engine, account.tenant_id, broker_id)
            async with sim.client() as client:
                webhook = f"{base_url}/api/integrations/whatsapp/webhook"
                await client.create_instance(
                    account.tenant_id, broker_id, "Bench", webhook, "v", "bench-create"
                )
            await sim.scan(broker_id)
            print(
                f"database: {engine.dialect.name}; clients: {args.clients}; tps limit: {args.tps}"
            )
            await throughput(
                http, engine, account.tenant_id, ticket, account.headers, args.sends, args.clients
            )
            await outage(
                http,
                sim,
                engine,
                account.tenant_id,
                ticket,
                account.headers,
                args.outage_seconds,
                args.rate,
            )
    await engine.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="default: a temporary SQLite file")
    parser.add_argument("--sends", type=int, default=500)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--tps", type=int, default=1000, help="per-instance rate limit")
    parser.add_argument("--outage-seconds", type=float, default=30.0)
    parser.add_argument("--rate", type=float, default=10.0, help="sends/s during the outage")
    parser.add_argument("--cooldown-ms", type=int, default=5000, help="circuit cooldown")
    asyncio.run(main(parser.parse_args()))
