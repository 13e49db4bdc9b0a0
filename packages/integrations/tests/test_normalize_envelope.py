"""The broker envelope: batch shapes, instances, event names, contract events, connection."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from leadengine_core.instances import InstanceStatus
from leadengine_core.jid import JidKind
from leadengine_core.messages import MessageType
from leadengine_integrations.normalize import (
    AckUpdate,
    ConnectionUpdate,
    IgnoredEvent,
    IgnoreReason,
    InboundMessage,
    RejectedEvent,
    RejectReason,
    Sender,
    parse_webhook,
)
from leadengine_integrations.normalize import samples as s

MESSAGE_KEY = f"msg:{s.INSTANCE}:{s.MESSAGE_ID}"


def text_upsert(**fields: Any) -> dict[str, Any]:
    return s.upsert(s.wamessage(s.TEXT, **fields))


def test_single_array_and_events_envelopes() -> None:
    single = parse_webhook(text_upsert())
    array = parse_webhook([text_upsert(), s.messages_update(s.ack(s.MESSAGE_ID, 3))])
    wrapped = parse_webhook({"events": [text_upsert()]})

    assert [item.dedupe_key for item in single.items] == [MESSAGE_KEY]
    assert array.counts == {"message": 1, "ack": 1}
    assert wrapped.items == single.items


def test_events_envelope_lends_its_instance_to_events_that_name_none() -> None:
    event = text_upsert()
    del event["instanceId"], event["payload"]["iid"]

    batch = parse_webhook({"instanceId": "sales-02", "events": [event]})

    assert batch.items[0].dedupe_key == f"msg:sales-02:{s.MESSAGE_ID}"


def test_body_wrapper_is_merged_and_its_keys_win() -> None:
    inner = text_upsert()
    body = {"event": "SOMETHING_ELSE", "instanceId": "outer", "body": inner}

    assert parse_webhook(body).items == parse_webhook(inner).items


def test_event_name_from_type_case_and_prefix_insensitive() -> None:
    event = text_upsert()
    event["type"] = event.pop("event")
    dotted = text_upsert()
    dotted["event"] = "messages.upsert"

    assert parse_webhook(event).items == parse_webhook(text_upsert()).items
    assert parse_webhook(dotted).items == parse_webhook(text_upsert()).items


def test_event_without_a_name_but_with_messages_is_an_upsert() -> None:
    event = text_upsert()
    del event["event"]

    assert s.single(parse_webhook(event)).dedupe_key == MESSAGE_KEY


def test_raw_may_be_a_json_string() -> None:
    event = text_upsert()
    event["payload"]["raw"] = json.dumps(event["payload"]["raw"])

    assert parse_webhook(event).items == parse_webhook(text_upsert()).items


def test_triple_serialisation_is_read_once_and_raw_keeps_from_me() -> None:
    body = s.upsert(s.wamessage(s.TEXT), s.wamessage(s.TEXT, message_id="3A00FE", from_me=True))

    batch = parse_webhook(body)

    assert [item.dedupe_key for item in batch.items] == [MESSAGE_KEY, f"msg:{s.INSTANCE}:3A00FE"]
    assert [item.event.from_me for item in batch.items] == [False, True]  # type: ignore[union-attr]


def test_filtered_views_are_used_when_raw_is_missing() -> None:
    body = text_upsert()
    del body["payload"]["raw"]

    assert s.single(parse_webhook(body)).dedupe_key == MESSAGE_KEY


@pytest.mark.parametrize("field", ["instanceId", "iid"])
def test_instance_from_any_of_its_fields(field: str) -> None:
    body = text_upsert()
    del body["instanceId"], body["payload"]["iid"]
    body["payload"][field] = "sales-03"

    assert s.single(parse_webhook(body)).dedupe_key == f"msg:sales-03:{s.MESSAGE_ID}"


def test_missing_instance_is_rejected_without_touching_siblings() -> None:
    orphan = text_upsert()
    del orphan["instanceId"], orphan["payload"]["iid"]

    batch = parse_webhook([orphan, text_upsert()])

    assert batch.rejected == (
        RejectedEvent(reason=RejectReason.MISSING_INSTANCE, detail="MESSAGES_UPSERT"),
    )
    assert batch.items[1].dedupe_key == MESSAGE_KEY


@pytest.mark.parametrize("body", [None, "MESSAGE_INBOUND", 42, True], ids=repr)
def test_bodies_that_are_not_events_are_rejected(body: object) -> None:
    batch = parse_webhook(body)

    assert batch.rejected == (RejectedEvent(reason=RejectReason.INVALID_BODY),)


def test_unknown_events_and_stray_items_are_ignored() -> None:
    batch = parse_webhook(
        [
            {"event": "CONTACTS_UPSERT", "payload": {}},
            {"event": "presence.update", "instanceId": s.INSTANCE},
            "text",
            s.upsert(instance=s.INSTANCE),
        ]
    )

    assert [item.event for item in batch.items] == [
        IgnoredEvent(reason=IgnoreReason.UNKNOWN_EVENT, detail="CONTACTS_UPSERT"),
        IgnoredEvent(reason=IgnoreReason.PRESENCE, detail="presence.update"),
        IgnoredEvent(reason=IgnoreReason.NOT_AN_OBJECT),
        IgnoredEvent(
            reason=IgnoreReason.EMPTY_EVENT, instance_key=s.INSTANCE, detail="MESSAGES_UPSERT"
        ),
    ]
    assert parse_webhook([]).items == ()


def test_redelivery_and_instances() -> None:
    first, again = parse_webhook(text_upsert()), parse_webhook(text_upsert())
    other_account = parse_webhook(s.upsert(s.wamessage(s.TEXT), instance="sales-02"))

    assert first.items == again.items
    assert other_account.items[0].dedupe_key != first.items[0].dedupe_key


def test_message_without_id_is_keyed_by_its_content() -> None:
    def key_of(content: dict[str, Any]) -> str | None:
        return s.single(parse_webhook(s.upsert(s.wamessage(content, message_id=None)))).dedupe_key

    first = key_of(s.TEXT)

    assert first is not None
    assert first.startswith(f"msg:{s.INSTANCE}:sha256:")
    assert first == key_of(s.TEXT)
    assert first != key_of({"conversation": "outra coisa"})


def test_separators_inside_key_parts_are_escaped() -> None:
    body = s.upsert(s.wamessage(s.TEXT, message_id="a:b%c"), instance="tenant:one")

    assert s.single(parse_webhook(body)).dedupe_key == "msg:tenant%3Aone:a%3Ab%25c"


def test_contract_and_raw_upsert_of_one_message_keep_a_key_each() -> None:
    contract = s.single(parse_webhook(s.message_inbound()))
    raw = s.single(parse_webhook(text_upsert()))

    assert raw.dedupe_key == MESSAGE_KEY
    assert contract.dedupe_key == f"{MESSAGE_KEY}:contract"
    assert contract.event.provider_message_id == raw.event.provider_message_id
    assert isinstance(contract.event, InboundMessage)
    assert contract.event.source == "contract"
    assert contract.event.content.text == s.TEXT["conversation"]
    assert contract.event.sender == Sender(
        jid=s.CUSTOMER_JID, phone=s.CUSTOMER_PHONE, push_name="Joana"
    )
    assert contract.event.occurred_at == datetime(2025, 6, 1, 12, 39, 50, tzinfo=UTC)


def test_contract_phone_of_a_lid_sender_is_not_trusted() -> None:
    body = s.message_inbound(
        chat_id=s.CUSTOMER_LID, phone="+205040302010002", display_name="+205040302010002"
    )

    event = s.single(parse_webhook(body)).event

    assert isinstance(event, InboundMessage)
    assert (event.chat_kind, event.customer_phone, event.customer_lid) == (
        JidKind.LID,
        None,
        s.CUSTOMER_LID,
    )
    assert event.sender is not None
    assert event.sender.push_name is None


def test_contract_group_outbound_and_media() -> None:
    group = s.single(
        parse_webhook(s.message_inbound(chat_id=s.GROUP_JID, participant=s.MEMBER_JID))
    ).event
    outbound = s.single(
        parse_webhook(s.message_inbound(event="MESSAGE_OUTBOUND", display_name=s.CUSTOMER_PHONE))
    ).event
    media = {
        "type": "audio",
        "mimetype": "audio/ogg",
        "size": 1834,
        "directPath": "/v/x.enc",
        "mediaKey": "a2V5",
    }
    audio = s.single(
        parse_webhook(s.message_inbound(message_type="media", text=None, media=media))
    ).event

    assert isinstance(group, InboundMessage)
    assert group.customer_phone is None
    assert group.sender == Sender(jid=s.MEMBER_JID, phone=s.MEMBER_PHONE, push_name="Joana")
    assert isinstance(outbound, InboundMessage)
    assert (outbound.from_me, outbound.sender) == (True, None)
    assert isinstance(audio, InboundMessage)
    assert audio.content.type is MessageType.AUDIO
    assert audio.content.media is not None
    assert (audio.content.media.size, audio.content.media.url) == (1834, None)


@pytest.mark.parametrize(
    ("message_type", "text", "expected"),
    [
        ("buttons_response", "Sim", MessageType.TEXT),
        ("imageMessage", None, MessageType.IMAGE),
        ("location", None, MessageType.LOCATION),
        ("orderMessage", None, MessageType.UNKNOWN),
        (None, "só texto", MessageType.TEXT),
    ],
)
def test_contract_types(message_type: str | None, text: str | None, expected: MessageType) -> None:
    event = s.single(parse_webhook(s.message_inbound(message_type=message_type, text=text))).event

    assert isinstance(event, InboundMessage)
    assert event.content.type is expected


@pytest.mark.parametrize(
    ("message_type", "text", "reason"),
    [
        (None, None, IgnoreReason.EMPTY_MESSAGE),
        ("poll_update", None, IgnoreReason.NEEDS_RAW_EVENT),
        ("reactionMessage", "👍", IgnoreReason.NEEDS_RAW_EVENT),
    ],
    ids=["edit-wrapper", "poll-vote", "reaction"],
)
def test_contract_events_without_a_row(
    message_type: str | None, text: str | None, reason: IgnoreReason
) -> None:
    item = s.single(parse_webhook(s.message_inbound(message_type=message_type, text=text)))

    assert item == (IgnoredEvent(reason=reason, instance_key=s.INSTANCE), None)


REPORTED_AT = datetime.fromtimestamp(s.TIMESTAMP + 4, UTC)


@pytest.mark.parametrize(
    ("raw", "status", "code"),
    [
        ({"connection": "open"}, InstanceStatus.CONNECTED, None),
        ({"connection": "connecting"}, InstanceStatus.CONNECTING, None),
        ({"qr": "2@ref,noise,identity,adv"}, InstanceStatus.QR_REQUIRED, None),
        (s.closed(401), InstanceStatus.DISCONNECTED, 401),
        (s.closed(440), InstanceStatus.DISCONNECTED, 440),
        (s.closed(403), InstanceStatus.FAILED, 403),
        (s.closed(408), InstanceStatus.CONNECTING, 408),
        (s.closed(515), InstanceStatus.CONNECTING, 515),
        ({"connection": "close"}, InstanceStatus.DISCONNECTED, None),
    ],
    ids=[
        "open",
        "connecting",
        "qr",
        "logged-out",
        "replaced",
        "banned",
        "lost",
        "restart",
        "no-code",
    ],
)
def test_connection_updates(raw: dict[str, Any], status: InstanceStatus, code: int | None) -> None:
    item = s.single(parse_webhook(s.connection_update(raw)))

    assert isinstance(item.event, ConnectionUpdate)
    assert (item.event.status, item.event.disconnect_code, item.event.at) == (
        status,
        code,
        REPORTED_AT,
    )
    assert item.dedupe_key == f"conn:{s.INSTANCE}:{status}:{(s.TIMESTAMP + 4) * 1000}"


def test_qr_is_kept_but_never_in_repr() -> None:
    event = s.single(parse_webhook(s.connection_update({"qr": "2@secret-ref,noise"}))).event

    assert isinstance(event, ConnectionUpdate)
    assert event.qr == "2@secret-ref,noise"
    assert "secret" not in repr(event)


def test_partial_connection_update_is_not_a_disconnect() -> None:
    item = s.single(
        parse_webhook(s.connection_update({"isOnline": True, "receivedPendingNotifications": True}))
    )

    assert item == (
        IgnoredEvent(reason=IgnoreReason.CONNECTION_UNCHANGED, instance_key=s.INSTANCE),
        None,
    )


def test_connection_without_any_time_is_keyed_by_its_content() -> None:
    body = s.connection_update({"connection": "open", "phone": "+5511900001001"})
    del body["timestamp"]

    item = s.single(parse_webhook(body))

    assert isinstance(item.event, ConnectionUpdate)
    assert item.event.phone == "+5511900001001"
    assert str(item.dedupe_key).startswith(f"conn:{s.INSTANCE}:connected:sha256-")


def test_batch_counts() -> None:
    batch = parse_webhook(s.broker_bodies())

    assert batch.counts == {
        "message": 6,
        "edit": 1,
        "reaction": 1,
        "ack": 3,
        "connection": 2,
        "poll_vote": 1,
    }
    assert isinstance(batch.events[7], AckUpdate)
    assert batch.ignored_reasons == {}
