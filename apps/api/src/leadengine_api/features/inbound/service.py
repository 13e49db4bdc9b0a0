"""Accept a webhook body into the durable inbox: route each event to its tenant by the
broker id it names, append the batch in one transaction, and only then answer.

The tenant is always the tenant of the instance with the event's broker id; nothing in the
request can choose it. An unknown broker id is parked as `unroutable` (the worker routes it
once the instance exists); a deleted instance's events are dropped as ignored. Routing happens
in the same statement as the insert (`inbox.deliver`), so it never reads a stale route.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime

from leadengine_core.ports import IdGenerator
from leadengine_integrations.normalize import IgnoredEvent, RejectedEvent, RejectReason
from leadengine_shared.metrics import InboundMetrics
from leadengine_storage import inbox
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from leadengine_api.features.inbound.envelopes import ParsedItem, Source
from leadengine_api.features.inbound.webhook_auth import WebhookRefused
from leadengine_api.worker.notifications import InboxNotifier

__all__ = ["Accepted", "InboxIntake", "accept"]

TRACE_CONTEXT_LIMIT = 512


@dataclass(frozen=True, slots=True)
class Accepted:
    accepted: int
    duplicates: int


class InboxIntake:
    """The webhooks' way into the inbox, one per process (ADR 0010).

    On PostgreSQL `inbox.deliver` is a single statement, so it runs on an autocommit connection:
    its own transaction, committed before it returns, without BEGIN and COMMIT round trips. At
    most `slots` deliveries (the pool's size) hold a connection at once: under a burst the rest
    wait here rather than open overflow connections the pool closes again on return. Workers in
    other processes hear of committed rows from `notifier`, which coalesces (ADR 0013).
    """

    def __init__(
        self, engine: AsyncEngine, slots: int, notifier: InboxNotifier | None = None
    ) -> None:
        self._engine = (
            engine.execution_options(isolation_level="AUTOCOMMIT")
            if engine.dialect.name == "postgresql"
            else engine
        )
        self._slots = asyncio.Semaphore(slots)
        self._notifier = notifier

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[AsyncConnection]:
        async with self._slots, self._engine.begin() as connection:
            yield connection

    def committed(self) -> None:
        """Rows were committed: wake the workers of other processes."""
        if self._notifier is not None:
            self._notifier.committed()

    async def close(self) -> None:
        if self._notifier is not None:
            await self._notifier.close()


async def accept(
    intake: InboxIntake,
    ids: IdGenerator,
    now: datetime,
    metrics: InboundMetrics,
    source: Source,
    parsed: list[ParsedItem],
    trace_context: str | None = None,
) -> Accepted:
    """Append the storable events; raise `WebhookRefused` (nothing stored) when any is
    rejected. Other processes' workers are notified here; the caller wakes its own worker."""
    _refuse_rejected(parsed)
    for item in parsed:
        if isinstance(item.item.event, IgnoredEvent):
            metrics.webhook("ignored", item.item.event.reason)
    unique = _unique_by_key(item for item in parsed if item.item.dedupe_key is not None)
    in_batch_duplicates = sum(1 for item in parsed if item.item.dedupe_key) - len(unique)
    events = [
        inbox.IncomingEvent(
            id=ids.new_id(),
            dedupe_key=item.item.dedupe_key,
            broker_id=item.item.event.instance_key,
            kind=item.item.event.kind,
            payload=item.payload,
        )
        for item in unique
        if item.item.dedupe_key is not None
        and not isinstance(item.item.event, (IgnoredEvent, RejectedEvent))
    ]
    delivered = inbox.Delivered(inserted=0, dropped=0)
    if events:
        delivered = await _deliver(intake, events, source, now, trace_context, metrics)
    if delivered.inserted:
        intake.committed()
    metrics.webhook("ignored", "instance_deleted", delivered.dropped)
    duplicates = len(events) - delivered.dropped - delivered.inserted + in_batch_duplicates
    metrics.webhook("accepted", source.value, delivered.inserted)
    metrics.webhook("duplicate", "dedupe_key", duplicates)
    return Accepted(accepted=delivered.inserted, duplicates=duplicates)


async def _deliver(
    intake: InboxIntake,
    events: list[inbox.IncomingEvent],
    source: Source,
    now: datetime,
    trace_context: str | None,
    metrics: InboundMetrics,
) -> inbox.Delivered:
    try:
        async with intake.connection() as connection:
            return await inbox.deliver(
                connection,
                events,
                source=source.value,
                now=now,
                trace_context=(trace_context or "")[:TRACE_CONTEXT_LIMIT] or None,
            )
    except SQLAlchemyError as error:
        metrics.webhook("failed", "storage_error", len(events))
        raise WebhookRefused(
            503, "INBOX_UNAVAILABLE", "the inbox could not store the events", "storage_error"
        ) from error


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
