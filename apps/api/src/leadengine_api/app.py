"""The app factory: settings in, ASGI app out. Building the app opens no connection."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from leadengine_shared.settings import Settings
from litestar import Litestar

from leadengine_api import health
from leadengine_api.context import AppContext

__all__ = ["create_app"]


def create_app(settings: Settings) -> Litestar:
    context = AppContext.build(settings)

    @asynccontextmanager
    async def lifespan(_: Litestar) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await context.close()

    return Litestar(
        route_handlers=[health.router],
        lifespan=[lifespan],
        dependencies=context.dependencies(),
        openapi_config=None,
        logging_config=None,
        debug=False,
    )
