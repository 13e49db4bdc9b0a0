"""`leadengine demo`: the whole embedded demo in one foreground command (`make run`).

It migrates and seeds the database, then starts the broker simulator and the API as child
processes wired to each other: the API's broker URL and key point at the simulator, the
simulator's webhooks go to the API with the same webhook key and HMAC secret. Once both
answer it registers the seeded instance on the simulator and "scans" its QR, so the demo can
send and receive at once. Ctrl-C (or SIGTERM) stops both children.

Child processes rather than threads: each runs exactly as `leadengine serve` and
`leadengine-broker-sim` run on their own, with its own event loop and logs.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import FrameType

import httpx
from leadengine_shared.settings import Environment, Settings

from leadengine_api.seed import DEMO

__all__ = ["DEMO_KEYS", "DemoFailed", "DemoPorts", "demo_environment", "run_demo"]

DEMO_KEYS: Mapping[str, str] = {
    "WHATSAPP_BROKER_API_KEY": "demo-broker-key-development-only",
    "WHATSAPP_WEBHOOK_API_KEY": "demo-webhook-key-development-only",
    "WHATSAPP_WEBHOOK_HMAC_SECRET": "demo-webhook-hmac-development-only",
}
"""Development-only defaults; a value already in the environment wins. Never production:
`run_demo` refuses ENVIRONMENT=production before anything starts."""

WEBHOOK_PATH = "/api/integrations/whatsapp/webhook"
START_TIMEOUT = 90.0
"""Seconds both children get to answer (a cold start imports a lot), and the instance to
connect; the demo gives up loudly after that instead of hanging."""
STOP_TIMEOUT = 10.0
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
POLL = 0.25


@dataclass(frozen=True, slots=True)
class DemoPorts:
    host: str
    api_port: int
    broker_port: int

    @property
    def api_url(self) -> str:
        return f"http://{self.host}:{self.api_port}"

    @property
    def broker_url(self) -> str:
        return f"http://{self.host}:{self.broker_port}"


class _Stop(Exception):
    """SIGINT (Ctrl-C) or SIGTERM. Handled explicitly: a launcher started in the background
    by a non-interactive shell inherits SIGINT ignored, and should still stop on it."""


class DemoFailed(Exception):
    """The demo could not start; the message says which part."""


def demo_environment(base: Mapping[str, str], ports: DemoPorts) -> dict[str, str]:
    """The children's environment: the caller's, the demo keys where unset, and the URLs that
    tie the API and the simulator together (always these: the demo is about this pairing)."""
    env = dict(base)
    for name, value in DEMO_KEYS.items():
        if not env.get(name):
            env[name] = value
    env["WHATSAPP_BROKER_URL"] = ports.broker_url
    env["WHATSAPP_WEBHOOK_URL"] = ports.api_url + WEBHOOK_PATH
    env["PYTHONUNBUFFERED"] = "1"
    return env


def _say(message: str) -> None:
    print(f"demo: {message}", flush=True)


def _python(module: str, *args: str) -> list[str]:
    return [sys.executable, "-m", module, *args]


def _run_step(command: Sequence[str], env: Mapping[str, str]) -> None:
    completed = subprocess.run(command, env=dict(env), check=False)  # noqa: S603 (our own CLI)
    if completed.returncode != 0:
        raise DemoFailed(f"`{' '.join(command[2:])}` failed ({completed.returncode})")


def _wait_until_up(url: str, children: Sequence[subprocess.Popen[bytes]], deadline: float) -> None:
    while time.monotonic() < deadline:
        for child in children:
            if child.poll() is not None:
                raise DemoFailed(f"a child process exited early ({child.returncode})")
        try:
            if httpx.get(url, timeout=2.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(POLL)
    raise DemoFailed(f"{url} did not answer in {START_TIMEOUT:.0f} s")


def _connect_demo_instance(ports: DemoPorts, env: Mapping[str, str], deadline: float) -> None:
    """Register the seeded instance on the simulator, scan its QR and wait until the API has
    seen it connect (through the simulator's CONNECTION_UPDATE webhook)."""
    with httpx.Client(base_url=ports.api_url, timeout=10.0) as api:
        login = api.post(
            "/api/auth/login",
            json={
                "email": DEMO.admin_email,
                "password": DEMO.admin_password,
                "tenantSlug": DEMO.tenant_slug,
            },
        )
        login.raise_for_status()
        session = login.json()
        auth = {"Authorization": f"Bearer {session['accessToken']}"}
        broker_headers = {"X-API-Key": env["WHATSAPP_BROKER_API_KEY"]}
        with httpx.Client(base_url=ports.broker_url, timeout=10.0) as broker:
            created = broker.post(
                "/instances",
                headers=broker_headers,
                json={
                    "id": DEMO.instance_broker_id,
                    "name": "Demo WhatsApp",
                    "tenantId": session["user"]["tenantId"],
                    "webhookUrl": env["WHATSAPP_WEBHOOK_URL"],
                },
            )
            created.raise_for_status()
            broker.post(
                f"/_sim/instances/{DEMO.instance_broker_id}/scan", headers=broker_headers
            ).raise_for_status()
        while time.monotonic() < deadline:
            listed = api.get("/api/integrations/whatsapp/instances", headers=auth)
            listed.raise_for_status()
            for instance in listed.json()["instances"]:
                if (
                    instance["brokerId"] == DEMO.instance_broker_id
                    and instance["status"] == "connected"
                ):
                    return
            time.sleep(POLL)
    raise DemoFailed(f"{DEMO.instance_broker_id} did not connect in time")


def _stop(children: Sequence[subprocess.Popen[bytes]]) -> None:
    for child in children:
        if child.poll() is None:
            child.terminate()
    for child in children:
        try:
            child.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


def _on_stop_signal(_signum: int, _frame: FrameType | None) -> None:
    raise _Stop


def _banner(ports: DemoPorts) -> None:
    lines = [
        f"ready: API {ports.api_url} (docs {ports.api_url}/schema), "
        f"broker simulator {ports.broker_url}",
        f"  log in: tenantSlug={DEMO.tenant_slug} {DEMO.admin_email} / {DEMO.admin_password}",
        f"  a customer writes: leadengine-broker-sim inbound {DEMO.instance_broker_id} "
        f"--url {ports.broker_url} --text 'Oi'",
        f"  smoke test: uv run python scripts/smoke_test.py --api-url {ports.api_url}",
        "  Ctrl-C stops both",
    ]
    for line in lines:
        _say(line)


def run_demo(settings: Settings, ports: DemoPorts) -> int:
    """Run until Ctrl-C/SIGTERM (0) or until a child dies (1)."""
    if settings.environment is Environment.PRODUCTION:
        print("leadengine: the demo never runs with ENVIRONMENT=production", file=sys.stderr)
        return 2
    logging.getLogger("httpx").setLevel(logging.WARNING)  # our own polling is no news
    env = demo_environment(os.environ, ports)
    previous = {sig: signal.signal(sig, _on_stop_signal) for sig in STOP_SIGNALS}
    children: list[subprocess.Popen[bytes]] = []
    try:
        _run_step(_python("leadengine_api.cli", "db", "upgrade"), env)
        _run_step(_python("leadengine_api.cli", "db", "seed", "--demo"), env)
        children.append(
            subprocess.Popen(  # noqa: S603 (our own CLIs)
                _python(
                    "leadengine_integrations.simulator.cli",
                    "--host",
                    ports.host,
                    "--port",
                    str(ports.broker_port),
                    "--webhook-url",
                    env["WHATSAPP_WEBHOOK_URL"],
                ),
                env=env,
            )
        )
        children.append(
            subprocess.Popen(  # noqa: S603
                _python(
                    "leadengine_api.cli",
                    "serve",
                    "--host",
                    ports.host,
                    "--port",
                    str(ports.api_port),
                ),
                env=env,
            )
        )
        deadline = time.monotonic() + START_TIMEOUT
        _wait_until_up(ports.broker_url + "/health", children, deadline)
        _wait_until_up(ports.api_url + "/healthz", children, deadline)
        _connect_demo_instance(ports, env, deadline)
        _banner(ports)
        while all(child.poll() is None for child in children):
            time.sleep(POLL)
        _say("a child process exited; stopping the other")
        return 1
    except _Stop:
        _say("stopping")
        return 0
    except (DemoFailed, httpx.HTTPError) as error:
        print(f"demo: FAILED: {error}", file=sys.stderr, flush=True)
        return 1
    finally:
        for sig in STOP_SIGNALS:  # a second Ctrl-C must not cut the shutdown short
            signal.signal(sig, signal.SIG_IGN)
        _stop(children)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
