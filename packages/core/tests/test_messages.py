import pytest
from leadengine_core.errors import ValidationFailed
from leadengine_core.messages import (
    Direction,
    MediaInfo,
    Message,
    MessageOrigin,
    MessageStatus,
    MessageType,
)
from leadengine_core.testing import EntityFactory

make = EntityFactory()
TICKET = make.ticket(make.ids.new_id(), make.ids.new_id(), instance_id=make.ids.new_id())


def outbound(**overrides: object) -> Message:
    return make.message(
        TICKET, direction=Direction.OUTBOUND, origin=MessageOrigin.AGENT, **overrides
    )


def test_an_inbound_message_must_come_from_the_broker() -> None:
    with pytest.raises(ValidationFailed):
        make.message(TICKET, direction=Direction.INBOUND, origin=MessageOrigin.AGENT)


def test_only_a_pending_agent_message_is_dispatchable() -> None:
    assert outbound().is_dispatchable
    assert not outbound(status=MessageStatus.SENT).is_dispatchable
    assert not outbound(provider_message_id="wamid.1").is_dispatchable
    echo = make.message(TICKET, direction=Direction.OUTBOUND, origin=MessageOrigin.BROKER)
    assert not echo.is_dispatchable
    assert not make.message(TICKET).is_dispatchable


def test_acks_move_forward_and_stamp_delivery_and_read_times() -> None:
    message = outbound()
    delivered_at, read_at = make.clock.advance(), make.clock.advance()

    assert message.apply_status(MessageStatus.DELIVERED, delivered_at) is True
    assert message.apply_status(MessageStatus.READ, read_at) is True

    assert message.status is MessageStatus.READ
    assert (message.delivered_at, message.read_at) == (delivered_at, read_at)
    assert message.updated_at == read_at


def test_a_late_delivery_ack_after_read_is_a_no_op() -> None:
    message = outbound()
    read_at = make.clock.advance()
    message.apply_status(MessageStatus.READ, read_at)

    assert message.apply_status(MessageStatus.DELIVERED, make.clock.advance()) is False
    assert message.status is MessageStatus.READ
    assert message.updated_at == read_at


def test_read_without_a_delivery_ack_implies_delivery() -> None:
    message = outbound()
    at = make.clock.advance()

    message.apply_status(MessageStatus.PLAYED, at)

    assert (message.delivered_at, message.read_at) == (at, at)


def test_failure_keeps_its_reason_until_proof_of_delivery() -> None:
    message = outbound(status=MessageStatus.SENT)

    assert message.apply_status(MessageStatus.FAILED, make.clock.advance(), reason="463") is True
    assert (message.status, message.failure_reason) == (MessageStatus.FAILED, "463")

    assert message.apply_status(MessageStatus.DELIVERED, make.clock.advance()) is True
    assert (message.status, message.failure_reason) == (MessageStatus.DELIVERED, None)


def test_mark_sent_stores_the_provider_id() -> None:
    message = outbound()
    at = make.clock.advance()

    assert message.mark_sent("wamid.ABC", at) is True

    assert (message.status, message.provider_message_id) == (MessageStatus.SENT, "wamid.ABC")
    assert message.mark_sent("wamid.ABC", make.clock.advance()) is False


def test_mark_sent_after_an_early_ack_keeps_the_higher_status() -> None:
    message = outbound()
    message.apply_status(MessageStatus.DELIVERED, make.clock.advance())

    assert message.mark_sent("wamid.ABC", make.clock.advance()) is True
    assert message.status is MessageStatus.DELIVERED


def test_edit_keeps_the_previous_text_with_its_time() -> None:
    message = make.message(TICKET, text="first")
    at = make.clock.advance()

    assert message.edit("second", at) is True
    assert message.edit("second", make.clock.advance()) is False

    assert message.text == "second"
    assert [(e.previous_text, e.edited_at) for e in message.edit_history] == [("first", at)]


def test_editing_a_media_message_changes_its_caption() -> None:
    message = make.message(
        TICKET,
        type=MessageType.IMAGE,
        text=None,
        caption="old",
        media=MediaInfo(mime_type="image/jpeg"),
    )

    message.edit("new", make.clock.advance())

    assert (message.caption, message.text) == ("new", None)
    assert message.edit_history[0].previous_text == "old"


def test_revoke_is_idempotent_and_freezes_edits() -> None:
    message = make.message(TICKET, text="oops")
    at = make.clock.advance()

    assert message.revoke(at) is True
    assert message.revoke(make.clock.advance()) is False
    assert message.edit("fixed", make.clock.advance()) is False

    assert message.revoked
    assert message.revoked_at == at
    assert message.text == "oops"


def test_reactions_are_one_per_sender_and_an_empty_emoji_removes() -> None:
    message = make.message(TICKET)
    alice, bob = "1@s.whatsapp.net", "2@s.whatsapp.net"

    assert message.react(alice, "👍", make.clock.advance()) is True
    assert message.react(bob, "❤️", make.clock.advance()) is True
    assert message.react(alice, "👍", make.clock.advance()) is False
    assert message.react(alice, "😂", make.clock.advance()) is True
    assert {sender: r.emoji for sender, r in message.reactions.items()} == {
        alice: "😂",
        bob: "❤️",
    }

    assert message.react(alice, "", make.clock.advance()) is True
    assert message.react(alice, "", make.clock.advance()) is False
    assert set(message.reactions) == {bob}
