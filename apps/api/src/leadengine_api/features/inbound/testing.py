"""Test helpers for the webhook and the inbound worker: a served app with webhook keys
configured, signed deliveries, and the inbox as the database holds it."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import httpx
from leadengine_core.instances import WhatsAppInstance
from leadengine_shared.settings import Settings, load_settings
from leadengine_storage.engine import create_engine
from leadengine_storage.tables import inbound_inbox, messages
from leadengine_storage.tenant_scope import UNSCOPED
from leadengine_storage.testing import truncate_all
from leadengine_storage.unit_of_work import SqlUnitOfWork
from sqlalchemy import Row, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from leadengine_api.app import create_app
from leadengine_api.testing import Account, register_tenant, serve

__all__ = [
    "HMAC_SECRET",
    "WEBHOOK_KEY",
    "WEBHOOK_PATH",
    "WebhookApi",
    "broker_headers",
    "serve_webhook_api",
    "sign",
    "webhook_settings",
]

WEBHOOK_KEY = "test-webhook-key-0123456789"
HMAC_SECRET = "test-webhook-hmac-secret"  # noqa: S105 (tests only)
WEBHOOK_PATH = "/api/integrations/whatsapp/webhook"
POLL_SECONDS = 0.05
JWT_SECRET = "test-secret-" + "x" * 32


def sign(body: bytes, secret: str = HMAC_SECRET) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def broker_headers(
    body: bytes, *, key: str | None = WEBHOOK_KEY, secret: str | None = HMAC_SECRET
) -> dict[str, str]:
    headers = {"Content-Type": "application/json"}
    if key is not None:
        headers["X-API-Key"] = key
    if secret is not None:
        headers["X-Signature"] = sign(body, secret)
    return headers


def webhook_settings(database_url: str, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "database_url": database_url,
        "environment": "test",
        "jwt_secret": JWT_SECRET,
        "whatsapp_webhook_api_key": WEBHOOK_KEY,
        "whatsapp_webhook_hmac_secret": HMAC_SECRET,
        "inbound_worker_poll_seconds": 0.2,
    }
    values.update(overrides)
    return load_settings(**values)


@dataclass(slots=True)
class WebhookApi:
    http: httpx.AsyncClient
    engine: AsyncEngine
    settings: Settings

    async def post(
        self, body: object, *, path: str = WEBHOOK_PATH, raw: bytes | None = None
    ) -> httpx.Response:
        """A correctly signed delivery of `body` (or of the exact bytes `raw`)."""
        content = raw if raw is not None else json.dumps(body).encode()
        return await self.http.post(path, content=content, headers=broker_headers(content))

    async def tenant(self, slug: str) -> Account:
        return await register_tenant(self.http, slug)

    async def add_instance(self, tenant_id: str | UUID, broker_id: str) -> WhatsAppInstance:
        now = datetime.now(UTC)
        instance = WhatsAppInstance(
            tenant_id=UUID(str(tenant_id)),
            id=uuid4(),
            broker_id=broker_id,
            name=broker_id,
            created_at=now,
            updated_at=now,
        )
        async with SqlUnitOfWork(self.engine) as uow:
            await uow.instances.add(instance.tenant_id, instance)
            await uow.commit()
        return instance

    async def inbox(self) -> list[Row[Any]]:
        query = select(inbound_inbox).order_by(inbound_inbox.c.received_at, inbound_inbox.c.id)
        async with self.engine.connect() as connection:
            return list(await connection.execute(query.execution_options(**UNSCOPED)))

    async def message_count(self, provider_message_id: str | None = None) -> int:
        query = select(func.count()).select_from(messages)
        if provider_message_id is not None:
            query = query.where(messages.c.provider_message_id == provider_message_id)
        async with self.engine.connect() as connection:
            count = await connection.scalar(query.execution_options(**UNSCOPED))
        return int(count or 0)

    async def eventually(
        self, check: Callable[[], Awaitable[bool]], *, within: float = 30.0
    ) -> None:
        """Wait until `check` holds (the worker is asynchronous); fail after `within` seconds."""
        for _ in range(int(within / POLL_SECONDS)):
            if await check():
                return
            await asyncio.sleep(POLL_SECONDS)
        raise AssertionError("the condition did not hold in time")

    async def count(self, status: str | None = None) -> int:
        query = select(func.count()).select_from(inbound_inbox)
        if status is not None:
            query = query.where(inbound_inbox.c.status == status)
        async with self.engine.connect() as connection:
            return int(await connection.scalar(query.execution_options(**UNSCOPED)) or 0)

    async def statuses(self) -> list[str]:
        return [row.status for row in await self.inbox()]


@asynccontextmanager
async def serve_webhook_api(database_url: str, **overrides: object) -> AsyncIterator[WebhookApi]:
    """An emptied database behind a real server with the webhook key and HMAC configured."""
    engine = create_engine(database_url)
    await truncate_all(engine)
    settings = webhook_settings(database_url, **overrides)
    try:
        async with (
            serve(create_app(settings)) as base_url,
            httpx.AsyncClient(base_url=base_url, timeout=30) as http,
        ):
            yield WebhookApi(http, engine, settings)
    finally:
        await engine.dispose()
