"""`leadengine doctor`: one PASS/FAIL line per check of the machine and the configuration."""

from __future__ import annotations

import asyncio
import shutil
import sys
from collections.abc import Callable, Coroutine
from typing import Any

from leadengine_shared.probes import ping_redis
from leadengine_shared.settings import Environment, Settings
from leadengine_storage.engine import create_engine, ping

__all__ = ["run_checks"]

Check = tuple[str, Callable[[], Coroutine[Any, Any, str]]]


def _checks(settings: Settings) -> list[Check]:
    async def python() -> str:
        return sys.version.split()[0]

    async def uv() -> str:
        path = shutil.which("uv")
        if path is None:
            raise RuntimeError("uv is not on PATH (python3 -m pip install uv)")
        return path

    async def database() -> str:
        engine = create_engine(settings.database_url, pool_size=1)
        try:
            await asyncio.wait_for(ping(engine), timeout=5)
        finally:
            await engine.dispose()
        return engine.url.render_as_string(hide_password=True)

    async def redis() -> str:
        if settings.redis_url is None:
            return "not configured (single process: in-memory realtime and limits)"
        await ping_redis(settings.redis_url)
        return settings.redis_url.split("@")[-1]

    async def production_settings() -> str:
        if settings.environment is not Environment.PRODUCTION:
            return f"skipped (ENVIRONMENT={settings.environment.value})"
        missing = [
            name
            for name, value in {
                "WHATSAPP_BROKER_URL": settings.whatsapp_broker_url,
                "WHATSAPP_BROKER_API_KEY": settings.whatsapp_broker_api_key,
                "WHATSAPP_WEBHOOK_API_KEY": settings.whatsapp_webhook_api_key,
                "REDIS_URL": settings.redis_url,
            }.items()
            if not value
        ]
        if settings.is_sqlite:
            missing.append("DATABASE_URL (PostgreSQL)")
        if missing:
            raise RuntimeError("missing: " + ", ".join(missing))
        return "complete"

    return [
        ("python", python),
        ("uv", uv),
        ("database", database),
        ("redis", redis),
        ("production settings", production_settings),
    ]


async def _run(settings: Settings) -> int:
    failures = 0
    for name, check in _checks(settings):
        try:
            detail = await check()
        except Exception as exc:  # every failure is reported, none stops the others
            failures += 1
            print(f"FAIL {name}: {exc or type(exc).__name__}")
        else:
            print(f"PASS {name}: {detail}")
    return 1 if failures else 0


def run_checks(settings: Settings) -> int:
    return asyncio.run(_run(settings))
