"""The `leadengine` command: serve the API, migrate the database, check a deployment."""

from __future__ import annotations

import argparse
import asyncio
import gc
import sys
from collections.abc import Sequence
from uuid import UUID

from leadengine_shared.logging import configure_logging
from leadengine_shared.settings import ConfigurationError, Environment, Settings, load_settings
from leadengine_shared.tracing import configure_tracing

__all__ = ["main"]


def _serve(settings: Settings, args: argparse.Namespace) -> int:
    import uvicorn

    from leadengine_api.app import create_app

    configure_tracing(settings, component="api")
    app = create_app(settings)
    # What exists now (modules, the app) lives as long as the process. Frozen, it is no longer
    # walked by full collections, which otherwise pause every request for up to ~150 ms.
    gc.collect()
    gc.freeze()
    uvicorn.run(
        app,
        host=args.host or settings.host,
        port=args.port or settings.port,
        log_config=None,
        # The request-context middleware writes the access line (`http.request`); uvicorn's
        # own is muted by `configure_logging`, and off it is not even formatted.
        access_log=False,
        proxy_headers=True,
    )
    return 0


def _db(settings: Settings, args: argparse.Namespace) -> int:
    from leadengine_storage import migrate

    if args.db_command == "upgrade":
        migrate.upgrade(settings.database_url, args.revision)
    elif args.db_command == "downgrade":
        migrate.downgrade(settings.database_url, args.revision)
    else:
        return asyncio.run(_seed(settings))
    return 0


async def _seed(settings: Settings) -> int:
    from leadengine_shared.runtime import SystemClock, Uuid7Ids
    from leadengine_storage.engine import create_engine
    from leadengine_storage.unit_of_work import unit_of_work_factory

    from leadengine_api.seed import DEMO, seed_demo

    if settings.environment is Environment.PRODUCTION:
        print("leadengine: refusing to seed demo credentials in production", file=sys.stderr)
        return 2
    engine = create_engine(settings.database_url)
    try:
        async with unit_of_work_factory(engine)() as uow:
            created = await seed_demo(uow, SystemClock(), Uuid7Ids())
            await uow.commit()
    finally:
        await engine.dispose()
    print(f"demo tenant {'created' if created else 'already present'}:")
    print(f"  tenantSlug={DEMO.tenant_slug}")
    print(f"  admin  {DEMO.admin_email} / {DEMO.admin_password}")
    print(f"  agent  {DEMO.agent_email} / {DEMO.agent_password}")
    print(f"  WhatsApp instance (broker session id) {DEMO.instance_broker_id}")
    return 0


def _doctor(settings: Settings, _: argparse.Namespace) -> int:
    from leadengine_api.doctor import run_checks

    return run_checks(settings)


def _openapi(_: Settings, args: argparse.Namespace) -> int:
    from pathlib import Path

    from leadengine_api.openapi import write_or_check

    stale = write_or_check(Path(args.openapi), Path(args.markdown), check=args.check)
    for path in stale:
        print(f"{'stale' if args.check else 'wrote'}: {path}")
    return 1 if (args.check and stale) else 0


def _worker(settings: Settings, args: argparse.Namespace) -> int:
    from leadengine_api.worker.commands import run_worker

    configure_tracing(settings, component="worker")
    return asyncio.run(run_worker(settings, args.concurrency))


def _inbox(settings: Settings, args: argparse.Namespace) -> int:
    from leadengine_api.worker.commands import list_inbox, replay_inbox

    if args.inbox_command == "list":
        return asyncio.run(list_inbox(settings, args.status, args.limit))
    return asyncio.run(replay_inbox(settings, args.id, args.status))


def _demo(settings: Settings, args: argparse.Namespace) -> int:
    from leadengine_api.demo import DemoPorts, run_demo

    ports = DemoPorts(args.host or settings.host, args.port or settings.port, args.broker_port)
    return run_demo(settings, ports)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="leadengine", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="serve the HTTP API")
    serve.add_argument("--host", help="interface to bind (default: HOST or 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port to bind (default: PORT or 8000)")
    serve.set_defaults(handler=_serve)

    db = commands.add_parser("db", help="database schema")
    db_commands = db.add_subparsers(dest="db_command", required=True)
    upgrade = db_commands.add_parser("upgrade", help="migrate up (default: to head)")
    upgrade.add_argument("revision", nargs="?", default="head")
    downgrade = db_commands.add_parser("downgrade", help="migrate down (default: to empty)")
    downgrade.add_argument("revision", nargs="?", default="base")
    seed = db_commands.add_parser("seed", help="create the demo tenant (development only)")
    seed.add_argument("--demo", action="store_true", required=True, help="the demo tenant")
    db.set_defaults(handler=_db)

    openapi = commands.add_parser(
        "openapi", help="write the OpenAPI, AsyncAPI and Markdown API documents"
    )
    openapi.add_argument(
        "--openapi", default="packages/contracts/src/leadengine_contracts/openapi.json"
    )
    openapi.add_argument("--markdown", default="docs/api/README.md")
    openapi.add_argument("--check", action="store_true", help="fail when a file is stale")
    openapi.set_defaults(handler=_openapi)

    worker = commands.add_parser(
        "worker", help="run the inbound and outbound workers (no HTTP server)"
    )
    worker.add_argument("--concurrency", type=int, default=1, help="loops (PostgreSQL only)")
    worker.set_defaults(handler=_worker)

    inbox = commands.add_parser("inbox", help="inspect and replay the inbound inbox")
    inbox_commands = inbox.add_subparsers(dest="inbox_command", required=True)
    inbox_list = inbox_commands.add_parser("list", help="newest rows first")
    inbox_list.add_argument("--status", help="only rows in this status (e.g. failed)")
    inbox_list.add_argument("--limit", type=int, default=50)
    inbox_replay = inbox_commands.add_parser("replay", help="queue rows again")
    chosen = inbox_replay.add_mutually_exclusive_group(required=True)
    chosen.add_argument("--id", type=UUID, help="one row")
    chosen.add_argument("--status", help="every row in this status (e.g. failed)")
    inbox.set_defaults(handler=_inbox)

    demo = commands.add_parser(
        "demo", help="the embedded demo: migrate, seed, API + broker simulator (make run)"
    )
    demo.add_argument("--host", help="interface for both (default: HOST or 127.0.0.1)")
    demo.add_argument("--port", type=int, help="API port (default: PORT or 8000)")
    demo.add_argument("--broker-port", type=int, default=8081, help="simulator port")
    demo.set_defaults(handler=_demo)

    doctor = commands.add_parser("doctor", help="check this machine and configuration")
    doctor.set_defaults(handler=_doctor)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = load_settings()
    except ConfigurationError as exc:
        print(f"leadengine: {exc}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level)
    return int(args.handler(settings, args))


if __name__ == "__main__":
    sys.exit(main())
