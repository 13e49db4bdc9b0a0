"""Webhook normalisation: any broker webhook body → typed, deduplicable events. Pure: no I/O.

`parse_webhook` reads the LeadEngine broker's envelope, `parse_evolution_webhook` Evolution
API v2's. Both are total: any JSON value yields a `WebhookBatch` whose items are events or
`IgnoredEvent`/`RejectedEvent`, never an exception. Each item carries the key the durable
inbox stores once (see `dedupe` for the scheme). The caller answers 4xx when
`batch.rejected` is not empty, and 2xx otherwise, even when every item was ignored.
"""

from leadengine_integrations.normalize.envelope import parse_webhook
from leadengine_integrations.normalize.events import (
    OWN_SENDER,
    AckUpdate,
    BatchItem,
    ConnectionUpdate,
    ContactCard,
    Content,
    GeoLocation,
    IgnoredEvent,
    IgnoreReason,
    InboundMessage,
    InteractiveReply,
    Media,
    MessageEdit,
    MessageRevoke,
    PollDefinition,
    PollOption,
    PollVote,
    Quote,
    Reaction,
    RejectedEvent,
    RejectReason,
    Sender,
    Source,
    WebhookBatch,
    WebhookEvent,
)
from leadengine_integrations.normalize.evolution import parse_evolution_webhook

__all__ = [
    "OWN_SENDER",
    "AckUpdate",
    "BatchItem",
    "ConnectionUpdate",
    "ContactCard",
    "Content",
    "GeoLocation",
    "IgnoreReason",
    "IgnoredEvent",
    "InboundMessage",
    "InteractiveReply",
    "Media",
    "MessageEdit",
    "MessageRevoke",
    "PollDefinition",
    "PollOption",
    "PollVote",
    "Quote",
    "Reaction",
    "RejectReason",
    "RejectedEvent",
    "Sender",
    "Source",
    "WebhookBatch",
    "WebhookEvent",
    "parse_evolution_webhook",
    "parse_webhook",
]
