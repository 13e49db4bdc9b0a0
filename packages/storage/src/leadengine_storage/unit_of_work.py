"""`SqlUnitOfWork`: one connection and one transaction per `async with`, shared by all
repositories; the entry point commits, and leaving without a commit rolls back.

On SQLite the transaction starts with BEGIN IMMEDIATE (see `engine`), so a unit of work holds
the write lock until it ends: open one at a time per task, never one inside another.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from types import TracebackType
from typing import Self

from leadengine_core.events import DomainEvent
from leadengine_core.ports import UnitOfWork
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from leadengine_storage.repositories import (
    SqlContactRepository,
    SqlInstanceRepository,
    SqlLeadRepository,
    SqlMessageRepository,
    SqlQueueRepository,
    SqlTenantRepository,
    SqlTicketRepository,
    SqlUserRepository,
)
from leadengine_storage.repositories.api_keys import SqlApiKeyRepository

__all__ = ["SqlUnitOfWork", "unit_of_work_factory"]


class _Repositories:
    def __init__(self, connection: AsyncConnection) -> None:
        self.tenants = SqlTenantRepository(connection)
        self.users = SqlUserRepository(connection)
        self.queues = SqlQueueRepository(connection)
        self.contacts = SqlContactRepository(connection)
        self.leads = SqlLeadRepository(connection)
        self.tickets = SqlTicketRepository(connection)
        self.messages = SqlMessageRepository(connection)
        self.instances = SqlInstanceRepository(connection)
        self.api_keys = SqlApiKeyRepository(connection)


class SqlUnitOfWork(UnitOfWork):
    """Reusable: each `async with` takes a fresh connection from the pool.

    Events recorded with `record` become collectable once `commit` succeeds; a rollback (or
    leaving without a commit) drops the ones recorded since the last commit.
    """

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._connection: AsyncConnection | None = None
        self._repositories: _Repositories | None = None
        self._recorded: list[DomainEvent] = []
        self._committed: list[DomainEvent] = []

    @property
    def tenants(self) -> SqlTenantRepository:
        return self._open().tenants

    @property
    def users(self) -> SqlUserRepository:
        return self._open().users

    @property
    def queues(self) -> SqlQueueRepository:
        return self._open().queues

    @property
    def contacts(self) -> SqlContactRepository:
        return self._open().contacts

    @property
    def leads(self) -> SqlLeadRepository:
        return self._open().leads

    @property
    def tickets(self) -> SqlTicketRepository:
        return self._open().tickets

    @property
    def messages(self) -> SqlMessageRepository:
        return self._open().messages

    @property
    def instances(self) -> SqlInstanceRepository:
        return self._open().instances

    @property
    def connection(self) -> AsyncConnection:
        """This transaction's connection, for storage modules outside the core ports (the
        outbox) whose writes must commit together with the repositories'."""
        return self._require_connection()

    @property
    def api_keys(self) -> SqlApiKeyRepository:
        return self._open().api_keys

    async def __aenter__(self) -> Self:
        if self._connection is not None:
            raise RuntimeError("this unit of work is already open")
        connection = await self._engine.connect()
        try:
            await connection.begin()
        except BaseException:
            await connection.close()
            raise
        self._connection = connection
        self._repositories = _Repositories(connection)
        self._recorded.clear()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        connection, self._connection, self._repositories = self._connection, None, None
        self._recorded.clear()
        if connection is None:
            return
        try:
            if connection.in_transaction():
                await connection.rollback()
        finally:
            await connection.close()

    async def commit(self) -> None:
        """Commit; the next statement in this block starts a new transaction."""
        await self._require_connection().commit()
        self._committed.extend(self._recorded)
        self._recorded.clear()

    async def rollback(self) -> None:
        await self._require_connection().rollback()
        self._recorded.clear()

    def record(self, *events: DomainEvent) -> None:
        self._recorded.extend(events)

    def collect_events(self) -> list[DomainEvent]:
        events, self._committed = self._committed, []
        return events

    def _open(self) -> _Repositories:
        if self._repositories is None:
            raise RuntimeError("use the unit of work inside `async with`")
        return self._repositories

    def _require_connection(self) -> AsyncConnection:
        if self._connection is None:
            raise RuntimeError("use the unit of work inside `async with`")
        return self._connection


def unit_of_work_factory(engine: AsyncEngine) -> Callable[[], SqlUnitOfWork]:
    """What entry points depend on: call it for a new unit of work on `engine`."""
    return partial(SqlUnitOfWork, engine)
