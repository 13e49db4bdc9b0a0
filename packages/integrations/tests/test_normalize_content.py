"""Message content: every content type of whatsapp-payloads.md §3, wrappers and limits."""

from __future__ import annotations

from typing import Any

import pytest
from leadengine_core.messages import MessageType
from leadengine_integrations.normalize import (
    IgnoredEvent,
    IgnoreReason,
    InboundMessage,
    parse_evolution_webhook,
    parse_webhook,
)
from leadengine_integrations.normalize import samples as s


def inbound(message: dict[str, Any] | None, **fields: Any) -> InboundMessage:
    event = s.single(parse_webhook(s.upsert(s.wamessage(message, **fields)))).event
    assert isinstance(event, InboundMessage)
    return event


def resolve(value: object, path: str) -> object:
    for step in path.split("."):
        value = value[int(step)] if step.isdigit() else getattr(value, step)  # type: ignore[index]
    return value


CASES: list[tuple[str, dict[str, Any], dict[str, object]]] = [
    ("text", s.TEXT, {"type": MessageType.TEXT, "text": s.TEXT["conversation"], "quoted": None}),
    (
        "extended text with quote",
        s.EXTENDED_TEXT_WITH_QUOTE,
        {
            "type": MessageType.TEXT,
            "content_key": "extendedTextMessage",
            "text": "Esse aqui https://example.com/boleto",
            "quoted.provider_message_id": s.TARGET_ID,
            "quoted.participant": s.OWN_JID,
            "quoted.text": "Pode mandar o link?",
        },
    ),
    (
        "image",
        s.IMAGE,
        {
            "type": MessageType.IMAGE,
            "caption": "boleto",
            "text": None,
            "media.mime_type": "image/jpeg",
            "media.size": 48211,
            "media.width": 960,
            "media.height": 1280,
            "media.media_key": s.IMAGE["imageMessage"]["mediaKey"],
            "media.direct_path": s.IMAGE["imageMessage"]["directPath"],
            "media.sha256": s.IMAGE["imageMessage"]["fileSha256"],
            "media.url": None,
        },
    ),
    (
        "video",
        s.VIDEO,
        {
            "type": MessageType.VIDEO,
            "caption": "olha isso",
            "media.seconds": 12,
            "media.size": 1048576,
        },
    ),
    (
        "voice note",
        s.VOICE_NOTE,
        {
            "type": MessageType.AUDIO,
            "caption": None,
            "media.voice_note": True,
            "media.seconds": 7,
            "media.mime_type": "audio/ogg; codecs=opus",
        },
    ),
    (
        "document",
        s.DOCUMENT,
        {
            "type": MessageType.DOCUMENT,
            "caption": None,
            "media.file_name": "contrato.pdf",
            "media.mime_type": "application/pdf",
        },
    ),
    (
        "document with caption",
        s.DOCUMENT_WITH_CAPTION,
        {
            "type": MessageType.DOCUMENT,
            "content_key": "documentMessage",
            "caption": "segue",
            "media.file_name": "contrato.pdf",
        },
    ),
    ("sticker", s.STICKER, {"type": MessageType.STICKER, "media.mime_type": "image/webp"}),
    (
        "location",
        s.LOCATION,
        {
            "type": MessageType.LOCATION,
            "location.latitude": -19.9166813,
            "location.longitude": -43.9344931,
            "location.name": "Praça da Liberdade",
            "location.address": "Belo Horizonte - MG",
            "location.live": False,
        },
    ),
    (
        "live location",
        s.LIVE_LOCATION,
        {
            "type": MessageType.LOCATION,
            "caption": "estou chegando",
            "location.latitude": -23.5614,
            "location.live": True,
        },
    ),
    (
        "contact",
        s.CONTACT,
        {
            "type": MessageType.CONTACT,
            "contacts.0.display_name": "Maria Souza",
            "contacts.0.phones": ("+5511977776666",),
            "contacts.0.vcard": s.CONTACT["contactMessage"]["vcard"],
        },
    ),
    (
        "contacts array",
        s.CONTACTS_ARRAY,
        {
            "type": MessageType.CONTACT,
            "contacts.0.phones": ("+5511977776666",),
            "contacts.1.display_name": "Loja",
            "contacts.1.phones": ("+553133334444",),
        },
    ),
    (
        "buttons reply",
        s.BUTTONS_REPLY,
        {
            "type": MessageType.TEXT,
            "text": "Sim, quero",
            "reply.kind": "buttons",
            "reply.selected_id": "btn-yes",
        },
    ),
    (
        "list reply",
        s.LIST_REPLY,
        {
            "type": MessageType.TEXT,
            "text": "Plano Ouro",
            "reply.kind": "list",
            "reply.selected_id": "plan-gold",
        },
    ),
    (
        "template reply",
        s.TEMPLATE_REPLY,
        {
            "type": MessageType.TEXT,
            "text": "Confirmar",
            "reply.kind": "template",
            "reply.selected_id": "tpl-confirm",
        },
    ),
    (
        "interactive reply",
        s.INTERACTIVE_REPLY,
        {
            "type": MessageType.TEXT,
            "text": "Agendar visita",
            "reply.kind": "interactive",
            "reply.selected_id": "visit-tomorrow",
        },
    ),
    (
        "poll creation",
        s.POLL_CREATION,
        {
            "type": MessageType.POLL,
            "content_key": "pollCreationMessageV3",
            "poll.question": "Qual horário?",
            "poll.options": ("Manhã", "Tarde"),
            "poll.selectable_count": 1,
        },
    ),
    (
        "unmodelled content keeps its key",
        s.EVENT_MESSAGE,
        {"type": MessageType.UNKNOWN, "content_key": "eventMessage", "text": None},
    ),
]


@pytest.mark.parametrize(("content", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_content_types(content: dict[str, Any], expected: dict[str, object]) -> None:
    message = inbound(content)

    assert message.provider_message_id == s.MESSAGE_ID
    for path, value in expected.items():
        assert resolve(message.content, path) == value, path


@pytest.mark.parametrize(
    ("wrapper", "flag"),
    [
        ("ephemeralMessage", "is_ephemeral"),
        ("viewOnceMessage", "is_view_once"),
        ("viewOnceMessageV2", "is_view_once"),
        ("viewOnceMessageV2Extension", "is_view_once"),
    ],
)
def test_wrappers_are_unwrapped_and_flagged(wrapper: str, flag: str) -> None:
    message = inbound({wrapper: {"message": s.IMAGE}})

    assert message.content.type is MessageType.IMAGE
    assert message.content.caption == "boleto"
    assert getattr(message, flag) is True


def test_wrappers_nest_up_to_five_levels_like_baileys() -> None:
    def nested(levels: int) -> dict[str, Any]:
        content: dict[str, Any] = s.TEXT
        for level in range(levels):
            content = {("ephemeralMessage", "viewOnceMessageV2")[level % 2]: {"message": content}}
        return content

    assert inbound(nested(5)).content.text == s.TEXT["conversation"]
    too_deep = inbound(nested(6)).content
    assert (too_deep.type, too_deep.content_key) == (MessageType.UNKNOWN, "ephemeralMessage")


def test_media_view_once_flag_inside_the_content() -> None:
    image = {"imageMessage": {**s.IMAGE["imageMessage"], "viewOnce": True}}

    assert inbound(image).is_view_once is True


def test_view_once_withheld_from_linked_device_is_kept_as_unknown() -> None:
    message = inbound(None, isViewOnce=True)

    assert (message.content.type, message.content.content_key) == (MessageType.UNKNOWN, None)
    assert message.is_view_once is True


@pytest.mark.parametrize(
    "content",
    [
        None,
        {},
        {"messageContextInfo": {"deviceListMetadata": {}}},
        {
            "senderKeyDistributionMessage": {
                "groupId": s.GROUP_JID,
                "axolotlSenderKeyDistributionMessage": "AA==",
            }
        },
        {"conversation": None},
    ],
    ids=["missing", "empty", "context-info-only", "sender-key-only", "null-content"],
)
def test_empty_content_is_ignored_so_a_resend_can_still_claim_the_id(content: Any) -> None:
    item = s.single(parse_webhook(s.upsert(s.wamessage(content))))

    assert item.event == IgnoredEvent(reason=IgnoreReason.EMPTY_MESSAGE, instance_key=s.INSTANCE)
    assert item.dedupe_key is None


@pytest.mark.parametrize(("stub", "detail"), [(2, "2"), ("CIPHERTEXT", "CIPHERTEXT"), (27, "27")])
def test_stubs_are_not_chat_messages(stub: object, detail: str) -> None:
    message = s.wamessage(None, messageStubParameters=["Message absent from node"])
    message["messageStubType"] = stub

    event = s.single(parse_webhook(s.upsert(message))).event

    assert event == IgnoredEvent(reason=IgnoreReason.STUB, instance_key=s.INSTANCE, detail=detail)


def test_placeholder_resend_after_a_ciphertext_stub_gets_the_message_key() -> None:
    stub = s.wamessage(None)
    stub["messageStubType"] = 2
    resend = s.upsert(s.wamessage(s.TEXT))
    resend["payload"]["raw"]["requestId"] = "req-1"

    assert s.single(parse_webhook(s.upsert(stub))).dedupe_key is None
    assert s.single(parse_webhook(resend)).dedupe_key == f"msg:{s.INSTANCE}:{s.MESSAGE_ID}"


def test_whatsapp_cdn_urls_are_never_stored_but_hosted_urls_are() -> None:
    hosted = "https://media.example.com/evolution/3EB0.jpg"
    evolution = s.wamessage({**s.IMAGE, "mediaUrl": hosted})

    assert inbound(s.IMAGE).content.media.url is None  # type: ignore[union-attr]
    plain_http = {
        "imageMessage": {**s.IMAGE["imageMessage"], "url": "https://cdn.example.com/a.jpg"}
    }
    assert inbound(plain_http).content.media.url == "https://cdn.example.com/a.jpg"  # type: ignore[union-attr]
    event = s.single(parse_evolution_webhook(s.evolution("messages.upsert", evolution))).event
    assert isinstance(event, InboundMessage)
    assert event.content.media is not None
    assert event.content.media.url == hosted


def test_invalid_coordinates_keep_the_type_without_a_location() -> None:
    content = inbound(
        {"locationMessage": {"degreesLatitude": 123.0, "degreesLongitude": "x"}}
    ).content

    assert (content.type, content.location) == (MessageType.LOCATION, None)


def test_text_is_kept_byte_exact_but_storable() -> None:
    family = "👨‍👩‍👧‍👦 🇧🇷 é مرحبا 𝄞"

    assert inbound({"conversation": family}).content.text == family
    assert inbound({"conversation": "a\x00b\ud800c"}).content.text == "ab\ufffdc"


def test_huge_text_and_raw_copies_are_capped() -> None:
    text = "á" * 200_000
    message = inbound({"extendedTextMessage": {"text": text, "jpegThumbnail": "A" * 100_000}})

    assert message.content.text is not None
    assert len(message.content.text.encode()) == 64 * 1024
    thumbnail = message.raw["message"]["extendedTextMessage"]["jpegThumbnail"]  # type: ignore[index]
    assert len(thumbnail) == 4096
