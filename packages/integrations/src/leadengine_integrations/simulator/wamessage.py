"""Baileys `WAMessage` JSON for what a customer sends (whatsapp-payloads.md §1 to §4).

Shapes follow live received messages: `messageTimestamp` a number, 64-bit fields inside
`message` as strings, bytes as base64, enums by name. Edits and revokes carry their inner key
from the sender's point of view (`fromMe: true`, our JID), as WhatsApp writes them.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from typing import Any, Literal

from leadengine_integrations.simulator.customer import CustomerMessage, InboundKind
from leadengine_integrations.simulator.ids import SimIds
from leadengine_integrations.simulator.jids import phone_jid
from leadengine_integrations.simulator.qr import png_of

__all__ = ["BuiltMessage", "Sender", "build_wamessage", "option_hash", "sender_of"]

_DEFAULT_MIME: dict[str, str] = {
    "image": "image/png",
    "video": "video/mp4",
    "audio": "audio/ogg; codecs=opus",
    "document": "application/pdf",
    "sticker": "image/webp",
}
_MEDIA_KINDS = frozenset(_DEFAULT_MIME)
_CONTRACT_TYPES: dict[str, str] = {
    "text": "text",
    **dict.fromkeys(_MEDIA_KINDS, "media"),
    "location": "location",
    "contact": "contact",
    "poll_vote": "poll_update",
}


@dataclass(frozen=True, slots=True)
class Sender:
    chat_jid: str
    participant: str | None
    alt_jid: str | None
    addressing_mode: Literal["pn", "lid"]

    @property
    def is_group(self) -> bool:
        return self.chat_jid.endswith("@g.us")

    def key(self, message_id: str) -> dict[str, Any]:
        key: dict[str, Any] = {"remoteJid": self.chat_jid, "fromMe": False, "id": message_id}
        if self.participant:
            key["participant"] = self.participant
        if self.alt_jid:
            key["participantAlt" if self.is_group else "remoteJidAlt"] = self.alt_jid
        key["addressingMode"] = self.addressing_mode
        return key


@dataclass(frozen=True, slots=True)
class BuiltMessage:
    wamessage: dict[str, Any]
    contract_type: str | None
    """`message.type` of MESSAGE_INBOUND; None when the broker would not emit one."""
    text: str | None
    media: tuple[bytes, str, str | None] | None
    """(content, mime type, file name) for media the broker can later download."""


def sender_of(message: CustomerMessage) -> Sender:
    pn = phone_jid(message.sender_phone)
    lid = message.sender_lid
    author = lid or pn
    alt = pn if lid and message.reveal_phone else None
    mode: Literal["pn", "lid"] = "lid" if lid else "pn"
    if message.group_jid:
        return Sender(message.group_jid, author, alt, mode)
    return Sender(author, None, alt, mode)


def option_hash(option: str) -> str:
    """Poll options are identified by the SHA-256 of their text, as WhatsApp does."""
    return hashlib.sha256(option.encode()).hexdigest()


def _b64_sha256(content: bytes) -> str:
    return base64.b64encode(hashlib.sha256(content).digest()).decode()


def _media(
    kind: InboundKind, message: CustomerMessage, message_id: str, ids: SimIds, timestamp: int
) -> tuple[dict[str, Any], tuple[bytes, str, str | None]]:
    mime = message.mime_type or _DEFAULT_MIME[kind]
    content = png_of(message_id) if kind == "image" else f"simulated {kind} {message_id}".encode()
    path = f"/v/t62.7118-24/{timestamp}_{message_id}.enc?ccb=11-4"
    fields: dict[str, Any] = {
        "url": f"https://mmg.whatsapp.net{path}",
        "mimetype": mime,
        "fileSha256": _b64_sha256(content),
        "fileLength": str(len(content)),
        "mediaKey": ids.media_key(),
        "fileEncSha256": _b64_sha256(b"enc" + content),
        "directPath": path,
        "mediaKeyTimestamp": str(timestamp),
    }
    file_name = message.file_name
    if kind in ("image", "video", "document") and message.text:
        fields["caption"] = message.text
    if kind == "image":
        fields |= {"height": 160, "width": 160}
    elif kind == "video":
        fields |= {"seconds": message.seconds, "height": 640, "width": 360}
    elif kind == "audio":
        fields |= {"seconds": message.seconds, "ptt": message.voice_note}
    elif kind == "document":
        file_name = file_name or "documento.pdf"
        fields |= {"fileName": file_name, "title": file_name}
    elif kind == "sticker":
        fields |= {"isAnimated": False, "height": 512, "width": 512}
    return fields, (content, mime, file_name)


def _content(
    message: CustomerMessage,
    sender: Sender,
    message_id: str,
    own_jid: str,
    ids: SimIds,
    timestamp: int,
) -> tuple[dict[str, Any], tuple[bytes, str, str | None] | None]:
    kind = message.kind
    millis = str(timestamp * 1000)
    if kind in _MEDIA_KINDS:
        fields, media = _media(kind, message, message_id, ids, timestamp)
        content = {f"{kind}Message": fields}
        if kind == "document" and "caption" in fields:
            content = {"documentWithCaptionMessage": {"message": content}}
        return content, media
    target = message.target_id or ""
    inner_key = {
        "remoteJid": sender.chat_jid if sender.is_group else own_jid,
        "fromMe": True,
        "id": target,
    }
    match kind:
        case "text":
            return {"conversation": message.text}, None
        case "location":
            location: dict[str, object] = {
                "degreesLatitude": message.latitude,
                "degreesLongitude": message.longitude,
            }
            if message.location_name:
                location["name"] = message.location_name
            if message.address:
                location["address"] = message.address
            return {"locationMessage": location}, None
        case "contact":
            digits = message.contact_phone
            vcard = (
                "BEGIN:VCARD\nVERSION:3.0\n"
                f"FN:{message.contact_name}\n"
                f"TEL;type=CELL;type=VOICE;waid={digits}:+{digits}\nEND:VCARD"
            )
            return {"contactMessage": {"displayName": message.contact_name, "vcard": vcard}}, None
        case "reaction":
            reacted = {"remoteJid": sender.chat_jid, "fromMe": message.target_from_me, "id": target}
            reaction = {"key": reacted, "text": message.text or "", "senderTimestampMs": millis}
            return {"reactionMessage": reaction}, None
        case "edit":
            edit = {
                "key": inner_key,
                "type": "MESSAGE_EDIT",
                "editedMessage": {"conversation": message.text or ""},
                "timestampMs": millis,
            }
            return {"protocolMessage": edit}, None
        case "revoke":
            return {"protocolMessage": {"key": inner_key, "type": "REVOKE"}}, None
        case _:
            payload, iv = ids.vote_cipher()
            vote = {
                "pollCreationMessageKey": {
                    "remoteJid": sender.chat_jid,
                    "fromMe": True,
                    "id": target,
                },
                "vote": {"encPayload": payload, "encIv": iv},
                "senderTimestampMs": millis,
            }
            return {"pollUpdateMessage": vote}, None


def build_wamessage(
    message: CustomerMessage, *, message_id: str, own_jid: str, ids: SimIds, timestamp: int
) -> BuiltMessage:
    sender = sender_of(message)
    content, media = _content(message, sender, message_id, own_jid, ids, timestamp)
    wamessage: dict[str, Any] = {"key": sender.key(message_id), "message": content}
    wamessage["messageTimestamp"] = timestamp
    if message.push_name is not None:
        wamessage["pushName"] = message.push_name
    wamessage["broadcast"] = False
    text = message.text if message.kind in ("text", "image", "video", "document") else None
    return BuiltMessage(
        wamessage=wamessage,
        contract_type=_CONTRACT_TYPES.get(message.kind),
        text=text,
        media=media,
    )
