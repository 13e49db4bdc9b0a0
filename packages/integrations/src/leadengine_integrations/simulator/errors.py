"""Broker-style error answers: `{"success": false, "error": {code, message, requestId}}`."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response
from litestar.exceptions import HTTPException

AnyRequest = Request[Any, Any, Any]

__all__ = [
    "AnyRequest",
    "SimError",
    "error_response",
    "http_exception_handler",
    "sim_error_handler",
]


class SimError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def error_response(
    request: AnyRequest, status: int, code: str, message: str, details: object = None
) -> Response[object]:
    request_id = request.headers.get("x-request-id")
    error: dict[str, object] = {"code": code, "message": message, "requestId": request_id}
    if details is not None:
        error["details"] = details
    return Response(
        {"success": False, "error": error},
        status_code=status,
        headers={"x-request-id": request_id} if request_id else None,
    )


def sim_error_handler(request: AnyRequest, exc: SimError) -> Response[object]:
    return error_response(request, exc.status, exc.code, exc.message)


def http_exception_handler(request: AnyRequest, exc: HTTPException) -> Response[object]:
    """Litestar's own errors (bad JSON, unknown route) in the broker's error shape."""
    code = {400: "INVALID_PAYLOAD", 404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED"}.get(
        exc.status_code, "BROKER_ERROR"
    )
    return error_response(request, exc.status_code, code, str(exc.detail), exc.extra)
