"""Pytest fixtures for tests that need the real PostgreSQL or Redis.

Import the fixtures into a package's `conftest.py`. Outside CI, a missing URL skips the test
with a message saying how to enable it; in CI (`CI` set) a missing URL fails the test, so a
service that is not there can never pass silently as "skipped".
"""

from __future__ import annotations

import os

import pytest

__all__ = ["postgres_url", "redis_url", "require_service_url"]

POSTGRES_ENV = "LEADENGINE_TEST_DATABASE_URL"
REDIS_ENV = "LEADENGINE_TEST_REDIS_URL"
_EXAMPLES = {
    POSTGRES_ENV: "postgresql+psycopg://postgres@127.0.0.1:5432/test",
    REDIS_ENV: "redis://127.0.0.1:6379/0",
}


def require_service_url(variable: str) -> str:
    url = os.environ.get(variable, "").strip()
    if url:
        return url
    message = f"{variable} is not set; run with {variable}={_EXAMPLES[variable]} to enable"
    if os.environ.get("CI"):
        pytest.fail(f"CI must not skip service tests: {message}")
    pytest.skip(message)


@pytest.fixture(scope="session")
def postgres_url() -> str:
    return require_service_url(POSTGRES_ENV)


@pytest.fixture(scope="session")
def redis_url() -> str:
    return require_service_url(REDIS_ENV)
