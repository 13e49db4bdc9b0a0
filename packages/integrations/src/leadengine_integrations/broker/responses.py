"""Reading broker answers: JSON bodies, error fields, session lists, attachment names."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from leadengine_integrations.broker.errors import (
    BrokerError,
    BrokerErrorCode,
    broker_error,
    classify_broker_failure,
)
from leadengine_integrations.broker.parsing import as_str, layers, pick

__all__ = [
    "error_from_response",
    "filename_from_disposition",
    "json_body",
    "session_items",
    "unexpected_answer",
]

_LIST_KEYS = ("instances", "sessions", "items", "data", "result")
_ERROR_TEXT_LIMIT = 200


def json_body(response: httpx.Response) -> Any:
    """The parsed body, or None when it is empty or not JSON (brokers answer both)."""
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        return None


def _error_fields(response: httpx.Response) -> tuple[str | None, str | None, str | None]:
    """(broker code, message, request id) from the error body, wherever the broker put them."""
    payload = json_body(response)
    if not isinstance(payload, Mapping):
        text = response.text.strip()[:_ERROR_TEXT_LIMIT] if response.content else None
        return None, text or None, None
    error = payload.get("error")
    objects = [error, payload] if isinstance(error, Mapping) else [payload]
    code = as_str(pick(objects, "code", "errorCode"))
    message = as_str(pick(objects, "message", "detail", "reason"))
    if isinstance(error, str):
        code = code or error.upper()
        message = message or error
    request_id = as_str(pick(objects, "requestId", "request_id", "traceId"))
    return code, message, request_id


def error_from_response(response: httpx.Response, operation: str) -> BrokerError:
    broker_code, message, remote_request_id = _error_fields(response)
    status = response.status_code
    return broker_error(
        classify_broker_failure(status, broker_code, message),
        message or f"broker answered HTTP {status}",
        operation=operation,
        status=status,
        request_id=remote_request_id
        or response.headers.get("x-request-id")
        or response.request.headers["X-Request-Id"],
        broker_code=broker_code,
    )


def unexpected_answer(response: httpx.Response, operation: str, message: str) -> BrokerError:
    """A 2xx the client cannot use (no message id, undecodable media, wrong tenant)."""
    return broker_error(
        BrokerErrorCode.BROKER_ERROR,
        message,
        operation=operation,
        status=response.status_code,
        request_id=response.request.headers["X-Request-Id"],
    )


def session_items(payload: object) -> list[object]:
    if isinstance(payload, list):
        return payload
    for obj in layers(payload, _LIST_KEYS):
        for key in _LIST_KEYS:
            if isinstance(obj.get(key), list):
                return list(obj[key])
    return []


def filename_from_disposition(header: str | None) -> str | None:
    if not header:
        return None
    for part in header.split(";"):
        name, _, value = part.strip().partition("=")
        if name.lower() == "filename" and value:
            return value.strip('"')
    return None
