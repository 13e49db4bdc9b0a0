"""One translation of broker failures into domain errors with canonical codes.

`classify_broker_failure` is the whole table (§4.1 of the original system, kept as a pure
function so it can be tested row by row). One deliberate change from the original: a bare
400/409/410/422 only implies "invalid recipient" or "not connected" when the broker gave no
code of its own, so a 422 `INVALID_MEDIA_PAYLOAD` or a 409 `INSTANCE_ALREADY_EXISTS` is not
reported to an agent as a bad phone number or a dropped session.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import ClassVar

from leadengine_core.errors import DomainError

__all__ = [
    "BrokerAuthFailed",
    "BrokerError",
    "BrokerErrorCode",
    "BrokerNotFound",
    "BrokerTimeout",
    "BrokerUnavailable",
    "InstanceNotConnected",
    "InvalidRecipient",
    "RateLimited",
    "broker_error",
    "classify_broker_failure",
]


class BrokerErrorCode(StrEnum):
    INSTANCE_NOT_CONNECTED = "INSTANCE_NOT_CONNECTED"
    INVALID_TO = "INVALID_TO"
    RATE_LIMITED = "RATE_LIMITED"
    BROKER_TIMEOUT = "BROKER_TIMEOUT"
    BROKER_AUTH = "BROKER_AUTH"
    BROKER_UNAVAILABLE = "BROKER_UNAVAILABLE"
    BROKER_ERROR = "BROKER_ERROR"
    NOT_FOUND = "NOT_FOUND"


_TIMEOUT_CODES = frozenset(
    {"REQUEST_TIMEOUT", "TIMEOUT", "ETIMEDOUT", "BROKER_TIMEOUT", "ECONNABORTED"}
)
_AUTH_CODES = frozenset({"BROKER_AUTH", "UNAUTHORIZED", "FORBIDDEN", "INVALID_API_KEY"})
_NOT_CONNECTED_CODES = frozenset(
    {"INSTANCE_NOT_CONNECTED", "NOT_CONNECTED", "INSTANCE_DISCONNECTED", "SOCKET_UNAVAILABLE"}
)
_INVALID_TO_CODE = re.compile(
    r"^INVALID_(TO|RECIPIENT|PHONE|JID|NUMBER|DESTINATION)(_|$)|^WHATSAPP_NOT_FOUND$"
)
_TIMEOUT_TEXT = re.compile(r"\btime ?out\b|\btimed out\b", re.IGNORECASE)
_NOT_CONNECTED_TEXT = re.compile(
    r"not connected|disconnected|desconect|socket indispon", re.IGNORECASE
)
_INVALID_TO_TEXT = re.compile(r"invalid (recipient|destination)|destinat", re.IGNORECASE)


def classify_broker_failure(
    status: int | None, broker_code: str | None, message: str | None
) -> BrokerErrorCode:
    """The canonical code for a failed call; `status` is None when no response arrived."""
    code = (broker_code or "").strip().upper()
    text = message or ""
    if status in (401, 403) or code in _AUTH_CODES:
        return BrokerErrorCode.BROKER_AUTH
    if status == 429 or code.startswith("RATE_LIMIT"):
        return BrokerErrorCode.RATE_LIMITED
    if status in (408, 504) or code in _TIMEOUT_CODES or _TIMEOUT_TEXT.search(text):
        return BrokerErrorCode.BROKER_TIMEOUT
    if (
        code.startswith("SESSION_")
        or code in _NOT_CONNECTED_CODES
        or _NOT_CONNECTED_TEXT.search(text)
        or (status in (409, 410) and not code)
    ):
        return BrokerErrorCode.INSTANCE_NOT_CONNECTED
    if (
        _INVALID_TO_CODE.search(code)
        or _INVALID_TO_TEXT.search(text)
        or (status in (400, 422) and not code)
    ):
        return BrokerErrorCode.INVALID_TO
    if status == 404:
        return BrokerErrorCode.NOT_FOUND
    if status is None or status >= 500:
        return BrokerErrorCode.BROKER_UNAVAILABLE
    return BrokerErrorCode.BROKER_ERROR


class BrokerError(DomainError):
    """A broker call failed; `retryable` says whether sending the same request later may work."""

    code: ClassVar[str] = BrokerErrorCode.BROKER_ERROR
    retryable: ClassVar[bool] = False

    def __init__(
        self,
        message: str,
        *,
        operation: str,
        status: int | None = None,
        request_id: str | None = None,
        broker_code: str | None = None,
    ) -> None:
        super().__init__(
            message,
            details={
                "operation": operation,
                "status": status,
                "requestId": request_id,
                "brokerCode": broker_code,
                "retryable": self.retryable,
            },
        )
        self.operation = operation
        self.status = status
        self.request_id = request_id
        self.broker_code = broker_code


class InstanceNotConnected(BrokerError):
    code = BrokerErrorCode.INSTANCE_NOT_CONNECTED
    retryable = True


class InvalidRecipient(BrokerError):
    code = BrokerErrorCode.INVALID_TO


class RateLimited(BrokerError):
    code = BrokerErrorCode.RATE_LIMITED
    retryable = True


class BrokerTimeout(BrokerError):
    code = BrokerErrorCode.BROKER_TIMEOUT
    retryable = True


class BrokerAuthFailed(BrokerError):
    code = BrokerErrorCode.BROKER_AUTH


class BrokerUnavailable(BrokerError):
    code = BrokerErrorCode.BROKER_UNAVAILABLE
    retryable = True


class BrokerNotFound(BrokerError):
    code = BrokerErrorCode.NOT_FOUND


_ERROR_TYPES: dict[BrokerErrorCode, type[BrokerError]] = {
    BrokerErrorCode.INSTANCE_NOT_CONNECTED: InstanceNotConnected,
    BrokerErrorCode.INVALID_TO: InvalidRecipient,
    BrokerErrorCode.RATE_LIMITED: RateLimited,
    BrokerErrorCode.BROKER_TIMEOUT: BrokerTimeout,
    BrokerErrorCode.BROKER_AUTH: BrokerAuthFailed,
    BrokerErrorCode.BROKER_UNAVAILABLE: BrokerUnavailable,
    BrokerErrorCode.BROKER_ERROR: BrokerError,
    BrokerErrorCode.NOT_FOUND: BrokerNotFound,
}


def broker_error(
    code: BrokerErrorCode,
    message: str,
    *,
    operation: str,
    status: int | None = None,
    request_id: str | None = None,
    broker_code: str | None = None,
) -> BrokerError:
    """The `BrokerError` subclass for `code`, so callers may catch either one."""
    return _ERROR_TYPES[code](
        message,
        operation=operation,
        status=status,
        request_id=request_id,
        broker_code=broker_code,
    )
