"""One table from every error to an RFC 9457 problem document with a stable `code`.

Domain errors carry their own code; Litestar's HTTP exceptions and anything unexpected are
mapped here once. Clients never see a stack trace; a 500 is logged with the request id.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from leadengine_core import errors as domain
from leadengine_integrations import broker
from leadengine_shared.logging import get_logger
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.types import ExceptionHandlersMap

__all__ = ["PROBLEM_JSON", "ApiError", "exception_handlers", "problem_response"]

PROBLEM_JSON = "application/problem+json"
_log = get_logger("leadengine.api.errors")


class ApiError(Exception):
    """An error raised by the API layer itself (auth, tenancy, rate limits, payload shape)."""

    def __init__(
        self,
        status: int,
        code: str,
        detail: str,
        *,
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status, self.code, self.detail = status, code, detail
        self.headers = headers or {}
        self.extra = extra or {}


# Most specific first: the first class in the MRO of the error that appears here wins.
DOMAIN_STATUS: dict[type[domain.DomainError], int] = {
    domain.NotFound: 404,
    domain.OpenTicketExists: 409,
    domain.Conflict: 409,
    domain.Forbidden: 403,
    domain.InvalidTransition: 409,
    domain.ValidationFailed: 422,
    domain.InvalidPhone: 422,
    domain.InvalidJid: 422,
    # Broker failures (the client raises one canonical class per code).
    broker.BrokerUnavailable: 502,
    broker.BrokerTimeout: 504,
    broker.BrokerAuthFailed: 502,
    broker.InstanceNotConnected: 409,
    broker.RateLimited: 429,
    broker.InvalidRecipient: 422,
    broker.BrokerNotFound: 404,
    broker.BrokerError: 502,
    domain.DomainError: 400,
}

HTTP_CODES: dict[int, str] = {
    400: "BAD_REQUEST",
    401: "UNAUTHORIZED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    409: "CONFLICT",
    413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
    422: "VALIDATION_ERROR",
    429: "RATE_LIMITED",
    503: "SERVICE_UNAVAILABLE",
}


def problem_response(
    request: Request[Any, Any, Any],
    status: int,
    code: str,
    detail: str,
    *,
    headers: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
) -> Response[dict[str, Any]]:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "instance": request.url.path,
        "code": code,
    }
    request_id = request.scope.get("state", {}).get("request_id")
    if request_id:
        body["requestId"] = request_id
    body.update(extra or {})
    return Response(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _domain_status(error: domain.DomainError) -> int:
    for cls in type(error).__mro__:
        if cls in DOMAIN_STATUS:
            return DOMAIN_STATUS[cls]
    return DOMAIN_STATUS[domain.DomainError]


def _on_domain_error(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    assert isinstance(exc, domain.DomainError)
    status = _domain_status(exc)
    extra: dict[str, object] = {"details": exc.details} if exc.details else {}
    if isinstance(exc, domain.ValidationFailed) and "errors" in exc.details:
        extra = {"errors": exc.details["errors"]}
    return problem_response(request, status, exc.code, exc.message, extra=extra)


def _on_api_error(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    assert isinstance(exc, ApiError)
    return problem_response(
        request, exc.status, exc.code, exc.detail, headers=exc.headers, extra=exc.extra
    )


def _field_errors(exc: ValidationException) -> list[dict[str, Any]]:
    items = exc.extra if isinstance(exc.extra, list) else []
    return [
        {
            "field": item.get("key") or "",
            "source": item.get("source") or "body",
            "message": item.get("message") or "invalid value",
        }
        for item in items
        if isinstance(item, dict)
    ]


def _on_http_exception(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    assert isinstance(exc, HTTPException)
    if isinstance(exc, ValidationException):
        return problem_response(
            request,
            422,
            "VALIDATION_ERROR",
            "the request is not valid",
            extra={"errors": _field_errors(exc)},
        )
    status = exc.status_code
    if status >= 500:
        return _on_unexpected(request, exc)
    code = HTTP_CODES.get(status, HTTPStatus(status).name)
    return problem_response(request, status, code, exc.detail, headers=exc.headers)


def _on_unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    _log.error("api.unhandled_error", path=request.url.path, error=type(exc).__name__, exc_info=exc)
    return problem_response(request, 500, "INTERNAL_ERROR", "an unexpected error occurred")


exception_handlers: ExceptionHandlersMap = {
    domain.DomainError: _on_domain_error,
    ApiError: _on_api_error,
    HTTPException: _on_http_exception,
    Exception: _on_unexpected,
}
