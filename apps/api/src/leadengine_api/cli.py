"""The `leadengine` command: serve the API, migrate the database, check a deployment."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from leadengine_shared.logging import configure_logging
from leadengine_shared.settings import ConfigurationError, Settings, load_settings

__all__ = ["main"]


def _serve(settings: Settings, args: argparse.Namespace) -> int:
    import uvicorn

    from leadengine_api.app import create_app

    uvicorn.run(
        create_app(settings),
        host=args.host or settings.host,
        port=args.port or settings.port,
        log_config=None,
        proxy_headers=True,
    )
    return 0


def _db(settings: Settings, args: argparse.Namespace) -> int:
    from leadengine_storage import migrate

    if args.db_command == "upgrade":
        migrate.upgrade(settings.database_url, args.revision)
    else:
        migrate.downgrade(settings.database_url, args.revision)
    return 0


def _doctor(settings: Settings, _: argparse.Namespace) -> int:
    from leadengine_api.doctor import run_checks

    return run_checks(settings)


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
    db.set_defaults(handler=_db)

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
