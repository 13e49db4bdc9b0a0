"""Keyset pagination on (timestamp, id), newest first unless a list says otherwise; never OFFSET.

A page is one index range scan from the edge row named by the cursor, so page 1,000 costs what
page 1 costs and rows inserted meanwhile neither repeat nor vanish. A cursor holds the list it
belongs to, the direction in list order ("next" = further down the list, "prev" = back up) and
the edge row's sort key (timestamp in microseconds since the epoch, id); anything else is
refused with VALIDATION_ERROR before it reaches a query. The row-value comparison
`(time, id) < (:t, :id)` is what both PostgreSQL and SQLite turn into a range on a
`(…, time, id)` index, which they read forwards or backwards alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, TypeVar
from uuid import UUID

from leadengine_core.errors import ValidationFailed
from leadengine_core.pagination import Page, decode_cursor, encode_cursor
from sqlalchemy import ColumnElement, Row, Select, tuple_
from sqlalchemy.ext.asyncio import AsyncConnection

__all__ = ["Keyset", "fetch_page", "page_of"]

A = TypeVar("A")
B = TypeVar("B")
Direction = Literal["next", "prev"]
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


@dataclass(frozen=True, slots=True)
class Keyset:
    """A list's sort key and order. `scope` goes into its cursors, so another list (or the
    same rows in the other order, which needs a scope of its own) refuses them."""

    scope: str
    time: ColumnElement[datetime]
    id: ColumnElement[UUID]
    oldest_first: bool = False

    def after(self, edge: tuple[datetime, UUID]) -> ColumnElement[bool]:
        """Rows further down the list than `edge`."""
        key = tuple_(self.time, self.id)
        return key > edge if self.oldest_first else key < edge

    def before(self, edge: tuple[datetime, UUID]) -> ColumnElement[bool]:
        """Rows further up the list than `edge`."""
        key = tuple_(self.time, self.id)
        return key < edge if self.oldest_first else key > edge

    def order(self, *, reverse: bool = False) -> tuple[ColumnElement[Any], ...]:
        """ORDER BY for list order, or against it."""
        ascending = self.oldest_first != reverse
        if ascending:
            return self.time.asc(), self.id.asc()
        return self.time.desc(), self.id.desc()


@dataclass(frozen=True, slots=True)
class _Edge:
    direction: Direction
    time: datetime
    id: UUID


async def fetch_page(
    connection: AsyncConnection,
    query: Select[Any],
    keyset: Keyset,
    *,
    cursor: str | None,
    limit: int,
) -> Page[Row[Any]]:
    """The page of `query` (already filtered and tenant-scoped) that `cursor` points at."""
    if limit < 1:
        raise ValidationFailed("limit must be at least 1", details={"limit": limit})
    edge = None if cursor is None else _decode(cursor, keyset.scope)
    if edge is None or edge.direction == "next":
        bounded = query if edge is None else query.where(keyset.after((edge.time, edge.id)))
        rows = (await connection.execute(bounded.order_by(*keyset.order()).limit(limit + 1))).all()
        items, has_after = rows[:limit], len(rows) > limit
        has_before = (
            edge is not None
            and bool(items)
            and await _exists(
                connection,
                query.where(keyset.before(_key_of(items[0], keyset))),
                keyset.order(reverse=True),
            )
        )
    else:
        bounded = query.where(keyset.before((edge.time, edge.id)))
        ordered = bounded.order_by(*keyset.order(reverse=True))
        rows = (await connection.execute(ordered.limit(limit + 1))).all()
        items, has_before = rows[:limit][::-1], len(rows) > limit
        has_after = bool(items) and await _exists(
            connection, query.where(keyset.after(_key_of(items[-1], keyset))), keyset.order()
        )
    if not items:
        return Page(items=())
    return Page(
        items=tuple(items),
        next_cursor=_encode(keyset, "next", items[-1]) if has_after else None,
        prev_cursor=_encode(keyset, "prev", items[0]) if has_before else None,
    )


def page_of(page: Page[A], items: Sequence[B]) -> Page[B]:
    """`page` with its rows replaced by the entities built from them (same order)."""
    return Page(items=tuple(items), next_cursor=page.next_cursor, prev_cursor=page.prev_cursor)


async def _exists(
    connection: AsyncConnection, query: Select[Any], order: Sequence[ColumnElement[Any]]
) -> bool:
    """Is there a row beyond the page? Asked in key order with LIMIT 1, so the planner walks
    the list's index from the cursor (an EXISTS without order may scan the whole table)."""
    return (await connection.execute(query.order_by(*order).limit(1))).first() is not None


def _key_of(row: Row[Any], keyset: Keyset) -> tuple[datetime, UUID]:
    return row._mapping[keyset.time], row._mapping[keyset.id]


def _encode(keyset: Keyset, direction: Direction, row: Row[Any]) -> str:
    time, row_id = _key_of(row, keyset)
    return encode_cursor([keyset.scope, direction, (time - _EPOCH) // _MICROSECOND, str(row_id)])


def _decode(cursor: str, scope: str) -> _Edge:
    values = decode_cursor(cursor)
    match values:
        case (str(cursor_scope), "next" | "prev" as direction, int(micros), str(row_id)) if (
            cursor_scope == scope
        ):
            try:
                return _Edge(direction, _EPOCH + micros * _MICROSECOND, UUID(row_id))
            except (OverflowError, ValueError) as error:
                raise _invalid(cursor) from error
    raise _invalid(cursor)


def _invalid(cursor: str) -> ValidationFailed:
    return ValidationFailed("invalid pagination cursor", details={"cursor": cursor[:64]})
