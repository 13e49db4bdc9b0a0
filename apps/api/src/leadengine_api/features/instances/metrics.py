"""Counters of the instance sync, registered once per app registry."""

from __future__ import annotations

from typing import Literal

from prometheus_client import CollectorRegistry, Counter

__all__ = ["InstanceSyncMetrics"]

SkipReason = Literal["tombstoned", "other_tenant"]


class InstanceSyncMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self._discarded = Counter(
            "whatsapp_discarded_snapshots",
            "Broker sessions a sync refused: tombstoned here, or owned by another tenant.",
            ["reason"],
            registry=registry,
        )

    def discarded(self, reason: SkipReason) -> None:
        self._discarded.labels(reason=reason).inc()
