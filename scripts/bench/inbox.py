"""Inbox read benchmark on PostgreSQL: the API against the same SQL run directly.

Seeds one tenant with 100,000 tickets and 1,000,000 messages (other tenants too), serves the
API as a separate `leadengine serve` process, then offers a steady load (default 50
requests/s from 8 clients) to three reads and prints p50/p99 for each:

- first page:  GET /api/tickets?state=open&limit=50
- deep page:   the same list after 50,000 tickets (cursor walked through the API)
- thread tail: GET /api/tickets/{id}/messages?order=desc&limit=50 of a 10,000-message thread

and for the identical SQL statements (captured from an in-process app doing the same request)
replayed with plain psycopg at the same offered load. It prints the ratios and the query plans
(EXPLAIN ANALYZE), and flags any sequential scan.

    uv run python scripts/bench/inbox.py [--server-url URL] [--seconds 20] [--rate 50]

Seeding takes minutes; `--reuse` keeps a database this script seeded before (same --database
and --scale) instead of dropping and seeding it again.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import random
import statistics
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import psycopg
import uuid6
from leadengine_api.app import create_app
from leadengine_api.auth.passwords import hash_password
from leadengine_api.testing import free_port, serve
from leadengine_shared.settings import load_settings
from leadengine_storage import migrate, tables
from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from tqdm import tqdm

TICKETS = 100_000
MESSAGES = 1_000_000
LONG_THREAD = 10_000
DEEP_OFFSET = 50_000
OTHER_TENANTS = 3
OTHER_TICKETS = 10_000
SMALL_TENANTS = 2_000
USERS_PER_SMALL_TENANT = 5
PASSWORD = "bench-password-123"  # noqa: S105 (benchmark data)
NOW = datetime.now(UTC)


def new_id() -> uuid.UUID:
    return uuid.UUID(int=uuid6.uuid7().int)


def copy_rows(cursor: psycopg.Cursor[Any], table: Any, rows: Iterator[dict[str, Any]]) -> None:
    """COPY dict rows into `table`, filling nullable columns the row does not name with NULL."""
    first = next(rows)
    columns = [c.name for c in table.columns if c.name in first or c.nullable]
    with cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in itertools.chain([first], rows):
            copy.write_row([row.get(name) for name in columns])


@dataclass
class Seeded:
    tenant_slug: str
    email: str
    long_thread_ticket: uuid.UUID


def seed(libpq: str) -> Seeded:
    rng = random.Random(7)
    tenants_seeded: list[tuple[uuid.UUID, str, int, int]] = [(new_id(), "bench", TICKETS, MESSAGES)]
    for n in range(OTHER_TENANTS):
        tenants_seeded.append((new_id(), f"other-{n}", OTHER_TICKETS, OTHER_TICKETS * 5))
    long_thread_ticket = uuid.UUID(int=0)
    with psycopg.connect(libpq) as conn, conn.cursor() as cursor:
        for tenant_id, slug, ticket_count, message_count in tenants_seeded:
            stamp = {"created_at": NOW, "updated_at": NOW}
            copy_rows(
                cursor,
                tables.tenants,
                iter(
                    [
                        {
                            "id": tenant_id,
                            "name": slug,
                            "slug": slug,
                            "is_active": True,
                            "settings": "{}",
                            **stamp,
                        }
                    ]
                ),
            )
            user_id, queue_id = new_id(), new_id()
            copy_rows(
                cursor,
                tables.users,
                iter(
                    [
                        {
                            "id": user_id,
                            "tenant_id": tenant_id,
                            "email": f"admin@{slug}.bench",
                            "name": "Bench Admin",
                            "role": "ADMIN",
                            "is_active": True,
                            "password_hash": hash_password(PASSWORD),
                            **stamp,
                        }
                    ]
                ),
            )
            copy_rows(
                cursor,
                tables.queues,
                iter(
                    [
                        {
                            "id": queue_id,
                            "tenant_id": tenant_id,
                            "name": "Atendimento Geral",
                            "is_active": True,
                            "order_index": 0,
                            **stamp,
                        }
                    ]
                ),
            )
            contact_ids = [new_id() for _ in range(ticket_count)]
            copy_rows(
                cursor,
                tables.contacts,
                (
                    {
                        "id": cid,
                        "tenant_id": tenant_id,
                        "kind": "PERSON",
                        "name": f"Contact {i}",
                        "primary_phone": f"+55319{i:08d}",
                        "status": "ACTIVE",
                        "emails": "[]",
                        "custom_fields": "{}",
                        **stamp,
                    }
                    for i, cid in enumerate(tqdm(contact_ids, desc=f"{slug}: contacts", unit="row"))
                ),
            )
            activity = sorted(
                NOW - timedelta(seconds=rng.randint(0, 90 * 86400)) for _ in range(ticket_count)
            )
            ticket_ids = [new_id() for _ in range(ticket_count)]
            copy_rows(
                cursor,
                tables.tickets,
                (
                    {
                        "id": tid,
                        "tenant_id": tenant_id,
                        "contact_id": contact_ids[i],
                        "queue_id": queue_id,
                        "status": "OPEN" if rng.random() < 0.8 else "CLOSED",
                        "priority": "NORMAL",
                        "channel": "WHATSAPP",
                        "tags": "[]",
                        "last_message_at": activity[i],
                        "last_message_preview": "hello",
                        "last_activity_at": activity[i],
                        "unread_count": 0,
                        "metadata": "{}",
                        "created_at": activity[i] - timedelta(days=1),
                        "updated_at": activity[i],
                    }
                    for i, tid in enumerate(tqdm(ticket_ids, desc=f"{slug}: tickets", unit="row"))
                ),
            )
            if slug == "bench":
                long_thread_ticket = ticket_ids[-1]
            copy_rows(
                cursor,
                tables.messages,
                _messages(rng, tenant_id, ticket_ids, contact_ids, activity, message_count, slug),
            )
        _seed_small_tenants(cursor)
        conn.commit()
        cursor.execute("ANALYZE")
    return Seeded("bench", "admin@bench.bench", long_thread_ticket)


def _seed_small_tenants(cursor: psycopg.Cursor[Any]) -> None:
    """Many small tenants, so tenants and users are tables of realistic size (a planner
    rightly reads a four-row table sequentially, which would hide a missing index)."""
    stamp = {"created_at": NOW, "updated_at": NOW}
    tenant_ids = [new_id() for _ in range(SMALL_TENANTS)]
    copy_rows(
        cursor,
        tables.tenants,
        (
            {
                "id": tid,
                "name": f"small {n}",
                "slug": f"small-{n}",
                "is_active": True,
                "settings": "{}",
                **stamp,
            }
            for n, tid in enumerate(tenant_ids)
        ),
    )
    copy_rows(
        cursor,
        tables.users,
        (
            {
                "id": new_id(),
                "tenant_id": tid,
                "email": f"agent{k}@small-{n}.bench",
                "name": "Agent",
                "role": "AGENT",
                "is_active": True,
                "password_hash": "x",
                **stamp,
            }
            for n, tid in enumerate(tenant_ids)
            for k in range(USERS_PER_SMALL_TENANT)
        ),
    )


def _messages(
    rng: random.Random,
    tenant_id: uuid.UUID,
    ticket_ids: list[uuid.UUID],
    contact_ids: list[uuid.UUID],
    activity: list[datetime],
    total: int,
    slug: str,
) -> Iterator[dict[str, Any]]:
    """One 10,000-message thread on the newest ticket; the rest spread over the others."""
    last = len(ticket_ids) - 1
    plan = [last] * min(LONG_THREAD, total) + [
        rng.randrange(len(ticket_ids)) for _ in range(max(0, total - LONG_THREAD))
    ]
    for n, index in enumerate(tqdm(plan, desc=f"{slug}: messages", unit="row")):
        at = activity[index] - timedelta(seconds=n % 86_400)
        yield {
            "id": new_id(),
            "tenant_id": tenant_id,
            "ticket_id": ticket_ids[index],
            "contact_id": contact_ids[index],
            "direction": "INBOUND",
            "origin": "BROKER",
            "type": "TEXT",
            "status": "READ",
            "text": f"message {n}",
            "provider_message_id": f"3EB0{n:018X}",
            "edit_history": "[]",
            "reactions": "{}",
            "metadata": "{}",
            "occurred_at": at,
            "created_at": at,
            "updated_at": at,
        }


def database_urls(server_url: str, name: str) -> tuple[str, str]:
    """The SQLAlchemy URL and the libpq one of database `name` on that server."""
    url = make_url(server_url).set(database=name)
    return (
        url.render_as_string(hide_password=False),
        url.set(drivername="postgresql").render_as_string(hide_password=False),
    )


def recreate_database(server_url: str, name: str) -> None:
    admin = make_url(server_url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def already_seeded(libpq: str) -> Seeded | None:
    """The bench tenant of an earlier run, or None when the database is missing or empty.

    The long thread is the bench tenant's ticket with the most messages."""
    try:
        conn = psycopg.connect(libpq)
    except psycopg.OperationalError:
        return None
    with conn, conn.cursor() as cur:
        cur.execute("SELECT to_regclass('messages') IS NOT NULL")
        if not cur.fetchone()[0]:  # type: ignore[index]
            return None
        cur.execute(
            "SELECT m.ticket_id FROM messages m JOIN tenants t ON t.id = m.tenant_id"
            " WHERE t.slug = 'bench' GROUP BY m.ticket_id ORDER BY count(*) DESC LIMIT 1"
        )
        row = cur.fetchone()
    return Seeded("bench", "admin@bench.bench", row[0]) if row else None


async def paced(
    call: Callable[[], Awaitable[None]], *, rate: float, seconds: float, clients: int
) -> list[float]:
    """Offer `rate` calls/s spread over `clients` for `seconds`; return latencies (ms).

    Open-loop: each call is scheduled at a fixed time, so a slow answer does not slow the
    offered load (it shows up as latency instead)."""
    latencies: list[float] = []
    interval = clients / rate
    start = time.perf_counter() + 0.1

    async def client(offset: int) -> None:
        n = 0
        while (due := start + offset * interval / clients + n * interval) < start + seconds:
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            begun = time.perf_counter()
            await call()
            latencies.append((time.perf_counter() - begun) * 1000)
            n += 1

    await asyncio.gather(*(client(i) for i in range(clients)))
    return latencies


def percentiles(values: list[float]) -> tuple[float, float]:
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return cuts[49], cuts[98]


async def capture_statements(url: str, path: str, headers: dict[str, str]) -> list[tuple[str, Any]]:
    """The SQL one request runs, recorded at the DBAPI level from an in-process app."""
    settings = load_settings(
        database_url=url,
        environment="test",
        jwt_secret=JWT_SECRET,
        rate_limit_max_requests=10**9,
        run_worker_in_process=False,
    )
    statements: list[tuple[str, Any]] = []

    def record(_c: Any, _cur: Any, statement: str, parameters: Any, _ctx: Any, _m: Any) -> None:
        if statement.lstrip().upper().startswith(("SELECT", "WITH")):
            statements.append((statement, parameters))

    async with serve(create_app(settings)) as base, httpx.AsyncClient(base_url=base) as http:
        (await http.get(path, headers=headers)).raise_for_status()
        event.listen(Engine, "before_cursor_execute", record)
        try:
            (await http.get(path, headers=headers)).raise_for_status()
        finally:
            event.remove(Engine, "before_cursor_execute", record)
    return statements


JWT_SECRET = "bench-secret-" + "x" * 32


async def raw_sql_latencies(
    libpq: str, statements: list[tuple[str, Any]], *, rate: float, seconds: float, clients: int
) -> list[float]:
    pool = [await psycopg.AsyncConnection.connect(libpq, autocommit=True) for _ in range(clients)]
    free: asyncio.Queue[psycopg.AsyncConnection[Any]] = asyncio.Queue()
    for conn in pool:
        free.put_nowait(conn)

    async def call() -> None:
        conn = await free.get()
        try:
            async with conn.transaction(), conn.cursor() as cur:
                for statement, parameters in statements:
                    await cur.execute(statement, parameters)
                    await cur.fetchall()
        finally:
            free.put_nowait(conn)

    try:
        return await paced(call, rate=rate, seconds=seconds, clients=clients)
    finally:
        for conn in pool:
            await conn.close()


def explain(libpq: str, statement: str, parameters: Any) -> str:
    with psycopg.connect(libpq) as conn, conn.cursor() as cur:
        cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)
        return "\n".join(row[0] for row in cur.fetchall())


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--server-url",
        default=os.environ.get(
            "LEADENGINE_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
        ),
    )
    parser.add_argument("--database", default="leadengine_bench_inbox")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--rate", type=float, default=50.0)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--scale", type=float, default=1.0, help="shrink the data set (smoke runs)")
    parser.add_argument(
        "--reuse", action="store_true", help="keep an already seeded --database (skip seeding)"
    )
    args = parser.parse_args()
    global TICKETS, MESSAGES, LONG_THREAD, DEEP_OFFSET, OTHER_TICKETS
    TICKETS, MESSAGES = int(TICKETS * args.scale), int(MESSAGES * args.scale)
    LONG_THREAD, DEEP_OFFSET = int(LONG_THREAD * args.scale), int(DEEP_OFFSET * args.scale)
    OTHER_TICKETS = int(OTHER_TICKETS * args.scale)

    url, libpq = database_urls(args.server_url, args.database)
    seeded = await asyncio.to_thread(already_seeded, libpq) if args.reuse else None
    if seeded is None:
        recreate_database(args.server_url, args.database)
        await asyncio.to_thread(migrate.upgrade, url)
        seeded = await asyncio.to_thread(seed, libpq)

    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "ENVIRONMENT": "test",
        "JWT_SECRET": JWT_SECRET,
        "RATE_LIMIT_MAX_REQUESTS": str(10**9),
        "LOG_LEVEL": "warning",
        "RUN_WORKER_IN_PROCESS": "false",
    }
    server = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "leadengine_api.cli", "serve", "--port", str(port), env=env
    )
    base = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(base_url=base, timeout=30) as http:
            for _ in range(300):
                try:
                    if (await http.get("/ready")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.2)
            login = await http.post(
                "/api/auth/login",
                json={
                    "email": seeded.email,
                    "password": PASSWORD,
                    "tenantSlug": seeded.tenant_slug,
                },
            )
            login.raise_for_status()
            headers = {"Authorization": f"Bearer {login.json()['accessToken']}"}

            first = "/api/tickets?state=open&limit=50"
            cursor, walked = None, 0
            with tqdm(total=DEEP_OFFSET, desc="walking cursors", unit="ticket") as bar:
                while walked < DEEP_OFFSET:
                    page = (
                        await http.get(
                            first + (f"&cursor={cursor}" if cursor else ""), headers=headers
                        )
                    ).json()
                    cursor = page["nextCursor"]
                    walked += len(page["items"])
                    bar.update(len(page["items"]))
            scenarios = {
                "first page": first,
                "deep page": f"{first}&cursor={cursor}",
                "thread tail": f"/api/tickets/{seeded.long_thread_ticket}/messages"
                "?order=desc&limit=50",
            }
            results: dict[str, dict[str, tuple[float, float]]] = {}
            plans: dict[str, list[str]] = {}
            for name, path in scenarios.items():

                async def call(path: str = path) -> None:
                    (await http.get(path, headers=headers)).raise_for_status()

                api = await paced(call, rate=args.rate, seconds=args.seconds, clients=args.clients)
                statements = await capture_statements(url, path, headers)
                raw = await raw_sql_latencies(
                    libpq, statements, rate=args.rate, seconds=args.seconds, clients=args.clients
                )
                results[name] = {"api": percentiles(api), "sql": percentiles(raw)}
                plans[name] = [explain(libpq, s, p) for s, p in statements]
    finally:
        server.terminate()
        await server.wait()

    print(
        f"\noffered load {args.rate:.0f} req/s from {args.clients} clients, "
        f"{args.seconds:.0f} s per scenario; tickets={TICKETS:,} messages={MESSAGES:,}"
    )
    print(
        f"{'scenario':<12} {'API p50':>9} {'API p99':>9} {'SQL p50':>9} {'SQL p99':>9} "
        f"{'API/SQL p99':>12}"
    )
    for name, figures in results.items():
        (a50, a99), (s50, s99) = figures["api"], figures["sql"]
        print(
            f"{name:<12} {a50:>8.2f}ms {a99:>8.2f}ms {s50:>8.2f}ms {s99:>8.2f}ms "
            f"{a99 / s99:>11.2f}x"
        )
    deep_ratio = results["deep page"]["api"][1] / results["first page"]["api"][1]
    print(f"deep page / first page API p99: {deep_ratio:.2f}x (target <= 1.5)")
    worst = max(f["api"][1] / f["sql"][1] for f in results.values())
    print(f"worst API p99 / SQL p99: {worst:.2f}x (target <= 3)")
    seq_scans = 0
    for name, statement_plans in plans.items():
        print(f"\n== query plans: {name}")
        for plan in statement_plans:
            print(plan, end="\n\n")
            seq_scans += plan.count("Seq Scan")
    print(f"sequential scans in plans: {seq_scans} (target 0)")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
