"""Prometheus metric families, one registry per app, with bounded label values.

Label values that come from data (tenant ids, instance ids, error codes) are passed through a
`LabelGuard`, which lets a fixed number of distinct values through per label and folds the
rest into `overflow`, so a misbehaving client cannot blow up the time-series count.
"""

from __future__ import annotations

import threading
from weakref import WeakKeyDictionary

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

OVERFLOW = "overflow"
UNKNOWN = "unknown"

__all__ = [
    "CONTENT_TYPE_LATEST",
    "OVERFLOW",
    "UNKNOWN",
    "BrokerMetrics",
    "HttpMetrics",
    "InboundMetrics",
    "LabelGuard",
    "OutboundMetrics",
    "RealtimeMetrics",
    "new_registry",
    "render",
    "sample_value",
]

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class LabelGuard:
    """Caps the distinct values each label may take; later newcomers become `overflow`."""

    def __init__(self, limits: dict[str, int]) -> None:
        self._limits = dict(limits)
        self._seen: dict[str, set[str]] = {name: set() for name in limits}
        self._lock = threading.Lock()

    def value(self, label: str, raw: object) -> str:
        text = UNKNOWN if raw is None or raw == "" else str(raw)
        limit = self._limits.get(label)
        if limit is None:
            return text
        seen = self._seen[label]
        with self._lock:
            if text in seen:
                return text
            if len(seen) < limit:
                seen.add(text)
                return text
        return OVERFLOW

    def labels(self, **raw: object) -> dict[str, str]:
        return {name: self.value(name, value) for name, value in raw.items()}


def new_registry() -> CollectorRegistry:
    """A fresh registry per app instance, so tests and several apps never share counters."""
    return CollectorRegistry(auto_describe=True)


def render(registry: CollectorRegistry) -> bytes:
    return generate_latest(registry)


def sample_value(
    registry: CollectorRegistry, name: str, labels: dict[str, str] | None = None
) -> float:
    """Current value of one sample (0.0 when absent); used by health views and tests."""
    value = registry.get_sample_value(name, labels or {})
    return 0.0 if value is None else value


class HttpMetrics:
    """Latency of every HTTP request the API serves, by route template (bounded)."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.requests = Histogram(
            "http_request_duration_seconds",
            "HTTP requests served by the API, by route template, method and status class.",
            ["route", "method", "status"],
            registry=registry,
            buckets=LATENCY_BUCKETS,
        )


class BrokerMetrics:
    """Calls from our broker client to the Baileys HTTP broker.

    The instance routes' client and the outbound worker's client count into the same family:
    take it with `BrokerMetrics.of(registry)`, which registers it once per registry.
    """

    @classmethod
    def of(cls, registry: CollectorRegistry) -> BrokerMetrics:
        with _BROKER_METRICS_LOCK:
            metrics = _BROKER_METRICS.get(registry)
            if metrics is None:
                metrics = _BROKER_METRICS[registry] = cls(registry)
            return metrics

    def __init__(self, registry: CollectorRegistry) -> None:
        self.guard = LabelGuard({"operation": 40, "code": 50})
        self.requests = Counter(
            "whatsapp_http_requests",
            "HTTP calls to the WhatsApp broker, by operation, method, status, code and result.",
            ["operation", "method", "status", "code", "result"],
            registry=registry,
        )
        self.latency = Histogram(
            "whatsapp_http_request_duration_seconds",
            "Latency of HTTP calls to the WhatsApp broker.",
            ["operation", "result"],
            registry=registry,
            buckets=LATENCY_BUCKETS,
        )


_BROKER_METRICS: WeakKeyDictionary[CollectorRegistry, BrokerMetrics] = WeakKeyDictionary()
_BROKER_METRICS_LOCK = threading.Lock()


class InboundMetrics:
    """The webhook and the durable inbox: what was accepted, applied, queued and how late."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.guard = LabelGuard({"reason": 40, "kind": 12, "outcome": 8, "status": 8})
        self.webhook_events = Counter(
            "whatsapp_webhook_events",
            "Webhook events by result (accepted, duplicate, ignored, rejected, failed) and reason.",
            ["result", "reason"],
            registry=registry,
        )
        self.processed = Counter(
            "inbound_messages_processed",
            "Inbox rows processed by the inbound worker, by event kind and outcome.",
            ["kind", "outcome"],
            registry=registry,
        )
        self.latency = Histogram(
            "whatsapp_inbound_latency_seconds",
            "From the webhook's commit to the event applied by the worker.",
            ["kind"],
            registry=registry,
            buckets=LATENCY_BUCKETS,
        )
        self.batch_fallbacks = Counter(
            "inbound_batch_fallbacks",
            "Claimed batches rolled back and applied row by row, by the error that stopped them.",
            ["reason"],
            registry=registry,
        )
        self.depth = Gauge(
            "inbound_inbox_depth",
            "Inbox rows per status (refreshed by the worker).",
            ["status"],
            registry=registry,
        )
        self.oldest_age = Gauge(
            "inbound_inbox_oldest_age_seconds",
            "Age of the oldest inbox row per status (refreshed by the worker).",
            ["status"],
            registry=registry,
        )

    def webhook(self, result: str, reason: str, count: int = 1) -> None:
        if count:
            labels = self.guard.labels(reason=reason)
            self.webhook_events.labels(result=result, **labels).inc(count)

    def batch_fallback(self, reason: str) -> None:
        self.batch_fallbacks.labels(**self.guard.labels(reason=reason)).inc()

    def applied(self, kind: str, outcome: str, latency_seconds: float | None) -> None:
        labels = self.guard.labels(kind=kind, outcome=outcome)
        self.processed.labels(**labels).inc()
        if latency_seconds is not None:
            self.latency.labels(kind=labels["kind"]).observe(max(latency_seconds, 0.0))


class OutboundMetrics:
    """Agent sends through the outbox: outcomes, accepted→SENT latency and circuit states."""

    CIRCUIT_STATES = {"closed": 0.0, "open": 1.0, "half_open": 2.0}

    def __init__(self, registry: CollectorRegistry) -> None:
        self.broker = BrokerMetrics.of(registry)
        """For the outbound worker's broker client (`whatsapp_http_requests_total`)."""
        self.guard = LabelGuard({"status": 10, "tenantId": 100, "instanceId": 200, "state": 4})
        self.sends = Counter(
            "whatsapp_outbound",
            "Outbound sends by status (accepted, sent, retrying, deferred, skipped, failed).",
            ["status"],
            registry=registry,
        )
        self.latency = Histogram(
            "whatsapp_outbound_latency_seconds",
            "From the API accepting a send to the broker confirming it (SENT).",
            registry=registry,
            buckets=(*LATENCY_BUCKETS, 30.0, 60.0, 300.0),
        )
        self.circuit = Gauge(
            "whatsapp_outbound_circuit_state",
            "Circuit per tenant and instance: 0 closed, 1 open, 2 half-open.",
            ["tenantId", "instanceId"],
            registry=registry,
        )
        self.circuit_transitions = Counter(
            "whatsapp_outbound_circuit_transitions",
            "Circuit openings and closings, by the state entered.",
            ["state"],
            registry=registry,
        )

    def outcome(self, status: str, count: int = 1) -> None:
        self.sends.labels(**self.guard.labels(status=status)).inc(count)

    def sent(self, latency_seconds: float) -> None:
        self.outcome("sent")
        self.latency.observe(max(latency_seconds, 0.0))

    def circuit_state(self, tenant_id: object, instance_id: object, state: str) -> None:
        labels = self.guard.labels(tenantId=tenant_id, instanceId=instance_id)
        self.circuit.labels(**labels).set(self.CIRCUIT_STATES.get(state, 0.0))

    def circuit_changed(self, tenant_id: object, instance_id: object, state: str) -> None:
        self.circuit_state(tenant_id, instance_id, state)
        self.circuit_transitions.labels(**self.guard.labels(state=state)).inc()


class RealtimeMetrics:
    """Socket.IO emits by event name (no room label: rooms are per tenant, unbounded) and the
    sockets connected to this process."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.guard = LabelGuard({"event": 20})
        self.emits = Counter(
            "ws_emit", "Socket.IO events emitted, by event name.", ["event"], registry=registry
        )
        self.connected = Gauge(
            "ws_connected_sockets", "Sockets connected to this process.", registry=registry
        )

    def emitted(self, event: str) -> None:
        self.emits.labels(**self.guard.labels(event=event)).inc()
