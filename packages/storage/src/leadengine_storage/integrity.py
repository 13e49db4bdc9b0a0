"""Which constraint an IntegrityError broke, named the same way on PostgreSQL and SQLite.

PostgreSQL reports the constraint name; SQLite reports the columns ("UNIQUE constraint failed:
users.tenant_id, users.email") or, for an expression index, the index name. Both are mapped to
the names in `tables.py`, so repositories decide what a violation means by name alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import Index, Table, UniqueConstraint
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql.schema import ColumnCollectionConstraint

from leadengine_storage.tables import metadata

__all__ = ["Violation", "ViolationKind", "violation_of"]


class ViolationKind(StrEnum):
    UNIQUE = "unique"
    FOREIGN_KEY = "foreign_key"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class Violation:
    kind: ViolationKind
    constraint: str | None
    """The name in `tables.py`; None when the database does not say (SQLite foreign keys)."""


_POSTGRES_KINDS = {"23505": ViolationKind.UNIQUE, "23503": ViolationKind.FOREIGN_KEY}
_SQLITE_KINDS = {
    "SQLITE_CONSTRAINT_UNIQUE": ViolationKind.UNIQUE,
    "SQLITE_CONSTRAINT_PRIMARYKEY": ViolationKind.UNIQUE,
    "SQLITE_CONSTRAINT_FOREIGNKEY": ViolationKind.FOREIGN_KEY,
}
_SQLITE_FOREIGN_KEY_MESSAGE = "FOREIGN KEY constraint failed"
_SQLITE_UNIQUE_MESSAGE = re.compile(
    r"UNIQUE constraint failed: (?:index '(?P<index>[^']+)'|(?P<columns>.+))"
)


def _unique_keys(table: Table) -> list[ColumnCollectionConstraint | Index]:
    keys: list[ColumnCollectionConstraint | Index] = [table.primary_key]
    keys += [key for key in table.constraints if isinstance(key, UniqueConstraint)]
    keys += [index for index in table.indexes if index.unique]
    return keys


def _sqlite_signatures() -> dict[str, str]:
    """SQLite's column list for each unique key over plain columns → the key's name."""
    names: dict[str, str] = {}
    for table in metadata.tables.values():
        for key in _unique_keys(table):
            if isinstance(key, Index) and len(key.expressions) != len(key.columns):
                continue  # an expression index: SQLite names the index in its message
            signature = ", ".join(f"{table.name}.{column.name}" for column in key.columns)
            names[signature] = str(key.name)
    return names


_SQLITE_NAMES = _sqlite_signatures()


def violation_of(error: IntegrityError) -> Violation:
    cause = error.orig
    sqlstate = getattr(cause, "sqlstate", None)
    if sqlstate is not None:
        constraint = getattr(getattr(cause, "diag", None), "constraint_name", None)
        return Violation(_POSTGRES_KINDS.get(sqlstate, ViolationKind.OTHER), constraint)
    kind = _SQLITE_KINDS.get(getattr(cause, "sqlite_errorname", ""), ViolationKind.OTHER)
    if str(cause) == _SQLITE_FOREIGN_KEY_MESSAGE:  # ON DELETE RESTRICT fails as a "trigger"
        kind = ViolationKind.FOREIGN_KEY
    match = _SQLITE_UNIQUE_MESSAGE.match(str(cause))
    if kind is not ViolationKind.UNIQUE or match is None:
        return Violation(kind, None)
    return Violation(kind, match["index"] or _SQLITE_NAMES.get(match["columns"]))
