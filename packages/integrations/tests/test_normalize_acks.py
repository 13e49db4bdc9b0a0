"""Acks: `messages.update`, group receipts, the Baileys scale and its dedupe keys (§5)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from leadengine_core.message_status import MessageStatus
from leadengine_integrations.normalize import (
    AckUpdate,
    IgnoredEvent,
    IgnoreReason,
    parse_webhook,
)
from leadengine_integrations.normalize import samples as s


def ack_event(status: object, **fields: Any) -> AckUpdate:
    event = s.single(parse_webhook(s.messages_update(s.ack(s.MESSAGE_ID, status, **fields)))).event
    assert isinstance(event, AckUpdate)
    return event


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (0, MessageStatus.FAILED),
        (1, MessageStatus.PENDING),
        (2, MessageStatus.SENT),
        (3, MessageStatus.DELIVERED),
        (4, MessageStatus.READ),
        (5, MessageStatus.PLAYED),
        ("ERROR", MessageStatus.FAILED),
        ("PENDING", MessageStatus.PENDING),
        ("SERVER_ACK", MessageStatus.SENT),
        ("DELIVERY_ACK", MessageStatus.DELIVERED),
        ("READ", MessageStatus.READ),
        ("PLAYED", MessageStatus.PLAYED),
        ("3", MessageStatus.DELIVERED),
        ("delivered", MessageStatus.DELIVERED),
    ],
    ids=repr,
)
def test_baileys_scale_without_the_old_off_by_one(status: object, expected: MessageStatus) -> None:
    event = ack_event(status, receipt_at=s.TIMESTAMP + 60)

    assert event == AckUpdate(
        instance_key=s.INSTANCE,
        provider_message_id=s.MESSAGE_ID,
        chat=s.CUSTOMER_JID,
        from_me=True,
        status=expected,
        at=datetime.fromtimestamp(s.TIMESTAMP + 60, UTC),
    )


def test_each_status_of_a_message_has_its_own_key() -> None:
    body = s.messages_update(s.ack(s.MESSAGE_ID, 3), s.ack(s.MESSAGE_ID, 4))

    keys = [item.dedupe_key for item in parse_webhook(body).items]

    assert keys == [
        f"ack:{s.INSTANCE}:{s.MESSAGE_ID}:DELIVERED",
        f"ack:{s.INSTANCE}:{s.MESSAGE_ID}:READ",
    ]


def test_read_self_on_a_customer_message_is_kept_and_flagged() -> None:
    event = ack_event(4, from_me=False)

    assert (event.status, event.from_me) == (MessageStatus.READ, False)


def test_server_nack_carries_its_code() -> None:
    update = s.ack(s.MESSAGE_ID, 0)
    update["update"]["messageStubParameters"] = ["463"]

    event = s.single(parse_webhook(s.messages_update(update))).event

    assert isinstance(event, AckUpdate)
    assert (event.status, event.error_code) == (MessageStatus.FAILED, "463")


def test_updates_may_sit_directly_in_the_payload() -> None:
    body = s.messages_update()
    body["payload"] = {"iid": s.INSTANCE, "updates": [s.ack(s.MESSAGE_ID, 3)]}

    assert isinstance(s.single(parse_webhook(body)).event, AckUpdate)


@pytest.mark.parametrize(
    ("update", "reason"),
    [
        (
            {"key": {"remoteJid": s.CUSTOMER_JID, "fromMe": True}, "update": {"status": 3}},
            IgnoreReason.MISSING_MESSAGE_ID,
        ),
        (s.ack(s.MESSAGE_ID, 9), IgnoreReason.UNKNOWN_STATUS),
        (s.ack(s.MESSAGE_ID, "DELIVERED_TWICE"), IgnoreReason.UNKNOWN_STATUS),
        (s.ack(s.MESSAGE_ID, 3, remote_jid="status@broadcast"), IgnoreReason.STATUS_BROADCAST),
        (
            {"key": {"id": s.MESSAGE_ID}, "update": {"pollUpdates": [{"vote": {}}]}},
            IgnoreReason.UNSUPPORTED_UPDATE,
        ),
        (
            {
                "key": {"id": s.MESSAGE_ID},
                "update": {"messageStubParameters": ["Message absent from node", "req-1"]},
            },
            IgnoreReason.UNSUPPORTED_UPDATE,
        ),
        ("not an update", IgnoreReason.NOT_AN_OBJECT),
    ],
    ids=[
        "no-id",
        "unknown-number",
        "unknown-name",
        "status-feed",
        "poll-aggregate",
        "resend-request",
        "string",
    ],
)
def test_updates_that_are_not_acks(update: object, reason: IgnoreReason) -> None:
    body = s.messages_update()
    body["payload"]["raw"]["updates"] = [update]

    item = s.single(parse_webhook(body))

    assert isinstance(item.event, IgnoredEvent)
    assert item.event.reason is reason
    assert item.dedupe_key is None


def test_group_receipts_are_per_participant() -> None:
    key = {
        "remoteJid": s.GROUP_JID,
        "id": s.MESSAGE_ID,
        "fromMe": True,
        "participant": "5511977776666:3@s.whatsapp.net",
    }
    delivered = {
        "key": key,
        "receipt": {"userJid": s.MEMBER_JID, "receiptTimestamp": s.TIMESTAMP + 5},
    }
    read = {"key": key, "receipt": {"readTimestamp": s.TIMESTAMP + 9}}

    items = parse_webhook(s.receipt_update(delivered, read)).items

    assert [
        (i.event.status, i.event.participant) for i in items if isinstance(i.event, AckUpdate)
    ] == [
        (MessageStatus.DELIVERED, s.MEMBER_JID),
        (MessageStatus.READ, s.MEMBER_JID),
    ]
    assert items[1].event.at == datetime.fromtimestamp(s.TIMESTAMP + 9, UTC)  # type: ignore[union-attr]
    assert [item.dedupe_key for item in items] == [
        f"ack:{s.INSTANCE}:{s.MESSAGE_ID}:DELIVERED:{s.MEMBER_JID}",
        f"ack:{s.INSTANCE}:{s.MESSAGE_ID}:READ:{s.MEMBER_JID}",
    ]
