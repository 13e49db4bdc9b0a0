"""Writes run in a SAVEPOINT and leave as domain errors: the one place SQL errors are translated.

PostgreSQL aborts the whole transaction when a statement breaks a constraint; rolling back to
a SAVEPOINT instead keeps it usable, so the loser of an insert race can read the winner and
carry on in the same unit of work. SQLite behaves the same way through the same code.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar
from uuid import UUID

from leadengine_core.errors import Conflict, DomainError, NotFound
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from leadengine_storage.integrity import Violation, ViolationKind, violation_of

__all__ = ["Explain", "ensure_changed", "guarded", "plain_error"]

T = TypeVar("T")
Explain = Callable[[Violation], Awaitable[DomainError]]
"""Turns a broken constraint into the domain error callers expect (may look up the winner)."""


async def guarded(
    connection: AsyncConnection, work: Callable[[], Awaitable[T]], explain: Explain
) -> T:
    """Run `work` in a SAVEPOINT; a unique or foreign-key violation becomes `explain`'s error,
    with the database error as its cause. Other integrity errors are bugs and propagate."""
    try:
        async with connection.begin_nested():
            return await work()
    except IntegrityError as error:
        violation = violation_of(error)
        if violation.kind is ViolationKind.OTHER:
            raise
        raise await explain(violation) from error


def plain_error(violation: Violation, record: str, record_id: UUID) -> DomainError:
    """The error for a violation nothing more specific explains: a duplicate id, or a
    reference to a row that does not exist."""
    if violation.kind is ViolationKind.FOREIGN_KEY:
        return NotFound(
            f"{record} {record_id} refers to a record that does not exist",
            details={"id": str(record_id)},
        )
    return Conflict(f"{record} {record_id} already exists", details={"id": str(record_id)})


def ensure_changed(rowcount: int, record: str, record_id: UUID) -> None:
    """An UPDATE or DELETE scoped by tenant and id that matched nothing: not this tenant's row."""
    if rowcount == 0:
        raise NotFound(f"{record} {record_id} does not exist", details={"id": str(record_id)})
