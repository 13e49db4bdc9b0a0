"""One page of a keyset-paginated list: follow `nextCursor` for older rows, `prevCursor` back."""

from __future__ import annotations

from typing import Generic, TypeVar

from leadengine_contracts.base import WireModel

__all__ = ["Page"]

T = TypeVar("T")


class Page(WireModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None
    prev_cursor: str | None = None
