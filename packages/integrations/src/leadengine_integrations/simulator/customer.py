"""What a simulated customer does: the body of `POST /_sim/instances/{id}/inbound`."""

from __future__ import annotations

from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic.alias_generators import to_camel

from leadengine_integrations.simulator.jids import digits_of

__all__ = ["CustomerMessage", "InboundKind"]

InboundKind = Literal[
    "text",
    "image",
    "video",
    "audio",
    "document",
    "sticker",
    "location",
    "contact",
    "reaction",
    "edit",
    "revoke",
    "poll_vote",
]
_NEEDS_TARGET = frozenset({"reaction", "edit", "revoke", "poll_vote"})


class CustomerMessage(BaseModel):
    """One message from a customer; JSON uses camelCase (`senderPhone`, `groupJid`, …)."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="forbid", frozen=True
    )

    kind: InboundKind = "text"
    text: str | None = None
    """Text, caption, reaction emoji ("" removes a reaction) or the edited text."""
    sender_phone: str = "5511988887777"
    """The sender's phone digits (their PN JID is `<digits>@s.whatsapp.net`)."""
    push_name: str | None = "Cliente Simulado"
    sender_lid: str | None = None
    """Address the sender by this LID (`<digits>@lid` or digits) instead of the phone."""
    reveal_phone: bool = True
    """With a LID sender: also give the PN in `remoteJidAlt`/`participantAlt`."""
    group_jid: str | None = None
    """Send inside this group (`…@g.us`), the sender being a participant."""
    group_subject: str = "Grupo Simulado"
    target_id: str | None = None
    """The message a reaction, edit, revoke or poll vote refers to."""
    target_from_me: bool = True
    """Whether the reacted-to message was ours (reactions only)."""
    mime_type: str | None = None
    file_name: str | None = None
    seconds: int = Field(default=7, ge=0)
    voice_note: bool = True
    """Audio only: a recorded voice note (`ptt`)."""
    latitude: float = -23.5614
    longitude: float = -46.6559
    location_name: str | None = None
    address: str | None = None
    contact_name: str = "Contato Compartilhado"
    contact_phone: str = "5511977776666"
    selected_options: tuple[str, ...] = ()
    """Poll vote: the chosen option texts (empty withdraws the vote)."""
    message_id: str | None = None
    """Defaults to a fresh id like an Android phone's."""
    timestamp: int | None = None
    """Epoch seconds; defaults to now."""

    @field_validator("sender_phone", "contact_phone")
    @classmethod
    def _phone_digits(cls, value: str) -> str:
        digits = digits_of(value)
        if digits is None:
            raise ValueError("a phone needs 10 to 15 digits")
        return digits

    @field_validator("sender_lid")
    @classmethod
    def _lid_jid(cls, value: str | None) -> str | None:
        if value is None:
            return None
        user = value.removesuffix("@lid")
        if not user.isdigit():
            raise ValueError("senderLid must be digits or <digits>@lid")
        return f"{user}@lid"

    @field_validator("group_jid")
    @classmethod
    def _group(cls, value: str | None) -> str | None:
        if value is not None and not value.endswith("@g.us"):
            raise ValueError("groupJid must end with @g.us")
        return value

    @model_validator(mode="after")
    def _target_when_needed(self) -> Self:
        if self.kind in _NEEDS_TARGET and not self.target_id:
            raise ValueError(f"a {self.kind} needs targetId")
        if self.kind == "text" and not self.text:
            raise ValueError("a text message needs text")
        return self
