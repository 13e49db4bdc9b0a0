"""Test helpers for code that needs a real, migrated database (ours and other teams').

The fixtures run a test once on SQLite and once on PostgreSQL (marked `postgres`, so it skips
without LEADENGINE_TEST_DATABASE_URL): each database is migrated once per session and emptied
before every test, and `engine` fails a test whose statements touch tenant data without
filtering on the tenant (`tenant_scope`). Import them into a `conftest.py` together with
`postgres_url`:

    from leadengine_shared.testing import postgres_url
    from leadengine_storage.testing import database_url, engine, new_uow, ...

`temporary_postgres_database(server_url)` creates a uniquely named database and drops it
afterwards, so parallel or repeated runs never share state; `truncate_all` empties every table
while keeping the migrated schema.
"""

from leadengine_storage.testing.databases import (
    NewUnitOfWork,
    database_url,
    engine,
    new_uow,
    postgres_database_url,
    sqlite_database_url,
    temporary_postgres_database,
    truncate_all,
)
from leadengine_storage.testing.entities import (
    SeededTenant,
    assert_utc,
    factory,
    make_note,
    seed_tenant,
    store,
    store_committed,
    tenant_a,
    tenant_b,
)
from leadengine_storage.testing.probes import (
    QueryPlan,
    capture_queries,
    query_plan,
    record_unscoped_statements,
    wait_after_first_call,
)

__all__ = [
    "NewUnitOfWork",
    "QueryPlan",
    "SeededTenant",
    "assert_utc",
    "capture_queries",
    "database_url",
    "engine",
    "factory",
    "make_note",
    "new_uow",
    "postgres_database_url",
    "query_plan",
    "record_unscoped_statements",
    "seed_tenant",
    "sqlite_database_url",
    "store",
    "store_committed",
    "temporary_postgres_database",
    "tenant_a",
    "tenant_b",
    "truncate_all",
    "wait_after_first_call",
]
