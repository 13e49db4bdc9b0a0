"""Serve an app on a real loopback socket for tests (ours and other teams')."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpx
import uvicorn
from litestar.types import ASGIApp

__all__ = ["Account", "free_port", "register_tenant", "serve"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@asynccontextmanager
async def serve(app: ASGIApp) -> AsyncIterator[str]:
    """Run `app` under uvicorn in this event loop; yield its base URL; stop it afterwards."""
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=free_port(), log_config=None, lifespan="on")
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
            raise RuntimeError("test server stopped before it started")
        await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{server.config.port}"
    finally:
        server.should_exit = True
        await task


@dataclass(slots=True)
class Account:
    """A registered tenant with its first ADMIN, and ready-made auth headers."""

    tenant_id: str
    tenant_slug: str
    user_id: str
    email: str
    password: str
    access_token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}"}


TEST_PASSWORD = "password-123"  # noqa: S105 (test accounts only)


async def register_tenant(
    http: httpx.AsyncClient, slug: str, *, email: str | None = None, password: str = TEST_PASSWORD
) -> Account:
    """Register a new tenant through the API and log its ADMIN in."""
    email = email or f"admin@{slug}.test"
    created = await http.post(
        "/api/auth/register",
        json={
            "name": f"Admin {slug}",
            "email": email,
            "password": password,
            "tenantName": slug.title(),
            "tenantSlug": slug,
        },
    )
    created.raise_for_status()
    login = await http.post(
        "/api/auth/login", json={"email": email, "password": password, "tenantSlug": slug}
    )
    login.raise_for_status()
    body = created.json()
    return Account(
        tenant_id=body["tenant"]["id"],
        tenant_slug=slug,
        user_id=body["user"]["id"],
        email=email,
        password=password,
        access_token=login.json()["accessToken"],
    )
