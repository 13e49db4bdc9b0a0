"""What an inbound worker needs to know, taken from `Settings` once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from leadengine_shared.settings import Settings


@dataclass(frozen=True, slots=True)
class WorkerConfig:
    database_url: str
    batch_size: int = 100
    lease: timedelta = timedelta(seconds=60)
    max_attempts: int = 8
    poll_seconds: float = 2.0
    retention: timedelta = timedelta(days=7)

    @classmethod
    def from_settings(cls, settings: Settings) -> WorkerConfig:
        return cls(
            database_url=settings.database_url,
            batch_size=settings.inbound_worker_batch_size,
            lease=timedelta(seconds=settings.inbound_worker_lease_seconds),
            max_attempts=settings.inbound_max_attempts,
            poll_seconds=settings.inbound_worker_poll_seconds,
            retention=timedelta(days=settings.inbox_retention_days),
        )
