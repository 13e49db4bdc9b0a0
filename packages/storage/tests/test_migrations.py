"""Migrations run from empty to head and back on both databases, and match the models."""

import asyncio
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from leadengine_storage import migrate
from leadengine_storage.engine import create_engine
from leadengine_storage.tables import metadata
from leadengine_storage.testing import temporary_postgres_database
from sqlalchemy import inspect
from sqlalchemy.engine import Connection

pytestmark = [
    pytest.mark.filterwarnings("ignore:autogenerate skipping"),
    pytest.mark.filterwarnings("ignore:Skipped unsupported reflection"),
]


def _table_names(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names()) - {"alembic_version"}


def _model_diff(connection: Connection) -> list[object]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, metadata))


async def _round_trip(url: str) -> None:
    engine = create_engine(url)
    try:
        await asyncio.to_thread(migrate.upgrade, url)
        assert await migrate.current_revision(engine) == migrate.head_revision()
        async with engine.connect() as connection:
            assert await connection.run_sync(_table_names) == set(metadata.tables)
            assert await connection.run_sync(_model_diff) == []
        await asyncio.to_thread(migrate.downgrade, url)
        async with engine.connect() as connection:
            assert await connection.run_sync(_table_names) == set()
    finally:
        await engine.dispose()


async def test_sqlite_upgrades_to_head_matches_models_and_downgrades(tmp_path: Path) -> None:
    await _round_trip(f"sqlite+aiosqlite:///{tmp_path / 'schema.db'}")


@pytest.mark.postgres
async def test_postgres_upgrades_to_head_matches_models_and_downgrades(postgres_url: str) -> None:
    async with temporary_postgres_database(postgres_url) as url:
        await _round_trip(url)


async def test_a_never_migrated_database_has_no_revision(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}")
    try:
        assert await migrate.current_revision(engine) is None
    finally:
        await engine.dispose()
