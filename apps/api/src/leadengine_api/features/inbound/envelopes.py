"""One webhook body → the envelope items it holds, each kept as the inbox row's payload.

A body may carry many events; each inbox row keeps only the item its event came from, so the
worker can parse that item again (parsing is pure) and pick its event by dedupe key. An item
of a `{events: [...]}` body keeps the envelope's other fields (its fallback `instanceId`).
Evolution's `apikey` is a credential and is never stored.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from leadengine_integrations.normalize import (
    BatchItem,
    RejectedEvent,
    RejectReason,
    WebhookBatch,
    WebhookEvent,
    parse_evolution_webhook,
    parse_webhook,
)
from leadengine_integrations.normalize.events import rejected
from leadengine_storage.inbox import storage_key


class Source(StrEnum):
    BROKER = "broker"
    EVOLUTION = "evolution"


@dataclass(frozen=True, slots=True)
class ParsedItem:
    item: BatchItem
    payload: str
    """The envelope item as canonical JSON text (ASCII, so NULs and lone surrogates survive)."""


def parse_body(source: Source, body: object) -> list[ParsedItem]:
    """Every event of the body, each with the item it came from."""
    if not isinstance(body, (dict, list)):
        return [ParsedItem(rejected(RejectReason.INVALID_BODY), "null")]
    parse = _PARSERS[source]
    parsed: list[ParsedItem] = []
    for element in _split(source, body):
        payload = json.dumps(element, ensure_ascii=True, separators=(",", ":"), sort_keys=True)
        parsed.extend(ParsedItem(item, payload) for item in parse(element).items)
    return parsed


def event_for(source: str, payload: str, dedupe_key: str) -> WebhookEvent | None:
    """The event an inbox row stands for, parsed again from its stored item."""
    parse = _PARSERS[Source(source)]
    for item in parse(json.loads(payload)).items:
        if item.dedupe_key is not None and storage_key(item.dedupe_key) == dedupe_key:
            return item.event
    return None


def is_rejected(item: BatchItem) -> bool:
    return isinstance(item.event, RejectedEvent)


def _split(source: Source, body: dict[str, object] | list[object]) -> list[object]:
    if isinstance(body, list):
        elements = list(body)
    elif source is Source.BROKER and isinstance(body.get("events"), list):
        envelope = {key: value for key, value in body.items() if key != "events"}
        events: list[object] = body["events"]  # type: ignore[assignment]
        elements = [{**envelope, "events": [event]} for event in events]
    else:
        elements = [body]
    return [_without_credentials(element) for element in elements]


def _without_credentials(element: object) -> object:
    if isinstance(element, dict) and "apikey" in element:
        return {key: value for key, value in element.items() if key != "apikey"}
    return element


_PARSERS: dict[Source, Callable[[object], WebhookBatch]] = {
    Source.BROKER: parse_webhook,
    Source.EVOLUTION: parse_evolution_webhook,
}
