"""Webhook authentication, on the raw body and before anything is parsed or stored.

The broker presents the shared key as `X-API-Key` or `Authorization: Bearer`; with a secret
configured it also signs the exact body (`X-Signature`: hex HMAC-SHA256, `sha256=` prefix
allowed). Evolution presents `apikey` in a header or in the body. Every comparison is constant
time. With no key configured the webhook refuses everything: an unauthenticated webhook would
let anyone write messages into any tenant.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from typing import Any

from litestar import Request
from pydantic import SecretStr

from leadengine_api.problems import ApiError

__all__ = [
    "BODY_LIMIT_BYTES",
    "WebhookRefused",
    "check_api_key",
    "check_evolution_key",
    "check_signature",
    "read_body",
    "required_key",
    "same_secret",
]

BODY_LIMIT_BYTES = 1_048_576


class WebhookRefused(ApiError):
    """A rejected delivery; `reason` is the metric label."""

    def __init__(self, status: int, code: str, detail: str, reason: str) -> None:
        super().__init__(status, code, detail)
        self.reason = reason


def required_key(key: SecretStr | None) -> str:
    if key is None or not key.get_secret_value():
        raise WebhookRefused(
            503, "WEBHOOK_NOT_CONFIGURED", "no webhook key is configured", "not_configured"
        )
    return key.get_secret_value()


def check_api_key(headers: Mapping[str, str], expected: str) -> None:
    presented = headers.get("x-api-key")
    if presented is None:
        scheme, _, token = headers.get("authorization", "").partition(" ")
        presented = token.strip() if scheme.lower() == "bearer" else None
    if presented is None:
        raise _unauthorized("missing_key", "a webhook key is required (X-API-Key)")
    if not same_secret(presented, expected):
        raise _unauthorized("invalid_key", "the webhook key is not valid")


def check_signature(body: bytes, presented: str | None, secret: str) -> None:
    if not presented:
        raise _unauthorized("missing_signature", "X-Signature is required")
    digest = presented.strip().removeprefix("sha256=").lower()
    expected = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
    if not same_secret(digest, expected):
        raise _unauthorized("invalid_signature", "X-Signature does not match the body")


def check_evolution_key(headers: Mapping[str, str], body: object, expected: str) -> None:
    presented = headers.get("apikey")
    if presented is None and isinstance(body, dict) and isinstance(body.get("apikey"), str):
        presented = body["apikey"]
    if presented is None:
        raise _unauthorized("missing_key", "an apikey is required")
    if not same_secret(presented, expected):
        raise _unauthorized("invalid_key", "the apikey is not valid")


async def read_body(request: Request[Any, Any, Any], limit: int = BODY_LIMIT_BYTES) -> bytes:
    """Read at most `limit` bytes; a larger body is refused without buffering the rest."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _too_large(limit)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)
        chunks.append(chunk)
    return b"".join(chunks)


def same_secret(presented: str, expected: str) -> bool:
    return hmac.compare_digest(
        presented.encode("utf-8", "replace"), expected.encode("utf-8", "replace")
    )


def _unauthorized(reason: str, detail: str) -> WebhookRefused:
    return WebhookRefused(401, "UNAUTHORIZED", detail, reason)


def _too_large(limit: int) -> WebhookRefused:
    return WebhookRefused(
        413, "PAYLOAD_TOO_LARGE", f"the body exceeds {limit} bytes", "body_too_large"
    )
