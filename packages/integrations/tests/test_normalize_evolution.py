"""Evolution API v2 webhooks (§9.2): one message per upsert, flattened shapes, named statuses."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from leadengine_core.instances import InstanceStatus
from leadengine_core.message_status import MessageStatus
from leadengine_core.messages import MessageType
from leadengine_integrations.normalize import (
    AckUpdate,
    ConnectionUpdate,
    IgnoredEvent,
    IgnoreReason,
    InboundMessage,
    MessageEdit,
    MessageRevoke,
    RejectedEvent,
    RejectReason,
    parse_evolution_webhook,
)
from leadengine_integrations.normalize import samples as s
from leadengine_integrations.normalize.events import BatchItem

INSTANCE = s.EVOLUTION_INSTANCE


def item_of(event: str, data: object) -> BatchItem:
    return s.single(parse_evolution_webhook(s.evolution(event, data)))


def test_upsert_with_flattened_text_and_quote() -> None:
    data = s.wamessage({"conversation": "Esse aqui"})
    data |= {
        "contextInfo": {"stanzaId": s.TARGET_ID, "quotedMessage": {"conversation": "Qual?"}},
        "messageType": "conversation",
        "instanceId": "0b7c2a6e-7a43-4d55-9d57-2d3f2f5d1e11",
        "source": "android",
    }

    item = item_of("messages.upsert", data)

    assert item.dedupe_key == f"msg:{INSTANCE}:{s.MESSAGE_ID}"
    assert isinstance(item.event, InboundMessage)
    assert item.event.content.text == "Esse aqui"
    assert item.event.content.quoted is not None
    assert (item.event.content.quoted.provider_message_id, item.event.content.quoted.text) == (
        s.TARGET_ID,
        "Qual?",
    )


def test_send_message_is_ours_and_the_voce_placeholder_is_not_a_name() -> None:
    data = s.wamessage(s.TEXT, from_me=True, push_name="Você")
    data["status"] = "PENDING"

    event = item_of("send.message", data).event

    assert isinstance(event, InboundMessage)
    assert (event.from_me, event.sender, event.status) == (True, None, MessageStatus.PENDING)


def test_undecryptable_message_is_ignored() -> None:
    assert item_of("messages.upsert", s.wamessage({})).event == IgnoredEvent(
        reason=IgnoreReason.EMPTY_MESSAGE, instance_key=INSTANCE
    )


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("SERVER_ACK", MessageStatus.SENT),
        ("DELIVERY_ACK", MessageStatus.DELIVERED),
        ("READ", MessageStatus.READ),
        ("PLAYED", MessageStatus.PLAYED),
        ("ERROR", MessageStatus.FAILED),
    ],
)
def test_named_statuses(status: str, expected: MessageStatus) -> None:
    data = {
        "keyId": s.MESSAGE_ID,
        "remoteJid": s.CUSTOMER_JID,
        "fromMe": True,
        "status": status,
        "messageId": "cm0evo1",
    }

    item = item_of("messages.update", data)

    assert item.event == AckUpdate(
        instance_key=INSTANCE,
        provider_message_id=s.MESSAGE_ID,
        chat=s.CUSTOMER_JID,
        from_me=True,
        status=expected,
    )
    assert item.dedupe_key == f"ack:{INSTANCE}:{s.MESSAGE_ID}:{expected}"


def test_deleted_status_and_delete_event_are_one_revoke() -> None:
    status = {
        "keyId": s.TARGET_ID,
        "remoteJid": s.CUSTOMER_JID,
        "fromMe": False,
        "status": "DELETED",
    }
    deleted = item_of("messages.update", status)
    delete = item_of(
        "messages.delete", {"remoteJid": s.CUSTOMER_JID, "fromMe": False, "id": s.TARGET_ID}
    )

    assert delete.event == MessageRevoke(
        instance_key=INSTANCE, target_provider_message_id=s.TARGET_ID, chat=s.CUSTOMER_JID, at=None
    )
    assert deleted == delete


def test_edit_names_no_chat() -> None:
    item = item_of("messages.edited", s.edit("corrigido", wrapped=False)["protocolMessage"])

    assert item.event == MessageEdit(
        instance_key=INSTANCE,
        target_provider_message_id=s.TARGET_ID,
        chat=None,
        new_text="corrigido",
        at=datetime(2025, 6, 1, 12, 0, 50, 123000, tzinfo=UTC),
    )


def test_edit_wrapped_in_a_message_takes_the_outer_chat() -> None:
    wrapped = s.wamessage(s.edit("corrigido", wrapped=False), message_id="3A0022")

    event = item_of("send.message.update", wrapped).event

    assert isinstance(event, MessageEdit)
    assert (event.chat, event.edit_message_id) == (s.CUSTOMER_JID, "3A0022")


@pytest.mark.parametrize(
    ("data", "status", "code"),
    [
        ({"state": "open", "statusReason": 200, "wuid": s.OWN_JID}, InstanceStatus.CONNECTED, 200),
        ({"state": "connecting"}, InstanceStatus.CONNECTING, None),
        ({"state": "close", "statusReason": 401}, InstanceStatus.DISCONNECTED, 401),
        ({"state": "close", "statusReason": 515}, InstanceStatus.CONNECTING, 515),
        ({"state": "refused"}, InstanceStatus.DISCONNECTED, None),
    ],
)
def test_connection_states(data: dict[str, Any], status: InstanceStatus, code: int | None) -> None:
    item = item_of("connection.update", {"instance": INSTANCE, **data})

    assert isinstance(item.event, ConnectionUpdate)
    assert (item.event.status, item.event.disconnect_code, item.event.at) == (status, code, None)
    assert item.event.phone == ("+5511900001001" if "wuid" in data else None)
    assert str(item.dedupe_key).startswith(f"conn:{INSTANCE}:{status}:sha256-")


def test_qr_code_and_qr_limit() -> None:
    qr = item_of(
        "qrcode.updated",
        {
            "qrcode": {
                "instance": INSTANCE,
                "code": "2@abc,def",
                "base64": "data:image/png;base64,AA",
            }
        },
    )
    limit = item_of("qrcode.updated", {"message": "QR code limit reached", "statusCode": 500})

    assert isinstance(qr.event, ConnectionUpdate)
    assert (qr.event.status, qr.event.qr) == (InstanceStatus.QR_REQUIRED, "2@abc,def")
    assert limit.event == IgnoredEvent(reason=IgnoreReason.QR_UNAVAILABLE, instance_key=INSTANCE)


def test_upper_snake_and_suffix_event_names() -> None:
    upper = parse_evolution_webhook(s.evolution("MESSAGES_UPSERT", s.wamessage(s.TEXT)))
    suffix = parse_evolution_webhook(s.evolution("messages-upsert", s.wamessage(s.TEXT)))

    assert (
        upper.items
        == suffix.items
        == parse_evolution_webhook(s.evolution("messages.upsert", s.wamessage(s.TEXT))).items
    )


@pytest.mark.parametrize(
    ("event", "reason"),
    [
        ("contacts.upsert", IgnoreReason.UNKNOWN_EVENT),
        ("chats.update", IgnoreReason.UNKNOWN_EVENT),
        ("messages.set", IgnoreReason.HISTORY_SYNC),
        ("presence.update", IgnoreReason.PRESENCE),
    ],
)
def test_other_events_are_ignored(event: str, reason: IgnoreReason) -> None:
    assert item_of(event, {"remoteJid": s.CUSTOMER_JID}).event == IgnoredEvent(
        reason=reason, detail=event
    )


def test_missing_instance_and_invalid_bodies_are_rejected() -> None:
    body = s.evolution("messages.upsert", s.wamessage(s.TEXT))
    del body["instance"]

    assert parse_evolution_webhook(body).rejected == (
        RejectedEvent(reason=RejectReason.MISSING_INSTANCE, detail="messages.upsert"),
    )
    assert parse_evolution_webhook(None).rejected == (
        RejectedEvent(reason=RejectReason.INVALID_BODY),
    )


def test_media_message_from_evolution() -> None:
    event = item_of("messages.upsert", s.wamessage(s.VOICE_NOTE)).event

    assert isinstance(event, InboundMessage)
    assert event.content.type is MessageType.AUDIO
