"""Operational routes: liveness with a status summary, readiness, Prometheus metrics."""

from __future__ import annotations

import time
from importlib.metadata import version
from typing import Any

from leadengine_shared.metrics import CONTENT_TYPE_LATEST, render
from leadengine_storage.engine import ping
from leadengine_storage.migrate import current_revision
from litestar import Response, Router, get
from litestar.openapi.datastructures import ResponseSpec
from litestar.status_codes import HTTP_200_OK, HTTP_503_SERVICE_UNAVAILABLE
from sqlalchemy.exc import SQLAlchemyError

from leadengine_api.api_docs import PUBLIC
from leadengine_api.context import AppContext
from leadengine_api.injected import Context

__all__ = ["router"]

API_VERSION = version("leadengine-api")


async def _database_status(context: AppContext) -> dict[str, Any]:
    engine = "sqlite" if context.settings.is_sqlite else "postgresql"
    try:
        await ping(context.engine)
        revision = await current_revision(context.engine)
    except (SQLAlchemyError, OSError) as exc:
        return {"engine": engine, "status": "down", "error": type(exc).__name__}
    migrated = revision is not None and revision == context.schema_head
    return {"engine": engine, "status": "up", "revision": revision, "migrated": migrated}


def _whatsapp_runtime(context: AppContext) -> dict[str, object]:
    """Computed by `WhatsAppConfig`, the one reader of WhatsApp settings."""
    return context.whatsapp.runtime.as_dict()


@get("/healthz", operation_id="getHealth", tags=["operations"], security=PUBLIC)
async def healthz(context: Context) -> dict[str, Any]:
    """Liveness: always 200 while the process serves; the body says what is degraded."""
    database = await _database_status(context)
    return {
        "status": "ok" if database["status"] == "up" else "degraded",
        "version": API_VERSION,
        "environment": context.settings.environment.value,
        "uptimeSeconds": round(time.monotonic() - context.started_at, 3),
        "database": database,
        "whatsapp": {
            "runtime": _whatsapp_runtime(context),
            "missing": context.whatsapp.missing_broker_settings(),
        },
    }


@get(
    "/ready",
    operation_id="getReadiness",
    tags=["operations"],
    security=PUBLIC,
    responses={503: ResponseSpec(dict[str, Any], description="Not ready yet")},
)
async def ready(context: Context) -> Response[dict[str, Any]]:
    """Readiness: 503 until the database answers and is migrated to this build's head."""
    database = await _database_status(context)
    is_ready = database["status"] == "up" and database.get("migrated", False)
    return Response(
        {"ready": is_ready, "database": database},
        status_code=HTTP_200_OK if is_ready else HTTP_503_SERVICE_UNAVAILABLE,
    )


@get(
    "/metrics",
    operation_id="getMetrics",
    tags=["operations"],
    media_type=CONTENT_TYPE_LATEST,
    security=PUBLIC,
)
async def metrics(context: Context) -> bytes:
    return render(context.registry)


router = Router(path="/", route_handlers=[healthz, ready, metrics])
