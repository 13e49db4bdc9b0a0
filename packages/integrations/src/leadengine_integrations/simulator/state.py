"""Everything the simulator remembers, readable from a test thread while the server runs.

The server mutates state on its own event-loop thread; tests read it from theirs. Every
mutation and every read goes through one lock, and reads return copies, so a test never sees
a half-applied change.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Literal

from leadengine_integrations.simulator.config import Faults, SimulatorConfig

__all__ = [
    "DeliveryStatus",
    "InstanceState",
    "PollRecord",
    "RecordedRequest",
    "RecordedSend",
    "SimInstance",
    "SimulatorState",
    "StoredMedia",
    "WebhookDelivery",
]

InstanceState = Literal["qr_required", "connected", "disconnected"]
DeliveryStatus = Literal["pending", "delivered", "failed"]


@dataclass(slots=True)
class SimInstance:
    id: str
    tenant_id: str | None
    name: str
    webhook_url: str | None
    created_at: datetime
    status: InstanceState = "qr_required"
    qr: str | None = None
    qr_expires_at: datetime | None = None
    pairing_code: str | None = None
    pairing_phone: str | None = None
    phone_number: str | None = None
    sent: int = 0
    received: int = 0

    @property
    def connected(self) -> bool:
        return self.status == "connected"

    @property
    def own_jid(self) -> str | None:
        return f"{self.phone_number}@s.whatsapp.net" if self.phone_number else None


@dataclass(frozen=True, slots=True)
class RecordedSend:
    """One accepted send; an idempotent replay is not recorded again."""

    provider_id: str
    instance_id: str
    tenant_id: str | None
    idempotency_key: str | None
    type: str
    to: str
    jid: str
    body: dict[str, Any]
    accepted_at: datetime


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    method: str
    path: str
    idempotency_key: str | None


@dataclass(slots=True)
class WebhookDelivery:
    event: str
    instance_id: str
    url: str
    body: bytes
    attempts: int = 0
    status: DeliveryStatus = "pending"
    last_error: str | None = None


@dataclass(frozen=True, slots=True)
class StoredMedia:
    instance_id: str
    content: bytes
    mime_type: str
    file_name: str | None


@dataclass(slots=True)
class PollRecord:
    instance_id: str
    question: str
    options: list[str]
    votes: dict[str, list[str]] = field(default_factory=dict)


class SimulatorState:
    def __init__(self, config: SimulatorConfig) -> None:
        self.config = config
        self._lock = threading.RLock()
        self._faults = config.faults
        self.instances: dict[str, SimInstance] = {}
        self.sends_log: list[RecordedSend] = []
        self.requests_log: list[RecordedRequest] = []
        self.deliveries_log: list[WebhookDelivery] = []
        self.send_replies: dict[tuple[str, str], tuple[str, dict[str, Any]]] = {}
        self.create_replies: dict[tuple[str | None, str], str] = {}
        self.media: dict[str, StoredMedia] = {}
        self.polls: dict[str, PollRecord] = {}
        self.groups: dict[str, tuple[str, str]] = {}
        self.pending_webhooks = 0

    @contextmanager
    def locked(self) -> Iterator[SimulatorState]:
        with self._lock:
            yield self

    @property
    def faults(self) -> Faults:
        return self._faults

    def set_faults(self, **knobs: Any) -> Faults:
        """Change some knobs, e.g. `state.set_faults(down=True)`; unknown names raise."""
        unknown = set(knobs) - Faults.names()
        if unknown:
            raise ValueError(f"unknown fault knobs: {sorted(unknown)}")
        with self._lock:
            self._faults = replace(self._faults, **knobs)
            return self._faults

    def clear_faults(self) -> Faults:
        with self._lock:
            self._faults = Faults()
            return self._faults

    def reset(self) -> None:
        """Forget instances, sends, requests and deliveries (for a simulator shared by tests)."""
        with self._lock:
            self._faults = self.config.faults
            for collection in (
                self.instances,
                self.send_replies,
                self.create_replies,
                self.media,
                self.polls,
                self.groups,
            ):
                collection.clear()
            for log in (self.sends_log, self.requests_log, self.deliveries_log):
                log.clear()

    def sends(self, instance_id: str | None = None) -> list[RecordedSend]:
        """Every accepted send, oldest first, optionally of one instance."""
        with self._lock:
            return [s for s in self.sends_log if instance_id in (None, s.instance_id)]

    def instance(self, instance_id: str) -> SimInstance | None:
        with self._lock:
            found = self.instances.get(instance_id)
            return replace(found) if found else None

    def all_instances(self) -> list[SimInstance]:
        with self._lock:
            return [replace(instance) for instance in self.instances.values()]

    def requests(self, method: str | None = None, path: str | None = None) -> list[RecordedRequest]:
        """Broker calls received (control routes excluded), optionally filtered."""
        with self._lock:
            return [
                r
                for r in self.requests_log
                if method in (None, r.method) and path in (None, r.path)
            ]

    def deliveries(self, event: str | None = None) -> list[WebhookDelivery]:
        with self._lock:
            return [replace(d) for d in self.deliveries_log if event in (None, d.event)]

    def record_request(self, request: RecordedRequest) -> None:
        with self._lock:
            self.requests_log.append(request)

    def add_pending(self, count: int) -> None:
        with self._lock:
            self.pending_webhooks += count
