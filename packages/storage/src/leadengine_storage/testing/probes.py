"""Probes for tests: what SQL ran, how the database plans it, whether it was tenant-scoped,
and a way to make concurrent callers race on an insert."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.sql.elements import ClauseElement

from leadengine_storage.tenant_scope import unscoped_tables

__all__ = [
    "QueryPlan",
    "capture_queries",
    "query_plan",
    "record_unscoped_statements",
    "wait_after_first_call",
]

R = TypeVar("R")
_SQLITE_INDEX = re.compile(r"USING (?:COVERING )?INDEX (\S+)")


def wait_after_first_call(repository: R, method: str, barrier: asyncio.Barrier) -> R:
    """`repository`, except that its first `method` call waits at `barrier` after it ran.

    Give each of N racers its own wrapper around its own unit of work's repository and an
    N-party barrier: every racer then finishes its lookup before any of them inserts, which
    forces the insert race that the database has to settle.
    """
    return cast(R, _WaitAfterFirstCall(repository, method, barrier))


class _WaitAfterFirstCall:
    def __init__(self, repository: object, method: str, barrier: asyncio.Barrier) -> None:
        self._repository, self._method, self._barrier = repository, method, barrier
        self._waited = False

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._repository, name)
        if name != self._method or self._waited:
            return attribute

        async def call_then_wait(*args: Any, **kwargs: Any) -> Any:
            result = await attribute(*args, **kwargs)
            self._waited = True
            await self._barrier.wait()
            return result

        return call_then_wait


@contextmanager
def capture_queries(engine: AsyncEngine) -> Iterator[list[tuple[str, Any]]]:
    """Collect the SQL text and parameters of every statement run while the block runs."""
    queries: list[tuple[str, Any]] = []

    def capture(_: Any, __: Any, statement: str, parameters: Any, *___: Any) -> None:
        queries.append((statement, parameters))

    event.listen(engine.sync_engine, "before_cursor_execute", capture)
    try:
        yield queries
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", capture)


@dataclass(frozen=True, slots=True)
class QueryPlan:
    indexes: frozenset[str]
    """Every index the plan reads."""
    sorts: bool
    """Whether the plan sorts rows itself instead of reading them in index order."""


async def query_plan(connection: AsyncConnection, statement: str, parameters: Any) -> QueryPlan:
    """How the database would run a captured statement. On PostgreSQL, sequential scans,
    bitmap scans and sorts are switched off first, so that tiny test tables still show whether
    an index can deliver the rows in order (a sort that cannot be avoided still appears)."""
    if connection.dialect.name == "sqlite":
        rows = await connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
        details = [str(row._mapping["detail"]) for row in rows]
        used = {match[1] for detail in details if (match := _SQLITE_INDEX.search(detail))}
        return QueryPlan(frozenset(used), any("TEMP B-TREE" in detail for detail in details))
    for setting in ("enable_seqscan", "enable_bitmapscan", "enable_sort"):
        await connection.exec_driver_sql(f"SET LOCAL {setting} = off")
    explained = await connection.exec_driver_sql(f"EXPLAIN (FORMAT JSON) {statement}", parameters)
    nodes: list[dict[str, Any]] = [explained.scalar_one()[0]["Plan"]]
    indexes: set[str] = set()
    sorts = False
    while nodes:
        node = nodes.pop()
        if "Index Name" in node:
            indexes.add(node["Index Name"])
        sorts = sorts or node["Node Type"] in {"Sort", "Incremental Sort"}
        nodes.extend(node.get("Plans", []))
    return QueryPlan(frozenset(indexes), sorts)


@contextmanager
def record_unscoped_statements(engine: AsyncEngine) -> Iterator[list[str]]:
    """Collect, while the block runs, every statement that breaks the tenant-scope rule."""
    offenders: list[str] = []

    def check(_: Any, statement: object, *__: Any) -> None:
        if isinstance(statement, ClauseElement) and (tables := unscoped_tables(statement)):
            offenders.append(f"{', '.join(tables)} unscoped in: {statement}")

    event.listen(engine.sync_engine, "before_execute", check)
    try:
        yield offenders
    finally:
        event.remove(engine.sync_engine, "before_execute", check)
