"""A normalised `Content` as the columns and metadata of a message row.

What the message model has a field for goes there; the rest an agent may still want (media
dimensions, poll options, the id of the button tapped, the quoted text, view-once/ephemeral
flags) goes to `metadata` under camelCase keys. `metadata["source"]` remembers which view of
the message (the broker's contract summary or Baileys' raw message) the row holds, so the raw
view of a message first stored from its summary can enrich it exactly once.
"""

from __future__ import annotations

from dataclasses import replace

from leadengine_core.messages import Location, MediaInfo, Message, MessageType, SharedContact
from leadengine_integrations.normalize import (
    ContactCard,
    Content,
    GeoLocation,
    InboundMessage,
    Media,
    Source,
)

SOURCE_KEY = "source"
UNNAMED_CARD = "Contato"


def media_info(media: Media | None) -> MediaInfo | None:
    if media is None:
        return None
    return MediaInfo(
        mime_type=media.mime_type,
        size=media.size,
        file_name=media.file_name,
        url=media.url,
        media_key=media.media_key,
        direct_path=media.direct_path,
        is_voice_note=media.voice_note,
    )


def location_of(geo: GeoLocation | None) -> Location | None:
    if geo is None:
        return None
    return Location(
        latitude=geo.latitude, longitude=geo.longitude, name=geo.name, address=geo.address
    )


def shared_contacts(cards: tuple[ContactCard, ...]) -> list[SharedContact]:
    """vCards stay payload data: a shared number never becomes a CRM contact (§10.44)."""
    return [
        SharedContact(
            display_name=card.display_name or next(iter(card.phones), UNNAMED_CARD),
            vcard=card.vcard,
        )
        for card in cards
    ]


def content_metadata(event: InboundMessage) -> dict[str, object]:
    content = event.content
    details: dict[str, object] = {
        SOURCE_KEY: event.source.value,
        "contentKey": content.content_key,
        "upsertType": event.upsert_type,
        "viewOnce": event.is_view_once or None,
        "ephemeral": event.is_ephemeral or None,
    }
    return {key: value for key, value in (details | _extras(content)).items() if value is not None}


def _extras(content: Content) -> dict[str, object]:
    extras: dict[str, object] = {}
    if (media := content.media) is not None:
        dimensions = {"seconds": media.seconds, "width": media.width, "height": media.height}
        extras["mediaDetails"] = {k: v for k, v in dimensions.items() if v is not None} or None
    if content.location is not None and content.location.live:
        extras["liveLocation"] = True
    if (poll := content.poll) is not None:
        extras["poll"] = {
            "question": poll.question,
            "options": list(poll.options),
            "selectableCount": poll.selectable_count,
        }
    if (reply := content.reply) is not None:
        extras["reply"] = {"kind": reply.kind, "selectedId": reply.selected_id}
    if (quoted := content.quoted) is not None:
        extras["quoted"] = {"participant": quoted.participant, "text": quoted.text}
    return extras


def preview(message: Message) -> str:
    """The inbox line: the text, else the caption, else the kind of message in brackets."""
    return message.text or message.caption or f"[{message.type.value.lower()}]"


def raw_view_of_summary(stored: Message, event: InboundMessage) -> bool:
    """Whether `event` is Baileys' raw view of a message stored from the broker's summary."""
    return event.source is Source.RAW and stored.metadata.get(SOURCE_KEY) == Source.CONTRACT


def enrich_from_raw(stored: Message, event: InboundMessage) -> bool:
    """Fill what the broker's summary left out with what Baileys' raw message carries; values
    already stored win. Marks the row as holding the raw view, so this happens once."""
    if not raw_view_of_summary(stored, event):
        return False
    content = event.content
    if stored.type is MessageType.UNKNOWN:
        stored.type = content.type
    stored.text = stored.text or content.text
    stored.caption = stored.caption or content.caption
    stored.quoted_provider_id = stored.quoted_provider_id or (
        content.quoted.provider_message_id if content.quoted is not None else None
    )
    stored.media = _merged_media(stored.media, media_info(content.media))
    stored.location = stored.location or location_of(content.location)
    stored.contacts = stored.contacts or shared_contacts(content.contacts)
    stored.metadata = {**stored.metadata, **content_metadata(event)}
    return True


def _merged_media(stored: MediaInfo | None, raw: MediaInfo | None) -> MediaInfo | None:
    if stored is None or raw is None:
        return stored or raw
    return replace(
        stored,
        mime_type=stored.mime_type or raw.mime_type,
        size=stored.size or raw.size,
        file_name=stored.file_name or raw.file_name,
        url=stored.url or raw.url,
        media_key=stored.media_key or raw.media_key,
        direct_path=stored.direct_path or raw.direct_path,
        is_voice_note=stored.is_voice_note or raw.is_voice_note,
    )
