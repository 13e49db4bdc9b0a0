"""Migrated databases for tests: SQLite and PostgreSQL, each migrated once per session and
emptied before every test; `engine` also enforces the tenant-scope rule on every statement."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import pytest
import pytest_asyncio
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from leadengine_storage import migrate
from leadengine_storage.engine import create_engine
from leadengine_storage.tables import metadata
from leadengine_storage.testing.probes import record_unscoped_statements
from leadengine_storage.unit_of_work import SqlUnitOfWork, unit_of_work_factory

__all__ = [
    "NewUnitOfWork",
    "database_url",
    "engine",
    "new_uow",
    "postgres_database_url",
    "sqlite_database_url",
    "temporary_postgres_database",
    "truncate_all",
]

NewUnitOfWork = Callable[[], SqlUnitOfWork]


@asynccontextmanager
async def temporary_postgres_database(server_url: str) -> AsyncIterator[str]:
    """Yield the URL of a new empty database on the server of `server_url`; drop it after."""
    name = f"leadengine_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server_url, pool_size=1).execution_options(isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as connection:
            await connection.execute(text(f'CREATE DATABASE "{name}"'))
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
        async with admin.connect() as connection:
            await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        await admin.dispose()


async def truncate_all(engine: AsyncEngine) -> None:
    """Delete every row of every LeadEngine table (children first)."""
    async with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            names = ", ".join(f'"{table.name}"' for table in metadata.sorted_tables)
            await connection.execute(text(f"TRUNCATE {names} CASCADE"))
        else:
            for table in reversed(metadata.sorted_tables):
                await connection.execute(table.delete())


@pytest.fixture(scope="session")
def sqlite_database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A SQLite file migrated to head, shared by the session."""
    url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('sqlite') / 'leadengine.db'}"
    migrate.upgrade(url)
    return url


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def postgres_database_url(postgres_url: str) -> AsyncIterator[str]:
    """A temporary PostgreSQL database migrated to head, shared by the session."""
    async with temporary_postgres_database(postgres_url) as url:
        await asyncio.to_thread(migrate.upgrade, url)
        yield url


@pytest.fixture(
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
    ]
)
def database_url(request: pytest.FixtureRequest) -> str:
    """Each test that uses it runs on both databases."""
    url: str = request.getfixturevalue(f"{request.param}_database_url")
    return url


@pytest_asyncio.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    """An engine on an emptied database; fails the test on a statement that is not
    tenant-scoped."""
    engine = create_engine(database_url)
    try:
        await truncate_all(engine)
        with record_unscoped_statements(engine) as offenders:
            yield engine
        assert not offenders, "statements not scoped by tenant:\n" + "\n".join(offenders)
    finally:
        await engine.dispose()


@pytest.fixture
def new_uow(engine: AsyncEngine) -> NewUnitOfWork:
    return unit_of_work_factory(engine)
