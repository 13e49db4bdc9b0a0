"""Reactions, edits, revokes and polls: events about other messages (§4, §10.25-28)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from leadengine_core.messages import MessageType
from leadengine_integrations.normalize import (
    OWN_SENDER,
    IgnoredEvent,
    IgnoreReason,
    InboundMessage,
    MessageEdit,
    MessageRevoke,
    PollOption,
    PollVote,
    Reaction,
    parse_webhook,
)
from leadengine_integrations.normalize import samples as s
from leadengine_integrations.normalize.events import BatchItem

REACTED_AT = datetime(2025, 6, 1, 11, 59, 50, 123000, tzinfo=UTC)
EDITED_AT = datetime(2025, 6, 1, 12, 0, 50, 123000, tzinfo=UTC)
EDIT_ID = "3A0022"


def item_of(message: dict[str, Any]) -> BatchItem:
    return s.single(parse_webhook(s.upsert(message)))


@pytest.mark.parametrize(("emoji", "key_emoji"), [("❤️", "❤️"), ("", "")], ids=["add", "remove"])
def test_reaction_add_and_remove(emoji: str, key_emoji: str) -> None:
    item = item_of(s.wamessage(s.reaction(emoji), message_id="3A0033"))

    assert item.event == Reaction(
        instance_key=s.INSTANCE,
        target_provider_message_id=s.TARGET_ID,
        chat=s.CUSTOMER_JID,
        sender=s.CUSTOMER_JID,
        from_me=False,
        emoji=emoji,
        at=REACTED_AT,
        reaction_message_id="3A0033",
    )
    assert item.dedupe_key == (
        f"react:{s.INSTANCE}:{s.TARGET_ID}:{s.CUSTOMER_JID}:{key_emoji}:1748779190123"
    )


def test_reaction_senders_in_groups_and_our_own() -> None:
    group = item_of(s.wamessage(s.reaction("👍"), remote_jid=s.GROUP_JID, participant=s.MEMBER_JID))
    own = item_of(s.wamessage(s.reaction("👍", target_from_me=False), from_me=True))
    anonymous = item_of(s.wamessage(s.reaction("👍"), remote_jid=s.GROUP_JID))

    assert isinstance(group.event, Reaction)
    assert group.event.sender == s.MEMBER_JID
    assert isinstance(own.event, Reaction)
    assert own.event.sender == OWN_SENDER
    assert anonymous.event == IgnoredEvent(
        reason=IgnoreReason.MISSING_SENDER, instance_key=s.INSTANCE, detail="reactionMessage"
    )


@pytest.mark.parametrize("wrapped", [True, False], ids=["edited-wrapper", "bare-protocol"])
def test_edit_targets_the_id_in_the_outer_chat(wrapped: bool) -> None:
    item = item_of(s.wamessage(s.edit("valor correto: R$ 90", wrapped=wrapped), message_id=EDIT_ID))

    assert item.event == MessageEdit(
        instance_key=s.INSTANCE,
        target_provider_message_id=s.TARGET_ID,
        chat=s.CUSTOMER_JID,
        new_text="valor correto: R$ 90",
        at=EDITED_AT,
        edit_message_id=EDIT_ID,
    )


def test_edit_reported_twice_collapses_to_one_key() -> None:
    raw = item_of(s.wamessage(s.edit("novo"), message_id=EDIT_ID))
    processed = {
        "key": {"remoteJid": s.CUSTOMER_JID, "fromMe": False, "id": s.TARGET_ID},
        "update": {
            "message": {"editedMessage": {"message": {"conversation": "novo"}}},
            "messageTimestamp": 1748779250,
        },
    }

    update = s.single(parse_webhook(s.messages_update(processed)))

    assert isinstance(update.event, MessageEdit)
    assert update.event.new_text == "novo"
    assert raw.dedupe_key == update.dedupe_key == f"edit:{s.INSTANCE}:{s.TARGET_ID}:1748779250000"


def test_caption_edit_reads_the_new_caption() -> None:
    edit = s.edit("x")
    edit["editedMessage"]["message"]["protocolMessage"]["editedMessage"] = {
        "imageMessage": {"caption": "legenda nova"}
    }

    event = item_of(s.wamessage(edit)).event

    assert isinstance(event, MessageEdit)
    assert event.new_text == "legenda nova"


def test_revoke_reported_twice_collapses_to_one_key() -> None:
    raw = item_of(s.wamessage(s.revoke(), message_id="3A0099"))
    processed = {
        "key": {"remoteJid": s.CUSTOMER_JID, "fromMe": False, "id": s.TARGET_ID},
        "update": {"message": None, "messageStubType": 1, "key": {"id": "3A0099"}},
    }

    update = s.single(parse_webhook(s.messages_update(processed)))

    assert raw.event == MessageRevoke(
        instance_key=s.INSTANCE,
        target_provider_message_id=s.TARGET_ID,
        chat=s.CUSTOMER_JID,
        at=datetime.fromtimestamp(s.TIMESTAMP, UTC),
        revoke_message_id="3A0099",
    )
    assert isinstance(update.event, MessageRevoke)
    assert raw.dedupe_key == update.dedupe_key == f"revoke:{s.INSTANCE}:{s.TARGET_ID}"


@pytest.mark.parametrize(
    ("content", "reason", "detail"),
    [
        (
            {"protocolMessage": {"type": "EPHEMERAL_SETTING", "ephemeralExpiration": 86400}},
            IgnoreReason.PROTOCOL_MESSAGE,
            "EPHEMERAL_SETTING",
        ),
        (
            {"protocolMessage": {"type": 6, "appStateSyncKeyShare": {}}},
            IgnoreReason.PROTOCOL_MESSAGE,
            "6",
        ),
        (
            {
                "protocolMessage": {
                    "type": "HISTORY_SYNC_NOTIFICATION",
                    "historySyncNotification": {},
                }
            },
            IgnoreReason.HISTORY_SYNC,
            None,
        ),
        ({"protocolMessage": {"type": "REVOKE"}}, IgnoreReason.MISSING_TARGET, "REVOKE"),
        (
            {"editedMessage": {"message": {"conversation": "sem alvo"}}},
            IgnoreReason.MISSING_TARGET,
            "editedMessage",
        ),
        ({"reactionMessage": {"text": "👍"}}, IgnoreReason.MISSING_TARGET, "reactionMessage"),
        (s.ENCRYPTED_POLL_VOTE, IgnoreReason.ENCRYPTED_POLL_VOTE, None),
    ],
    ids=[
        "ephemeral-setting",
        "key-share",
        "history-sync",
        "revoke-without-key",
        "edit-without-target",
        "reaction-without-key",
        "encrypted-vote",
    ],
)
def test_control_messages_are_ignored(
    content: dict[str, Any], reason: IgnoreReason, detail: str | None
) -> None:
    item = item_of(s.wamessage(content))

    assert item == (IgnoredEvent(reason=reason, instance_key=s.INSTANCE, detail=detail), None)


def test_poll_created_from_our_phone_is_kept() -> None:
    event = item_of(s.wamessage(s.POLL_CREATION, from_me=True)).event

    assert isinstance(event, InboundMessage)
    assert (event.content.type, event.from_me) == (MessageType.POLL, True)


def test_decrypted_poll_vote() -> None:
    item = s.single(parse_webhook(s.poll_choice(["Manhã", "Tarde"])))

    assert item.event == PollVote(
        instance_key=s.INSTANCE,
        poll_message_id=s.TARGET_ID,
        chat=s.CUSTOMER_JID,
        voter=s.CUSTOMER_JID,
        selected=(
            PollOption(id="hash-Manhã", text="Manhã"),
            PollOption(id="hash-Tarde", text="Tarde"),
        ),
        at=datetime(2025, 6, 1, 12, 40, tzinfo=UTC),
        vote_message_id="3A1B2C3D4E5F60718293",
    )
    assert str(item.dedupe_key).startswith(f"vote:{s.INSTANCE}:{s.TARGET_ID}:")


def test_changed_and_withdrawn_votes_have_their_own_keys() -> None:
    keys = {
        s.single(parse_webhook(s.poll_choice(choice))).dedupe_key
        for choice in (["Manhã"], ["Tarde"], [])
    }
    withdrawn = s.single(parse_webhook(s.poll_choice([]))).event

    assert len(keys) == 3
    assert isinstance(withdrawn, PollVote)
    assert withdrawn.selected == ()
