"""The rule "every statement on tenant data filters on the tenant", as code a test can run.

A SELECT, UPDATE or DELETE is scoped when every tenant-owned table it touches (every table with
a `tenant_id` column) has that column in its WHERE or JOIN criteria; an INSERT always writes
`tenant_id` (NOT NULL). The two lookups that cannot know the tenant yet (tenant by slug, which
reads `tenants` itself, and instance by broker id) are the only exceptions, and the second one
says so with `UNSCOPED`.
"""

from __future__ import annotations

from sqlalchemy import Column, Delete, Join, Select, Table, Update
from sqlalchemy.sql import visitors
from sqlalchemy.sql.elements import ClauseElement

__all__ = ["UNSCOPED", "unscoped_tables"]

_OPTION = "leadengine_tenant_scope"
UNSCOPED = {_OPTION: "unscoped"}
"""Execution options for a statement that is deliberately not tenant-scoped."""


def unscoped_tables(statement: ClauseElement) -> list[str]:
    """Names of the tenant-owned tables `statement` touches without filtering on the tenant."""
    if not isinstance(statement, Select | Update | Delete):
        return []
    if statement.get_execution_options().get(_OPTION) == UNSCOPED[_OPTION]:
        return []
    touched: set[str] = set()
    criteria: set[tuple[str, str]] = set()
    for element in visitors.iterate(statement):
        if isinstance(element, Table) and "tenant_id" in element.c:
            touched.add(element.name)
        clause = None
        if isinstance(element, Select | Update | Delete):
            clause = element.whereclause
        elif isinstance(element, Join):
            clause = element.onclause
        if clause is not None:
            criteria.update(
                (column.table.name, column.name)
                for column in visitors.iterate(clause)
                if isinstance(column, Column) and isinstance(column.table, Table)
            )
    return sorted(name for name in touched if (name, "tenant_id") not in criteria)
