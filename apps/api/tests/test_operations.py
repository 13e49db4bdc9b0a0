"""Operational routes over real HTTP: health, readiness before and after migrations, metrics."""

import asyncio
from pathlib import Path

import httpx
import pytest
from leadengine_api.app import create_app
from leadengine_api.testing import serve
from leadengine_shared.settings import load_settings
from leadengine_storage import migrate
from leadengine_storage.testing import temporary_postgres_database


async def _check_lifecycle(database_url: str, engine_name: str) -> None:
    settings = load_settings(database_url=database_url)
    async with (
        serve(create_app(settings)) as base_url,
        httpx.AsyncClient(base_url=base_url) as http,
    ):
        before = await http.get("/ready")
        assert before.status_code == 503
        assert before.json()["ready"] is False

        health = await http.get("/healthz")
        assert health.status_code == 200
        body = health.json()
        assert body["database"]["engine"] == engine_name
        assert body["database"]["migrated"] is False
        runtime = body["whatsapp"]["runtime"]
        assert runtime["mode"] == runtime["transport"] == "http"
        assert runtime["status"] == "not_configured"
        assert runtime["disabled"] is True

        await asyncio.to_thread(migrate.upgrade, settings.database_url)
        after = await http.get("/ready")
        assert after.status_code == 200
        assert after.json()["database"]["revision"] == migrate.head_revision()
        assert (await http.get("/healthz")).json()["status"] == "ok"

        metrics = await http.get("/metrics")
        assert metrics.status_code == 200
        assert metrics.headers["content-type"].startswith("text/plain")
        assert "http_request_duration_seconds" in metrics.text


async def test_lifecycle_on_sqlite(tmp_path: Path) -> None:
    await _check_lifecycle(f"sqlite+aiosqlite:///{tmp_path / 'api.db'}", "sqlite")


@pytest.mark.postgres
async def test_lifecycle_on_postgres(postgres_url: str) -> None:
    async with temporary_postgres_database(postgres_url) as url:
        await _check_lifecycle(url, "postgresql")


async def test_health_reports_a_broken_database_without_failing(tmp_path: Path) -> None:
    settings = load_settings(database_url="postgresql+psycopg://nobody@127.0.0.1:1/none")
    async with (
        serve(create_app(settings)) as base_url,
        httpx.AsyncClient(base_url=base_url) as http,
    ):
        health = await http.get("/healthz")
        assert health.status_code == 200
        assert health.json()["status"] == "degraded"
        assert health.json()["database"]["status"] == "down"
        assert (await http.get("/ready")).status_code == 503


def test_whatsapp_runtime_reports_configured_broker() -> None:
    from leadengine_api.context import AppContext
    from leadengine_api.health import _whatsapp_runtime

    settings = load_settings(whatsapp_broker_url="http://broker", whatsapp_broker_api_key="k")
    runtime = _whatsapp_runtime(AppContext.build(settings))
    assert runtime["status"] == "configured"
    assert runtime["disabled"] is False
