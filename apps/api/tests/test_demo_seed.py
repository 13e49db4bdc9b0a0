"""`make run` seeds a demo tenant whose documented credentials log in."""

import asyncio
from pathlib import Path

import httpx
import pytest
from leadengine_api.app import create_app
from leadengine_api.cli import main
from leadengine_api.seed import DEMO
from leadengine_api.testing import serve
from leadengine_shared.settings import load_settings


@pytest.fixture
def database_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path / 'demo.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    assert main(["db", "upgrade"]) == 0
    return url


def test_seed_is_idempotent_and_prints_the_credentials(
    database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["db", "seed", "--demo"]) == 0
    assert "demo tenant created" in capsys.readouterr().out
    assert main(["db", "seed", "--demo"]) == 0
    printed = capsys.readouterr().out
    assert "already present" in printed
    assert DEMO.admin_email in printed
    assert DEMO.admin_password in printed


def test_seed_is_refused_in_production(database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENVIRONMENT", "production")
    monkeypatch.setenv("JWT_SECRET", "p" * 40)
    assert main(["db", "seed", "--demo"]) == 2


async def test_the_documented_demo_login_works(database_url: str) -> None:
    assert await asyncio.to_thread(main, ["db", "seed", "--demo"]) == 0
    app = create_app(load_settings(database_url=database_url))
    async with serve(app) as base_url, httpx.AsyncClient(base_url=base_url) as http:
        for email, password in (
            (DEMO.admin_email, DEMO.admin_password),
            (DEMO.agent_email, DEMO.agent_password),
        ):
            login = await http.post(
                "/api/auth/login",
                json={"email": email, "password": password, "tenantSlug": DEMO.tenant_slug},
            )
            assert login.status_code == 200, login.text
            token = login.json()["accessToken"]
            me = await http.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"})
            assert me.json()["user"]["email"] == email
