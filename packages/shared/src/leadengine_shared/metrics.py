"""Prometheus metric families, one registry per app, with bounded label values.

Label values that come from data (tenant ids, instance ids, error codes) are passed through a
`LabelGuard`, which lets a fixed number of distinct values through per label and folds the
rest into `overflow`, so a misbehaving client cannot blow up the time-series count.
"""

from __future__ import annotations

import threading

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

OVERFLOW = "overflow"
UNKNOWN = "unknown"

__all__ = [
    "CONTENT_TYPE_LATEST",
    "OVERFLOW",
    "UNKNOWN",
    "BrokerMetrics",
    "HttpMetrics",
    "LabelGuard",
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
    """Calls from our broker client to the Baileys HTTP broker."""

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
