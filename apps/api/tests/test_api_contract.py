"""Property-based contract testing: schemathesis fuzzes every operation of the served OpenAPI
document against a real `leadengine serve` process and finds no 5xx and no response that
breaks the document (status codes, content types, bodies, auth enforcement)."""

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from leadengine_api.testing import free_port
from leadengine_storage import migrate

pytestmark = pytest.mark.slow

CHECKS = ",".join(
    [
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_schema_conformance",
        "ignored_auth",
        "missing_required_header",
    ]
)
EXAMPLES_PER_OPERATION = 25


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, dict[str, str]]]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'contract.db'}"
    migrate.upgrade(url)
    port, broker_port = free_port(), free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "ENVIRONMENT": "test",
        "JWT_SECRET": "contract-test-secret-" + "x" * 32,
        "RATE_LIMIT_MAX_REQUESTS": "1000000",
        "WHATSAPP_BROKER_URL": f"http://127.0.0.1:{broker_port}",
        "WHATSAPP_BROKER_API_KEY": "contract-broker-key",
        "WHATSAPP_WEBHOOK_API_KEY": "contract-webhook-key",
        "WHATSAPP_WEBHOOK_HMAC_SECRET": "contract-hmac-secret",
        "WHATSAPP_WEBHOOK_URL": f"{base}/api/integrations/whatsapp/webhook",
    }
    quiet = {"env": env, "stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    broker = subprocess.Popen(
        [
            shutil.which("leadengine-broker-sim", path=str(Path(sys.executable).parent)) or "",
            "--port",
            str(broker_port),
            "--webhook-url",
            env["WHATSAPP_WEBHOOK_URL"],
        ],
        **quiet,  # type: ignore[call-overload]
    )
    server = subprocess.Popen(
        [sys.executable, "-m", "leadengine_api.cli", "serve", "--port", str(port)],
        **quiet,  # type: ignore[call-overload]
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/ready").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "server did not become ready"
            time.sleep(0.2)
        account = {"name": "Fuzz", "email": "fuzz@contract.test", "password": "password-123"}
        httpx.post(f"{base}/api/auth/register", json={**account, "tenantSlug": "fuzz"})
        login = httpx.post(
            f"{base}/api/auth/login",
            json={"email": account["email"], "password": account["password"], "tenantSlug": "fuzz"},
        )
        yield base, {"Authorization": f"Bearer {login.json()['accessToken']}"}
    finally:
        for process in (server, broker):
            process.terminate()
            process.wait(timeout=30)


def test_no_operation_breaks_its_contract(served: tuple[str, dict[str, str]]) -> None:
    base, headers = served
    schemathesis = shutil.which("st", path=str(Path(sys.executable).parent))
    assert schemathesis is not None, "schemathesis is a dev dependency"
    result = subprocess.run(
        [
            schemathesis,
            "run",
            f"{base}/schema/openapi.json",
            "--header",
            f"Authorization: {headers['Authorization']}",
            "--checks",
            CHECKS,
            "--max-examples",
            str(EXAMPLES_PER_OPERATION),
            "--workers",
            "1",
            "--seed",
            "20261125",
            "--no-color",
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=900,
    )
    assert result.returncode == 0, result.stdout[-8000:]
