"""Realistic webhook bodies, shaped after whatsapp-payloads.md, for tests and local fixtures.

Content constants are proto `Message` JSON as Baileys serialises live messages (§2): 64-bit
integers as strings, enums by name, bytes as base64. Builders deep-copy what they are given,
so a test may mutate what it gets back.
"""

from __future__ import annotations

import copy
from typing import Any

from leadengine_integrations.normalize.events import BatchItem, WebhookBatch

INSTANCE = "sales-01"
EVOLUTION_INSTANCE = "evo-sales"
TIMESTAMP = 1748779190
CUSTOMER_JID = "5531988887777@s.whatsapp.net"
CUSTOMER_PHONE = "+5531988887777"
CUSTOMER_LID = "205040302010002@lid"
MEMBER_JID = "5511977776666@s.whatsapp.net"
MEMBER_PHONE = "+5511977776666"
MEMBER_LID = "88776655443322@lid"
GROUP_JID = "120363400000000001@g.us"
OWN_JID = "5511900001001@s.whatsapp.net"
MESSAGE_ID = "3EB0A1B2C3D4E5F6A7B8C9"
TARGET_ID = "3EB0FFEE0011223344AABB"

TEXT = {"conversation": "Oi, tudo bem? Quero saber do boleto 🙂"}
EXTENDED_TEXT_WITH_QUOTE = {
    "extendedTextMessage": {
        "text": "Esse aqui https://example.com/boleto",
        "matchedText": "https://example.com/boleto",
        "contextInfo": {
            "stanzaId": TARGET_ID,
            "participant": "5511900001001:12@s.whatsapp.net",
            "quotedMessage": {"conversation": "Pode mandar o link?"},
            "mentionedJid": [CUSTOMER_LID],
        },
    },
    "messageContextInfo": {"deviceListMetadata": {}, "deviceListMetadataVersion": 2},
}
_CDN_PATH = "/v/t62.7118-24/1748779190_abc.enc?ccb=11-4&oh=01"
_MEDIA = {
    "url": f"https://mmg.whatsapp.net{_CDN_PATH}",
    "fileSha256": "n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg=",
    "fileEncSha256": "pj5kvf4fROaD9sE0gSqcJbIVUtkq1y6hkybKgmQCfmo=",
    "mediaKey": "bWVkaWFrZXktYmFzZTY0LXZhbHVlLTAwMDA=",
    "directPath": _CDN_PATH,
    "mediaKeyTimestamp": "1748779100",
}
IMAGE = {
    "imageMessage": {
        **_MEDIA,
        "mimetype": "image/jpeg",
        "caption": "boleto",
        "fileLength": "48211",
        "height": 1280,
        "width": 960,
        "jpegThumbnail": "/9j/4AAQSkZJRgABAQAAAQABAAD" + "A" * 6000,
    }
}
VIDEO = {
    "videoMessage": {
        **_MEDIA,
        "mimetype": "video/mp4",
        "caption": "olha isso",
        "fileLength": "1048576",
        "seconds": 12,
        "gifPlayback": False,
        "height": 640,
        "width": 360,
    }
}
VOICE_NOTE = {
    "audioMessage": {
        **_MEDIA,
        "mimetype": "audio/ogg; codecs=opus",
        "fileLength": "18342",
        "seconds": 7,
        "ptt": True,
        "waveform": "AAAMGSIkJSQfGhUSEA==",
    }
}
DOCUMENT = {
    "documentMessage": {
        **_MEDIA,
        "mimetype": "application/pdf",
        "title": "contrato.pdf",
        "fileName": "contrato.pdf",
        "fileLength": "88410",
        "pageCount": 3,
    }
}
DOCUMENT_WITH_CAPTION = {
    "documentWithCaptionMessage": {
        "message": {"documentMessage": {**DOCUMENT["documentMessage"], "caption": "segue"}}
    }
}
STICKER = {
    "stickerMessage": {
        **_MEDIA,
        "mimetype": "image/webp",
        "fileLength": "20480",
        "height": 512,
        "width": 512,
        "isAnimated": False,
    }
}
LOCATION = {
    "locationMessage": {
        "degreesLatitude": -19.9166813,
        "degreesLongitude": -43.9344931,
        "name": "Praça da Liberdade",
        "address": "Belo Horizonte - MG",
    }
}
LIVE_LOCATION = {
    "liveLocationMessage": {
        "degreesLatitude": -23.5614,
        "degreesLongitude": -46.6559,
        "caption": "estou chegando",
        "sequenceNumber": "1748779190000001",
        "accuracyInMeters": 12,
    }
}
_VCARD = (
    "BEGIN:VCARD\nVERSION:3.0\nFN:Maria Souza\n"
    "TEL;type=CELL;type=VOICE;waid=5511977776666:+55 11 97777-6666\nEND:VCARD"
)
CONTACT = {"contactMessage": {"displayName": "Maria Souza", "vcard": _VCARD}}
CONTACTS_ARRAY = {
    "contactsArrayMessage": {
        "displayName": "2 contatos",
        "contacts": [
            {"displayName": "Maria Souza", "vcard": _VCARD},
            {
                "displayName": "Loja",
                "vcard": "BEGIN:VCARD\nFN:Loja\nTEL;waid=553133334444:+55 31 3333-4444\nEND:VCARD",
            },
        ],
    }
}
BUTTONS_REPLY = {
    "buttonsResponseMessage": {
        "selectedButtonId": "btn-yes",
        "selectedDisplayText": "Sim, quero",
        "type": "DISPLAY_TEXT",
    }
}
LIST_REPLY = {
    "listResponseMessage": {
        "title": "Plano Ouro",
        "listType": "SINGLE_SELECT",
        "singleSelectReply": {"selectedRowId": "plan-gold"},
        "description": "R$ 99/mês",
    }
}
TEMPLATE_REPLY = {
    "templateButtonReplyMessage": {
        "selectedId": "tpl-confirm",
        "selectedDisplayText": "Confirmar",
        "selectedIndex": 0,
    }
}
INTERACTIVE_REPLY = {
    "interactiveResponseMessage": {
        "body": {"text": "Agendar visita", "format": "DEFAULT"},
        "nativeFlowResponseMessage": {
            "name": "quick_reply",
            "paramsJson": '{"id":"visit-tomorrow","description":"amanhã"}',
            "version": 3,
        },
    }
}
POLL_CREATION = {
    "pollCreationMessageV3": {
        "name": "Qual horário?",
        "options": [{"optionName": "Manhã"}, {"optionName": "Tarde"}],
        "selectableOptionsCount": 1,
    },
    "messageContextInfo": {"messageSecret": "c2VjcmV0LXBvbGwta2V5LWJhc2U2NA=="},
}
ENCRYPTED_POLL_VOTE = {
    "pollUpdateMessage": {
        "pollCreationMessageKey": {"remoteJid": CUSTOMER_JID, "fromMe": True, "id": TARGET_ID},
        "vote": {"encPayload": "ZW5jcnlwdGVk", "encIv": "aXY="},
        "senderTimestampMs": "1748779190123",
    }
}
EVENT_MESSAGE = {"eventMessage": {"name": "Reunião", "startTime": "1748800000"}}


def reaction(emoji: str, *, target_from_me: bool = True) -> dict[str, Any]:
    key = {"remoteJid": CUSTOMER_JID, "fromMe": target_from_me, "id": TARGET_ID}
    return {"reactionMessage": {"key": key, "text": emoji, "senderTimestampMs": "1748779190123"}}


def revoke() -> dict[str, Any]:
    """As the customer's phone writes it: the inner key is the sender's view (§4 trap)."""
    inner_key = {"remoteJid": OWN_JID, "fromMe": True, "id": TARGET_ID}
    return {"protocolMessage": {"key": inner_key, "type": "REVOKE"}}


def edit(text: str, *, wrapped: bool = True) -> dict[str, Any]:
    """An edit; current clients wrap it as `editedMessage.message.protocolMessage`."""
    protocol = {
        "protocolMessage": {
            "key": {"remoteJid": OWN_JID, "fromMe": True, "id": TARGET_ID},
            "type": "MESSAGE_EDIT",
            "editedMessage": {"conversation": text},
            "timestampMs": "1748779250123",
        }
    }
    return {"editedMessage": {"message": protocol}} if wrapped else protocol


def wamessage(
    message: dict[str, Any] | None,
    *,
    message_id: str | None = MESSAGE_ID,
    remote_jid: str = CUSTOMER_JID,
    from_me: bool = False,
    participant: str | None = None,
    push_name: str | None = "Joana",
    timestamp: object = TIMESTAMP,
    **key_fields: object,
) -> dict[str, Any]:
    """A Baileys WAMessage as a live upsert carries it (§1)."""
    key: dict[str, Any] = {"remoteJid": remote_jid, "fromMe": from_me}
    if message_id is not None:
        key["id"] = message_id
    if participant is not None:
        key["participant"] = participant
    key.update(key_fields)
    result: dict[str, Any] = {"key": key, "messageTimestamp": copy.deepcopy(timestamp)}
    if push_name is not None:
        result["pushName"] = push_name
    if message is not None:
        result["message"] = copy.deepcopy(message)
    return result


def upsert(
    *messages: dict[str, Any], instance: str = INSTANCE, upsert_type: str = "notify"
) -> dict[str, Any]:
    """`WHATSAPP_MESSAGES_UPSERT` with the broker's triple serialisation (§9.1): `raw`,
    `normalized` and `messages`, the last two without fromMe, stubs and protocol messages."""
    raw = [copy.deepcopy(message) for message in messages]
    filtered = [
        m
        for m in raw
        if not m["key"].get("fromMe") and "protocolMessage" not in m.get("message", {})
    ]
    return {
        "event": "WHATSAPP_MESSAGES_UPSERT",
        "instanceId": instance,
        "timestamp": TIMESTAMP + 1,
        "payload": {
            "iid": instance,
            "raw": {"messages": raw, "type": upsert_type},
            "normalized": {"messages": copy.deepcopy(filtered), "type": upsert_type},
            "messages": copy.deepcopy(filtered),
        },
    }


def ack(
    message_id: str,
    status: object,
    *,
    from_me: bool = True,
    remote_jid: str = CUSTOMER_JID,
    receipt_at: int | None = None,
) -> dict[str, Any]:
    """One `messages.update` entry for a direct-chat receipt (§5)."""
    update: dict[str, Any] = {"status": status}
    if receipt_at is not None:
        update["messageTimestamp"] = receipt_at
    key = {"remoteJid": remote_jid, "id": message_id, "fromMe": from_me}
    return {"key": key, "update": update}


def messages_update(*updates: dict[str, Any], instance: str = INSTANCE) -> dict[str, Any]:
    return {
        "event": "WHATSAPP_MESSAGES_UPDATE",
        "instanceId": instance,
        "timestamp": TIMESTAMP + 2,
        "payload": {"iid": instance, "raw": {"updates": copy.deepcopy(list(updates))}},
    }


def receipt_update(*receipts: dict[str, Any], instance: str = INSTANCE) -> dict[str, Any]:
    return {
        "event": "WHATSAPP_MESSAGE_RECEIPT_UPDATE",
        "instanceId": instance,
        "timestamp": TIMESTAMP + 3,
        "payload": {"iid": instance, "raw": copy.deepcopy(list(receipts))},
    }


def connection_update(raw: dict[str, Any], *, instance: str = INSTANCE) -> dict[str, Any]:
    return {
        "event": "WHATSAPP_CONNECTION_UPDATE",
        "instanceId": instance,
        "timestamp": TIMESTAMP + 4,
        "payload": {"iid": instance, "raw": copy.deepcopy(raw)},
    }


def closed(status_code: int) -> dict[str, Any]:
    """`connection.update` for a close, the Boom error as it survives JSON (§2)."""
    output = {"statusCode": status_code, "payload": {"statusCode": status_code}, "headers": {}}
    error = {"isBoom": True, "output": output}
    return {
        "connection": "close",
        "lastDisconnect": {"error": error, "date": "2025-06-01T12:00:00.000Z"},
    }


def message_inbound(
    *,
    message_id: str = MESSAGE_ID,
    chat_id: str = CUSTOMER_JID,
    message_type: str | None = "text",
    text: str | None = TEXT["conversation"],
    participant: str | None = None,
    phone: str | None = CUSTOMER_PHONE,
    display_name: str = "Joana",
    media: dict[str, Any] | None = None,
    event: str = "MESSAGE_INBOUND",
    instance: str = INSTANCE,
) -> dict[str, Any]:
    """The broker's contract event (§9.1): no top-level id, `contact` + `message` + `metadata`."""
    direction = "outbound" if event == "MESSAGE_OUTBOUND" else "inbound"
    message: dict[str, Any] = {
        "id": message_id,
        "messageId": message_id,
        "chatId": chat_id,
        "type": message_type,
        "text": text,
        "conversation": text,
    }
    if media is not None:
        message["media"] = copy.deepcopy(media)
    contact = {
        "owner": "device" if direction == "outbound" else "user",
        "remoteJid": chat_id,
        "participant": participant,
        "phone": phone,
        "displayName": display_name,
        "isGroup": chat_id.endswith("@g.us"),
    }
    metadata = {
        "timestamp": "2025-06-01T12:39:50.000Z",
        "broker": {"direction": direction, "type": "baileys"},
        "source": "baileys-acessus",
    }
    return {
        "event": event,
        "instanceId": instance,
        "timestamp": TIMESTAMP + 1,
        "payload": {
            "instanceId": instance,
            "contact": contact,
            "message": message,
            "metadata": metadata,
        },
    }


def poll_choice(selected: list[str], *, instance: str = INSTANCE) -> dict[str, Any]:
    options = [{"id": f"hash-{text}", "text": text} for text in selected]
    return {
        "event": "POLL_CHOICE",
        "instanceId": instance,
        "timestamp": TIMESTAMP + 5,
        "payload": {
            "pollId": TARGET_ID,
            "question": "Qual horário?",
            "chatId": CUSTOMER_JID,
            "messageId": "3A1B2C3D4E5F60718293",
            "timestamp": "2025-06-01T12:40:00.000Z",
            "voterJid": CUSTOMER_JID,
            "selectedOptions": options,
            "optionsAggregates": [],
            "aggregates": {"totalVoters": 1, "totalVotes": len(options), "optionTotals": []},
        },
    }


def evolution(event: str, data: object, *, instance: str = EVOLUTION_INSTANCE) -> dict[str, Any]:
    """An Evolution API v2 webhook body (§9.2); `date_time` carries its timezone bug."""
    return {
        "event": event,
        "instance": instance,
        "data": copy.deepcopy(data),
        "destination": "https://crm.example.com/webhooks/evolution",
        "date_time": "2025-06-01T09:39:50.123Z",
        "sender": OWN_JID,
        "server_url": "https://evolution.example.com",
        "apikey": None,
    }


def broker_bodies() -> list[dict[str, Any]]:
    """One valid body per broker event kind, for mutation testing."""
    group = wamessage(TEXT, remote_jid=GROUP_JID, participant=MEMBER_LID, participantAlt=MEMBER_JID)
    return [
        upsert(wamessage(EXTENDED_TEXT_WITH_QUOTE), wamessage(IMAGE, message_id="3A0011"), group),
        upsert(
            wamessage(edit("novo texto"), message_id="3A0022"),
            wamessage(reaction("👍"), message_id="3A0033"),
        ),
        upsert(
            wamessage(CONTACTS_ARRAY), wamessage(POLL_CREATION, from_me=True, message_id="3A0044")
        ),
        messages_update(
            ack(MESSAGE_ID, 3, receipt_at=TIMESTAMP + 9), ack(MESSAGE_ID, "READ", from_me=False)
        ),
        receipt_update(
            {
                "key": {
                    "remoteJid": GROUP_JID,
                    "id": MESSAGE_ID,
                    "fromMe": True,
                    "participant": "5511977776666:3@s.whatsapp.net",
                },
                "receipt": {"userJid": MEMBER_JID, "readTimestamp": TIMESTAMP + 20},
            }
        ),
        connection_update(closed(401)),
        connection_update({"qr": "2@ref,noise,identity,adv"}),
        message_inbound(),
        poll_choice(["Manhã"]),
    ]


def evolution_bodies() -> list[dict[str, Any]]:
    """One valid body per Evolution event kind, for mutation testing."""
    upserted = wamessage({"conversation": "olá", "mediaUrl": None}, push_name="Joana")
    upserted |= {"messageType": "conversation", "status": "DELIVERY_ACK", "source": "android"}
    status = {
        "keyId": MESSAGE_ID,
        "remoteJid": CUSTOMER_JID,
        "fromMe": True,
        "status": "READ",
        "messageId": "cm0evo1",
    }
    return [
        evolution("messages.upsert", upserted),
        evolution("messages.update", status),
        evolution("messages.delete", {"remoteJid": CUSTOMER_JID, "fromMe": False, "id": TARGET_ID}),
        evolution("messages.edited", edit("corrigido", wrapped=False)["protocolMessage"]),
        evolution(
            "connection.update",
            {"instance": EVOLUTION_INSTANCE, "state": "open", "statusReason": 200, "wuid": OWN_JID},
        ),
        evolution(
            "qrcode.updated",
            {
                "qrcode": {
                    "instance": EVOLUTION_INSTANCE,
                    "code": "2@abc,def",
                    "base64": "data:image/png;base64,AAAA",
                }
            },
        ),
    ]


def single(batch: WebhookBatch) -> BatchItem:
    """The only item of a batch; fails loudly when there is not exactly one."""
    if len(batch.items) != 1:
        raise AssertionError(f"expected one item, got {batch.items!r}")
    return batch.items[0]
