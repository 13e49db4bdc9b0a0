"""An API served on loopback over SQLite and PostgreSQL, migrated once, emptied per test."""

import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path

import httpx
import psycopg
import pytest
from leadengine_api.app import create_app
from leadengine_api.testing import serve
from leadengine_shared.settings import load_settings
from leadengine_shared.testing import postgres_url
from leadengine_storage import migrate
from leadengine_storage.engine import create_engine
from leadengine_storage.testing import truncate_all
from sqlalchemy.engine import make_url

__all__ = ["postgres_url"]

TEST_JWT_SECRET = "test-secret-" + "x" * 32


@pytest.fixture(scope="session")
def sqlite_database(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite+aiosqlite:///{Path(tmp_path_factory.mktemp('db')) / 'api.db'}"
    migrate.upgrade(url)
    return url


@pytest.fixture(scope="session")
def postgres_database(postgres_url: str) -> Iterator[str]:
    server = make_url(postgres_url)
    name = f"leadengine_api_test_{uuid.uuid4().hex[:10]}"
    libpq = server.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(libpq, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = server.set(database=name).render_as_string(hide_password=False)
    migrate.upgrade(url)
    yield url
    with psycopg.connect(libpq, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest) -> str:
    return str(request.getfixturevalue(f"{request.param}_database"))


ServeApi = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]


@pytest.fixture
def serve_api(database_url: str) -> ServeApi:
    """Serve the app over an emptied, migrated database with setting overrides."""

    @asynccontextmanager
    async def served(**overrides: object) -> AsyncIterator[httpx.AsyncClient]:
        engine = create_engine(database_url)
        await truncate_all(engine)
        await engine.dispose()
        settings = load_settings(
            database_url=database_url, environment="test", jwt_secret=TEST_JWT_SECRET, **overrides
        )
        async with (
            serve(create_app(settings)) as base_url,
            httpx.AsyncClient(base_url=base_url, timeout=60) as http,
        ):
            yield http

    return served


@pytest.fixture
async def api(serve_api: ServeApi) -> AsyncIterator[httpx.AsyncClient]:
    """A fresh, empty, migrated database behind a real HTTP server."""
    async with serve_api() as http:
        yield http
