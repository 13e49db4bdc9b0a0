"""Broker answers drift (lesson 18): the same field nested differently still parses."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from leadengine_integrations.broker import (
    BrokerGroup,
    BrokerInstance,
    InstanceStatus,
    RecipientCheck,
    SendResult,
)

MOMENT = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


@pytest.mark.parametrize(
    "payload",
    [
        {"id": "3EB0AA", "status": "SENT", "timestamp": "2026-01-02T03:04:05Z"},
        {"data": {"messageId": "3EB0AA", "status": "sent", "timestamp": 1767323045}},
        {"success": True, "result": {"externalId": "3EB0AA", "timestamp": 1767323045000}},
        {"payload": {"message": {"id": "3EB0AA", "timestamp": "1767323045"}}},
        {"response": {"data": {"id": "3EB0AA", "status": "sent", "timestamp": 1767323045}}},
    ],
)
def test_send_result_found_at_any_depth(payload: dict[str, object]) -> None:
    result = SendResult.from_payload(payload)
    assert result.provider_message_id == "3EB0AA"
    assert result.status == "sent"
    assert result.timestamp == MOMENT


def test_send_result_without_an_id_is_refused_not_invented() -> None:
    with pytest.raises(ValueError, match="no message id"):
        SendResult.from_payload({"data": {"status": "sent"}})


@pytest.mark.parametrize(
    ("payload", "status", "connected"),
    [
        ({"status": "connected", "connected": True}, "connected", True),
        ({"data": {"status": {"status": "qr_required", "qr": "2@x"}}}, "qr_required", False),
        ({"metadata": {"state": "open"}}, "connected", True),
        ({"payload": {"connected": False, "qrCode": "2@x"}}, "qr_required", False),
        ({"data": {"connected": False}}, "disconnected", False),
    ],
)
def test_instance_status_shapes(payload: dict[str, object], status: str, connected: bool) -> None:
    parsed = InstanceStatus.from_payload(payload)
    assert (parsed.status, parsed.connected) == (status, connected)


def test_status_reads_qr_expiry_and_rate() -> None:
    parsed = InstanceStatus.from_payload(
        {
            "data": {
                "id": "i-1",
                "status": "qr_required",
                "qr": "2@abc",
                "qrExpiresAt": "2026-01-02T03:04:05Z",
                "rate": {"limit": 60, "remaining": "59", "resetAt": 1767323045},
            }
        }
    )
    assert parsed.instance_id == "i-1"
    assert parsed.qr == "2@abc"
    assert parsed.qr_expires_at == MOMENT
    assert parsed.rate is not None
    assert (parsed.rate.limit, parsed.rate.remaining, parsed.rate.reset_at) == (60, 59, MOMENT)


def test_session_reads_tenant_and_id_aliases() -> None:
    parsed = BrokerInstance.from_payload({"sessionId": "s-9", "tenantId": "t", "state": "close"})
    assert (parsed.instance_id, parsed.tenant_id, parsed.status) == ("s-9", "t", "disconnected")


def test_recipient_check_and_groups() -> None:
    check = RecipientCheck.from_payload({"data": {"exists": True, "jid": "55@s.whatsapp.net"}})
    assert (check.exists, check.can_receive, check.jid) == (True, True, "55@s.whatsapp.net")
    groups = BrokerGroup.list_from_payload(
        {"data": {"groups": [{"id": "1@g.us", "subject": "Time", "participants": [1, 2]}, {}]}}
    )
    assert groups == [BrokerGroup(jid="1@g.us", subject="Time", size=2)]
