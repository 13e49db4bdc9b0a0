"""One outbox row to one broker call. The payload is the validated request payload, stored
as JSON when the send was accepted, so it is parsed again with the same contract."""

from __future__ import annotations

from collections.abc import Mapping

from leadengine_contracts.sends import (
    ContactPayload,
    LocationPayload,
    MediaPayload,
    OutboundPayload,
    PollPayload,
    TemplatePayload,
    TextPayload,
)
from leadengine_integrations.broker import BrokerClient
from leadengine_integrations.broker.models import SendResult
from pydantic import TypeAdapter

__all__ = ["parse_payload", "send_payload"]

_PAYLOAD: TypeAdapter[OutboundPayload] = TypeAdapter(OutboundPayload)


def parse_payload(stored: Mapping[str, object]) -> OutboundPayload:
    return _PAYLOAD.validate_python(stored)


async def send_payload(
    broker: BrokerClient, broker_id: str, to: str, payload: OutboundPayload, *, key: str
) -> SendResult:
    """Send with `key` (the message id) as the idempotency key: a retry after a crash between
    the broker's reply and our commit is recognised by the broker instead of sent twice."""
    match payload:
        case TextPayload():
            return await broker.send_text(
                broker_id, to, payload.text, idempotency_key=key, preview_url=payload.preview_url
            )
        case MediaPayload():
            return await broker.send_media(
                broker_id,
                to,
                media_type=payload.type,
                url=payload.media_url,
                idempotency_key=key,
                mime_type=payload.mime_type,
                file_name=payload.file_name,
                caption=payload.caption,
            )
        case LocationPayload():
            return await broker.send_location(
                broker_id,
                to,
                latitude=payload.latitude,
                longitude=payload.longitude,
                idempotency_key=key,
                name=payload.name,
                address=payload.address,
            )
        case ContactPayload():
            return await broker.send_contact(
                broker_id,
                to,
                display_name=payload.full_name,
                phone_number=payload.phones[0].phone_number,
                idempotency_key=key,
            )
        case TemplatePayload():
            components = [item.model_dump(exclude_none=True) for item in payload.components or []]
            return await broker.send_template(
                broker_id,
                to,
                name=payload.name,
                idempotency_key=key,
                language=payload.language,
                namespace=payload.namespace,
                components=components or None,
            )
        case PollPayload():
            return await broker.send_poll(
                broker_id,
                to,
                question=payload.question,
                options=payload.options,
                idempotency_key=key,
                multiple_answers=payload.allow_multiple_answers,
            )
