"""Async engines for the two supported databases.

SQLite (embedded default) runs in WAL mode with foreign keys on and a busy timeout, so the
in-process worker and the API can share the file. Python's sqlite3 driver would otherwise start
transactions itself (and never for SAVEPOINT), so SQLAlchemy emits the BEGIN: that makes
SAVEPOINTs real, and BEGIN IMMEDIATE takes the write lock up front, so two transactions that
read and then write wait for each other (busy timeout) instead of failing with "database is
locked" on their first write. PostgreSQL uses psycopg 3 with a bounded pool and UTC sessions.
Creating an engine opens no connection; the first query does.

A pooled PostgreSQL connection is checked without a round trip (ADR 0012): at checkout libpq
reads whatever the server already sent, so a connection the server closed (restart,
`pg_terminate_backend`, idle timeout) is replaced, as `pool_pre_ping` would, without the
`SELECT 1` that costs every request a round trip. Connections are recycled after an hour, so
one silently dropped by the network (no FIN ever arrives) does not linger in the pool.

JSON columns (every ticket and message has several, mostly `[]` or `{}`) are decoded with
msgspec, about ten times faster per value than the standard library that psycopg uses.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import msgspec
from leadengine_core.errors import ValidationFailed
from psycopg import OperationalError
from psycopg.pq import ConnStatus
from sqlalchemy import Connection, event, text
from sqlalchemy.engine import ExceptionContext
from sqlalchemy.exc import DataError, InvalidatePoolError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry, PoolProxiedConnection

__all__ = ["create_engine", "ping"]

SQLITE_BUSY_TIMEOUT_MS = 10_000
POOL_RECYCLE_SECONDS = 3600


def _casefold(value: str | None) -> str | None:
    return None if value is None else value.casefold()


def _sqlite_pragmas(dbapi_connection: Any, _: ConnectionPoolEntry) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.close()
    # SQLite's own lower() folds ASCII only; searches use this so "JOÃO" matches "joão".
    dbapi_connection.create_function("casefold", 1, _casefold, deterministic=True)


def _sqlite_begin(connection: Connection) -> None:
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def create_engine(
    url: str, *, pool_size: int = 10, pool_timeout: float = 5.0, echo: bool = False
) -> AsyncEngine:
    """Build the engine for `url`, creating the SQLite file's folder when needed."""
    if url.startswith("sqlite"):
        _, _, path = url.partition(":///")
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None: the driver stops emitting BEGIN; `_sqlite_begin` does it.
        engine = create_async_engine(url, echo=echo, connect_args={"isolation_level": None})
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        event.listen(engine.sync_engine, "begin", _sqlite_begin)
        return engine
    engine = create_async_engine(
        url,
        echo=echo,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_timeout=pool_timeout,
        pool_recycle=POOL_RECYCLE_SECONDS,
        json_deserializer=_json_loads,
        # Sessions in UTC: psycopg then hands back `datetime.UTC` values, which `UtcDateTime`
        # passes through instead of converting every time column of every row.
        connect_args={"options": "-c timezone=UTC"},
    )
    event.listen(engine.sync_engine, "handle_error", _refused_value)
    event.listen(engine.sync_engine.pool, "checkout", _closed_by_server)
    return engine


def _closed_by_server(
    dbapi_connection: Any, _record: ConnectionPoolEntry, _proxy: PoolProxiedConnection
) -> None:
    """Raise when the server has closed this pooled connection; the pool then replaces it
    (and every connection older than it: a closed one usually means a restart).

    `consume_input` reads only what already arrived (the socket is non-blocking): no round
    trip, unlike a ping. A terminated backend sends its reason, then closes: the first read
    takes the reason, the second sees the end of the stream."""
    pgconn = dbapi_connection.driver_connection.pgconn
    try:
        pgconn.consume_input()
        pgconn.consume_input()
    except OperationalError as closed:
        raise InvalidatePoolError(str(closed)) from closed
    if pgconn.status != ConnStatus.OK:
        raise InvalidatePoolError("the server closed the connection")


def _json_loads(document: bytes | memoryview | str) -> Any:
    """msgspec, or the standard library for the documents msgspec refuses but PostgreSQL
    stores (a number beyond a float's range, such as `1e400`, which `json` reads as inf)."""
    try:
        return msgspec.json.decode(document)
    except msgspec.MsgspecError:
        return json.loads(bytes(document) if isinstance(document, memoryview) else document)


def _refused_value(context: ExceptionContext) -> BaseException | None:
    """A value PostgreSQL refuses (a NUL character, text longer than its column, a number out
    of range) is bad input, not a server fault: it leaves storage as `ValidationFailed`."""
    if isinstance(context.sqlalchemy_exception, DataError):
        reason = str(context.original_exception).splitlines()[0]
        return ValidationFailed("a value cannot be stored", details={"reason": reason})
    return None


async def ping(engine: AsyncEngine) -> None:
    """Raise when the database does not answer a trivial query."""
    async with engine.connect() as connection:
        await connection.execute(text("SELECT 1"))
