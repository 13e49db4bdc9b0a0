"""`leadengine-broker-sim`: serve the simulator, or act on a running one.

    leadengine-broker-sim [--host H] [--port P] [--webhook-url URL] [--auto-connect] [--seed N]
    leadengine-broker-sim scan INSTANCE [--url URL]
    leadengine-broker-sim inbound INSTANCE [--kind text] [--text "Oi"] [--from 5511988887777]
                                  [--group JID] [--lid LID [--hide-phone]] [--target ID] [--url URL]

Keys come from the environment's settings (`WHATSAPP_BROKER_API_KEY`, …).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import get_args

import httpx
import uvicorn
from leadengine_shared.logging import configure_logging
from leadengine_shared.settings import load_settings
from pydantic import ValidationError

from leadengine_integrations.simulator.app import create_simulator_app
from leadengine_integrations.simulator.config import SimulatorConfig
from leadengine_integrations.simulator.customer import CustomerMessage, InboundKind

__all__ = ["main"]

_DEFAULT_URL = "http://127.0.0.1:8081"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="leadengine-broker-sim", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--webhook-url", help="where events go for instances without their own")
    parser.add_argument("--auto-connect", action="store_true", help="new instances start connected")
    parser.add_argument("--seed", type=int, help="reproducible ids and error rate")
    commands = parser.add_subparsers(dest="command")

    scan = commands.add_parser("scan", help="simulate scanning an instance's QR code")
    scan.add_argument("instance")
    scan.add_argument("--url", default=_DEFAULT_URL, help="the running simulator")

    inbound = commands.add_parser("inbound", help="a simulated customer sends a message")
    inbound.add_argument("instance")
    inbound.add_argument("--url", default=_DEFAULT_URL, help="the running simulator")
    inbound.add_argument("--kind", choices=get_args(InboundKind), default="text")
    inbound.add_argument("--text", help="text, caption, reaction emoji or edited text")
    inbound.add_argument("--from", dest="sender_phone", default="5511988887777")
    inbound.add_argument("--name", dest="push_name", default="Cliente Simulado")
    inbound.add_argument("--group", dest="group_jid", help="send inside this group (…@g.us)")
    inbound.add_argument("--lid", dest="sender_lid", help="address the sender by this LID")
    inbound.add_argument(
        "--hide-phone", action="store_true", help="with --lid: do not reveal the PN"
    )
    inbound.add_argument(
        "--target", dest="target_id", help="message a reaction/edit/revoke/vote is about"
    )
    inbound.add_argument(
        "--option",
        dest="selected_options",
        action="append",
        default=[],
        help="poll vote: a chosen option (repeatable)",
    )
    return parser


def _act(url: str, api_key: str, path: str, body: object = None) -> int:
    response = httpx.post(url.rstrip("/") + path, json=body, headers={"X-API-Key": api_key})
    print(json.dumps(response.json(), indent=2, ensure_ascii=False))
    return 0 if response.is_success else 1


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    settings = load_settings()
    config = SimulatorConfig.from_settings(
        settings, webhook_url=args.webhook_url, auto_connect=args.auto_connect, seed=args.seed
    )
    if args.command == "scan":
        return _act(args.url, config.api_key, f"/_sim/instances/{args.instance}/scan")
    if args.command == "inbound":
        try:
            message = CustomerMessage(
                kind=args.kind,
                text=args.text,
                sender_phone=args.sender_phone,
                push_name=args.push_name,
                group_jid=args.group_jid,
                sender_lid=args.sender_lid,
                reveal_phone=not args.hide_phone,
                target_id=args.target_id,
                selected_options=tuple(args.selected_options),
            )
        except ValidationError as exc:
            parser.error(str(exc))
        body = message.model_dump(by_alias=True, exclude_none=True)
        return _act(args.url, config.api_key, f"/_sim/instances/{args.instance}/inbound", body)
    configure_logging(settings.log_level)
    uvicorn.run(create_simulator_app(config), host=args.host, port=args.port, log_config=None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
