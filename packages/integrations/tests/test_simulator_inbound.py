"""Simulated customers: what reaches the webhook is what the real broker posts (§9.1)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from leadengine_integrations.broker import BrokerClient
from leadengine_integrations.simulator import CustomerMessage, RunningSimulator
from leadengine_integrations.simulator.testing import WebhookReceiver

INBOUND = "MESSAGE_INBOUND"
UPSERT = "WHATSAPP_MESSAGES_UPSERT"
PHONE_JID = "5511988887777@s.whatsapp.net"
LID = "205040302010002@lid"
GROUP = "120363400000000001@g.us"


async def deliver(
    sim: RunningSimulator, receiver: WebhookReceiver, instance_id: str, **fields: Any
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Have a customer send, then return the events posted for it and the raw WAMessage."""
    await sim.webhooks_settled()
    already = len(receiver.accepted())
    sent = await sim.customer_sends(instance_id, CustomerMessage(**fields))
    await sim.webhooks_settled()
    events = [w.json for w in receiver.accepted()[already:]]
    assert [e["event"] for e in events] == sent["events"]
    upsert = next(event for event in events if event["event"] == UPSERT)
    (raw,) = upsert["payload"]["raw"]["messages"]
    return events, raw


async def test_direct_text_is_contract_event_then_raw_upsert(
    sim: RunningSimulator, receiver: WebhookReceiver, instance_id: str
) -> None:
    events, raw = await deliver(
        sim, receiver, instance_id, text="Oi, tudo bem?", push_name="Joana", timestamp=1767000000
    )

    inbound, upsert = events
    assert [inbound["event"], upsert["event"]] == [INBOUND, UPSERT]
    assert inbound["instanceId"] == upsert["instanceId"] == instance_id
    assert inbound["payload"]["contact"] == {
        "owner": "user",
        "remoteJid": PHONE_JID,
        "participant": None,
        "phone": "+5511988887777",
        "displayName": "Joana",
        "isGroup": False,
    }
    message = inbound["payload"]["message"]
    assert (message["id"], message["chatId"], message["type"], message["text"]) == (
        raw["key"]["id"],
        PHONE_JID,
        "text",
        "Oi, tudo bem?",
    )
    assert inbound["payload"]["metadata"]["timestamp"] == "2025-12-29T09:20:00.000Z"
    assert inbound["payload"]["metadata"]["broker"] == {"direction": "inbound", "type": "baileys"}

    assert raw["key"] == {
        "remoteJid": PHONE_JID,
        "fromMe": False,
        "id": raw["key"]["id"],
        "addressingMode": "pn",
    }
    assert (raw["pushName"], raw["messageTimestamp"]) == ("Joana", 1767000000)
    assert raw["message"] == {"conversation": "Oi, tudo bem?"}
    payload = upsert["payload"]
    assert payload["iid"] == instance_id
    assert payload["raw"]["type"] == "notify"
    assert payload["messages"] == payload["normalized"]["messages"] == [raw]


async def test_group_message_names_the_participant(
    sim: RunningSimulator, receiver: WebhookReceiver, instance_id: str
) -> None:
    (inbound, _), raw = await deliver(sim, receiver, instance_id, text="Bom dia", group_jid=GROUP)

    assert raw["key"]["remoteJid"] == GROUP
    assert raw["key"]["participant"] == PHONE_JID
    contact = inbound["payload"]["contact"]
    assert (contact["remoteJid"], contact["participant"], contact["isGroup"]) == (
        GROUP,
        PHONE_JID,
        True,
    )
    assert contact["phone"] == "+5511988887777"


async def test_lid_sender_with_the_phone_revealed(
    sim: RunningSimulator, receiver: WebhookReceiver, instance_id: str
) -> None:
    (inbound, _), raw = await deliver(sim, receiver, instance_id, text="Oi", sender_lid=LID)

    assert raw["key"]["remoteJid"] == LID
    assert raw["key"]["remoteJidAlt"] == PHONE_JID
    assert raw["key"]["addressingMode"] == "lid"
    contact = inbound["payload"]["contact"]
    assert (contact["remoteJid"], contact["phone"]) == (PHONE_JID, "+5511988887777")
    assert inbound["payload"]["message"]["chatId"] == PHONE_JID


async def test_lid_only_sender_keeps_the_lid_and_the_brokers_bogus_phone(
    sim: RunningSimulator, receiver: WebhookReceiver, instance_id: str
) -> None:
    (inbound, _), raw = await deliver(
        sim, receiver, instance_id, text="Oi", sender_lid=LID, reveal_phone=False
    )

    assert "remoteJidAlt" not in raw["key"]
    contact = inbound["payload"]["contact"]
    assert contact["remoteJid"] == LID
    # The real broker takes the digits before "@" whatever the server: a LID is not a phone.
    assert contact["phone"] == "+205040302010002"


async def test_group_lid_participant_carries_participant_alt(
    sim: RunningSimulator, receiver: WebhookReceiver, instance_id: str
) -> None:
    _, raw = await deliver(sim, receiver, instance_id, text="Oi", group_jid=GROUP, sender_lid=LID)

    assert raw["key"]["participant"] == LID
    assert raw["key"]["participantAlt"] == PHONE_JID
    assert "remoteJidAlt" not in raw["key"]


@pytest.mark.parametrize(
    ("fields", "content_key", "expected"),
    [
        (
            {"kind": "image", "text": "boleto"},
            "imageMessage",
            {"caption": "boleto", "mimetype": "image/png"},
        ),
        (
            {"kind": "video", "seconds": 12},
            "videoMessage",
            {"seconds": 12, "mimetype": "video/mp4"},
        ),
        (
            {"kind": "audio"},
            "audioMessage",
            {"ptt": True, "mimetype": "audio/ogg; codecs=opus"},
        ),
        (
            {"kind": "document", "file_name": "contrato.pdf"},
            "documentMessage",
            {"fileName": "contrato.pdf", "mimetype": "application/pdf"},
        ),
        ({"kind": "sticker"}, "stickerMessage", {"mimetype": "image/webp", "isAnimated": False}),
    ],
)
async def test_media_messages(
    sim: RunningSimulator,
    receiver: WebhookReceiver,
    instance_id: str,
    fields: dict[str, Any],
    content_key: str,
    expected: dict[str, Any],
) -> None:
    (inbound, _), raw = await deliver(sim, receiver, instance_id, **fields)

    media = raw["message"][content_key]
    assert expected.items() <= media.items()
    assert isinstance(media["fileLength"], str)
    assert media["directPath"].startswith("/v/")
    assert media["mediaKey"]
    message = inbound["payload"]["message"]
    assert message["type"] == "media"
    assert message["media"]["type"] == content_key.removesuffix("Message")
    assert message["media"]["size"] == int(media["fileLength"])


async def test_document_with_caption_is_wrapped_like_baileys_does(
    sim: RunningSimulator, receiver: WebhookReceiver, instance_id: str
) -> None:
    (inbound, _), raw = await deliver(sim, receiver, instance_id, kind="document", text="segue")

    wrapped = raw["message"]["documentWithCaptionMessage"]["message"]["documentMessage"]
    assert wrapped["caption"] == "segue"
    assert inbound["payload"]["message"]["text"] == "segue"


async def test_location_and_contact(
    sim: RunningSimulator, receiver: WebhookReceiver, instance_id: str
) -> None:
    (where, _), located = await deliver(
        sim,
        receiver,
        instance_id,
        kind="location",
        latitude=-19.9,
        longitude=-43.9,
        location_name="Loja",
    )
    (card, _), shared = await deliver(
        sim,
        receiver,
        instance_id,
        kind="contact",
        contact_name="Ana",
        contact_phone="5531977776666",
    )

    assert located["message"]["locationMessage"] == {
        "degreesLatitude": -19.9,
        "degreesLongitude": -43.9,
        "name": "Loja",
    }
    assert where["payload"]["message"]["type"] == "location"
    assert shared["message"]["contactMessage"]["displayName"] == "Ana"
    assert "waid=5531977776666" in shared["message"]["contactMessage"]["vcard"]
    assert card["payload"]["message"]["type"] == "contact"


async def test_reactions_edits_and_revokes_reach_only_the_raw_upsert(
    sim: RunningSimulator, receiver: WebhookReceiver, instance_id: str
) -> None:
    connected = sim.state.instance(instance_id)
    assert connected is not None
    own_jid = f"{connected.phone_number}@s.whatsapp.net"

    reacted = await deliver(
        sim, receiver, instance_id, kind="reaction", text="👍", target_id="3EB0TARGET"
    )
    edited = await deliver(
        sim, receiver, instance_id, kind="edit", text="corrigido", target_id="CUSTOMERMSG"
    )
    revoked = await deliver(sim, receiver, instance_id, kind="revoke", target_id="CUSTOMERMSG")

    for events, _ in (reacted, edited, revoked):
        (upsert,) = events
        assert upsert["event"] == UPSERT
        assert upsert["payload"]["messages"] == []
    reaction = reacted[1]["message"]["reactionMessage"]
    assert (reaction["key"]["id"], reaction["text"]) == ("3EB0TARGET", "👍")
    edit = edited[1]["message"]["protocolMessage"]
    assert edit["type"] == "MESSAGE_EDIT"
    assert edit["editedMessage"] == {"conversation": "corrigido"}
    # Written from the customer's side: the key points at OUR jid with fromMe true.
    assert edit["key"] == {"remoteJid": own_jid, "fromMe": True, "id": "CUSTOMERMSG"}
    revoke = revoked[1]["message"]["protocolMessage"]
    assert (revoke["type"], revoke["key"]["id"]) == ("REVOKE", "CUSTOMERMSG")


async def test_poll_vote_is_decrypted_into_poll_choice(
    broker: BrokerClient, sim: RunningSimulator, receiver: WebhookReceiver, instance_id: str
) -> None:
    poll = await broker.send_poll(
        instance_id,
        "+5511988887777",
        question="Horário?",
        options=["Manhã", "Tarde"],
        idempotency_key="poll-1",
    )

    events, raw = await deliver(
        sim,
        receiver,
        instance_id,
        kind="poll_vote",
        target_id=poll.provider_message_id,
        selected_options=("Tarde",),
    )

    assert [e["event"] for e in events] == [INBOUND, UPSERT, "POLL_CHOICE"]
    assert events[0]["payload"]["message"]["type"] == "poll_update"
    vote = raw["message"]["pollUpdateMessage"]
    assert vote["pollCreationMessageKey"]["id"] == poll.provider_message_id
    assert set(vote["vote"]) == {"encPayload", "encIv"}
    choice = events[2]["payload"]
    assert (choice["pollId"], choice["question"], choice["voterJid"]) == (
        poll.provider_message_id,
        "Horário?",
        PHONE_JID,
    )
    assert [o["text"] for o in choice["selectedOptions"]] == ["Tarde"]
    assert [(o["text"], o["votes"]) for o in choice["aggregates"]["optionTotals"]] == [
        ("Manhã", 0),
        ("Tarde", 1),
    ]


async def test_customers_cannot_reach_a_disconnected_instance(
    sim: RunningSimulator, instance_id: str
) -> None:
    await sim.disconnect(instance_id)
    with pytest.raises(httpx.HTTPStatusError) as refused:
        await sim.customer_sends(instance_id, text="Oi")
    assert refused.value.response.status_code == 409
    assert refused.value.response.json()["error"]["code"] == "INSTANCE_NOT_CONNECTED"


async def test_incomplete_customer_messages_are_rejected(
    sim: RunningSimulator, instance_id: str
) -> None:
    async with httpx.AsyncClient(base_url=sim.url) as raw:
        response = await raw.post(
            f"/_sim/instances/{instance_id}/inbound",
            json={"kind": "reaction", "text": "👍"},
            headers={"X-API-Key": sim.config.api_key},
        )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "INVALID_PAYLOAD"
