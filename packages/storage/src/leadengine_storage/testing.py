"""Test helpers for code that needs a real, migrated database (ours and other teams').

`temporary_postgres_database(server_url)` creates a uniquely named database on the server and
drops it afterwards, so parallel or repeated runs never share state; `truncate_all` empties
every table between tests while keeping the migrated schema.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from leadengine_storage.engine import create_engine
from leadengine_storage.tables import metadata

__all__ = ["temporary_postgres_database", "truncate_all"]


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
