"""The typed events a webhook body normalises into, and the batch that carries them.

Every event names the instance (the broker session id, `instance_key`) it belongs to; the
caller resolves the tenant from it. Ids are WhatsApp's `key.id` ("provider message id"), JIDs
are in core's normalised form (`user@server`, no device, `c.us` spelled `s.whatsapp.net`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import ClassVar, Literal, NamedTuple

from leadengine_core.instances import InstanceStatus
from leadengine_core.jid import JidKind
from leadengine_core.message_status import MessageStatus
from leadengine_core.messages import MessageType


class Source(StrEnum):
    """Which view of a message produced the event: the broker's summary or Baileys' own."""

    CONTRACT = "contract"
    RAW = "raw"


class IgnoreReason(StrEnum):
    """Why an item was accepted but produces nothing; stable, used as a metric label."""

    NOT_AN_OBJECT = "not_an_object"
    UNKNOWN_EVENT = "unknown_event"
    EMPTY_EVENT = "empty_event"
    PRESENCE = "presence"
    HISTORY_SYNC = "history_sync"
    MISSING_CHAT = "missing_chat"
    UNSUPPORTED_CHAT = "unsupported_chat"
    STATUS_BROADCAST = "status_broadcast"
    NEWSLETTER = "newsletter"
    STUB = "stub"
    EMPTY_MESSAGE = "empty_message"
    PROTOCOL_MESSAGE = "protocol_message"
    MISSING_TARGET = "missing_target"
    MISSING_SENDER = "missing_sender"
    ENCRYPTED_POLL_VOTE = "encrypted_poll_vote"
    NEEDS_RAW_EVENT = "needs_raw_event"
    MISSING_MESSAGE_ID = "missing_message_id"
    UNKNOWN_STATUS = "unknown_status"
    UNSUPPORTED_UPDATE = "unsupported_update"
    CONNECTION_UNCHANGED = "connection_unchanged"
    QR_UNAVAILABLE = "qr_unavailable"


class RejectReason(StrEnum):
    """Why an item cannot be accepted; the webhook answers 4xx when a batch holds one."""

    INVALID_BODY = "invalid_body"
    MISSING_INSTANCE = "missing_instance"
    PARSER_ERROR = "parser_error"


@dataclass(frozen=True, slots=True, kw_only=True)
class Media:
    """Enough to fetch and decrypt the file later; `url` is set only when it is viewable
    as is (never a WhatsApp CDN `.enc` URL, lesson 13)."""

    mime_type: str | None = None
    size: int | None = None
    file_name: str | None = None
    seconds: int | None = None
    voice_note: bool = False
    width: int | None = None
    height: int | None = None
    media_key: str | None = None
    direct_path: str | None = None
    url: str | None = None
    sha256: str | None = None
    enc_sha256: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class GeoLocation:
    latitude: float
    longitude: float
    name: str | None = None
    address: str | None = None
    live: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class ContactCard:
    """A shared vCard: payload data, never a CRM contact of its own (§10.44)."""

    display_name: str | None = None
    vcard: str | None = None
    phones: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class PollDefinition:
    question: str | None
    options: tuple[str, ...]
    selectable_count: int
    """0 means any number of options may be chosen."""


@dataclass(frozen=True, slots=True, kw_only=True)
class InteractiveReply:
    """The customer tapped a button, a list row or a flow; the visible text is `Content.text`."""

    kind: Literal["buttons", "list", "template", "interactive"]
    selected_id: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class Quote:
    provider_message_id: str
    participant: str | None = None
    text: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Content:
    """What a message says. `content_key` is the proto key (`imageMessage`, `eventMessage`…),
    which is all an UNKNOWN message carries."""

    type: MessageType
    content_key: str | None = None
    text: str | None = None
    caption: str | None = None
    media: Media | None = None
    location: GeoLocation | None = None
    contacts: tuple[ContactCard, ...] = ()
    poll: PollDefinition | None = None
    reply: InteractiveReply | None = None
    quoted: Quote | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Sender:
    """Who wrote a message from someone else: the participant in a group, the peer in a
    direct chat. `phone` only ever comes from a phone-number JID, never from LID digits."""

    jid: str | None
    phone: str | None = None
    lid: str | None = None
    push_name: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class InboundMessage:
    """A chat message, from the customer or ours (`from_me`: sent from the phone, another
    linked device or the CRM). Named for the direction of the webhook, not of the message.

    `customer_phone`/`customer_lid` identify the customer of a direct chat (None in groups,
    whose customer is the group itself). `sender` is None for our own messages, so our
    push name can never rename a contact (§10.14).
    """

    kind: ClassVar[str] = "message"
    instance_key: str
    provider_message_id: str | None
    chat: str
    chat_kind: JidKind
    from_me: bool
    sender: Sender | None
    customer_phone: str | None
    customer_lid: str | None
    content: Content
    occurred_at: datetime | None
    source: Source
    status: MessageStatus | None = None
    """The ack a fromMe message already carries (own-send echoes start at PENDING)."""
    upsert_type: str | None = None
    """Baileys' `notify` (live) or `append` (offline flush, own echo): both are real."""
    is_view_once: bool = False
    is_ephemeral: bool = False
    raw: Mapping[str, object] = field(default_factory=dict, repr=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class MessageEdit:
    """`chat` is None when the source gives only the sender-side key (Evolution); resolve the
    target by id within the instance."""

    kind: ClassVar[str] = "edit"
    instance_key: str
    target_provider_message_id: str
    chat: str | None
    new_text: str | None
    at: datetime | None
    edit_message_id: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class MessageRevoke:
    kind: ClassVar[str] = "revoke"
    instance_key: str
    target_provider_message_id: str
    chat: str | None
    at: datetime | None
    revoke_message_id: str | None = None


OWN_SENDER = "me"
"""`Reaction.sender` for our own reactions: the webhook never tells us our own JID."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Reaction:
    """One reactor's current reaction; an empty `emoji` removes it (§10.27)."""

    kind: ClassVar[str] = "reaction"
    instance_key: str
    target_provider_message_id: str
    chat: str
    sender: str
    from_me: bool
    emoji: str
    at: datetime | None
    reaction_message_id: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class PollOption:
    id: str | None
    text: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class PollVote:
    """A decrypted vote; it replaces the voter's previous one, and no options withdraws it."""

    kind: ClassVar[str] = "poll_vote"
    instance_key: str
    poll_message_id: str
    chat: str | None
    voter: str | None
    selected: tuple[PollOption, ...]
    at: datetime | None
    vote_message_id: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class AckUpdate:
    """A delivery status for one message. With `from_me` False it is this account reading
    the customer's message elsewhere (read-self, §10.9): never an outbound ack. In groups,
    `participant` is the member whose receipt this is."""

    kind: ClassVar[str] = "ack"
    instance_key: str
    provider_message_id: str
    chat: str | None
    from_me: bool
    status: MessageStatus
    participant: str | None = None
    at: datetime | None = None
    """The receipt time, not the message time (§10.8)."""
    error_code: str | None = None
    """The server's NACK code on a FAILED ack (463 reach-out limit, 479 stale session…)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ConnectionUpdate:
    """`qr` is a live credential: it is kept out of repr and therefore out of logs."""

    kind: ClassVar[str] = "connection"
    instance_key: str
    status: InstanceStatus
    at: datetime | None
    qr: str | None = field(default=None, repr=False)
    phone: str | None = None
    disconnect_code: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class IgnoredEvent:
    kind: ClassVar[str] = "ignored"
    reason: IgnoreReason
    instance_key: str | None = None
    detail: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class RejectedEvent:
    kind: ClassVar[str] = "rejected"
    reason: RejectReason
    detail: str | None = None


WebhookEvent = (
    InboundMessage
    | MessageEdit
    | MessageRevoke
    | Reaction
    | PollVote
    | AckUpdate
    | ConnectionUpdate
    | IgnoredEvent
    | RejectedEvent
)


class BatchItem(NamedTuple):
    """An event and its durable-inbox key; None for ignored and rejected events, which are
    not stored (so an ignored CIPHERTEXT stub never blocks the real message, §10.30)."""

    event: WebhookEvent
    dedupe_key: str | None


@dataclass(frozen=True, slots=True)
class WebhookBatch:
    items: tuple[BatchItem, ...] = ()

    @property
    def events(self) -> tuple[WebhookEvent, ...]:
        return tuple(item.event for item in self.items)

    @property
    def counts(self) -> Counter[str]:
        """Items per event kind (`message`, `ack`, …, `ignored`, `rejected`)."""
        return Counter(item.event.kind for item in self.items)

    @property
    def ignored_reasons(self) -> Counter[str]:
        return Counter(
            item.event.reason for item in self.items if isinstance(item.event, IgnoredEvent)
        )

    @property
    def rejected(self) -> tuple[RejectedEvent, ...]:
        return tuple(item.event for item in self.items if isinstance(item.event, RejectedEvent))


def ignored(
    reason: IgnoreReason, instance_key: str | None = None, detail: str | None = None
) -> BatchItem:
    return BatchItem(IgnoredEvent(reason=reason, instance_key=instance_key, detail=detail), None)


def rejected(reason: RejectReason, detail: str | None = None) -> BatchItem:
    return BatchItem(RejectedEvent(reason=reason, detail=detail), None)


def guarded(parse: Callable[[], list[BatchItem]]) -> list[BatchItem]:
    """Run the parser of one envelope item. Parsers are total by construction (the property
    tests check it); should one still fail, only its item is rejected, never its siblings
    (§10.37), and `detail` names the exception for the log."""
    try:
        return parse()
    except Exception as error:
        return [rejected(RejectReason.PARSER_ERROR, type(error).__name__)]
