"""Smoke test of a running LeadEngine: REST + Socket.IO over the HTTP WhatsApp transport.

One customer message goes in as a signed broker webhook and must come out as `messages.new`
on a live socket and as a ticket and message over REST; a reply goes out through the broker
and must come back acknowledged. So it needs the whole chain: API, worker, database, realtime
and a connected broker session (the simulator under `make run`).

    uv run python scripts/smoke_test.py                     # against `make run`
    uv run python scripts/smoke_test.py --api-url https://api.example.com --instance sales-01 \
        --email ops@example.com --password … --tenant acme --webhook-key … --hmac-secret …

Every option also reads an environment variable (SMOKE_API_URL, SMOKE_EMAIL, SMOKE_PASSWORD,
SMOKE_TENANT, SMOKE_INSTANCE, SMOKE_PHONE, WHATSAPP_WEBHOOK_API_KEY,
WHATSAPP_WEBHOOK_HMAC_SECRET). Prints `PASS step …` or `FAIL step …` per step and exits 1 at
the first failure.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import os
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import socketio  # type: ignore[import-untyped]

# The `make run` (leadengine demo) defaults: development-only values, documented in the README.
DEFAULT_API_URL = "http://127.0.0.1:8000"
DEFAULT_WEBHOOK_KEY = "demo-webhook-key-development-only"
DEFAULT_HMAC_SECRET = "demo-webhook-hmac-development-only"  # noqa: S105 (demo only)
WEBHOOK_PATH = "/api/integrations/whatsapp/webhook"
ACKED = frozenset({"DELIVERED", "READ", "PLAYED"})
EVENT_TIMEOUT = 15.0
"""Seconds a realtime event may take (the original smoke test's bound)."""
ACK_TIMEOUT = 30.0
POLL = 0.25


class StepFailed(Exception):
    pass


@dataclass(slots=True)
class Options:
    api_url: str
    email: str
    password: str
    tenant: str
    instance: str
    phone: str
    webhook_key: str
    hmac_secret: str | None
    wait: float


@dataclass(slots=True)
class Run:
    """What the steps learn and hand on to the next."""

    options: Options
    http: httpx.AsyncClient
    sio: socketio.AsyncClient = field(default_factory=socketio.AsyncClient)
    events: dict[str, asyncio.Queue[dict[str, Any]]] = field(default_factory=dict)
    token: str = ""
    provider_message_id: str = ""
    ticket_id: str = ""
    reply_id: str = ""

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def _options(argv: list[str] | None) -> Options:
    env = os.environ.get
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--api-url", default=env("SMOKE_API_URL", DEFAULT_API_URL))
    parser.add_argument("--email", default=env("SMOKE_EMAIL", "admin@demo.leadengine.dev"))
    parser.add_argument("--password", default=env("SMOKE_PASSWORD", "demo-admin-123"))
    parser.add_argument("--tenant", default=env("SMOKE_TENANT", "demo"), help="tenant slug")
    parser.add_argument(
        "--instance", default=env("SMOKE_INSTANCE", "demo-whatsapp"), help="broker session id"
    )
    parser.add_argument(
        "--phone", default=env("SMOKE_PHONE", "5511900001234"), help="the customer's digits"
    )
    parser.add_argument(
        "--webhook-key", default=env("WHATSAPP_WEBHOOK_API_KEY") or DEFAULT_WEBHOOK_KEY
    )
    parser.add_argument(
        "--hmac-secret",
        default=env("WHATSAPP_WEBHOOK_HMAC_SECRET") or DEFAULT_HMAC_SECRET,
        help="empty: send no X-Signature",
    )
    parser.add_argument(
        "--wait",
        type=float,
        default=0.0,
        help="seconds to keep retrying health and the instance while a deployment starts",
    )
    args = parser.parse_args(argv)
    return Options(
        api_url=args.api_url.rstrip("/"),
        email=args.email,
        password=args.password,
        tenant=args.tenant,
        instance=args.instance,
        phone=args.phone,
        webhook_key=args.webhook_key,
        hmac_secret=args.hmac_secret or None,
        wait=args.wait,
    )


def inbound_webhook(instance: str, message_id: str, phone: str, text: str) -> list[dict[str, Any]]:
    """`MESSAGE_INBOUND` and its raw `WHATSAPP_MESSAGES_UPSERT`, as the broker posts them."""
    now = int(time.time())
    jid = f"{phone}@s.whatsapp.net"
    wamessage = {
        "key": {"remoteJid": jid, "fromMe": False, "id": message_id},
        "messageTimestamp": now,
        "pushName": "Smoke Test",
        "message": {"conversation": text},
    }
    iso = datetime.fromtimestamp(now, UTC).isoformat(timespec="milliseconds")
    inbound = {
        "instanceId": instance,
        "contact": {
            "owner": "user",
            "remoteJid": jid,
            "participant": None,
            "phone": f"+{phone}",
            "displayName": "Smoke Test",
            "isGroup": False,
        },
        "message": {
            "id": message_id,
            "messageId": message_id,
            "chatId": jid,
            "type": "text",
            "text": text,
            "conversation": text,
        },
        "metadata": {
            "timestamp": iso.replace("+00:00", "Z"),
            "broker": {"direction": "inbound", "type": "baileys"},
            "source": "smoke-test",
        },
    }
    upsert = {
        "iid": instance,
        "raw": {"messages": [wamessage], "type": "notify"},
        "normalized": {"messages": [wamessage], "type": "notify"},
        "messages": [wamessage],
    }
    return [
        {"event": name, "instanceId": instance, "timestamp": now, "payload": payload}
        for name, payload in (("MESSAGE_INBOUND", inbound), ("WHATSAPP_MESSAGES_UPSERT", upsert))
    ]


def webhook_headers(body: bytes, key: str, secret: str | None) -> dict[str, str]:
    """The broker's authentication: the key, and the hex HMAC-SHA256 of the exact body."""
    headers = {"Content-Type": "application/json", "X-API-Key": key}
    if secret:
        headers["X-Signature"] = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return headers


def _expect(response: httpx.Response, *statuses: int) -> Any:
    if response.status_code not in statuses:
        raise StepFailed(
            f"{response.request.method} {response.request.url.path} answered "
            f"{response.status_code}: {response.text[:300]}"
        )
    return response.json()


async def _retrying(run: Run, check: Callable[[], Awaitable[str]]) -> str:
    """Run `check` once, or until it passes within `--wait` seconds (a deployment starting)."""
    deadline = time.monotonic() + run.options.wait
    while True:
        try:
            return await check()
        except (StepFailed, httpx.HTTPError) as error:
            if time.monotonic() >= deadline:
                raise StepFailed(str(error) or type(error).__name__) from error
        await asyncio.sleep(1.0)


async def _next_event(
    run: Run, name: str, match: Callable[[dict[str, Any]], bool], within: float
) -> dict[str, Any]:
    queue = run.events[name]
    deadline = time.monotonic() + within
    while (left := deadline - time.monotonic()) > 0:
        try:
            event = await asyncio.wait_for(queue.get(), left)
        except TimeoutError:
            break
        if match(event):
            return event
    raise StepFailed(f"no matching `{name}` within {within:.0f} s")


async def step_health(run: Run) -> str:
    async def check() -> str:
        health = _expect(await run.http.get("/healthz"), 200)
        runtime = health.get("whatsapp", {}).get("runtime", {})
        if runtime.get("transport") != "http":
            raise StepFailed(f"whatsapp.runtime.transport is {runtime.get('transport')!r}")
        if runtime.get("disabled"):
            raise StepFailed("whatsapp.runtime.disabled: the broker is not configured")
        return f"status={health.get('status')} transport=http runtime={runtime.get('status')}"

    return await _retrying(run, check)


async def step_login(run: Run) -> str:
    login = _expect(
        await run.http.post(
            "/api/auth/login",
            json={
                "email": run.options.email,
                "password": run.options.password,
                "tenantSlug": run.options.tenant,
            },
        ),
        200,
    )
    run.token = login["accessToken"]
    return f"{run.options.email} in tenant {run.options.tenant}"


async def step_instance(run: Run) -> str:
    async def check() -> str:
        listed = _expect(
            await run.http.get("/api/integrations/whatsapp/instances", headers=run.auth), 200
        )
        for instance in listed["instances"]:
            if instance["brokerId"] == run.options.instance:
                if instance["status"] != "connected":
                    raise StepFailed(f"{run.options.instance} is {instance['status']}")
                return f"{run.options.instance} connected"
        raise StepFailed(f"no instance with brokerId {run.options.instance}")

    return await _retrying(run, check)


async def step_socket(run: Run) -> str:
    for name in ("messages.new", "messages.updated"):
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        run.events[name] = queue
        run.sio.on(name, queue.put)
    try:
        await run.sio.connect(
            run.options.api_url, auth={"token": run.token}, wait_timeout=EVENT_TIMEOUT
        )
    except socketio.exceptions.ConnectionError as error:
        raise StepFailed(f"Socket.IO connect refused: {error}") from error
    return f"connected ({run.sio.transport()})"


async def step_webhook(run: Run) -> str:
    run.provider_message_id = "SMOKE" + uuid.uuid4().hex[:16].upper()
    text = f"smoke test {run.provider_message_id}"
    events = inbound_webhook(run.options.instance, run.provider_message_id, run.options.phone, text)
    body = json.dumps(events, separators=(",", ":")).encode()
    headers = webhook_headers(body, run.options.webhook_key, run.options.hmac_secret)
    accepted = _expect(await run.http.post(WEBHOOK_PATH, content=body, headers=headers), 202)
    if not accepted.get("accepted"):
        raise StepFailed(f"nothing accepted: {accepted}")
    return f"202 accepted={accepted['accepted']} id={run.provider_message_id}"


async def step_realtime(run: Run) -> str:
    event = await _next_event(
        run,
        "messages.new",
        lambda e: e.get("providerMessageId") == run.provider_message_id,
        EVENT_TIMEOUT,
    )
    run.ticket_id = event["ticketId"]
    return f"messages.new seq={event['seq']} ticket={run.ticket_id}"


async def step_rest(run: Run) -> str:
    ticket = _expect(await run.http.get(f"/api/tickets/{run.ticket_id}", headers=run.auth), 200)
    page = _expect(
        await run.http.get(
            f"/api/tickets/{run.ticket_id}/messages", headers=run.auth, params={"limit": 50}
        ),
        200,
    )
    found = [m for m in page["items"] if m["providerMessageId"] == run.provider_message_id]
    if not found:
        raise StepFailed("the message is not in the ticket's thread")
    if found[0]["direction"] != "INBOUND":
        raise StepFailed(f"direction is {found[0]['direction']}")
    return f"ticket status={ticket.get('status')} message INBOUND"


async def step_reply(run: Run) -> str:
    sent = _expect(
        await run.http.post(
            f"/api/tickets/{run.ticket_id}/messages",
            headers={**run.auth, "Idempotency-Key": f"smoke-{run.provider_message_id}"},
            json={"payload": {"type": "text", "text": "smoke test reply"}},
        ),
        202,
    )
    run.reply_id = sent["messageId"]
    return f"202 message={run.reply_id} status={sent['status']}"


async def step_acks(run: Run) -> str:
    """Acks arrive as `messages.updated`; REST is asked too, so a missed event is no failure."""
    deadline = time.monotonic() + ACK_TIMEOUT
    while time.monotonic() < deadline:
        try:
            event = await _next_event(
                run,
                "messages.updated",
                lambda e: e.get("messageId") == run.reply_id and e["message"]["status"] in ACKED,
                1.0,
            )
            return f"messages.updated status={event['message']['status']}"
        except StepFailed:
            pass
        page = _expect(
            await run.http.get(
                f"/api/tickets/{run.ticket_id}/messages", headers=run.auth, params={"limit": 50}
            ),
            200,
        )
        for message in page["items"]:
            if message["id"] == run.reply_id:
                if message["status"] == "FAILED":
                    raise StepFailed(f"the reply FAILED: {message.get('failureReason')}")
                if message["status"] in ACKED:
                    return f"REST status={message['status']}"
    raise StepFailed(f"the reply was not DELIVERED within {ACK_TIMEOUT:.0f} s")


STEPS: list[tuple[str, Callable[[Run], Awaitable[str]]]] = [
    ("health", step_health),
    ("login", step_login),
    ("instance", step_instance),
    ("socket", step_socket),
    ("webhook", step_webhook),
    ("realtime", step_realtime),
    ("rest", step_rest),
    ("reply", step_reply),
    ("acks", step_acks),
]


async def smoke(options: Options) -> int:
    async with httpx.AsyncClient(base_url=options.api_url, timeout=15.0) as http:
        run = Run(options, http)
        try:
            for name, step in STEPS:
                try:
                    detail = await step(run)
                except (StepFailed, httpx.HTTPError, KeyError) as error:
                    print(f"FAIL step {name}: {type(error).__name__}: {error}", flush=True)
                    return 1
                print(f"PASS step {name}: {detail}", flush=True)
        finally:
            if run.sio.connected:
                await run.sio.disconnect()
    print("smoke test passed", flush=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    return asyncio.run(smoke(_options(argv)))


if __name__ == "__main__":
    sys.exit(main())
