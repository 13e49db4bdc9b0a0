"""Accept a webhook body into the durable inbox: route each event to its tenant by the
broker id it names, append the batch in one transaction, and only then answer.

The tenant is always the tenant of the instance with the event's broker id; nothing in the
request can choose it. An unknown broker id is parked as `unroutable` (the worker routes it
once the instance exists); a deleted instance's events are dropped as ignored.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from leadengine_core.instances import WhatsAppInstance
from leadengine_core.ports import IdGenerator
from leadengine_integrations.normalize import IgnoredEvent, RejectedEvent, RejectReason
from leadengine_shared.metrics import InboundMetrics
from leadengine_storage import inbox
from leadengine_storage.repositories import SqlInstanceRepository
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from leadengine_api.features.inbound.envelopes import ParsedItem, Source
from leadengine_api.features.inbound.webhook_auth import WebhookRefused

__all__ = ["Accepted", "accept"]

TRACE_CONTEXT_LIMIT = 512


@dataclass(frozen=True, slots=True)
class Accepted:
    accepted: int
    duplicates: int


async def accept(
    engine: AsyncEngine,
    ids: IdGenerator,
    now: datetime,
    metrics: InboundMetrics,
    source: Source,
    parsed: list[ParsedItem],
    trace_context: str | None = None,
) -> Accepted:
    """Append the storable events; raise `WebhookRefused` (nothing stored) when any is
    rejected. The caller wakes the worker after this returns, i.e. after the commit."""
    _refuse_rejected(parsed)
    for item in parsed:
        if isinstance(item.item.event, IgnoredEvent):
            metrics.webhook("ignored", item.item.event.reason)
    unique = _unique_by_key(item for item in parsed if item.item.dedupe_key is not None)
    in_batch_duplicates = sum(1 for item in parsed if item.item.dedupe_key) - len(unique)
    if not unique:
        return Accepted(accepted=0, duplicates=0)
    try:
        async with engine.begin() as connection:
            entries = await _route(connection, ids, source, unique, metrics)
            inserted = await inbox.append(
                connection,
                entries,
                now=now,
                trace_context=(trace_context or "")[:TRACE_CONTEXT_LIMIT] or None,
            )
            if inserted:
                await inbox.notify(connection)
    except SQLAlchemyError as error:
        metrics.webhook("failed", "storage_error", len(unique))
        raise WebhookRefused(
            503, "INBOX_UNAVAILABLE", "the inbox could not store the events", "storage_error"
        ) from error
    duplicates = len(entries) - inserted + in_batch_duplicates
    metrics.webhook("accepted", source.value, inserted)
    metrics.webhook("duplicate", "dedupe_key", duplicates)
    return Accepted(accepted=inserted, duplicates=duplicates)


def _refuse_rejected(parsed: list[ParsedItem]) -> None:
    rejected = [item.item.event for item in parsed if isinstance(item.item.event, RejectedEvent)]
    if not rejected:
        return
    if any(event.reason is RejectReason.INVALID_BODY for event in rejected):
        raise WebhookRefused(400, "BAD_REQUEST", "the body is not a webhook event", "invalid_body")
    reasons = ", ".join(sorted({event.reason.value for event in rejected}))
    raise WebhookRefused(
        422, "INVALID_WEBHOOK_EVENT", f"the batch holds invalid events ({reasons})", reasons
    )


def _unique_by_key(items: Iterable[ParsedItem]) -> list[ParsedItem]:
    """The first event of each key: a body may carry the same event twice."""
    seen: dict[str, ParsedItem] = {}
    for item in items:
        seen.setdefault(inbox.storage_key(item.item.dedupe_key or ""), item)
    return list(seen.values())


async def _route(
    connection: AsyncConnection,
    ids: IdGenerator,
    source: Source,
    items: list[ParsedItem],
    metrics: InboundMetrics,
) -> list[inbox.InboxEntry]:
    instances = SqlInstanceRepository(connection)
    routes: dict[str, WhatsAppInstance | None] = {}
    entries: list[inbox.InboxEntry] = []
    for parsed in items:
        event = parsed.item.event
        if isinstance(event, (IgnoredEvent, RejectedEvent)) or parsed.item.dedupe_key is None:
            continue
        broker_id = event.instance_key
        if broker_id not in routes:
            routes[broker_id] = await instances.route_by_broker_id(broker_id)
        instance = routes[broker_id]
        if instance is not None and instance.deleted_at is not None:
            metrics.webhook("ignored", "instance_deleted")
            continue
        entries.append(
            inbox.InboxEntry(
                id=ids.new_id(),
                dedupe_key=parsed.item.dedupe_key,
                broker_id=broker_id,
                tenant_id=None if instance is None else instance.tenant_id,
                source=source.value,
                kind=event.kind,
                payload=parsed.payload,
            )
        )
    return entries
