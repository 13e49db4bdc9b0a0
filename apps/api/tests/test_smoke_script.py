"""`leadengine demo` (what `make run` starts) and `scripts/smoke_test.py`, as real processes.

The launcher runs on free ports against a fresh SQLite file; the smoke test must pass every
step against it, and a SIGINT to the launcher alone must stop the API and the simulator with
it (a terminal's Ctrl-C signals the children too; the launcher must not rely on that). Also:
the smoke test fails loudly against nothing, the demo is refused in production, and the compose
files are the documented shape.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from leadengine_api.cli import main

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[3]
SMOKE = ROOT / "scripts" / "smoke_test.py"
STEPS = ("health", "login", "instance", "socket", "webhook", "realtime", "rest", "reply", "acks")
START_WAIT = "120"
"""Seconds the smoke test retries health and the instance while the demo starts (a bound for
a slow machine, not an expectation)."""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) != 0


@dataclass(frozen=True, slots=True)
class Demo:
    process: subprocess.Popen[bytes]
    api_url: str
    ports: tuple[int, int]
    log: Path


def _environment(tmp_path: Path) -> dict[str, str]:
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("WHATSAPP_", "DATABASE_", "REDIS_", "JWT_", "SMOKE_"))
    }
    env.update(
        ENVIRONMENT="development",
        DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'demo.db'}",
        LOG_LEVEL="warning",
    )
    return env


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[Demo]:
    api_port, broker_port = _free_port(), _free_port()
    log = tmp_path / "demo.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "leadengine_api.cli",
                "demo",
                "--port",
                str(api_port),
                "--broker-port",
                str(broker_port),
            ],
            env=_environment(tmp_path),
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # so a failed test can still stop the whole tree
        )
    try:
        yield Demo(process, f"http://127.0.0.1:{api_port}", (api_port, broker_port), log)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _smoke(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SMOKE), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_the_smoke_test_passes_against_the_demo_and_ctrl_c_stops_it(
    demo: Demo, tmp_path: Path
) -> None:
    result = _smoke("--api-url", demo.api_url, "--wait", START_WAIT, env=_environment(tmp_path))

    assert result.returncode == 0, result.stdout + result.stderr + demo.log.read_text()
    lines = result.stdout.splitlines()
    assert [line.split(":")[0] for line in lines[: len(STEPS)]] == [
        f"PASS step {step}" for step in STEPS
    ]
    assert lines[-1] == "smoke test passed"

    demo.process.send_signal(signal.SIGINT)
    assert demo.process.wait(timeout=60) == 0
    assert all(_port_is_free(port) for port in demo.ports)


def test_the_smoke_test_fails_loudly_when_nothing_answers(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{_free_port()}"

    result = _smoke("--api-url", url, env=_environment(tmp_path))

    assert result.returncode == 1
    assert result.stdout.startswith("FAIL step health:")
    assert "PASS" not in result.stdout


def test_the_demo_is_refused_in_production(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENVIRONMENT", "production")
    monkeypatch.setenv("JWT_SECRET", "p" * 40)

    assert main(["demo", "--port", str(_free_port())]) == 2


@pytest.mark.parametrize("name", ["docker-compose.yml", "docker-compose.prod.yml"])
def test_the_compose_files_run_the_api_and_worker_and_keep_the_session_volume(name: str) -> None:
    yaml = pytest.importorskip("yaml")  # present with the dev tools; never a new dependency

    compose = yaml.safe_load((ROOT / name).read_text())

    services = compose["services"]
    assert {"api", "worker", "broker"} <= set(services)
    assert "whatsapp_sessions_data" in compose["volumes"]
    assert services["api"]["command"][:2] == ["leadengine", "serve"]
    assert services["worker"]["command"][:2] == ["leadengine", "worker"]
    assert services["api"]["environment"]["RUN_WORKER_IN_PROCESS"] == "false"
    assert any("whatsapp_sessions_data:" in mount for mount in services["broker"]["volumes"])
