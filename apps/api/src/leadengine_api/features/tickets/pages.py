"""Paging parameters and the page contract, shared by the ticket, note and message lists."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, TypeVar

from leadengine_contracts.base import WireModel
from leadengine_contracts.pagination import Page
from leadengine_core import pagination
from leadengine_core.pagination import MAX_CURSOR_LENGTH
from litestar.params import QueryParameter

__all__ = ["Cursor", "Limit", "page_out"]

E = TypeVar("E")
M = TypeVar("M", bound=WireModel)

Limit = Annotated[int, QueryParameter(ge=1, le=100, description="Page size, 1 to 100.")]
Cursor = Annotated[
    str | None,
    QueryParameter(
        max_length=MAX_CURSOR_LENGTH, description="`nextCursor` or `prevCursor` of a page."
    ),
]


def page_out(page: pagination.Page[E], convert: Callable[[E], M]) -> Page[M]:
    return Page(
        items=[convert(item) for item in page.items],
        next_cursor=page.next_cursor,
        prev_cursor=page.prev_cursor,
    )
