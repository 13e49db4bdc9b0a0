"""Request bodies the simulator accepts; lenient like the broker (unknown keys are kept)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

__all__ = [
    "ConfirmPairingBody",
    "ContactBody",
    "CreateInstanceBody",
    "DisconnectBody",
    "DownloadBody",
    "ExistsBody",
    "FaultsBody",
    "LocationBody",
    "MediaBody",
    "PairBody",
    "SendBody",
    "TemplateBody",
]


class _Body(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="allow")


class CreateInstanceBody(_Body):
    id: str | None = None
    instance_id: str | None = None
    name: str | None = None
    tenant_id: str | None = None
    webhook_url: str | None = None
    verify_token: str | None = None


class PairBody(_Body):
    phone_number: str | None = None


class ExistsBody(_Body):
    to: str | None = None


class MediaBody(_Body):
    url: str | None = None
    mimetype: str | None = None
    file_name: str | None = None
    ptt: bool | None = None


class LocationBody(_Body):
    latitude: float | None = None
    longitude: float | None = None
    name: str | None = None
    address: str | None = None


class ContactBody(_Body):
    display_name: str | None = None
    phone_number: str | None = None
    vcard: str | None = None


class TemplateBody(_Body):
    name: str | None = None
    language: str | None = None
    namespace: str | None = None
    components: list[dict[str, Any]] | None = None


class SendBody(_Body):
    session_id: str | None = None
    instance_id: str | None = None
    to: str | None = None
    type: str | None = None
    text: str | None = None
    message: str | None = None
    caption: str | None = None
    preview_url: bool | None = None
    media: MediaBody | None = None
    location: LocationBody | None = None
    contact: ContactBody | None = None
    contacts: list[ContactBody] | None = None
    template: TemplateBody | None = None
    question: str | None = None
    options: list[str] | None = None
    selectable_count: int | None = None
    metadata: dict[str, Any] | None = None


class DownloadBody(_Body):
    message_id: str | None = None
    media_type: str | None = None
    direct_path: str | None = None
    media_key: str | None = None


class FaultsBody(BaseModel):
    """`POST /_sim/faults`: knobs to change (absent ones stay) and instances to disconnect."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")

    latency: float | None = Field(default=None, ge=0)
    error_rate: float | None = Field(default=None, ge=0, le=1)
    error_status: int | None = Field(default=None, ge=400, le=599)
    down: bool | None = None
    duplicate_webhooks: bool | None = None
    out_of_order: bool | None = None
    leak_tenants: bool | None = None
    disconnect: list[str] = Field(default_factory=list)
    reset: bool = False
    """Turn every knob back to its default before applying the others."""


class DisconnectBody(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)

    status_code: int = 428
    """`lastDisconnect` reason: 428 connection closed, 401 logged out, 440 replaced, …"""


class ConfirmPairingBody(BaseModel):
    code: str
