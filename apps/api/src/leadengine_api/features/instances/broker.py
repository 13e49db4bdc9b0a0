"""The process's one broker client, made on first use, and the "not configured" answer.

Building the app opens nothing: the `BrokerClient` (and its connection pool) exists only once a
request needs it, and is closed with the app. Every caller gets the same client, so the
`whatsapp_http_requests_total` family is registered once per registry.
"""

from __future__ import annotations

from typing import Any

from leadengine_integrations.broker import BrokerClient
from leadengine_shared.metrics import BrokerMetrics
from leadengine_shared.whatsapp import WhatsAppConfig
from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler
from prometheus_client import CollectorRegistry

from leadengine_api.problems import ApiError

__all__ = ["BrokerHandle", "not_configured", "require_whatsapp_configured"]

APP_STATE_KEY = "whatsapp"
"""Where the app keeps its `WhatsAppConfig` (`app.state`), for guards that run before DI."""


def not_configured(missing: list[str]) -> ApiError:
    """The one answer for a missing broker setting, naming the environment variables."""
    return ApiError(
        503,
        "WHATSAPP_NOT_CONFIGURED",
        "WhatsApp is not configured: set " + ", ".join(missing),
        extra={"details": {"missing": missing}},
    )


async def require_whatsapp_configured(
    connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler
) -> None:
    """Guard: runs before authentication and the unit of work, so nothing is read or written."""
    config: WhatsAppConfig = connection.app.state[APP_STATE_KEY]
    if missing := config.missing_broker_settings():
        raise not_configured(missing)


class BrokerHandle:
    def __init__(self, config: WhatsAppConfig, registry: CollectorRegistry) -> None:
        self._config = config
        self._metrics = BrokerMetrics.of(registry)
        self._client: BrokerClient | None = None

    def client(self) -> BrokerClient:
        """The shared client; 503 `WHATSAPP_NOT_CONFIGURED` while the broker settings lack."""
        if self._client is None:
            url, key = self._config.broker_url, self._config.broker_api_key
            if url is None or key is None:
                raise not_configured(self._config.missing_broker_settings())
            self._client = BrokerClient(
                url, key, timeout=self._config.broker_timeout_seconds, metrics=self._metrics
            )
        return self._client

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None
