"""Message content (proto `Message`) → `Content`: unwrap, find the content key, read it.

Wrappers (ephemeral, view-once, document-with-caption, edited…) each hold `{message: {...}}`
and may nest; like Baileys' `normalizeMessageContent`, at most five are peeled. The content
key is then the first key that is `conversation` or contains `Message`, except
`senderKeyDistributionMessage` (Baileys' `getContentType`); `messageContextInfo` never
matches. A key without a reader is UNKNOWN and keeps its name: new WhatsApp features must not
become errors (§10.29).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from urllib.parse import urlsplit

from leadengine_core.messages import MessageType

from leadengine_integrations.normalize.coerce import (
    LABEL_LIMIT,
    LIST_LIMIT,
    TEXT_LIMIT,
    URL_LIMIT,
    as_bool,
    as_count,
    as_dict,
    as_float,
    as_id,
    as_label,
    as_list,
    as_text,
    decode_embedded_json,
    dig,
)
from leadengine_integrations.normalize.events import (
    ContactCard,
    Content,
    GeoLocation,
    InteractiveReply,
    Media,
    PollDefinition,
    Quote,
)
from leadengine_integrations.normalize.identity import jid_of

MAX_UNWRAP = 5
WRAPPERS = (
    "ephemeralMessage",
    "viewOnceMessage",
    "viewOnceMessageV2",
    "viewOnceMessageV2Extension",
    "documentWithCaptionMessage",
    "editedMessage",
    "associatedChildMessage",
    "groupStatusMessage",
    "groupStatusMessageV2",
    "pollCreationMessageV4",
)
VIEW_ONCE_WRAPPERS = frozenset(
    {"viewOnceMessage", "viewOnceMessageV2", "viewOnceMessageV2Extension"}
)
_NOT_CONTENT = "senderKeyDistributionMessage"
_WAID = re.compile(r"waid=([0-9]+)", re.ASCII)
_PHONE_DIGITS = range(8, 16)
_MAX_PHONES_PER_CARD = 16
_MAX_DIMENSION = 2**31 - 1


@dataclass(frozen=True, slots=True)
class Unwrapped:
    content: dict[str, object]
    wrappers: frozenset[str]

    @property
    def key(self) -> str | None:
        return content_key(self.content)


def unwrap(message: object) -> Unwrapped:
    content = as_dict(message)
    peeled: set[str] = set()
    for _ in range(MAX_UNWRAP):
        wrapper = next((name for name in WRAPPERS if _is_wrapper(content.get(name))), None)
        if wrapper is None:
            break
        peeled.add(wrapper)
        content = as_dict(dig(content, wrapper, "message"))
    return Unwrapped(content, frozenset(peeled))


def content_key(content: dict[str, object]) -> str | None:
    return next(
        (
            key
            for key, value in content.items()
            if isinstance(key, str)
            and value is not None
            and (key == "conversation" or "Message" in key)
            and key != _NOT_CONTENT
        ),
        None,
    )


def read_content(
    content: dict[str, object],
    key: str,
    *,
    quoted_fallback: object = None,
    hosted_media_url: object = None,
) -> Content:
    """`quoted_fallback` is a message-level `contextInfo` (Evolution flattens it out of the
    content); `hosted_media_url` is a URL a broker stored the media at (Evolution S3)."""
    value = content.get(key)
    body = as_dict(value)
    quoted = read_quote(body.get("contextInfo")) or read_quote(quoted_fallback)
    if key == "conversation":
        return Content(type=MessageType.TEXT, content_key=key, text=as_text(value), quoted=quoted)
    reader = _READERS.get(key)
    if reader is None:
        return Content(type=MessageType.UNKNOWN, content_key=key, quoted=quoted)
    read = reader(body)
    if read.media is not None and read.media.url is None:
        read = replace(read, media=replace(read.media, url=viewable_url(hosted_media_url)))
    return replace(read, content_key=key, quoted=quoted)


def preview_text(message: object) -> str | None:
    """The text a message shows (text, caption or poll question), for quotes and edits."""
    unwrapped = unwrap(message)
    key = unwrapped.key
    if key is None:
        return None
    value = unwrapped.content.get(key)
    if key == "conversation":
        return as_text(value)
    reader = _READERS.get(key)
    if reader is None:
        return None
    read = reader(as_dict(value))
    return read.text or read.caption or (read.poll.question if read.poll else None)


def read_quote(context: object) -> Quote | None:
    info = as_dict(context)
    quoted_id = as_id(info.get("stanzaId"))
    if quoted_id is None:
        return None
    participant = jid_of(info.get("participant"))
    return Quote(
        provider_message_id=quoted_id,
        participant=participant.normalized if participant else None,
        text=preview_text(info.get("quotedMessage")),
    )


def viewable_url(value: object) -> str | None:
    """An http(s) URL a browser can show; WhatsApp's CDN serves only encrypted `.enc` blobs."""
    url = as_label(value, URL_LIMIT)
    if url is None:
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("http", "https") or not host:
        return None
    if host == "whatsapp.net" or host.endswith(".whatsapp.net") or ".enc" in parts.path:
        return None
    return url


def _is_wrapper(value: object) -> bool:
    return isinstance(value, dict) and isinstance(value.get("message"), dict)


def _media(body: dict[str, object], *, file_name: str | None = None) -> Media:
    return Media(
        mime_type=as_label(body.get("mimetype")),
        size=as_count(body.get("fileLength")),
        file_name=file_name,
        seconds=as_count(body.get("seconds"), _MAX_DIMENSION),
        voice_note=as_bool(body.get("ptt")),
        width=as_count(body.get("width"), _MAX_DIMENSION),
        height=as_count(body.get("height"), _MAX_DIMENSION),
        media_key=as_label(body.get("mediaKey")),
        direct_path=as_label(body.get("directPath"), URL_LIMIT),
        url=viewable_url(body.get("url")),
        sha256=as_label(body.get("fileSha256")),
        enc_sha256=as_label(body.get("fileEncSha256")),
    )


def _extended_text(body: dict[str, object]) -> Content:
    return Content(type=MessageType.TEXT, text=as_text(body.get("text")))


def _image(body: dict[str, object]) -> Content:
    return Content(type=MessageType.IMAGE, caption=as_text(body.get("caption")), media=_media(body))


def _video(body: dict[str, object]) -> Content:
    return Content(type=MessageType.VIDEO, caption=as_text(body.get("caption")), media=_media(body))


def _audio(body: dict[str, object]) -> Content:
    return Content(type=MessageType.AUDIO, media=_media(body))


def _document(body: dict[str, object]) -> Content:
    name = as_label(body.get("fileName")) or as_label(body.get("title"))
    return Content(
        type=MessageType.DOCUMENT,
        caption=as_text(body.get("caption")),
        media=_media(body, file_name=name),
    )


def _sticker(body: dict[str, object]) -> Content:
    return Content(type=MessageType.STICKER, media=_media(body))


def _location(body: dict[str, object], *, live: bool) -> GeoLocation | None:
    latitude = as_float(body.get("degreesLatitude"))
    longitude = as_float(body.get("degreesLongitude"))
    if latitude is None or longitude is None:
        return None
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        return None
    return GeoLocation(
        latitude=latitude,
        longitude=longitude,
        name=as_label(body.get("name")),
        address=as_label(body.get("address")),
        live=live,
    )


def _static_location(body: dict[str, object]) -> Content:
    live = as_bool(body.get("isLive"))
    return Content(type=MessageType.LOCATION, location=_location(body, live=live))


def _live_location(body: dict[str, object]) -> Content:
    return Content(
        type=MessageType.LOCATION,
        caption=as_text(body.get("caption")),
        location=_location(body, live=True),
    )


def _card(body: dict[str, object]) -> ContactCard:
    vcard = as_text(body.get("vcard"))
    phones: list[str] = []
    for digits in _WAID.findall(vcard or ""):
        phone = f"+{digits}"
        if len(digits) in _PHONE_DIGITS and phone not in phones:
            phones.append(phone)
    return ContactCard(
        display_name=as_label(body.get("displayName")),
        vcard=vcard,
        phones=tuple(phones[:_MAX_PHONES_PER_CARD]),
    )


def _contact(body: dict[str, object]) -> Content:
    return Content(type=MessageType.CONTACT, contacts=(_card(body),))


def _contacts_array(body: dict[str, object]) -> Content:
    cards = tuple(
        _card(item) for item in as_list(body.get("contacts"))[:LIST_LIMIT] if isinstance(item, dict)
    )
    return Content(type=MessageType.CONTACT, contacts=cards)


def _poll(body: dict[str, object]) -> Content:
    names = (
        as_label(dig(item, "optionName")) for item in as_list(body.get("options"))[:LIST_LIMIT]
    )
    return Content(
        type=MessageType.POLL,
        poll=PollDefinition(
            question=as_label(body.get("name"), LABEL_LIMIT),
            options=tuple(name for name in names if name is not None),
            selectable_count=as_count(body.get("selectableOptionsCount"), LIST_LIMIT) or 0,
        ),
    )


def _buttons_reply(body: dict[str, object]) -> Content:
    return Content(
        type=MessageType.TEXT,
        text=as_text(body.get("selectedDisplayText")),
        reply=InteractiveReply(kind="buttons", selected_id=as_id(body.get("selectedButtonId"))),
    )


def _list_reply(body: dict[str, object]) -> Content:
    selected = as_id(dig(body, "singleSelectReply", "selectedRowId"))
    return Content(
        type=MessageType.TEXT,
        text=as_text(body.get("title")) or as_text(body.get("description")),
        reply=InteractiveReply(kind="list", selected_id=selected),
    )


def _template_reply(body: dict[str, object]) -> Content:
    return Content(
        type=MessageType.TEXT,
        text=as_text(body.get("selectedDisplayText")),
        reply=InteractiveReply(kind="template", selected_id=as_id(body.get("selectedId"))),
    )


def _interactive_reply(body: dict[str, object]) -> Content:
    flow = as_dict(body.get("nativeFlowResponseMessage"))
    params = decode_embedded_json(flow.get("paramsJson"), TEXT_LIMIT)
    selected = as_id(dig(params, "id")) or as_id(flow.get("name"))
    return Content(
        type=MessageType.TEXT,
        text=as_text(dig(body, "body", "text")),
        reply=InteractiveReply(kind="interactive", selected_id=selected),
    )


_READERS: dict[str, Callable[[dict[str, object]], Content]] = {
    "extendedTextMessage": _extended_text,
    "imageMessage": _image,
    "videoMessage": _video,
    "ptvMessage": _video,
    "audioMessage": _audio,
    "documentMessage": _document,
    "stickerMessage": _sticker,
    "locationMessage": _static_location,
    "liveLocationMessage": _live_location,
    "contactMessage": _contact,
    "contactsArrayMessage": _contacts_array,
    "pollCreationMessage": _poll,
    "pollCreationMessageV2": _poll,
    "pollCreationMessageV3": _poll,
    "pollCreationMessageV4": _poll,
    "pollCreationMessageV5": _poll,
    "buttonsResponseMessage": _buttons_reply,
    "listResponseMessage": _list_reply,
    "templateButtonReplyMessage": _template_reply,
    "interactiveResponseMessage": _interactive_reply,
}
