from leadengine_shared.testing import postgres_url
from leadengine_storage.testing import (
    database_url,
    engine,
    factory,
    new_uow,
    postgres_database_url,
    sqlite_database_url,
    tenant_a,
    tenant_b,
)

__all__ = [
    "database_url",
    "engine",
    "factory",
    "new_uow",
    "postgres_database_url",
    "postgres_url",
    "sqlite_database_url",
    "tenant_a",
    "tenant_b",
]
