"""Real implementations of the domain's clock and id ports."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

import uuid6

__all__ = ["SystemClock", "Uuid7Ids"]


class SystemClock:
    """Wall-clock time in UTC."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class Uuid7Ids:
    """Time-ordered UUIDv7 ids: new rows land at the right edge of B-tree indexes (ADR 0002)."""

    def new_id(self) -> UUID:
        return UUID(int=uuid6.uuid7().int)
