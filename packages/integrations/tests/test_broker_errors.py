"""The one translation table from broker failures to canonical codes (§4.1)."""

from __future__ import annotations

import pytest
from leadengine_integrations.broker import (
    BrokerError,
    BrokerErrorCode,
    BrokerTimeout,
    InstanceNotConnected,
    classify_broker_failure,
)
from leadengine_integrations.broker.errors import broker_error

Code = BrokerErrorCode


@pytest.mark.parametrize(
    ("status", "broker_code", "message", "expected"),
    [
        (401, None, None, Code.BROKER_AUTH),
        (403, "FORBIDDEN", "no", Code.BROKER_AUTH),
        (400, "UNAUTHORIZED", None, Code.BROKER_AUTH),
        (429, None, None, Code.RATE_LIMITED),
        (400, "RATE_LIMIT_EXCEEDED", None, Code.RATE_LIMITED),
        (500, "rate_limit_exceeded", None, Code.RATE_LIMITED),
        (408, None, None, Code.BROKER_TIMEOUT),
        (504, None, "Gateway Time-out", Code.BROKER_TIMEOUT),
        (500, "REQUEST_TIMEOUT", None, Code.BROKER_TIMEOUT),
        (500, None, "send timeout", Code.BROKER_TIMEOUT),
        (500, None, "operation timed out", Code.BROKER_TIMEOUT),
        (409, None, None, Code.INSTANCE_NOT_CONNECTED),
        (410, None, None, Code.INSTANCE_NOT_CONNECTED),
        (409, "INSTANCE_NOT_CONNECTED", "Instância desconectada", Code.INSTANCE_NOT_CONNECTED),
        (400, "SESSION_CLOSED", None, Code.INSTANCE_NOT_CONNECTED),
        (503, "socket_unavailable", None, Code.INSTANCE_NOT_CONNECTED),
        (500, None, "Sessão desconectada do WhatsApp", Code.INSTANCE_NOT_CONNECTED),
        (500, None, "socket indisponível", Code.INSTANCE_NOT_CONNECTED),
        (500, None, "instance is not connected", Code.INSTANCE_NOT_CONNECTED),
        (500, None, "socket disconnected", Code.INSTANCE_NOT_CONNECTED),
        (422, None, None, Code.INVALID_TO),
        (400, None, None, Code.INVALID_TO),
        (422, "INVALID_TO", "destinatário inválido", Code.INVALID_TO),
        (400, "INVALID_RECIPIENT", None, Code.INVALID_TO),
        (400, "INVALID_PHONE_NUMBER", None, Code.INVALID_TO),
        (400, "INVALID_JID", None, Code.INVALID_TO),
        (400, "invalid_destination", None, Code.INVALID_TO),
        (404, "whatsapp_not_found", None, Code.INVALID_TO),
        (500, None, "Destinatário não encontrado", Code.INVALID_TO),
        (500, None, "invalid recipient", Code.INVALID_TO),
        (404, "INSTANCE_NOT_FOUND", "instância não encontrada", Code.NOT_FOUND),
        (404, None, None, Code.NOT_FOUND),
        (None, None, None, Code.BROKER_UNAVAILABLE),
        (500, None, None, Code.BROKER_UNAVAILABLE),
        (502, None, "Bad Gateway", Code.BROKER_UNAVAILABLE),
        (503, "SIMULATED_FAILURE", None, Code.BROKER_UNAVAILABLE),
        (422, "INVALID_MEDIA_PAYLOAD", "media.url é obrigatório", Code.BROKER_ERROR),
        (409, "INSTANCE_ALREADY_EXISTS", None, Code.BROKER_ERROR),
        (415, "DIRECT_ROUTE_UNAVAILABLE", None, Code.BROKER_ERROR),
        (418, None, None, Code.BROKER_ERROR),
    ],
)
def test_classification(
    status: int | None, broker_code: str | None, message: str | None, expected: BrokerErrorCode
) -> None:
    assert classify_broker_failure(status, broker_code, message) is expected


@pytest.mark.parametrize(
    ("code", "retryable"),
    [
        (Code.INSTANCE_NOT_CONNECTED, True),
        (Code.RATE_LIMITED, True),
        (Code.BROKER_TIMEOUT, True),
        (Code.BROKER_UNAVAILABLE, True),
        (Code.INVALID_TO, False),
        (Code.BROKER_AUTH, False),
        (Code.NOT_FOUND, False),
        (Code.BROKER_ERROR, False),
    ],
)
def test_every_code_has_an_error_type_that_says_whether_to_retry(
    code: BrokerErrorCode, retryable: bool
) -> None:
    error = broker_error(code, "boom", operation="send_text", status=503, request_id="r-1")
    assert isinstance(error, BrokerError)
    assert error.code == code
    assert error.retryable is retryable
    assert error.details["requestId"] == "r-1"
    assert error.details["retryable"] is retryable


def test_specific_errors_can_be_caught_by_type() -> None:
    error = broker_error(Code.BROKER_TIMEOUT, "slow", operation="status")
    assert isinstance(error, BrokerTimeout)
    assert not isinstance(error, InstanceNotConnected)
