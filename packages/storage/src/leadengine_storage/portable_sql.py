"""The few SQL expressions that must be spelled differently on PostgreSQL and SQLite."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, false, func, or_, select, type_coerce
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.sql.selectable import TableValuedAlias

__all__ = ["contains_folded", "json_array_has_all", "json_array_has_match", "keys_in"]


def keys_in(
    columns: Sequence[ColumnElement[Any]], keys: Iterable[tuple[Any, ...]]
) -> ColumnElement[bool]:
    """`(a, b, c) IN (keys)` spelled as `a = … AND b = … AND c IN (…)`, one term per distinct
    (a, b): both databases then walk an index on (a, b, c) with a list of values, where a
    row-value IN list can make PostgreSQL's planner fall back to a nested loop over the
    whole tenant."""
    *prefix, last = columns
    groups: dict[tuple[Any, ...], list[Any]] = {}
    for key in keys:
        groups.setdefault(tuple(key[:-1]), []).append(key[-1])
    terms = [
        and_(*(column == value for column, value in zip(prefix, head, strict=True)), last.in_(tail))
        for head, tail in groups.items()
    ]
    return or_(*terms) if terms else false()


def contains_folded(dialect: str, column: ColumnElement[Any], needle: str) -> ColumnElement[bool]:
    """Case-insensitive substring match. SQLite's lower() folds ASCII only, so it uses the
    `casefold` function the engine registers; PostgreSQL's lower() knows Unicode."""
    if dialect == "sqlite":
        return func.casefold(column).contains(needle.casefold(), autoescape=True)
    return func.lower(column).contains(needle.lower(), autoescape=True)


def json_array_has_match(
    dialect: str, column: ColumnElement[Any], needle: str
) -> ColumnElement[bool]:
    """Some string in the JSON array `column` contains `needle`, ignoring case."""
    elements = _elements(dialect, column)
    return exists(
        select(elements.c.value).where(contains_folded(dialect, elements.c.value, needle))
    )


def json_array_has_all(
    dialect: str, column: ColumnElement[Any], values: Collection[str]
) -> ColumnElement[bool]:
    """The JSON array of strings `column` holds every one of `values`."""
    if dialect == "postgresql":
        return type_coerce(column, JSONB).contains(sorted(values))
    elements = _elements(dialect, column)
    return and_(
        *(exists(select(elements.c.value).where(elements.c.value == value)) for value in values)
    )


def _elements(dialect: str, column: ColumnElement[Any]) -> TableValuedAlias:
    if dialect == "postgresql":
        return func.jsonb_array_elements_text(column).table_valued("value")
    return func.json_each(column).table_valued("value")
