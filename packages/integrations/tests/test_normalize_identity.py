"""Who a message is from and about: groups, LIDs, fromMe, Status and channels (§8, §10.14-23)."""

from __future__ import annotations

from typing import Any

import pytest
from leadengine_core.jid import JidKind
from leadengine_core.message_status import MessageStatus
from leadengine_integrations.normalize import (
    IgnoredEvent,
    IgnoreReason,
    InboundMessage,
    Sender,
    parse_webhook,
)
from leadengine_integrations.normalize import samples as s


def inbound(message: dict[str, Any], **upsert_fields: Any) -> InboundMessage:
    event = s.single(parse_webhook(s.upsert(message, **upsert_fields))).event
    assert isinstance(event, InboundMessage)
    return event


def test_direct_phone_chat() -> None:
    message = inbound(s.wamessage(s.TEXT, remote_jid="5531988887777:12@c.us"))

    assert (message.chat, message.chat_kind) == (s.CUSTOMER_JID, JidKind.PHONE)
    assert (message.customer_phone, message.customer_lid) == (s.CUSTOMER_PHONE, None)
    assert message.sender == Sender(jid=s.CUSTOMER_JID, phone=s.CUSTOMER_PHONE, push_name="Joana")
    assert (message.from_me, message.source, message.upsert_type) == (False, "raw", "notify")


def test_group_message_belongs_to_the_group_and_records_the_participant() -> None:
    message = inbound(
        s.wamessage(
            s.TEXT,
            remote_jid=s.GROUP_JID,
            participant=s.MEMBER_LID,
            participantAlt=s.MEMBER_JID,
            push_name="Carlos",
        )
    )

    assert (message.chat, message.chat_kind) == (s.GROUP_JID, JidKind.GROUP)
    assert (message.customer_phone, message.customer_lid) == (None, None)
    assert message.sender == Sender(
        jid=s.MEMBER_LID, phone=s.MEMBER_PHONE, lid=s.MEMBER_LID, push_name="Carlos"
    )


def test_group_participant_device_suffix_is_normalised() -> None:
    message = inbound(
        s.wamessage(s.TEXT, remote_jid=s.GROUP_JID, participant="5511977776666:3@s.whatsapp.net")
    )

    assert message.sender is not None
    assert (message.sender.jid, message.sender.phone) == (s.MEMBER_JID, s.MEMBER_PHONE)


def test_legacy_group_id_prefix_is_not_the_sender() -> None:
    legacy = "5511900001001-1582000000@g.us"
    message = inbound(s.wamessage(s.TEXT, remote_jid=legacy, participant=s.MEMBER_LID))

    assert message.chat == legacy
    assert message.sender == Sender(jid=s.MEMBER_LID, lid=s.MEMBER_LID, push_name="Joana")


def test_lid_sender_without_alternate_phone_has_no_phone() -> None:
    message = inbound(s.wamessage(s.TEXT, remote_jid=s.CUSTOMER_LID, addressingMode="lid"))

    assert (message.chat, message.chat_kind) == (s.CUSTOMER_LID, JidKind.LID)
    assert (message.customer_phone, message.customer_lid) == (None, s.CUSTOMER_LID)
    assert message.sender is not None
    assert message.sender.phone is None


@pytest.mark.parametrize("alias", ["remoteJidAlt", "senderPn", "participantPn", "participantAlt"])
def test_lid_sender_with_alternate_phone(alias: str) -> None:
    alternate: dict[str, Any] = {alias: s.CUSTOMER_JID}
    message = inbound(s.wamessage(s.TEXT, remote_jid=s.CUSTOMER_LID, **alternate))

    assert (message.customer_phone, message.customer_lid) == (s.CUSTOMER_PHONE, s.CUSTOMER_LID)
    assert message.sender == Sender(
        jid=s.CUSTOMER_LID, phone=s.CUSTOMER_PHONE, lid=s.CUSTOMER_LID, push_name="Joana"
    )


def test_alt_field_holding_a_lid_never_becomes_a_phone() -> None:
    message = inbound(s.wamessage(s.TEXT, remoteJidAlt=s.CUSTOMER_LID, senderLid=s.CUSTOMER_LID))

    assert (message.customer_phone, message.customer_lid) == (s.CUSTOMER_PHONE, s.CUSTOMER_LID)
    lid_only = inbound(s.wamessage(s.TEXT, remote_jid=s.CUSTOMER_LID, remoteJidAlt="99887766@lid"))
    assert lid_only.customer_phone is None


def test_from_me_messages_are_kept_flagged_and_never_name_the_contact() -> None:
    echo = s.wamessage(s.TEXT, from_me=True, push_name="Loja Oficial", timestamp="1748779190")
    echo["status"] = "PENDING"

    message = inbound(echo, upsert_type="append")

    assert (message.from_me, message.sender, message.customer_phone) == (
        True,
        None,
        s.CUSTOMER_PHONE,
    )
    assert (message.status, message.upsert_type) == (MessageStatus.PENDING, "append")
    assert message.occurred_at is not None


def test_from_me_pre_v7_sender_fields_describe_us_not_the_customer() -> None:
    own = s.wamessage(s.TEXT, remote_jid=s.CUSTOMER_LID, from_me=True, senderPn=s.OWN_JID)

    assert inbound(own).customer_phone is None


@pytest.mark.parametrize(
    ("remote_jid", "reason"),
    [
        ("status@broadcast", IgnoreReason.STATUS_BROADCAST),
        ("120363400000000099@newsletter", IgnoreReason.NEWSLETTER),
        ("13135550002@bot", IgnoreReason.UNSUPPORTED_CHAT),
        ("not a jid", IgnoreReason.MISSING_CHAT),
    ],
)
def test_chats_without_tickets_are_ignored(remote_jid: str, reason: IgnoreReason) -> None:
    message = s.wamessage(s.IMAGE, remote_jid=remote_jid, participant=s.MEMBER_JID)

    item = s.single(parse_webhook(s.upsert(message)))

    assert item == (IgnoredEvent(reason=reason, instance_key=s.INSTANCE), None)


def test_broadcast_list_message_records_the_participant() -> None:
    message = inbound(
        s.wamessage(s.TEXT, remote_jid="1748779000@broadcast", participant=s.MEMBER_JID)
    )

    assert message.chat_kind is JidKind.BROADCAST
    assert message.customer_phone is None
    assert message.sender is not None
    assert message.sender.phone == s.MEMBER_PHONE
