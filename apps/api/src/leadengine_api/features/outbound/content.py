"""What a send payload becomes on the message row (type, text, media…) and its inbox preview."""

from __future__ import annotations

from dataclasses import dataclass, field

from leadengine_contracts.sends import (
    ContactPayload,
    LocationPayload,
    MediaPayload,
    OutboundPayload,
    PollPayload,
    TemplatePayload,
    TextPayload,
)
from leadengine_core.messages import Location, MediaInfo, MessageType, SharedContact

__all__ = ["MessageContent", "content_of"]

PREVIEW_LIMIT = 280


@dataclass(frozen=True, slots=True, kw_only=True)
class MessageContent:
    type: MessageType
    text: str | None = None
    caption: str | None = None
    media: MediaInfo | None = None
    location: Location | None = None
    contacts: list[SharedContact] = field(default_factory=list)
    metadata: dict[str, object] = field(default_factory=dict)

    @property
    def preview(self) -> str:
        body = self.text or self.caption or f"[{self.type.value.lower()}]"
        return body[:PREVIEW_LIMIT]


def content_of(payload: OutboundPayload) -> MessageContent:
    match payload:
        case TextPayload():
            return MessageContent(type=MessageType.TEXT, text=payload.text)
        case MediaPayload():
            return MessageContent(
                type=MessageType(payload.type.upper()),
                caption=payload.caption,
                media=MediaInfo(
                    url=payload.media_url, mime_type=payload.mime_type, file_name=payload.file_name
                ),
            )
        case LocationPayload():
            return MessageContent(
                type=MessageType.LOCATION,
                text=payload.name,
                location=Location(
                    latitude=payload.latitude,
                    longitude=payload.longitude,
                    name=payload.name,
                    address=payload.address,
                ),
            )
        case ContactPayload():
            return MessageContent(
                type=MessageType.CONTACT,
                text=payload.full_name,
                contacts=[SharedContact(display_name=payload.full_name)],
            )
        case TemplatePayload():
            return MessageContent(
                type=MessageType.TEMPLATE,
                text=payload.name,
                metadata={"template": payload.model_dump(mode="json", exclude_none=True)},
            )
        case PollPayload():
            return MessageContent(
                type=MessageType.POLL,
                text=payload.question,
                metadata={"poll": payload.model_dump(mode="json")},
            )
