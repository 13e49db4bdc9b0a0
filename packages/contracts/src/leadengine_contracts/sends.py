"""Outbound send requests and the 202 answer: one payload union shared by the three routes.

`payload` is a union discriminated on `type`; every object is strict (unknown keys are
rejected), so a typo is a 422 instead of a message sent without the field.
"""

from __future__ import annotations

from typing import Annotated, Literal
from urllib.parse import urlsplit
from uuid import UUID

from pydantic import AfterValidator, Field, StringConstraints

from leadengine_contracts.base import WireModel
from leadengine_contracts.types import Flag, Number, WholeNumber

__all__ = [
    "ContactPayload",
    "ContactPhone",
    "LocationPayload",
    "MediaPayload",
    "OutboundPayload",
    "PollPayload",
    "SendAccepted",
    "SendMessageRequest",
    "SendToPhoneRequest",
    "TemplateComponent",
    "TemplatePayload",
    "TextPayload",
]


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be blank")
    return value


def _http_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("must be an absolute http or https URL")
    return value


Body = Annotated[str, StringConstraints(min_length=1, max_length=4096), AfterValidator(_not_blank)]
Caption = Annotated[str, StringConstraints(max_length=1024)]
Label = Annotated[str, StringConstraints(min_length=1, max_length=255), AfterValidator(_not_blank)]
Url = Annotated[str, StringConstraints(max_length=2048), AfterValidator(_http_url)]


class TextPayload(WireModel):
    type: Literal["text"]
    text: Body
    preview_url: Annotated[bool, Flag] | None = None


class MediaPayload(WireModel):
    """Media goes by URL only: the broker fetches it, so base64 bodies are not accepted."""

    type: Literal["image", "video", "audio", "document"]
    media_url: Url
    caption: Caption | None = None
    mime_type: Annotated[str, StringConstraints(min_length=3, max_length=127)] | None = None
    file_name: Annotated[str, StringConstraints(min_length=1, max_length=255)] | None = None


class LocationPayload(WireModel):
    type: Literal["location"]
    latitude: Annotated[float, Number] = Field(ge=-90, le=90, allow_inf_nan=False)
    longitude: Annotated[float, Number] = Field(ge=-180, le=180, allow_inf_nan=False)
    name: Label | None = None
    address: Annotated[str, StringConstraints(max_length=500)] | None = None


class ContactPhone(WireModel):
    phone_number: Annotated[str, StringConstraints(pattern=r"^\+?[0-9 ()-]{3,32}$")]


class ContactPayload(WireModel):
    """A vCard to share; the broker's contact send carries the first phone."""

    type: Literal["contact"]
    full_name: Label
    phones: list[ContactPhone] = Field(min_length=1, max_length=10)


class TemplateComponent(WireModel):
    type: Literal["header", "body", "footer", "button"]
    sub_type: Annotated[str, StringConstraints(min_length=1, max_length=40)] | None = None
    index: Annotated[int, WholeNumber] | None = Field(default=None, ge=0, le=10)
    parameters: list[dict[str, object]] | None = Field(default=None, max_length=20)


class TemplatePayload(WireModel):
    type: Literal["template"]
    name: Label
    language: Annotated[str, StringConstraints(pattern=r"^[A-Za-z]{2,3}([_-][A-Za-z0-9]{2,8})?$")]
    namespace: Label | None = None
    components: list[TemplateComponent] | None = Field(default=None, max_length=10)


def _unique(options: list[str]) -> list[str]:
    if len(set(options)) != len(options):
        raise ValueError("options must be unique")
    return options


class PollPayload(WireModel):
    type: Literal["poll"]
    question: Label
    options: Annotated[list[Label], Field(min_length=2, max_length=12), AfterValidator(_unique)]
    allow_multiple_answers: Annotated[bool, Flag] = False


OutboundPayload = Annotated[
    TextPayload | MediaPayload | LocationPayload | ContactPayload | TemplatePayload | PollPayload,
    Field(discriminator="type"),
]


class SendMessageRequest(WireModel):
    """Body of the ticket and contact routes; `instanceId` overrides the ticket's instance."""

    instance_id: UUID | None = None
    payload: OutboundPayload


class SendToPhoneRequest(WireModel):
    """Body of the instance route: `to` is any phone form; it is normalised to E.164."""

    to: Annotated[str, StringConstraints(min_length=3, max_length=32)]
    payload: OutboundPayload


class SendAccepted(WireModel):
    """The send is queued (202); `status` follows the message (PENDING until the worker sends)."""

    queued: Literal[True] = True
    message_id: UUID
    ticket_id: UUID
    status: str
